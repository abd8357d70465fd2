"""Raw Kafka wire protocol for tests: encode requests, decode responses, byte by byte.

Written from the protocol guide, independently of the broker's generated code,
so that an encoding bug on either side shows up as a failing test.

Layout:
  - constants: API keys, error codes, which versions are flexible
  - Writer / Reader: primitive types (ints, varints, strings, arrays, tagged fields)
  - request/response headers and framing
  - message codecs: ApiVersions (18), Metadata (3), DescribeLogDirs (35),
    ElectLeaders (43), DescribeTopicPartitions (75)
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
FIND_COORDINATOR = 10
API_VERSIONS = 18
CREATE_TOPICS = 19
DELETE_TOPICS = 20
DELETE_RECORDS = 21
OFFSET_FOR_LEADER_EPOCH = 23
DESCRIBE_CONFIGS = 32
ALTER_CONFIGS = 33
DESCRIBE_LOG_DIRS = 35
CREATE_PARTITIONS = 37
ELECT_LEADERS = 43
INCREMENTAL_ALTER_CONFIGS = 44
DESCRIBE_CLUSTER = 60
DESCRIBE_TOPIC_PARTITIONS = 75

# Error codes
NONE = 0
UNKNOWN_TOPIC_OR_PARTITION = 3
INVALID_TOPIC_EXCEPTION = 17
UNSUPPORTED_VERSION = 35
INVALID_REQUEST = 42
ELECTION_NOT_NEEDED = 84

# First flexible version (compact encodings, tagged fields) of each API we speak.
FIRST_FLEXIBLE_VERSION = {
    API_VERSIONS: 3,
    METADATA: 9,
    PRODUCE: 9,
    FETCH: 12,
    CREATE_TOPICS: 5,
    DELETE_RECORDS: 2,
    OFFSET_FOR_LEADER_EPOCH: 4,
    DESCRIBE_CLUSTER: 0,
    DESCRIBE_LOG_DIRS: 2,
    ELECT_LEADERS: 2,
    DESCRIBE_TOPIC_PARTITIONS: 0,
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
    """Appends Kafka primitive types, big-endian, to a byte buffer."""

    def __init__(self) -> None:
        self._buf = bytearray()

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
            return self.uvarint(0) if compact else self.int16(-1)
        data = v.encode()
        if compact:
            self.uvarint(len(data) + 1)
        else:
            self.int16(len(data))
        return self.raw(data)

    def array(self, items: Iterable[T], write_item: Callable[["Writer", T], object],
              compact: bool = False) -> "Writer":
        return self.nullable_array(list(items), write_item, compact)

    def nullable_array(self, items: Optional[Iterable[T]],
                       write_item: Callable[["Writer", T], object],
                       compact: bool = False) -> "Writer":
        if items is None:
            return self.uvarint(0) if compact else self.int32(-1)
        items = list(items)
        if compact:
            self.uvarint(len(items) + 1)
        else:
            self.int32(len(items))
        for item in items:
            write_item(self, item)
        return self

    def tagged_fields(self, fields: Optional[dict[int, bytes]] = None) -> "Writer":
        fields = fields or {}
        self.uvarint(len(fields))
        for tag in sorted(fields):
            self.uvarint(tag).uvarint(len(fields[tag])).raw(fields[tag])
        return self


def encode_uvarint(v: int) -> bytes:
    assert 0 <= v < 1 << 32, v
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
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

    def uuid(self) -> bytes:
        return self.raw(16)

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
