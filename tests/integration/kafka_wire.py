"""Raw Kafka wire protocol for tests: encode requests, decode responses, byte by byte.

Written from the protocol guide, independently of the broker's generated code,
so that an encoding bug on either side shows up as a failing test.

Layout:
  - constants: API keys, error codes, which versions are flexible
  - Writer / Reader: primitive types (ints, varints, strings, arrays, tagged fields)
  - request/response headers and framing
  - message codecs written out by hand: ApiVersions (18), Metadata (3),
    DescribeLogDirs (35), ElectLeaders (43), DescribeTopicPartitions (75)
  - record batches (magic 2) with their CRC-32C
  - every served API described as data (MESSAGES), and one walker that encodes
    and decodes any of them at any version
  - KafkaConnection: a blocking socket that speaks framed requests, with timeouts
"""

from __future__ import annotations

import dataclasses
import socket
import struct
import time
from typing import Callable, Iterable, Optional, TypeVar

T = TypeVar("T")

# --- constants ----------------------------------------------------------------

# API keys
PRODUCE = 0
FETCH = 1
LIST_OFFSETS = 2
METADATA = 3
OFFSET_COMMIT = 8
OFFSET_FETCH = 9
FIND_COORDINATOR = 10
JOIN_GROUP = 11
HEARTBEAT = 12
LEAVE_GROUP = 13
SYNC_GROUP = 14
DESCRIBE_GROUPS = 15
LIST_GROUPS = 16
API_VERSIONS = 18
CREATE_TOPICS = 19
DELETE_TOPICS = 20
DELETE_RECORDS = 21
INIT_PRODUCER_ID = 22
ADD_PARTITIONS_TO_TXN = 24
ADD_OFFSETS_TO_TXN = 25
END_TXN = 26
TXN_OFFSET_COMMIT = 28
OFFSET_FOR_LEADER_EPOCH = 23
DESCRIBE_CONFIGS = 32
ALTER_CONFIGS = 33
DESCRIBE_LOG_DIRS = 35
CREATE_PARTITIONS = 37
DELETE_GROUPS = 42
ELECT_LEADERS = 43
INCREMENTAL_ALTER_CONFIGS = 44
OFFSET_DELETE = 47
DESCRIBE_CLUSTER = 60
DESCRIBE_PRODUCERS = 61
DESCRIBE_TRANSACTIONS = 65
LIST_TRANSACTIONS = 66
DESCRIBE_TOPIC_PARTITIONS = 75

# Error codes
NONE = 0
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
INVALID_TOPIC_EXCEPTION = 17
UNSUPPORTED_VERSION = 35
INVALID_REQUEST = 42
POLICY_VIOLATION = 44
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47
INVALID_TXN_STATE = 48
INVALID_PRODUCER_ID_MAPPING = 49
INVALID_TRANSACTION_TIMEOUT = 50
CONCURRENT_TRANSACTIONS = 51
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53
OPERATION_NOT_ATTEMPTED = 55
UNSTABLE_OFFSET_COMMIT = 88
PRODUCER_FENCED = 90
TRANSACTIONAL_ID_NOT_FOUND = 105
TRANSACTION_ABORTABLE = 120
INVALID_RECORD = 87
ELECTION_NOT_NEEDED = 84

# First flexible version (compact encodings, tagged fields) of each API we speak.
FIRST_FLEXIBLE_VERSION = {
    API_VERSIONS: 3,
    METADATA: 9,
    PRODUCE: 9,
    FETCH: 12,
    LIST_OFFSETS: 6,
    CREATE_TOPICS: 5,
    DELETE_TOPICS: 4,
    DELETE_RECORDS: 2,
    OFFSET_FOR_LEADER_EPOCH: 4,
    DESCRIBE_CONFIGS: 4,
    ALTER_CONFIGS: 2,
    INCREMENTAL_ALTER_CONFIGS: 1,
    CREATE_PARTITIONS: 2,
    DESCRIBE_CLUSTER: 0,
    DESCRIBE_LOG_DIRS: 2,
    ELECT_LEADERS: 2,
    DESCRIBE_TOPIC_PARTITIONS: 0,
    OFFSET_COMMIT: 8,
    OFFSET_FETCH: 6,
    FIND_COORDINATOR: 3,
    JOIN_GROUP: 6,
    HEARTBEAT: 4,
    LEAVE_GROUP: 4,
    SYNC_GROUP: 4,
    DESCRIBE_GROUPS: 5,
    LIST_GROUPS: 3,
    DELETE_GROUPS: 2,
    INIT_PRODUCER_ID: 2,
    DESCRIBE_PRODUCERS: 0,
    ADD_PARTITIONS_TO_TXN: 3,
    ADD_OFFSETS_TO_TXN: 3,
    END_TXN: 3,
    TXN_OFFSET_COMMIT: 3,
    DESCRIBE_TRANSACTIONS: 0,
    LIST_TRANSACTIONS: 0,
    # OffsetDelete (47) has no flexible version.
}

ZERO_UUID = bytes(16)
DEFAULT_CLIENT_ID = "atoll-integration-tests"
DEFAULT_TIMEOUT_S = 5.0


def is_flexible(api_key: int, version: int) -> bool:
    first = FIRST_FLEXIBLE_VERSION.get(api_key)
    return first is not None and version >= first


def request_header_version(api_key: int, version: int) -> int:
    return 2 if is_flexible(api_key, version) else 1


def response_header_version(api_key: int, version: int) -> int:
    # ApiVersions answers with header v0 at every version, so that a client
    # that does not yet know the broker's versions can always read it.
    if api_key == API_VERSIONS:
        return 0
    return 1 if is_flexible(api_key, version) else 0


class DecodeError(Exception):
    """The bytes do not match the expected encoding."""


class ConnectionClosed(Exception):
    """The peer closed (or reset) the connection."""


# --- primitives -----------------------------------------------------------------


class Writer:
    """Appends Kafka primitive types, big-endian, to a byte buffer.

    `length_fields` records where each string, bytes and array length prefix went
    (offset, "int16" | "int32" | "uvarint"), so that a test can lie in them.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.length_fields: list[tuple[int, str]] = []

    def _length_prefix(self, n: int, kind: str) -> "Writer":
        self.length_fields.append((len(self._buf), kind))
        if kind == "int16":
            return self.int16(n)
        if kind == "int32":
            return self.int32(n)
        return self.uvarint(n)

    def bytes(self) -> bytes:
        return bytes(self._buf)

    def raw(self, data: bytes) -> "Writer":
        self._buf += data
        return self

    def int8(self, v: int) -> "Writer":
        return self.raw(struct.pack(">b", v))

    def int16(self, v: int) -> "Writer":
        return self.raw(struct.pack(">h", v))

    def int32(self, v: int) -> "Writer":
        return self.raw(struct.pack(">i", v))

    def int64(self, v: int) -> "Writer":
        return self.raw(struct.pack(">q", v))

    def bool(self, v: bool) -> "Writer":
        return self.int8(1 if v else 0)

    def uvarint(self, v: int) -> "Writer":
        self._buf += encode_uvarint(v)
        return self

    def uuid(self, v: bytes) -> "Writer":
        assert len(v) == 16
        return self.raw(v)

    def string(self, v: str, compact: bool = False) -> "Writer":
        return self.nullable_string(v, compact)

    def nullable_string(self, v: Optional[str], compact: bool = False) -> "Writer":
        if v is None:
            return self._length_prefix(0, "uvarint") if compact else \
                self._length_prefix(-1, "int16")
        data = v.encode()
        if compact:
            self._length_prefix(len(data) + 1, "uvarint")
        else:
            self._length_prefix(len(data), "int16")
        return self.raw(data)

    def nullable_bytes(self, v: Optional[bytes], compact: bool = False) -> "Writer":
        if v is None:
            return self._length_prefix(0, "uvarint") if compact else \
                self._length_prefix(-1, "int32")
        if compact:
            self._length_prefix(len(v) + 1, "uvarint")
        else:
            self._length_prefix(len(v), "int32")
        return self.raw(v)

    def varint(self, v: int) -> "Writer":
        """A signed zigzag varint (varlong too), as record batches use."""
        self._buf += encode_varint(v)
        return self

    def array(self, items: Iterable[T], write_item: Callable[["Writer", T], object],
              compact: bool = False) -> "Writer":
        return self.nullable_array(list(items), write_item, compact)

    def nullable_array(self, items: Optional[Iterable[T]],
                       write_item: Callable[["Writer", T], object],
                       compact: bool = False) -> "Writer":
        if items is None:
            return self._length_prefix(0, "uvarint") if compact else \
                self._length_prefix(-1, "int32")
        items = list(items)
        if compact:
            self._length_prefix(len(items) + 1, "uvarint")
        else:
            self._length_prefix(len(items), "int32")
        for item in items:
            write_item(self, item)
        return self

    def tagged_fields(self, fields: Optional[dict[int, bytes]] = None) -> "Writer":
        fields = fields or {}
        self._length_prefix(len(fields), "uvarint")
        for tag in sorted(fields):
            self.uvarint(tag)._length_prefix(len(fields[tag]), "uvarint").raw(fields[tag])
        return self


def encode_uvarint(v: int) -> bytes:
    assert 0 <= v < 1 << 32, v
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def encode_varint(v: int) -> bytes:
    assert -(1 << 63) <= v < 1 << 63, v
    z = (v << 1) ^ (v >> 63)  # zigzag
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


class Reader:
    """Reads Kafka primitive types from a byte buffer; every read is bounds-checked."""

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0

    @property
    def position(self) -> int:
        return self._pos

    def remaining(self) -> int:
        return len(self._data) - self._pos

    def expect_end(self) -> None:
        if self.remaining():
            raise DecodeError(
                f"{self.remaining()} trailing bytes at offset {self._pos}: "
                f"{self._data[self._pos:self._pos + 32].hex()}")

    def raw(self, n: int) -> bytes:
        if n < 0 or self._pos + n > len(self._data):
            raise DecodeError(
                f"need {n} bytes at offset {self._pos}, have {self.remaining()}")
        out = self._data[self._pos:self._pos + n]
        self._pos += n
        return out

    def _unpack(self, fmt: str) -> int:
        return struct.unpack(fmt, self.raw(struct.calcsize(fmt)))[0]

    def int8(self) -> int:
        return self._unpack(">b")

    def int16(self) -> int:
        return self._unpack(">h")

    def int32(self) -> int:
        return self._unpack(">i")

    def int64(self) -> int:
        return self._unpack(">q")

    def bool(self) -> bool:
        v = self.int8()
        if v not in (0, 1):
            raise DecodeError(f"bool byte {v} at offset {self._pos - 1}")
        return v == 1

    def uvarint(self) -> int:
        result = 0
        for shift in range(0, 35, 7):
            byte = self.raw(1)[0]
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
        raise DecodeError(f"unsigned varint longer than 5 bytes at {self._pos}")

    def varint(self) -> int:
        """A signed zigzag varint of up to 64 bits."""
        z = 0
        for shift in range(0, 70, 7):
            byte = self.raw(1)[0]
            z |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return (z >> 1) ^ -(z & 1)
        raise DecodeError(f"varint longer than 10 bytes at {self._pos}")

    def uuid(self) -> bytes:
        return self.raw(16)

    def nullable_bytes(self, compact: bool = False) -> Optional[bytes]:
        n = self.uvarint() - 1 if compact else self.int32()
        if n < -1:
            raise DecodeError(f"bytes length {n}")
        return None if n == -1 else self.raw(n)

    def nullable_string(self, compact: bool = False) -> Optional[str]:
        n = self.uvarint() - 1 if compact else self.int16()
        if n < -1:
            raise DecodeError(f"string length {n}")
        if n == -1:
            return None
        # Lenient about content (a broker may echo a client's invalid bytes back),
        # strict about structure.
        return self.raw(n).decode(errors="surrogateescape")

    def string(self, compact: bool = False) -> str:
        v = self.nullable_string(compact)
        if v is None:
            raise DecodeError(f"null in a non-nullable string before offset {self._pos}")
        return v

    def nullable_array(self, read_item: Callable[["Reader"], T],
                       compact: bool = False) -> Optional[list[T]]:
        n = self.uvarint() - 1 if compact else self.int32()
        if n < -1:
            raise DecodeError(f"array length {n}")
        if n == -1:
            return None
        if n > self.remaining():  # every element takes at least one byte
            raise DecodeError(f"array length {n} exceeds the {self.remaining()} bytes left")
        return [read_item(self) for _ in range(n)]

    def array(self, read_item: Callable[["Reader"], T], compact: bool = False) -> list[T]:
        v = self.nullable_array(read_item, compact)
        if v is None:
            raise DecodeError(f"null in a non-nullable array before offset {self._pos}")
        return v

    def tagged_fields(self) -> dict[int, bytes]:
        fields: dict[int, bytes] = {}
        last_tag = -1
        for _ in range(self.uvarint()):
            tag = self.uvarint()
            if tag <= last_tag:
                raise DecodeError(f"tagged field {tag} out of order after {last_tag}")
            last_tag = tag
            fields[tag] = self.raw(self.uvarint())
        return fields


# --- headers and framing -----------------------------------------------------------


def frame(payload: bytes) -> bytes:
    """Prefixes a request or response with its 4-byte big-endian size."""
    return struct.pack(">i", len(payload)) + payload


def encode_request(api_key: int, version: int, correlation_id: int, body: bytes,
                   client_id: Optional[str] = DEFAULT_CLIENT_ID,
                   header_version: Optional[int] = None) -> bytes:
    """A request without its size prefix: header (v1 or v2) then body."""
    if header_version is None:
        header_version = request_header_version(api_key, version)
    w = Writer().int16(api_key).int16(version).int32(correlation_id)
    w.nullable_string(client_id)  # never compact, even in header v2
    if header_version >= 2:
        w.tagged_fields()
    return w.raw(body).bytes()


def read_response_header(r: Reader, api_key: int, version: int) -> int:
    """Consumes the response header and returns its correlation id."""
    correlation_id = r.int32()
    if response_header_version(api_key, version) >= 1:
        r.tagged_fields()
    return correlation_id


# --- ApiVersions (key 18) ------------------------------------------------------------


@dataclasses.dataclass
class ApiVersionsResponse:
    error_code: int
    api_key_list: list[tuple[int, int, int]]  # (key, min, max), in wire order
    throttle_time_ms: Optional[int]
    tagged_fields: dict[int, bytes]

    @property
    def api_keys(self) -> dict[int, tuple[int, int]]:
        return {key: (lo, hi) for key, lo, hi in self.api_key_list}


def encode_api_versions_request(version: int,
                                client_software_name: str = "atoll-tests",
                                client_software_version: str = "1.0") -> bytes:
    if not is_flexible(API_VERSIONS, version):
        return b""  # v0-v2 have an empty body
    return (Writer()
            .string(client_software_name, compact=True)
            .string(client_software_version, compact=True)
            .tagged_fields()
            .bytes())


def decode_api_versions_response(r: Reader, version: int) -> ApiVersionsResponse:
    flexible = is_flexible(API_VERSIONS, version)
    error_code = r.int16()

    def api(r: Reader) -> tuple[int, int, int]:
        entry = (r.int16(), r.int16(), r.int16())
        if flexible:
            r.tagged_fields()
        return entry

    api_key_list = r.array(api, compact=flexible)
    throttle_time_ms = r.int32() if version >= 1 else None
    tagged = r.tagged_fields() if flexible else {}
    return ApiVersionsResponse(error_code, api_key_list, throttle_time_ms, tagged)


# --- Metadata (key 3) -----------------------------------------------------------------


@dataclasses.dataclass
class MetadataBroker:
    node_id: int
    host: str
    port: int
    rack: Optional[str]


@dataclasses.dataclass
class MetadataPartition:
    error_code: int
    partition_index: int
    leader_id: int
    leader_epoch: Optional[int]
    replica_nodes: list[int]
    isr_nodes: list[int]
    offline_replicas: Optional[list[int]]


@dataclasses.dataclass
class MetadataTopic:
    error_code: int
    name: Optional[str]
    topic_id: Optional[bytes]
    is_internal: Optional[bool]
    partitions: list[MetadataPartition]
    topic_authorized_operations: Optional[int]


@dataclasses.dataclass
class MetadataResponse:
    throttle_time_ms: Optional[int]
    brokers: list[MetadataBroker]
    cluster_id: Optional[str]
    controller_id: Optional[int]
    topics: list[MetadataTopic]
    cluster_authorized_operations: Optional[int]

    def topics_by_name(self) -> dict[Optional[str], MetadataTopic]:
        return {t.name: t for t in self.topics}


def encode_metadata_request(version: int, topics: Optional[list[str]],
                            allow_auto_topic_creation: bool = True,
                            include_cluster_authorized_operations: bool = False,
                            include_topic_authorized_operations: bool = False) -> bytes:
    """topics=None asks for all topics (v0 has no null: it sends an empty list)."""
    flexible = is_flexible(METADATA, version)
    if version == 0 and topics is None:
        topics = []

    def topic(w: Writer, name: str) -> None:
        if version >= 10:
            w.uuid(ZERO_UUID)
        w.string(name, compact=flexible)
        if flexible:
            w.tagged_fields()

    w = Writer().nullable_array(topics, topic, compact=flexible)
    if version >= 4:
        w.bool(allow_auto_topic_creation)
    if 8 <= version <= 10:
        w.bool(include_cluster_authorized_operations)
    if version >= 8:
        w.bool(include_topic_authorized_operations)
    if flexible:
        w.tagged_fields()
    return w.bytes()


def decode_metadata_response(r: Reader, version: int) -> MetadataResponse:
    flexible = is_flexible(METADATA, version)

    def int32(r: Reader) -> int:
        return r.int32()

    def broker(r: Reader) -> MetadataBroker:
        b = MetadataBroker(
            node_id=r.int32(),
            host=r.string(compact=flexible),
            port=r.int32(),
            rack=r.nullable_string(compact=flexible) if version >= 1 else None)
        if flexible:
            r.tagged_fields()
        return b

    def partition(r: Reader) -> MetadataPartition:
        p = MetadataPartition(
            error_code=r.int16(),
            partition_index=r.int32(),
            leader_id=r.int32(),
            leader_epoch=r.int32() if version >= 7 else None,
            replica_nodes=r.array(int32, compact=flexible),
            isr_nodes=r.array(int32, compact=flexible),
            offline_replicas=r.array(int32, compact=flexible) if version >= 5 else None)
        if flexible:
            r.tagged_fields()
        return p

    def topic(r: Reader) -> MetadataTopic:
        error_code = r.int16()
        name = (r.nullable_string(compact=flexible) if version >= 12
                else r.string(compact=flexible))
        t = MetadataTopic(
            error_code=error_code,
            name=name,
            topic_id=r.uuid() if version >= 10 else None,
            is_internal=r.bool() if version >= 1 else None,
            partitions=r.array(partition, compact=flexible),
            topic_authorized_operations=r.int32() if version >= 8 else None)
        if flexible:
            r.tagged_fields()
        return t

    throttle_time_ms = r.int32() if version >= 3 else None
    brokers = r.array(broker, compact=flexible)
    cluster_id = r.nullable_string(compact=flexible) if version >= 2 else None
    controller_id = r.int32() if version >= 1 else None
    topics = r.array(topic, compact=flexible)
    cluster_ops = r.int32() if 8 <= version <= 10 else None
    if flexible:
        r.tagged_fields()
    return MetadataResponse(throttle_time_ms, brokers, cluster_id, controller_id,
                            topics, cluster_ops)


# --- record batches (magic 2) ----------------------------------------------------------


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum of a magic-2 record batch."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


@dataclasses.dataclass
class Record:
    key: Optional[bytes]
    value: Optional[bytes]
    headers: list[tuple[str, Optional[bytes]]] = dataclasses.field(default_factory=list)
    offset: int = -1  # filled in when decoded: base offset + offset delta
    timestamp: int = -1


@dataclasses.dataclass
class RecordBatch:
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records: list[Record]


# Where the fields of a batch sit, from its first byte.
BATCH_LENGTH_OFFSET = 8
BATCH_MAGIC_OFFSET = 16
BATCH_CRC_OFFSET = 17
BATCH_ATTRIBUTES_OFFSET = 21  # the CRC covers everything from here to the end
BATCH_RECORD_COUNT_OFFSET = 57
BATCH_HEADER_BYTES = 61


def _encode_record(record: Record, offset_delta: int, timestamp_delta: int) -> bytes:
    w = Writer().int8(0).varint(timestamp_delta).varint(offset_delta)
    for data in (record.key, record.value):
        if data is None:
            w.varint(-1)
        else:
            w.varint(len(data)).raw(data)
    w.varint(len(record.headers))
    for name, data in record.headers:
        w.varint(len(name.encode())).raw(name.encode())
        if data is None:
            w.varint(-1)
        else:
            w.varint(len(data)).raw(data)
    inner = w.bytes()
    return encode_varint(len(inner)) + inner


def encode_record_batch(records: list[Record], base_offset: int = 0,
                        timestamp_ms: Optional[int] = None, attributes: int = 0,
                        producer_id: int = -1, producer_epoch: int = -1,
                        base_sequence: int = -1, partition_leader_epoch: int = -1) -> bytes:
    """An uncompressed magic-2 batch as a producer sends it, CRC included."""
    assert records
    if timestamp_ms is None:
        timestamp_ms = int(time.time() * 1000)
    after_crc = (Writer()
                 .int16(attributes)
                 .int32(len(records) - 1)
                 .int64(timestamp_ms)
                 .int64(timestamp_ms)
                 .int64(producer_id)
                 .int16(producer_epoch)
                 .int32(base_sequence)
                 .int32(len(records))
                 .raw(b"".join(_encode_record(r, i, 0) for i, r in enumerate(records)))
                 .bytes())
    batch_length = 4 + 1 + 4 + len(after_crc)  # leader epoch, magic, crc, the rest
    return (Writer()
            .int64(base_offset)
            .int32(batch_length)
            .int32(partition_leader_epoch)
            .int8(2)
            .raw(struct.pack(">I", crc32c(after_crc)))
            .raw(after_crc)
            .bytes())


def _decode_record(r: Reader, base_offset: int, base_timestamp: int) -> Record:
    length = r.varint()
    body = Reader(r.raw(length))
    body.int8()  # attributes, unused
    timestamp_delta = body.varint()
    offset_delta = body.varint()

    def data() -> Optional[bytes]:
        n = body.varint()
        if n < -1:
            raise DecodeError(f"record field length {n}")
        return None if n == -1 else body.raw(n)

    key, value = data(), data()
    headers = []
    for _ in range(body.varint()):
        name = body.raw(body.varint()).decode(errors="surrogateescape")
        headers.append((name, data()))
    body.expect_end()
    return Record(key, value, headers, base_offset + offset_delta,
                  base_timestamp + timestamp_delta)


def decode_record_batches(data: Optional[bytes]) -> list[RecordBatch]:
    """The whole uncompressed magic-2 batches in `data`, CRCs checked.

    A fetch response may end in a partial batch; it is skipped, as clients do.
    """
    batches: list[RecordBatch] = []
    r = Reader(data or b"")
    while r.remaining() >= 12:
        start = r.position
        base_offset = r.int64()
        batch_length = r.int32()
        if batch_length > r.remaining():
            break  # a partial batch at the end
        b = Reader(r.raw(batch_length))
        leader_epoch, magic = b.int32(), b.int8()
        if magic != 2:
            raise DecodeError(f"batch at byte {start} has magic {magic}")
        crc = struct.unpack(">I", b.raw(4))[0]
        rest = data[start + BATCH_ATTRIBUTES_OFFSET:start + 12 + batch_length]
        if crc32c(rest) != crc:
            raise DecodeError(f"batch at byte {start}: CRC {crc:#x}, computed "
                              f"{crc32c(rest):#x}")
        fields = [b.int16(), b.int32(), b.int64(), b.int64(), b.int64(), b.int16(), b.int32()]
        if fields[0] & 0x07:
            raise DecodeError(f"batch at byte {start} is compressed ({fields[0] & 7})")
        count = b.int32()
        records = [_decode_record(b, base_offset, fields[2]) for _ in range(count)]
        b.expect_end()
        batches.append(RecordBatch(base_offset, batch_length, leader_epoch, magic, crc,
                                   *fields, records))
    return batches


# --- messages described as data ---------------------------------------------------------
#
# Each served API's request and response, field by field as the protocol guide lists
# them: name, type, the versions that carry the field, the versions where it may be
# null, and a tag for tagged fields. One walker encodes and decodes them all, so a test
# can build a valid request of any served API at any version, and check that whatever
# comes back is a well-formed response. Types:
#   "bool" "int8" "int16" "int32" "int64" "uuid" "string" "bytes" "records"
#   "[]int32" "[]int64" "[]string"   arrays of a primitive
#   [Field, ...]                     an array of structs
#   (Field, ...)                     one struct; where nullable, an int8 comes first:
#                                    -1 for null, 1 for a struct that follows

LATEST = 0x7FFF


def version_range(spec: str) -> range:
    """"3+", "0-12", "5" or "none", as the Kafka message definitions write them."""
    if spec == "none":
        return range(0)
    if spec.endswith("+"):
        return range(int(spec[:-1]), LATEST + 1)
    lo, _, hi = spec.partition("-")
    return range(int(lo), int(hi or lo) + 1)


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    type: object
    versions: range
    nullable: range
    tag: Optional[int]
    default: object


_UNSET = object()


def F(name: str, type_: object, versions: str = "0+", nullable: str = "none",
      tag: Optional[int] = None, default: object = _UNSET) -> Field:
    return Field(name, type_, version_range(versions), version_range(nullable), tag, default)


@dataclasses.dataclass(frozen=True)
class Message:
    name: str
    api_key: int
    request: tuple[Field, ...]
    response: tuple[Field, ...]


_PRIMITIVE_DEFAULTS = {"bool": False, "int8": 0, "int16": 0, "int32": 0, "int64": 0,
                       "uuid": ZERO_UUID, "string": "", "bytes": b"", "records": b""}


def _default(f: Field, version: int) -> object:
    if f.default is not _UNSET:
        return f.default
    if version in f.nullable:
        return None
    if isinstance(f.type, list) or (isinstance(f.type, str) and f.type.startswith("[]")):
        return []
    if isinstance(f.type, tuple):
        return {}
    return _PRIMITIVE_DEFAULTS[f.type]


def _encode_primitive(w: Writer, type_: str, v: object, compact: bool) -> None:
    if type_ == "bool":
        w.bool(bool(v))
    elif type_ in ("int8", "int16", "int32", "int64"):
        getattr(w, type_)(v)
    elif type_ == "uuid":
        w.uuid(v)  # type: ignore[arg-type]
    elif type_ == "string":
        w.nullable_string(v, compact)  # type: ignore[arg-type]
    elif type_ in ("bytes", "records"):
        w.nullable_bytes(v, compact)  # type: ignore[arg-type]
    else:
        raise ValueError(f"unknown type {type_}")


def _encode_value(w: Writer, f: Field, version: int, flexible: bool, v: object) -> None:
    if v is None and version not in f.nullable:
        raise ValueError(f"{f.name} is not nullable at v{version}")
    t = f.type
    if isinstance(t, list):
        w.nullable_array(v, lambda w2, item: encode_fields(w2, t, version, flexible, item),
                         compact=flexible)
    elif isinstance(t, tuple):
        if version in f.nullable:
            w.int8(-1 if v is None else 1)
            if v is None:
                return
        encode_fields(w, t, version, flexible, v)  # type: ignore[arg-type]
    elif t.startswith("[]"):
        w.nullable_array(v, lambda w2, item: _encode_primitive(w2, t[2:], item, flexible),
                         compact=flexible)
    else:
        _encode_primitive(w, t, v, flexible)


def encode_fields(w: Writer, fields: Iterable[Field], version: int, flexible: bool,
                  values: dict) -> Writer:
    """Writes `values` (field name -> value; absent fields take their defaults)."""
    tagged: dict[int, bytes] = {}
    known = set()
    for f in fields:
        known.add(f.name)
        if version not in f.versions:
            continue
        if f.tag is not None:
            if flexible and f.name in values:
                sub = Writer()
                _encode_value(sub, f, version, flexible, values[f.name])
                tagged[f.tag] = sub.bytes()
            continue
        _encode_value(w, f, version, flexible, values.get(f.name, _default(f, version)))
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    if flexible:
        w.tagged_fields(tagged)
    return w


def _decode_primitive(r: Reader, type_: str, nullable: bool, compact: bool) -> object:
    if type_ in ("bool", "int8", "int16", "int32", "int64", "uuid"):
        return getattr(r, type_)()
    if type_ == "string":
        return r.nullable_string(compact) if nullable else r.string(compact)
    if type_ in ("bytes", "records"):
        v = r.nullable_bytes(compact)
        if v is None and not nullable:
            raise DecodeError(f"null in non-nullable bytes before offset {r.position}")
        return v
    raise ValueError(f"unknown type {type_}")


def _decode_value(r: Reader, f: Field, version: int, flexible: bool) -> object:
    t = f.type
    nullable = version in f.nullable
    if isinstance(t, list):
        read = lambda r2: decode_fields(r2, t, version, flexible)  # noqa: E731
    elif isinstance(t, tuple):
        if nullable:
            presence = r.int8()
            if presence not in (-1, 1):
                raise DecodeError(f"nullable struct presence byte {presence} "
                                  f"at offset {r.position - 1}")
            if presence == -1:
                return None
        return decode_fields(r, t, version, flexible)
    elif t.startswith("[]"):
        read = lambda r2: _decode_primitive(r2, t[2:], False, flexible)  # noqa: E731
    else:
        return _decode_primitive(r, t, nullable, flexible)
    return r.nullable_array(read, flexible) if nullable else r.array(read, flexible)


def decode_fields(r: Reader, fields: Iterable[Field], version: int, flexible: bool) -> dict:
    """Reads the fields present at `version`; raises DecodeError on malformed bytes.

    Known tagged fields are decoded (each must fill its bytes exactly); unknown ones
    are kept raw under "_unknown_tagged_fields".
    """
    fields = tuple(fields)
    out: dict = {}
    for f in fields:
        if version in f.versions and f.tag is None:
            out[f.name] = _decode_value(r, f, version, flexible)
    if flexible:
        tags = r.tagged_fields()
        for f in fields:
            if f.tag is not None and version in f.versions and f.tag in tags:
                sub = Reader(tags.pop(f.tag))
                out[f.name] = _decode_value(sub, f, version, flexible)
                sub.expect_end()
        if tags:
            out["_unknown_tagged_fields"] = tags
    return out


_NODE_ENDPOINT = [F("node_id", "int32"), F("host", "string"), F("port", "int32"),
                  F("rack", "string", nullable="0+")]
_LEADER = (F("leader_id", "int32", default=-1), F("leader_epoch", "int32", default=-1))
_CONFIG_RESULT = [F("error_code", "int16"), F("error_message", "string", nullable="0+"),
                  F("resource_type", "int8"), F("resource_name", "string")]

MESSAGES: dict[int, Message] = {m.api_key: m for m in [
    Message("Produce", PRODUCE, request=(
        F("transactional_id", "string", "3+", nullable="3+"),
        F("acks", "int16", default=-1),
        F("timeout_ms", "int32", default=5000),
        F("topic_data", [
            F("name", "string"),
            F("partition_data", [
                F("index", "int32"),
                F("records", "records", nullable="0+"),
            ]),
        ]),
    ), response=(
        F("responses", [
            F("name", "string"),
            F("partition_responses", [
                F("index", "int32"),
                F("error_code", "int16"),
                F("base_offset", "int64"),
                F("log_append_time_ms", "int64", "2+"),
                F("log_start_offset", "int64", "5+"),
                F("record_errors", [
                    F("batch_index", "int32"),
                    F("batch_index_error_message", "string", nullable="0+"),
                ], "8+"),
                F("error_message", "string", "8+", nullable="8+"),
                F("current_leader", _LEADER, "10+", tag=0),
            ]),
        ]),
        F("throttle_time_ms", "int32", "1+"),
        F("node_endpoints", _NODE_ENDPOINT, "10+", tag=0),
    )),
    Message("Fetch", FETCH, request=(
        F("cluster_id", "string", "12+", nullable="12+", tag=0),
        F("replica_id", "int32", "0-14", default=-1),
        F("replica_state", (F("replica_id", "int32", default=-1),
                            F("replica_epoch", "int64", default=-1)), "15+", tag=1),
        F("max_wait_ms", "int32"),
        F("min_bytes", "int32"),
        F("max_bytes", "int32", "3+", default=0x7FFFFFFF),
        F("isolation_level", "int8", "4+"),
        F("session_id", "int32", "7+"),
        F("session_epoch", "int32", "7+", default=-1),
        F("topics", [
            F("topic", "string", "0-12"),
            F("topic_id", "uuid", "13+"),
            F("partitions", [
                F("partition", "int32"),
                F("current_leader_epoch", "int32", "9+", default=-1),
                F("fetch_offset", "int64"),
                F("last_fetched_epoch", "int32", "12+", default=-1),
                F("log_start_offset", "int64", "5+", default=-1),
                F("partition_max_bytes", "int32", default=1 << 20),
                F("replica_directory_id", "uuid", "17+", tag=0),
            ]),
        ]),
        F("forgotten_topics_data", [
            F("topic", "string", "7-12"),
            F("topic_id", "uuid", "13+"),
            F("partitions", "[]int32"),
        ], "7+"),
        F("rack_id", "string", "11+"),
    ), response=(
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16", "7+"),
        F("session_id", "int32", "7+"),
        F("responses", [
            F("topic", "string", "0-12"),
            F("topic_id", "uuid", "13+"),
            F("partitions", [
                F("partition_index", "int32"),
                F("error_code", "int16"),
                F("high_watermark", "int64"),
                F("last_stable_offset", "int64", "4+"),
                F("log_start_offset", "int64", "5+"),
                F("diverging_epoch", (F("epoch", "int32"), F("end_offset", "int64")),
                  "12+", tag=0),
                F("current_leader", _LEADER, "12+", tag=1),
                F("snapshot_id", (F("end_offset", "int64"), F("epoch", "int32")),
                  "12+", tag=2),
                F("aborted_transactions", [F("producer_id", "int64"),
                                           F("first_offset", "int64")],
                  "4+", nullable="4+"),
                F("preferred_read_replica", "int32", "11+"),
                F("records", "records", nullable="0+"),
            ]),
        ]),
        F("node_endpoints", _NODE_ENDPOINT, "16+", tag=0),
    )),
    Message("ListOffsets", LIST_OFFSETS, request=(
        F("replica_id", "int32", default=-1),
        F("isolation_level", "int8", "2+"),
        F("topics", [
            F("name", "string"),
            F("partitions", [
                F("partition_index", "int32"),
                F("current_leader_epoch", "int32", "4+", default=-1),
                F("timestamp", "int64"),
                F("max_num_offsets", "int32", "0", default=1),
            ]),
        ]),
        F("timeout_ms", "int32", "10+", default=5000),
    ), response=(
        F("throttle_time_ms", "int32", "2+"),
        F("topics", [
            F("name", "string"),
            F("partitions", [
                F("partition_index", "int32"),
                F("error_code", "int16"),
                F("old_style_offsets", "[]int64", "0"),
                F("timestamp", "int64", "1+"),
                F("offset", "int64", "1+"),
                F("leader_epoch", "int32", "4+"),
            ]),
        ]),
    )),
    Message("Metadata", METADATA, request=(
        F("topics", [
            F("topic_id", "uuid", "10+"),
            F("name", "string", nullable="10+"),
        ], nullable="1+"),
        F("allow_auto_topic_creation", "bool", "4+", default=True),
        F("include_cluster_authorized_operations", "bool", "8-10"),
        F("include_topic_authorized_operations", "bool", "8+"),
    ), response=(
        F("throttle_time_ms", "int32", "3+"),
        F("brokers", [
            F("node_id", "int32"),
            F("host", "string"),
            F("port", "int32"),
            F("rack", "string", "1+", nullable="1+"),
        ]),
        F("cluster_id", "string", "2+", nullable="2+"),
        F("controller_id", "int32", "1+"),
        F("topics", [
            F("error_code", "int16"),
            F("name", "string", nullable="12+"),
            F("topic_id", "uuid", "10+"),
            F("is_internal", "bool", "1+"),
            F("partitions", [
                F("error_code", "int16"),
                F("partition_index", "int32"),
                F("leader_id", "int32"),
                F("leader_epoch", "int32", "7+"),
                F("replica_nodes", "[]int32"),
                F("isr_nodes", "[]int32"),
                F("offline_replicas", "[]int32", "5+"),
            ]),
            F("topic_authorized_operations", "int32", "8+"),
        ]),
        F("cluster_authorized_operations", "int32", "8-10"),
    )),
    Message("ApiVersions", API_VERSIONS, request=(
        F("client_software_name", "string", "3+", default="atoll-tests"),
        F("client_software_version", "string", "3+", default="1.0"),
    ), response=(
        F("error_code", "int16"),
        F("api_keys", [F("api_key", "int16"), F("min_version", "int16"),
                       F("max_version", "int16")]),
        F("throttle_time_ms", "int32", "1+"),
        F("supported_features", [F("name", "string"), F("min_version", "int16"),
                                 F("max_version", "int16")], "3+", tag=0),
        F("finalized_features_epoch", "int64", "3+", tag=1),
        F("finalized_features", [F("name", "string"), F("max_version_level", "int16"),
                                 F("min_version_level", "int16")], "3+", tag=2),
        F("zk_migration_ready", "bool", "3+", tag=3),
    )),
    Message("CreateTopics", CREATE_TOPICS, request=(
        F("topics", [
            F("name", "string"),
            F("num_partitions", "int32", default=1),
            F("replication_factor", "int16", default=1),
            F("assignments", [F("partition_index", "int32"), F("broker_ids", "[]int32")]),
            F("configs", [F("name", "string"), F("value", "string", nullable="0+")]),
        ]),
        F("timeout_ms", "int32", default=5000),
        F("validate_only", "bool", "1+"),
    ), response=(
        F("throttle_time_ms", "int32", "2+"),
        F("topics", [
            F("name", "string"),
            F("topic_id", "uuid", "7+"),
            F("error_code", "int16"),
            F("error_message", "string", "1+", nullable="0+"),
            F("topic_config_error_code", "int16", "5+", tag=0),
            F("num_partitions", "int32", "5+"),
            F("replication_factor", "int16", "5+"),
            F("configs", [
                F("name", "string"),
                F("value", "string", nullable="0+"),
                F("read_only", "bool"),
                F("config_source", "int8"),
                F("is_sensitive", "bool"),
            ], "5+", nullable="5+"),
        ]),
    )),
    Message("DeleteTopics", DELETE_TOPICS, request=(
        F("topics", [F("name", "string", nullable="6+"), F("topic_id", "uuid")], "6+"),
        F("topic_names", "[]string", "0-5"),
        F("timeout_ms", "int32", default=5000),
    ), response=(
        F("throttle_time_ms", "int32", "1+"),
        F("responses", [
            F("name", "string", nullable="6+"),
            F("topic_id", "uuid", "6+"),
            F("error_code", "int16"),
            F("error_message", "string", "5+", nullable="5+"),
        ]),
    )),
    Message("DescribeConfigs", DESCRIBE_CONFIGS, request=(
        F("resources", [
            F("resource_type", "int8"),
            F("resource_name", "string"),
            F("configuration_keys", "[]string", nullable="0+"),
        ]),
        F("include_synonyms", "bool", "1+"),
        F("include_documentation", "bool", "3+"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("results", [
            F("error_code", "int16"),
            F("error_message", "string", nullable="0+"),
            F("resource_type", "int8"),
            F("resource_name", "string"),
            F("configs", [
                F("name", "string"),
                F("value", "string", nullable="0+"),
                F("read_only", "bool"),
                F("is_default", "bool", "0"),
                F("config_source", "int8", "1+"),
                F("is_sensitive", "bool"),
                F("synonyms", [F("name", "string"), F("value", "string", nullable="0+"),
                               F("source", "int8")], "1+"),
                F("config_type", "int8", "3+"),
                F("documentation", "string", "3+", nullable="0+"),
            ]),
        ]),
    )),
    Message("AlterConfigs", ALTER_CONFIGS, request=(
        F("resources", [
            F("resource_type", "int8"),
            F("resource_name", "string"),
            F("configs", [F("name", "string"), F("value", "string", nullable="0+")]),
        ]),
        F("validate_only", "bool"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("responses", _CONFIG_RESULT),
    )),
    Message("IncrementalAlterConfigs", INCREMENTAL_ALTER_CONFIGS, request=(
        F("resources", [
            F("resource_type", "int8"),
            F("resource_name", "string"),
            F("configs", [F("name", "string"), F("config_operation", "int8"),
                          F("value", "string", nullable="0+")]),
        ]),
        F("validate_only", "bool"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("responses", _CONFIG_RESULT),
    )),
    Message("CreatePartitions", CREATE_PARTITIONS, request=(
        F("topics", [
            F("name", "string"),
            F("count", "int32"),
            F("assignments", [F("broker_ids", "[]int32")], nullable="0+"),
        ]),
        F("timeout_ms", "int32", default=5000),
        F("validate_only", "bool"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("results", [F("name", "string"), F("error_code", "int16"),
                      F("error_message", "string", nullable="0+")]),
    )),
    Message("OffsetForLeaderEpoch", OFFSET_FOR_LEADER_EPOCH, request=(
        F("replica_id", "int32", "3+", default=-2),
        F("topics", [
            F("topic", "string"),
            F("partitions", [
                F("partition", "int32"),
                F("current_leader_epoch", "int32", "2+", default=-1),
                F("leader_epoch", "int32"),
            ]),
        ]),
    ), response=(
        F("throttle_time_ms", "int32", "2+"),
        F("topics", [
            F("topic", "string"),
            F("partitions", [
                F("error_code", "int16"),
                F("partition", "int32"),
                F("leader_epoch", "int32", "1+"),
                F("end_offset", "int64"),
            ]),
        ]),
    )),
    Message("DeleteRecords", DELETE_RECORDS, request=(
        F("topics", [
            F("name", "string"),
            F("partitions", [F("partition_index", "int32"), F("offset", "int64")]),
        ]),
        F("timeout_ms", "int32", default=5000),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("topics", [
            F("name", "string"),
            F("partitions", [F("partition_index", "int32"), F("low_watermark", "int64"),
                             F("error_code", "int16")]),
        ]),
    )),
    Message("DescribeCluster", DESCRIBE_CLUSTER, request=(
        F("include_cluster_authorized_operations", "bool"),
        F("endpoint_type", "int8", "1+", default=1),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("error_message", "string", nullable="0+"),
        F("endpoint_type", "int8", "1+"),
        F("cluster_id", "string"),
        F("controller_id", "int32"),
        F("brokers", [F("broker_id", "int32"), F("host", "string"), F("port", "int32"),
                      F("rack", "string", nullable="0+")]),
        F("cluster_authorized_operations", "int32"),
    )),
    Message("DescribeLogDirs", DESCRIBE_LOG_DIRS, request=(
        F("topics", [
            F("topic", "string"),
            F("partitions", "[]int32"),
        ], nullable="0+"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("error_code", "int16", "3+"),
        F("results", [
            F("error_code", "int16"),
            F("log_dir", "string"),
            F("topics", [
                F("name", "string"),
                F("partitions", [
                    F("partition_index", "int32"),
                    F("partition_size", "int64"),
                    F("offset_lag", "int64"),
                    F("is_future_key", "bool"),
                ]),
            ]),
            F("total_bytes", "int64", "4+", default=-1),
            F("usable_bytes", "int64", "4+", default=-1),
        ]),
    )),
    Message("ElectLeaders", ELECT_LEADERS, request=(
        F("election_type", "int8", "1+"),
        F("topic_partitions", [
            F("topic", "string"),
            F("partitions", "[]int32"),
        ], nullable="0+"),
        F("timeout_ms", "int32", default=60000),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("error_code", "int16", "1+"),
        F("replica_election_results", [
            F("topic", "string"),
            F("partition_result", [
                F("partition_id", "int32"),
                F("error_code", "int16"),
                F("error_message", "string", nullable="0+"),
            ]),
        ]),
    )),
    Message("DescribeTopicPartitions", DESCRIBE_TOPIC_PARTITIONS, request=(
        F("topics", [F("name", "string")]),
        F("response_partition_limit", "int32", default=2000),
        F("cursor", (F("topic_name", "string"), F("partition_index", "int32")),
          nullable="0+"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("topics", [
            F("error_code", "int16"),
            F("name", "string", nullable="0+"),
            F("topic_id", "uuid"),
            F("is_internal", "bool", default=False),
            F("partitions", [
                F("error_code", "int16"),
                F("partition_index", "int32"),
                F("leader_id", "int32"),
                F("leader_epoch", "int32", default=-1),
                F("replica_nodes", "[]int32"),
                F("isr_nodes", "[]int32"),
                F("eligible_leader_replicas", "[]int32", nullable="0+"),
                F("last_known_elr", "[]int32", nullable="0+"),
                F("offline_replicas", "[]int32"),
            ]),
            F("topic_authorized_operations", "int32", default=-0x8000_0000),
        ]),
        F("next_cursor", (F("topic_name", "string"), F("partition_index", "int32")),
          nullable="0+"),
    )),
    Message("OffsetCommit", OFFSET_COMMIT, request=(
        F("group_id", "string"),
        F("generation_id_or_member_epoch", "int32", "1+", default=-1),
        F("member_id", "string", "1+"),
        F("group_instance_id", "string", "7+", nullable="7+"),
        F("retention_time_ms", "int64", "2-4", default=-1),
        F("topics", [
            F("name", "string"),
            F("partitions", [
                F("partition_index", "int32"),
                F("committed_offset", "int64"),
                F("committed_leader_epoch", "int32", "6+", default=-1),
                F("commit_timestamp", "int64", "1", default=-1),
                F("committed_metadata", "string", nullable="0+"),
            ]),
        ]),
    ), response=(
        F("throttle_time_ms", "int32", "3+"),
        F("topics", [
            F("name", "string"),
            F("partitions", [F("partition_index", "int32"), F("error_code", "int16")]),
        ]),
    )),
    Message("OffsetFetch", OFFSET_FETCH, request=(
        F("group_id", "string", "0-7"),
        F("topics", [
            F("name", "string", "0-7"),
            F("partition_indexes", "[]int32", "0-7"),
        ], "0-7", nullable="2-7"),
        F("groups", [
            F("group_id", "string", "8+"),
            F("member_id", "string", "9+", nullable="9+"),
            F("member_epoch", "int32", "9+", default=-1),
            F("topics", [
                F("name", "string", "8+"),
                F("partition_indexes", "[]int32", "8+"),
            ], "8+", nullable="8+"),
        ], "8+"),
        F("require_stable", "bool", "7+", default=False),
    ), response=(
        F("throttle_time_ms", "int32", "3+"),
        F("topics", [
            F("name", "string", "0-7"),
            F("partitions", [
                F("partition_index", "int32", "0-7"),
                F("committed_offset", "int64", "0-7"),
                F("committed_leader_epoch", "int32", "5-7", default=-1),
                F("metadata", "string", "0-7", nullable="0-7"),
                F("error_code", "int16", "0-7"),
            ], "0-7"),
        ], "0-7"),
        F("error_code", "int16", "2-7", default=0),
        F("groups", [
            F("group_id", "string", "8+"),
            F("topics", [
                F("name", "string", "8+"),
                F("partitions", [
                    F("partition_index", "int32", "8+"),
                    F("committed_offset", "int64", "8+"),
                    F("committed_leader_epoch", "int32", "8+", default=-1),
                    F("metadata", "string", "8+", nullable="8+"),
                    F("error_code", "int16", "8+"),
                ], "8+"),
            ], "8+"),
            F("error_code", "int16", "8+", default=0),
        ], "8+"),
    )),
    Message("FindCoordinator", FIND_COORDINATOR, request=(
        F("key", "string", "0-3"),
        F("key_type", "int8", "1+", default=0),
        F("coordinator_keys", "[]string", "4+"),
    ), response=(
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16", "0-3"),
        F("error_message", "string", "1-3", nullable="1-3"),
        F("node_id", "int32", "0-3"),
        F("host", "string", "0-3"),
        F("port", "int32", "0-3"),
        F("coordinators", [
            F("key", "string", "4+"),
            F("node_id", "int32", "4+"),
            F("host", "string", "4+"),
            F("port", "int32", "4+"),
            F("error_code", "int16", "4+"),
            F("error_message", "string", "4+", nullable="4+"),
        ], "4+"),
    )),
    Message("JoinGroup", JOIN_GROUP, request=(
        F("group_id", "string"),
        F("session_timeout_ms", "int32"),
        F("rebalance_timeout_ms", "int32", "1+", default=-1),
        F("member_id", "string"),
        F("group_instance_id", "string", "5+", nullable="5+"),
        F("protocol_type", "string"),
        F("protocols", [F("name", "string"), F("metadata", "bytes")]),
        F("reason", "string", "8+", nullable="8+"),
    ), response=(
        F("throttle_time_ms", "int32", "2+"),
        F("error_code", "int16"),
        F("generation_id", "int32", default=-1),
        F("protocol_type", "string", "7+", nullable="7+"),
        F("protocol_name", "string", nullable="7+"),
        F("leader", "string"),
        F("skip_assignment", "bool", "9+", default=False),
        F("member_id", "string"),
        F("members", [
            F("member_id", "string"),
            F("group_instance_id", "string", "5+", nullable="5+"),
            F("metadata", "bytes"),
        ]),
    )),
    Message("Heartbeat", HEARTBEAT, request=(
        F("group_id", "string"),
        F("generation_id", "int32"),
        F("member_id", "string"),
        F("group_instance_id", "string", "3+", nullable="3+"),
    ), response=(
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16"),
    )),
    Message("LeaveGroup", LEAVE_GROUP, request=(
        F("group_id", "string"),
        F("member_id", "string", "0-2"),
        F("members", [
            F("member_id", "string", "3+"),
            F("group_instance_id", "string", "3+", nullable="3+"),
            F("reason", "string", "5+", nullable="5+"),
        ], "3+"),
    ), response=(
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16"),
        F("members", [
            F("member_id", "string", "3+"),
            F("group_instance_id", "string", "3+", nullable="3+"),
            F("error_code", "int16", "3+"),
        ], "3+"),
    )),
    Message("SyncGroup", SYNC_GROUP, request=(
        F("group_id", "string"),
        F("generation_id", "int32"),
        F("member_id", "string"),
        F("group_instance_id", "string", "3+", nullable="3+"),
        F("protocol_type", "string", "5+", nullable="5+"),
        F("protocol_name", "string", "5+", nullable="5+"),
        F("assignments", [F("member_id", "string"), F("assignment", "bytes")]),
    ), response=(
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16"),
        F("protocol_type", "string", "5+", nullable="5+"),
        F("protocol_name", "string", "5+", nullable="5+"),
        F("assignment", "bytes"),
    )),
    Message("DescribeGroups", DESCRIBE_GROUPS, request=(
        F("groups", "[]string"),
        F("include_authorized_operations", "bool", "3+"),
    ), response=(
        F("throttle_time_ms", "int32", "1+"),
        F("groups", [
            F("error_code", "int16"),
            F("error_message", "string", "6+", nullable="6+"),
            F("group_id", "string"),
            F("group_state", "string"),
            F("protocol_type", "string"),
            F("protocol_data", "string"),
            F("members", [
                F("member_id", "string"),
                F("group_instance_id", "string", "4+", nullable="4+"),
                F("client_id", "string"),
                F("client_host", "string"),
                F("member_metadata", "bytes"),
                F("member_assignment", "bytes"),
            ]),
            F("authorized_operations", "int32", "3+", default=-0x8000_0000),
        ]),
    )),
    Message("ListGroups", LIST_GROUPS, request=(
        F("states_filter", "[]string", "4+"),
        F("types_filter", "[]string", "5+"),
    ), response=(
        F("throttle_time_ms", "int32", "1+"),
        F("error_code", "int16"),
        F("groups", [
            F("group_id", "string"),
            F("protocol_type", "string"),
            F("group_state", "string", "4+"),
            F("group_type", "string", "5+"),
        ]),
    )),
    Message("DeleteGroups", DELETE_GROUPS, request=(
        F("groups_names", "[]string"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("results", [F("group_id", "string"), F("error_code", "int16")]),
    )),
    Message("InitProducerId", INIT_PRODUCER_ID, request=(
        F("transactional_id", "string", nullable="0+", default=None),
        F("transaction_timeout_ms", "int32", default=60000),
        F("producer_id", "int64", "3+", default=-1),
        F("producer_epoch", "int16", "3+", default=-1),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("producer_id", "int64"),
        F("producer_epoch", "int16"),
    )),
    Message("DescribeProducers", DESCRIBE_PRODUCERS, request=(
        F("topics", [F("name", "string"), F("partition_indexes", "[]int32")]),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("topics", [
            F("name", "string"),
            F("partitions", [
                F("partition_index", "int32"),
                F("error_code", "int16"),
                F("error_message", "string", nullable="0+"),
                F("active_producers", [
                    F("producer_id", "int64"),
                    F("producer_epoch", "int32"),
                    F("last_sequence", "int32"),
                    F("last_timestamp", "int64"),
                    F("coordinator_epoch", "int32"),
                    F("current_txn_start_offset", "int64"),
                ]),
            ]),
        ]),
    )),
    Message("AddPartitionsToTxn", ADD_PARTITIONS_TO_TXN, request=(
        F("transactions", [
            F("transactional_id", "string"),
            F("producer_id", "int64"),
            F("producer_epoch", "int16"),
            F("verify_only", "bool"),
            F("topics", [F("name", "string"), F("partitions", "[]int32")]),
        ], "4+"),
        F("v3_and_below_transactional_id", "string", "0-3"),
        F("v3_and_below_producer_id", "int64", "0-3"),
        F("v3_and_below_producer_epoch", "int16", "0-3"),
        F("v3_and_below_topics", [F("name", "string"), F("partitions", "[]int32")], "0-3"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("error_code", "int16", "4+"),
        F("results_by_transaction", [
            F("transactional_id", "string"),
            F("topic_results", [
                F("name", "string"),
                F("results_by_partition", [F("partition_index", "int32"),
                                           F("partition_error_code", "int16")]),
            ]),
        ], "4+"),
        F("results_by_topic_v3_and_below", [
            F("name", "string"),
            F("results_by_partition", [F("partition_index", "int32"),
                                       F("partition_error_code", "int16")]),
        ], "0-3"),
    )),
    Message("AddOffsetsToTxn", ADD_OFFSETS_TO_TXN, request=(
        F("transactional_id", "string"),
        F("producer_id", "int64"),
        F("producer_epoch", "int16"),
        F("group_id", "string"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
    )),
    Message("EndTxn", END_TXN, request=(
        F("transactional_id", "string"),
        F("producer_id", "int64"),
        F("producer_epoch", "int16"),
        F("committed", "bool"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("producer_id", "int64", "5+", default=-1),
        F("producer_epoch", "int16", "5+", default=-1),
    )),
    Message("TxnOffsetCommit", TXN_OFFSET_COMMIT, request=(
        F("transactional_id", "string"),
        F("group_id", "string"),
        F("producer_id", "int64"),
        F("producer_epoch", "int16"),
        F("generation_id", "int32", "3+", default=-1),
        F("member_id", "string", "3+"),
        F("group_instance_id", "string", "3+", nullable="3+"),
        F("topics", [
            F("name", "string"),
            F("partitions", [
                F("partition_index", "int32"),
                F("committed_offset", "int64"),
                F("committed_leader_epoch", "int32", "2+", default=-1),
                F("committed_metadata", "string", nullable="0+"),
            ]),
        ]),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("topics", [
            F("name", "string"),
            F("partitions", [F("partition_index", "int32"), F("error_code", "int16")]),
        ]),
    )),
    Message("DescribeTransactions", DESCRIBE_TRANSACTIONS, request=(
        F("transactional_ids", "[]string"),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("transaction_states", [
            F("error_code", "int16"),
            F("transactional_id", "string"),
            F("transaction_state", "string"),
            F("transaction_timeout_ms", "int32"),
            F("transaction_start_time_ms", "int64"),
            F("producer_id", "int64"),
            F("producer_epoch", "int16"),
            F("topics", [F("topic", "string"), F("partitions", "[]int32")]),
        ]),
    )),
    Message("ListTransactions", LIST_TRANSACTIONS, request=(
        F("state_filters", "[]string"),
        F("producer_id_filters", "[]int64"),
        F("duration_filter", "int64", "1+", default=-1),
    ), response=(
        F("throttle_time_ms", "int32"),
        F("error_code", "int16"),
        F("unknown_state_filters", "[]string"),
        F("transaction_states", [
            F("transactional_id", "string"),
            F("producer_id", "int64"),
            F("transaction_state", "string"),
        ]),
    )),
    Message("OffsetDelete", OFFSET_DELETE, request=(
        F("group_id", "string"),
        F("topics", [
            F("name", "string"),
            F("partitions", [F("partition_index", "int32")]),
        ]),
    ), response=(
        F("error_code", "int16"),
        F("throttle_time_ms", "int32"),
        F("topics", [
            F("name", "string"),
            F("partitions", [F("partition_index", "int32"), F("error_code", "int16")]),
        ]),
    )),
]}


def encode_body(api_key: int, version: int, values: dict) -> Writer:
    """A request body; the Writer also tells where its length prefixes are."""
    return encode_fields(Writer(), MESSAGES[api_key].request, version,
                         is_flexible(api_key, version), values)


def decode_body(api_key: int, version: int, r: Reader) -> dict:
    """A whole response body (after its header); trailing bytes are an error."""
    out = decode_fields(r, MESSAGES[api_key].response, version, is_flexible(api_key, version))
    r.expect_end()
    return out


def topic_partitions_writer(flexible: bool) -> Callable[[Writer, tuple[str, list[int]]], None]:
    """Writes a (topic, [partition numbers]) entry, as DescribeLogDirs and ElectLeaders
    requests hold them."""
    def write(w: Writer, item: tuple[str, list[int]]) -> None:
        w.string(item[0], compact=flexible)
        w.array(item[1], Writer.int32, compact=flexible)
        if flexible:
            w.tagged_fields()
    return write


# --- DescribeLogDirs (key 35) -----------------------------------------------------------


@dataclasses.dataclass
class LogDirPartition:
    partition_index: int
    partition_size: int
    offset_lag: int
    is_future_key: bool


@dataclasses.dataclass
class LogDirTopic:
    name: str
    partitions: list[LogDirPartition]


@dataclasses.dataclass
class LogDirResult:
    error_code: int
    log_dir: str
    topics: list[LogDirTopic]
    total_bytes: Optional[int]  # v4+
    usable_bytes: Optional[int]  # v4+

    def sizes(self) -> dict[tuple[str, int], int]:
        """(topic, partition) -> partition_size."""
        return {(t.name, p.partition_index): p.partition_size
                for t in self.topics for p in t.partitions}


@dataclasses.dataclass
class DescribeLogDirsResponse:
    throttle_time_ms: int
    error_code: Optional[int]  # v3+
    results: list[LogDirResult]


def encode_describe_log_dirs_request(version: int,
                                     topics: Optional[dict[str, list[int]]]) -> bytes:
    """topics=None asks for every partition; otherwise topic -> partition numbers."""
    flexible = is_flexible(DESCRIBE_LOG_DIRS, version)
    w = Writer().nullable_array(None if topics is None else list(topics.items()),
                                topic_partitions_writer(flexible), compact=flexible)
    if flexible:
        w.tagged_fields()
    return w.bytes()


def decode_describe_log_dirs_response(r: Reader, version: int) -> DescribeLogDirsResponse:
    flexible = is_flexible(DESCRIBE_LOG_DIRS, version)

    def partition(r: Reader) -> LogDirPartition:
        p = LogDirPartition(r.int32(), r.int64(), r.int64(), r.bool())
        if flexible:
            r.tagged_fields()
        return p

    def topic(r: Reader) -> LogDirTopic:
        t = LogDirTopic(r.string(compact=flexible), r.array(partition, compact=flexible))
        if flexible:
            r.tagged_fields()
        return t

    def result(r: Reader) -> LogDirResult:
        res = LogDirResult(
            error_code=r.int16(),
            log_dir=r.string(compact=flexible),
            topics=r.array(topic, compact=flexible),
            total_bytes=r.int64() if version >= 4 else None,
            usable_bytes=r.int64() if version >= 4 else None)
        if flexible:
            r.tagged_fields()
        return res

    throttle_time_ms = r.int32()
    error_code = r.int16() if version >= 3 else None
    results = r.array(result, compact=flexible)
    if flexible:
        r.tagged_fields()
    return DescribeLogDirsResponse(throttle_time_ms, error_code, results)


# --- ElectLeaders (key 43) -------------------------------------------------------------

PREFERRED_ELECTION = 0
UNCLEAN_ELECTION = 1


@dataclasses.dataclass
class ElectionResult:
    partition_id: int
    error_code: int
    error_message: Optional[str]


@dataclasses.dataclass
class ElectLeadersResponse:
    throttle_time_ms: int
    error_code: Optional[int]  # v1+
    results: list[tuple[str, list[ElectionResult]]]  # (topic, partitions), in wire order

    def by_partition(self) -> dict[tuple[str, int], ElectionResult]:
        return {(topic, p.partition_id): p for topic, ps in self.results for p in ps}


def encode_elect_leaders_request(version: int,
                                 topic_partitions: Optional[list[tuple[str, list[int]]]],
                                 election_type: int = PREFERRED_ELECTION,
                                 timeout_ms: int = 60000) -> bytes:
    """topic_partitions=None asks for every partition."""
    flexible = is_flexible(ELECT_LEADERS, version)
    w = Writer()
    if version >= 1:
        w.int8(election_type)
    w.nullable_array(topic_partitions, topic_partitions_writer(flexible), compact=flexible)
    w.int32(timeout_ms)
    if flexible:
        w.tagged_fields()
    return w.bytes()


def decode_elect_leaders_response(r: Reader, version: int) -> ElectLeadersResponse:
    flexible = is_flexible(ELECT_LEADERS, version)

    def partition(r: Reader) -> ElectionResult:
        p = ElectionResult(r.int32(), r.int16(), r.nullable_string(compact=flexible))
        if flexible:
            r.tagged_fields()
        return p

    def topic(r: Reader) -> tuple[str, list[ElectionResult]]:
        t = (r.string(compact=flexible), r.array(partition, compact=flexible))
        if flexible:
            r.tagged_fields()
        return t

    throttle_time_ms = r.int32()
    error_code = r.int16() if version >= 1 else None
    results = r.array(topic, compact=flexible)
    if flexible:
        r.tagged_fields()
    return ElectLeadersResponse(throttle_time_ms, error_code, results)


# --- DescribeTopicPartitions (key 75, v0 only, flexible) ---------------------------------


@dataclasses.dataclass
class TopicPartitionsPartition:
    error_code: int
    partition_index: int
    leader_id: int
    leader_epoch: int
    replica_nodes: list[int]
    isr_nodes: list[int]
    eligible_leader_replicas: Optional[list[int]]
    last_known_elr: Optional[list[int]]
    offline_replicas: list[int]


@dataclasses.dataclass
class TopicPartitionsTopic:
    error_code: int
    name: Optional[str]
    topic_id: bytes
    is_internal: bool
    partitions: list[TopicPartitionsPartition]
    topic_authorized_operations: int


@dataclasses.dataclass
class DescribeTopicPartitionsResponse:
    throttle_time_ms: int
    topics: list[TopicPartitionsTopic]
    next_cursor: Optional[tuple[str, int]]  # (topic_name, partition_index)


def encode_describe_topic_partitions_request(topics: list[str],
                                             response_partition_limit: int = 2000,
                                             cursor: Optional[tuple[str, int]] = None) -> bytes:
    """topics=[] asks for every topic; cursor is (topic_name, partition_index)."""

    def topic(w: Writer, name: str) -> None:
        w.string(name, compact=True).tagged_fields()

    w = Writer().array(topics, topic, compact=True).int32(response_partition_limit)
    if cursor is None:
        w.int8(-1)  # a nullable struct's presence byte
    else:
        w.int8(1).string(cursor[0], compact=True).int32(cursor[1]).tagged_fields()
    return w.tagged_fields().bytes()


def decode_describe_topic_partitions_response(r: Reader) -> DescribeTopicPartitionsResponse:
    def int32(r: Reader) -> int:
        return r.int32()

    def partition(r: Reader) -> TopicPartitionsPartition:
        p = TopicPartitionsPartition(
            error_code=r.int16(),
            partition_index=r.int32(),
            leader_id=r.int32(),
            leader_epoch=r.int32(),
            replica_nodes=r.array(int32, compact=True),
            isr_nodes=r.array(int32, compact=True),
            eligible_leader_replicas=r.nullable_array(int32, compact=True),
            last_known_elr=r.nullable_array(int32, compact=True),
            offline_replicas=r.array(int32, compact=True))
        r.tagged_fields()
        return p

    def topic(r: Reader) -> TopicPartitionsTopic:
        t = TopicPartitionsTopic(
            error_code=r.int16(),
            name=r.nullable_string(compact=True),
            topic_id=r.uuid(),
            is_internal=r.bool(),
            partitions=r.array(partition, compact=True),
            topic_authorized_operations=r.int32())
        r.tagged_fields()
        return t

    throttle_time_ms = r.int32()
    topics = r.array(topic, compact=True)
    presence = r.int8()
    if presence not in (-1, 1):
        raise DecodeError(f"nullable struct presence byte {presence}")
    next_cursor = None
    if presence == 1:
        next_cursor = (r.string(compact=True), r.int32())
        r.tagged_fields()
    r.tagged_fields()
    return DescribeTopicPartitionsResponse(throttle_time_ms, topics, next_cursor)


# --- connection ---------------------------------------------------------------------


class KafkaConnection:
    """A blocking TCP connection that sends framed requests and reads framed responses.

    Every wait is bounded by `timeout` seconds; nothing here can hang a test.
    """

    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT_S,
                 client_id: Optional[str] = DEFAULT_CLIENT_ID) -> None:
        self.timeout = timeout
        self.client_id = client_id
        self._next_correlation_id = 1
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @classmethod
    def over(cls, sock: socket.socket, timeout: float = DEFAULT_TIMEOUT_S,
             client_id: Optional[str] = DEFAULT_CLIENT_ID) -> "KafkaConnection":
        """Speaks over a socket that is already connected (and now belongs to it)."""
        conn = cls.__new__(cls)
        conn.timeout, conn.client_id, conn._next_correlation_id = timeout, client_id, 1
        conn.sock = sock
        return conn

    def __enter__(self) -> "KafkaConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def next_correlation_id(self) -> int:
        cid = self._next_correlation_id
        self._next_correlation_id += 1
        return cid

    # raw bytes

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        deadline = time.monotonic() + self.timeout
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"got {len(buf)} of {n} bytes in {self.timeout} s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(n - len(buf))
            except socket.timeout:
                raise TimeoutError(
                    f"got {len(buf)} of {n} bytes in {self.timeout} s") from None
            except ConnectionResetError as e:
                raise ConnectionClosed(f"reset after {len(buf)} of {n} bytes") from e
            if not chunk:
                raise ConnectionClosed(f"EOF after {len(buf)} of {n} bytes")
            buf += chunk
        return bytes(buf)

    def recv_frame(self) -> bytes:
        size = struct.unpack(">i", self.recv_exact(4))[0]
        if size < 0:
            raise DecodeError(f"negative response size {size}")
        return self.recv_exact(size)

    def wait_for_eof(self, timeout: Optional[float] = None) -> bytes:
        """Waits until the peer closes; returns whatever it sent before closing.

        Raises TimeoutError if the connection is still open after `timeout`.
        """
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        received = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"connection still open after {timeout} s; "
                    f"received {bytes(received[:64]).hex()!r}")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return bytes(received)
            if not chunk:
                return bytes(received)
            received += chunk

    # requests

    def send_request(self, api_key: int, version: int, body: bytes,
                     correlation_id: Optional[int] = None,
                     header_version: Optional[int] = None) -> int:
        if correlation_id is None:
            correlation_id = self.next_correlation_id()
        payload = encode_request(api_key, version, correlation_id, body,
                                 client_id=self.client_id, header_version=header_version)
        self.send_raw(frame(payload))
        return correlation_id

    def recv_response(self, api_key: int, version: int, correlation_id: int) -> Reader:
        """Reads one response, checks its correlation id, returns a Reader on its body."""
        r = Reader(self.recv_frame())
        got = read_response_header(r, api_key, version)
        if got != correlation_id:
            raise DecodeError(f"correlation id {got}, expected {correlation_id}")
        return r

    def api_versions(self, version: int = 3,
                     correlation_id: Optional[int] = None) -> ApiVersionsResponse:
        cid = self.send_request(API_VERSIONS, version,
                                encode_api_versions_request(version), correlation_id)
        r = self.recv_response(API_VERSIONS, version, cid)
        resp = decode_api_versions_response(r, version)
        r.expect_end()
        return resp

    def metadata(self, version: int = 12, topics: Optional[list[str]] = None,
                 **options: bool) -> MetadataResponse:
        cid = self.send_request(METADATA, version,
                                encode_metadata_request(version, topics, **options))
        r = self.recv_response(METADATA, version, cid)
        resp = decode_metadata_response(r, version)
        r.expect_end()
        return resp

    def call(self, api_key: int, version: int, values: dict) -> dict:
        """Sends a request described by MESSAGES and returns its decoded response."""
        cid = self.send_request(api_key, version, encode_body(api_key, version, values).bytes())
        return decode_body(api_key, version, self.recv_response(api_key, version, cid))

    def describe_log_dirs(self, version: int = 4,
                          topics: Optional[dict[str, list[int]]] = None
                          ) -> DescribeLogDirsResponse:
        cid = self.send_request(DESCRIBE_LOG_DIRS, version,
                                encode_describe_log_dirs_request(version, topics))
        r = self.recv_response(DESCRIBE_LOG_DIRS, version, cid)
        resp = decode_describe_log_dirs_response(r, version)
        r.expect_end()
        return resp

    def elect_leaders(self, version: int = 2,
                      topic_partitions: Optional[list[tuple[str, list[int]]]] = None,
                      election_type: int = PREFERRED_ELECTION) -> ElectLeadersResponse:
        cid = self.send_request(ELECT_LEADERS, version, encode_elect_leaders_request(
            version, topic_partitions, election_type))
        r = self.recv_response(ELECT_LEADERS, version, cid)
        resp = decode_elect_leaders_response(r, version)
        r.expect_end()
        return resp

    def describe_topic_partitions(self, topics: list[str], response_partition_limit: int = 2000,
                                  cursor: Optional[tuple[str, int]] = None
                                  ) -> DescribeTopicPartitionsResponse:
        cid = self.send_request(DESCRIBE_TOPIC_PARTITIONS, 0,
                                encode_describe_topic_partitions_request(
                                    topics, response_partition_limit, cursor))
        r = self.recv_response(DESCRIBE_TOPIC_PARTITIONS, 0, cid)
        resp = decode_describe_topic_partitions_response(r)
        r.expect_end()
        return resp
