"""Hostile requests to every served API: valid requests cut short, mutated (bit flips,
lying lengths and counts) and replaced by random bytes; every served API at versions
it does not serve; produce requests carrying corrupt record batches; requests for more
partitions than Kafka makes in one.

Each hostile request must be answered with a well-formed response or make the broker
close that connection: never a hang, never a crash. Connections opened before the
abuse keep being served, and records produced before it are still there after it.
test_framing.py covers what comes before a body (frame sizes, headers, unknown APIs).
"""

from __future__ import annotations

import dataclasses
import os
import random
import resource
import struct
from collections import Counter
from typing import Callable, Optional

import pytest

import kafka_wire as kw
from conftest import without_ubsan_vptr_check
from expected import SUPPORTED_APIS

# Unknown topics stay unknown: a mutated name must not create topics.
BROKER_ARGS = ("--set", "auto.create.topics.enable=false")

SEED = 20241126
TIMEOUT_S = 5.0  # for one hostile request to be answered or its connection closed
BYSTANDERS = 4
BYSTANDER_TOPIC = "bystander"
BYSTANDER_PARTITIONS = 2
VICTIM_TOPIC = "victim"  # what the hostile requests are about
EXISTING_TOPIC = "hostile-existing"  # CreateTopics aims here: it cannot create anything
ABSENT_TOPIC = "hostile-absent"  # DeleteTopics aims here: it cannot delete anything
CORRUPT_TOPIC = "corrupt"
MANGLED_TOPIC = "mangled"
MANGLED_BATCHES = 600
# The group APIs aim at a group without members that has an offset committed; the
# member they name is one no group knows.
GROUP = "hostile-group"
ABSENT_GROUP = "hostile-absent-group"  # DeleteGroups aims here: it cannot delete anything
UNKNOWN_MEMBER = "hostile-unknown-member"
SESSION_TIMEOUT_MS = 6000  # the broker's group.min.session.timeout.ms
# Under TIMEOUT_S: a JoinGroup that a mutation turns into a real join (a static member)
# waits out the rebalance, as in Kafka, for at most this long.
REBALANCE_TIMEOUT_MS = 3000
HOSTILE_CID = 0x0BADC0DE
PROBE_CID = 0x7E57AB1E
# A single request may make the broker open a few files (a new topic's partitions),
# never hundreds.
FD_GROWTH_MAX = 200

TRUNCATIONS = 16  # cut points per version, besides the fixed ones
MUTATIONS = 400  # per version; every third stacks two or three mutations
RANDOM_BODIES = 100  # per version
# One mutation at a time only: stacked ones could defeat both guards that keep a
# CreateTopics or CreatePartitions from making a huge topic and raise its partition
# count (see the tests at the end), make a Fetch wait long (min_bytes and
# max_wait_ms), or make a JoinGroup a real join (a group instance id) with a long
# rebalance timeout, as Kafka would.
SINGLE_MUTATION_APIS = (kw.CREATE_TOPICS, kw.CREATE_PARTITIONS, kw.FETCH, kw.JOIN_GROUP)

API_NAMES = {key: kw.MESSAGES[key].name for key in SUPPORTED_APIS}


def versions_to_try(api_key: int) -> list[int]:
    """The first, the first flexible and the last served version, and where the
    request changes shape in a way that matters to the broker."""
    lo, hi = SUPPORTED_APIS[api_key]
    flexible = kw.FIRST_FLEXIBLE_VERSION.get(api_key)
    extra = {kw.PRODUCE: [3],  # the first that carries magic-2 batches
             kw.FETCH: [13]}.get(api_key, [])  # the first that names topics by id
    chosen = {lo, hi, *extra}
    if flexible is not None and lo <= flexible <= hi:
        chosen.add(flexible)
    return sorted(chosen)


# --- the world the hostile requests run in -------------------------------------------


def records_for(tag: str, n: int) -> list[kw.Record]:
    return [kw.Record(f"{tag}-k{i}".encode(), f"{tag}-value-{i}".encode() * 3,
                      [("h", tag.encode())]) for i in range(n)]


def produce(conn: kw.KafkaConnection, topic: str, partition: int,
            records: Optional[bytes], version: int = 11) -> dict:
    resp = conn.call(kw.PRODUCE, version, {"topic_data": [
        {"name": topic, "partition_data": [{"index": partition, "records": records}]}]})
    [topic_out] = resp["responses"]
    [partition_out] = topic_out["partition_responses"]
    return partition_out


def log_end_offset(conn: kw.KafkaConnection, topic: str, partition: int) -> int:
    resp = conn.call(kw.LIST_OFFSETS, 7, {"topics": [{"name": topic, "partitions": [
        {"partition_index": partition, "timestamp": -1}]}]})
    [p] = resp["topics"][0]["partitions"]
    assert p["error_code"] == kw.NONE, p
    return p["offset"]


def fetch_all(conn: kw.KafkaConnection, topic: str, partition: int) -> list[kw.Record]:
    """Every record of the partition, from offset 0 up to the high watermark."""
    records: list[kw.Record] = []
    offset = 0
    while True:
        resp = conn.call(kw.FETCH, 12, {"topics": [{"topic": topic, "partitions": [
            {"partition": partition, "fetch_offset": offset,
             "partition_max_bytes": 1 << 20}]}]})
        [p] = resp["responses"][0]["partitions"]
        assert p["error_code"] == kw.NONE, p
        batches = kw.decode_record_batches(p["records"])
        for batch in batches:
            records += [r for r in batch.records if r.offset >= offset]
        if records:
            offset = records[-1].offset + 1
        if offset >= p["high_watermark"] or not batches:
            assert offset == p["high_watermark"], (offset, p)
            return records


def consumer_subscription(topics: list[str]) -> bytes:
    """A ConsumerProtocolSubscription (v0), the metadata of a consumer's JoinGroup."""
    return kw.Writer().int16(0).array(topics, kw.Writer.string).nullable_bytes(None).bytes()


def consumer_assignment(topic: str, partitions: list[int]) -> bytes:
    """A ConsumerProtocolAssignment (v0), what a leader's SyncGroup hands out."""
    def write(w: kw.Writer, item: tuple[str, list[int]]) -> None:
        w.string(item[0]).array(item[1], kw.Writer.int32)
    return (kw.Writer().int16(0).array([(topic, partitions)], write)
            .nullable_bytes(None).bytes())


def same_records(got: list[kw.Record], expected: list[kw.Record]) -> bool:
    def key(rs):
        return [(r.key, r.value, r.headers) for r in rs]
    return key(got) == key(expected) and [r.offset for r in got] == list(range(len(got)))


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@dataclasses.dataclass
class World:
    broker: object
    topic_ids: dict[str, bytes]
    # What the bystander topic must hold, partition by partition, in offset order.
    bystander_records: dict[int, list[kw.Record]]
    fd_baseline: int
    rounds: int = 0

    def open_bystanders(self) -> list[kw.KafkaConnection]:
        conns = [self.broker.connect() for _ in range(BYSTANDERS)]
        for conn in conns:
            assert conn.api_versions(3).api_keys == SUPPORTED_APIS
        return conns

    def check_bystanders(self, conns: list[kw.KafkaConnection]) -> None:
        """The connections opened before the abuse still answer, can produce, and
        find every record produced before."""
        assert self.broker.is_running()
        self.rounds += 1
        for conn in conns:
            assert conn.api_versions(3).api_keys == SUPPORTED_APIS
        for partition in range(BYSTANDER_PARTITIONS):
            new = records_for(f"round{self.rounds}-p{partition}", 3)
            out = produce(conns[partition % len(conns)], BYSTANDER_TOPIC, partition,
                          kw.encode_record_batch(new))
            expected = self.bystander_records[partition]
            assert (out["error_code"], out["base_offset"]) == (kw.NONE, len(expected)), out
            expected += new
            got = fetch_all(conns[-1], BYSTANDER_TOPIC, partition)
            assert same_records(got, expected), \
                f"bystander partition {partition} lost or changed records"
        for conn in conns:
            conn.close()
        with self.broker.connect() as fresh:
            assert fresh.api_versions(0).api_keys == SUPPORTED_APIS

    def valid_request(self, api_key: int, version: int) -> dict:
        """A well-formed request of each API, aimed where mutating it can do no harm
        to the bystanders (and a single mutation cannot create a huge topic)."""
        victim = VICTIM_TOPIC
        if api_key == kw.PRODUCE:
            return {"topic_data": [{"name": victim, "partition_data": [
                {"index": 0, "records": kw.encode_record_batch(records_for("v", 2))}]}]}
        if api_key == kw.FETCH:
            # No waiting: min_bytes 0 is answered at once whatever max_wait_ms says.
            return {"max_wait_ms": 0, "min_bytes": 0, "topics": [
                {"topic": victim, "topic_id": self.topic_ids[victim],
                 "partitions": [{"partition": 0, "fetch_offset": 0}]}],
                "forgotten_topics_data": [], "rack_id": "rack-a"}
        if api_key == kw.LIST_OFFSETS:
            return {"topics": [{"name": victim, "partitions": [
                {"partition_index": 0, "timestamp": -1}]}]}
        if api_key == kw.METADATA:
            return {"topics": [{"name": victim}], "allow_auto_topic_creation": False}
        if api_key == kw.API_VERSIONS:
            return {}
        if api_key == kw.CREATE_TOPICS:
            return {"topics": [{"name": EXISTING_TOPIC, "num_partitions": 1,
                                "configs": [{"name": "retention.ms", "value": "3600000"}]}],
                    "validate_only": True}
        if api_key == kw.DELETE_TOPICS:
            return {"topic_names": [ABSENT_TOPIC], "topics": [{"name": ABSENT_TOPIC}]}
        if api_key == kw.DESCRIBE_CONFIGS:
            return {"resources": [
                {"resource_type": 2, "resource_name": victim, "configuration_keys": None},
                {"resource_type": 4, "resource_name": str(self.broker.node_id),
                 "configuration_keys": ["log.retention.ms"]}],
                "include_synonyms": True, "include_documentation": True}
        if api_key == kw.ALTER_CONFIGS:
            return {"resources": [{"resource_type": 2, "resource_name": victim, "configs": [
                {"name": "retention.ms", "value": "86400000"}]}]}
        if api_key == kw.INCREMENTAL_ALTER_CONFIGS:
            return {"resources": [{"resource_type": 2, "resource_name": victim, "configs": [
                {"name": "retention.ms", "config_operation": 0, "value": "86400000"}]}]}
        if api_key == kw.CREATE_PARTITIONS:
            return {"topics": [{"name": victim, "count": 2}], "validate_only": True}
        if api_key == kw.OFFSET_FOR_LEADER_EPOCH:
            return {"topics": [{"topic": victim, "partitions": [
                {"partition": 0, "leader_epoch": 0}]}]}
        if api_key == kw.DELETE_RECORDS:
            return {"topics": [{"name": victim, "partitions": [
                {"partition_index": 0, "offset": 0}]}]}
        if api_key == kw.DESCRIBE_CLUSTER:
            return {"include_cluster_authorized_operations": True}
        if api_key == kw.DESCRIBE_LOG_DIRS:
            return {"topics": [{"topic": victim, "partitions": [0]}]}
        if api_key == kw.ELECT_LEADERS:
            # An existing partition, so the request gets as far as the election (which
            # a single replica never needs), with a timeout well under TIMEOUT_S.
            return {"election_type": 0, "timeout_ms": 1000,
                    "topic_partitions": [{"topic": victim, "partitions": [0]}]}
        if api_key == kw.DESCRIBE_TOPIC_PARTITIONS:
            # One partition a page, from a cursor on the first of two one-partition
            # topics: the answer describes it and points its next cursor at the other.
            return {"topics": [{"name": EXISTING_TOPIC}, {"name": victim}],
                    "response_partition_limit": 1,
                    "cursor": {"topic_name": EXISTING_TOPIC, "partition_index": 0}}
        if api_key == kw.FIND_COORDINATOR:
            return {"key": GROUP, "key_type": 0, "coordinator_keys": [GROUP]}
        if api_key == kw.JOIN_GROUP:
            # Answered at once: from v4 an empty member id gets MEMBER_ID_REQUIRED (KIP-394)
            # and leaves only a pending member behind; before v4 it would join and wait
            # out group.initial.rebalance.delay.ms, then a rebalance, so v0-v3 name a
            # member the group does not know (UNKNOWN_MEMBER_ID). A group per version,
            # so that what one version's mutations leave there waits for no other's.
            return {"group_id": f"hostile-join-v{version}",
                    "session_timeout_ms": SESSION_TIMEOUT_MS,
                    "rebalance_timeout_ms": REBALANCE_TIMEOUT_MS,
                    "member_id": "" if version >= 4 else UNKNOWN_MEMBER,
                    "group_instance_id": None, "protocol_type": "consumer",
                    "protocols": [{"name": "range",
                                   "metadata": consumer_subscription([victim])}],
                    "reason": "hostile"}
        if api_key == kw.SYNC_GROUP:
            return {"group_id": GROUP, "generation_id": 1, "member_id": UNKNOWN_MEMBER,
                    "protocol_type": "consumer", "protocol_name": "range",
                    "assignments": [{"member_id": UNKNOWN_MEMBER,
                                     "assignment": consumer_assignment(victim, [0])}]}
        if api_key == kw.HEARTBEAT:
            return {"group_id": GROUP, "generation_id": 1, "member_id": UNKNOWN_MEMBER}
        if api_key == kw.LEAVE_GROUP:
            return {"group_id": GROUP, "member_id": UNKNOWN_MEMBER, "members": [
                {"member_id": UNKNOWN_MEMBER, "group_instance_id": None,
                 "reason": "hostile"}]}
        if api_key == kw.OFFSET_COMMIT:
            # A "simple" commit of an existing partition (generation -1, no member id),
            # as tools and consumers that assign their own partitions make.
            return {"group_id": GROUP, "generation_id_or_member_epoch": -1, "member_id": "",
                    "topics": [{"name": victim, "partitions": [
                        {"partition_index": 0, "committed_offset": 1,
                         "committed_metadata": "hostile"}]}]}
        if api_key == kw.OFFSET_FETCH:
            partitions = [{"name": victim, "partition_indexes": [0]}]
            return {"group_id": GROUP, "topics": partitions,
                    "groups": [{"group_id": GROUP, "member_id": None, "topics": partitions}],
                    "require_stable": True}
        if api_key == kw.DESCRIBE_GROUPS:
            return {"groups": [GROUP, ABSENT_GROUP], "include_authorized_operations": True}
        if api_key == kw.LIST_GROUPS:
            return {"states_filter": ["Empty"], "types_filter": ["classic"]}
        if api_key == kw.DELETE_GROUPS:
            return {"groups_names": [ABSENT_GROUP]}
        if api_key == kw.OFFSET_DELETE:
            # The group has no members: its offset goes, and OffsetCommit puts it back.
            return {"group_id": GROUP, "topics": [{"name": victim, "partitions": [
                {"partition_index": 0}]}]}
        if api_key == kw.INIT_PRODUCER_ID:
            return {"transactional_id": None, "transaction_timeout_ms": 60000}
        if api_key == kw.DESCRIBE_PRODUCERS:
            return {"topics": [{"name": victim, "partition_indexes": [0]}]}
        # The transactional APIs name a transactional id no producer has:
        # whatever a mutation makes of them is refused without a write.
        txn = {"transactional_id": "hostile-txn", "producer_id": 7, "producer_epoch": 0}
        if api_key == kw.ADD_PARTITIONS_TO_TXN:
            return {"v3_and_below_transactional_id": "hostile-txn",
                    "v3_and_below_producer_id": 7, "v3_and_below_producer_epoch": 0,
                    "v3_and_below_topics": [{"name": victim, "partitions": [0]}],
                    "transactions": [{**txn, "verify_only": True,
                                      "topics": [{"name": victim, "partitions": [0]}]}]}
        if api_key == kw.ADD_OFFSETS_TO_TXN:
            return {**txn, "group_id": GROUP}
        if api_key == kw.END_TXN:
            return {**txn, "committed": False}
        if api_key == kw.TXN_OFFSET_COMMIT:
            return {**txn, "group_id": GROUP, "topics": [{"name": victim, "partitions": [
                {"partition_index": 0, "committed_offset": 0}]}]}
        if api_key == kw.DESCRIBE_TRANSACTIONS:
            return {"transactional_ids": ["hostile-txn"]}
        if api_key == kw.LIST_TRANSACTIONS:
            return {"state_filters": ["Ongoing"], "producer_id_filters": [7]}
        raise AssertionError(f"no valid request for API {api_key}")


@pytest.fixture(scope="module")
def world(shared_broker) -> World:
    with shared_broker.connect() as conn:
        created = conn.call(kw.CREATE_TOPICS, 7, {"topics": [
            {"name": BYSTANDER_TOPIC, "num_partitions": BYSTANDER_PARTITIONS},
            {"name": VICTIM_TOPIC, "num_partitions": 1},
            {"name": EXISTING_TOPIC, "num_partitions": 1},
            {"name": CORRUPT_TOPIC, "num_partitions": 2},
            {"name": MANGLED_TOPIC, "num_partitions": 1}]})
        assert [t["error_code"] for t in created["topics"]] == [kw.NONE] * 5, created
        metadata = conn.call(kw.METADATA, 12, {"topics": None})
        topic_ids = {t["name"]: t["topic_id"] for t in metadata["topics"]}
        expected = {}
        for partition in range(BYSTANDER_PARTITIONS):
            first = records_for(f"before-p{partition}", 20)
            out = produce(conn, BYSTANDER_TOPIC, partition, kw.encode_record_batch(first))
            assert out["error_code"] == kw.NONE, out
            expected[partition] = first
        out = produce(conn, VICTIM_TOPIC, 0, kw.encode_record_batch(records_for("victim", 5)))
        assert out["error_code"] == kw.NONE, out
        # The group the group APIs aim at; looking for its coordinator creates
        # __consumer_offsets (before the descriptors are counted).
        found = conn.call(kw.FIND_COORDINATOR, 6, {"coordinator_keys": [GROUP]})
        assert [c["error_code"] for c in found["coordinators"]] == [kw.NONE], found
        committed = conn.call(kw.OFFSET_COMMIT, 9, {"group_id": GROUP, "topics": [
            {"name": VICTIM_TOPIC, "partitions": [{"partition_index": 0,
                                                   "committed_offset": 0}]}]})
        assert committed["topics"][0]["partitions"][0]["error_code"] == kw.NONE, committed
    return World(shared_broker, topic_ids, expected, fd_count(shared_broker.pid))


@pytest.fixture(autouse=True)
def no_sanitizer_report(shared_broker):
    """A sanitizer report during a test fails that test (the sanitize build aborts on
    one, which the `broker` fixture reports as a death; this names the report)."""
    since = shared_broker.stderr_size()
    yield
    report = shared_broker.sanitizer_report(since)
    assert report is None, f"sanitizer report on atolld's stderr:\n{report}"


# --- sending one hostile request ---------------------------------------------------------


def describe(api_key: int, version: int, how: str, body: bytes) -> str:
    frame = kw.frame(kw.encode_request(api_key, version, HOSTILE_CID, body))
    return (f"{API_NAMES[api_key]} v{version}, {how}\n"
            f"reproducer (the whole frame, sent on a fresh connection): {frame.hex()}")


def check_probe(payload: bytes, what: str) -> None:
    r = kw.Reader(payload)
    assert kw.read_response_header(r, kw.API_VERSIONS, 0) == PROBE_CID, what
    resp = kw.decode_api_versions_response(r, 0)
    r.expect_end()
    assert resp.api_keys == SUPPORTED_APIS, what


def exchange(world: World, api_key: int, version: int, body: bytes,
             how: str) -> tuple[str, Optional[dict]]:
    """Sends the request, then an ApiVersions probe, on a fresh connection.

    Returns "answered" and the decoded response (well-formed, and the probe answered
    after it), "closed" (the broker closed the connection before answering) or
    "silent" (only the probe was answered: allowed for a Produce whose acks a
    mutation turned into 0), with None. Anything else fails the test with a
    reproducer: a hang, a malformed or stale response, a response then a close, a
    dead broker, or a broker holding many more files.
    """
    what = describe(api_key, version, how, body)
    data = (kw.frame(kw.encode_request(api_key, version, HOSTILE_CID, body))
            + kw.frame(kw.encode_request(kw.API_VERSIONS, 0, PROBE_CID, b"")))
    outcome, response = "closed", None
    with world.broker.connect(timeout=TIMEOUT_S) as conn:
        try:
            conn.send_raw(data)
            payload = conn.recv_frame()
        except (kw.ConnectionClosed, ConnectionError):
            payload = None
        except TimeoutError:
            pytest.fail(f"neither answered nor closed within {TIMEOUT_S} s: {what}")
        except kw.DecodeError as e:
            pytest.fail(f"malformed response frame ({e}): {what}")
        if payload is not None:
            (cid,) = struct.unpack(">i", payload[:4])
            if cid == PROBE_CID and api_key == kw.PRODUCE:
                check_probe(payload, what)
                outcome = "silent"
            else:
                assert cid == HOSTILE_CID, f"correlation id {cid:#x}: {what}"
                r = kw.Reader(payload)
                kw.read_response_header(r, api_key, version)
                try:
                    response = kw.decode_body(api_key, version, r)
                except kw.DecodeError as e:
                    pytest.fail(f"malformed response ({e}; {payload.hex()}): {what}")
                try:
                    check_probe(conn.recv_frame(), what)
                except (kw.ConnectionClosed, TimeoutError) as e:
                    pytest.fail(f"answered, then the next request was not ({e}): {what}")
                outcome = "answered"
    assert world.broker.is_running(), f"atolld died: {what}"
    fds = fd_count(world.broker.pid)
    assert fds <= world.fd_baseline + FD_GROWTH_MAX, \
        f"atolld holds {fds} files, {world.fd_baseline} before the abuse: {what}"
    return outcome, response


# --- mutations ------------------------------------------------------------------------------


def read_length(body: bytes, offset: int, kind: str) -> tuple[int, int]:
    """The value of a length prefix and how many bytes it takes."""
    if kind == "int16":
        return struct.unpack_from(">h", body, offset)[0], 2
    if kind == "int32":
        return struct.unpack_from(">i", body, offset)[0], 4
    r = kw.Reader(body[offset:])
    return r.uvarint(), r.position


HOSTILE_INT16 = [-2, -1, 0, 1, 0x7FFF, -0x8000]
HOSTILE_INT32 = [-2, -1, 0, 1, 0x7FFF_FFFF, -0x8000_0000, 0x1000_0000, 0xFFFF]
HOSTILE_UVARINTS = [kw.encode_uvarint(v) for v in (0, 1, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF,
                                                     0x1000_0000, 0xFFFF)] + [
    b"\xff\xff\xff\xff\xff\x0f",  # longer than 5 bytes
    b"\x80\x80\x80\x80\x80\x00",  # over-long encoding of zero
    b"\xff\xff\xff\xff\x7f",  # 5 bytes, more than 32 bits
]


def lie_in_a_length(rng: random.Random, body: bytes,
                    length_fields: list[tuple[int, str]]) -> tuple[str, bytes]:
    offset, kind = rng.choice(length_fields)
    value, size = read_length(body, offset, kind)
    if kind == "int16":
        new = rng.choice(HOSTILE_INT16 + [min(value + 1, 0x7FFF), max(value - 1, -1)])
        encoded = struct.pack(">h", new)
    elif kind == "int32":
        new = rng.choice(HOSTILE_INT32 + [min(value + 1, 0x7FFF_FFFF), max(value - 1, -1)])
        encoded = struct.pack(">i", new)
    else:
        encoded = rng.choice(HOSTILE_UVARINTS + [kw.encode_uvarint(value + 1),
                                                 kw.encode_uvarint(value + 1000)])
        new = encoded.hex()
    return (f"{kind} length at byte {offset} changed from {value} to {new}",
            body[:offset] + encoded + body[offset + size:])


def mutate(rng: random.Random, body: bytes,
           length_fields: list[tuple[int, str]]) -> tuple[str, bytes]:
    """One mutation: a bit flip, a lying length or count, a byte set to an extreme,
    a byte removed or random bytes inserted."""
    kind = rng.choice(["flip", "flip", "length", "length", "length", "byte", "delete",
                       "insert"])
    if kind == "length" and length_fields:
        return lie_in_a_length(rng, body, length_fields)
    if not body:
        return "random bytes for an empty body", rng.randbytes(rng.randint(1, 16))
    at = rng.randrange(len(body))
    if kind == "byte":
        value = rng.choice([0x00, 0xFF, 0x80, 0x7F])
        return (f"byte {at} set to {value:#x}",
                body[:at] + bytes([value]) + body[at + 1:])
    if kind == "delete":
        return f"byte {at} removed", body[:at] + body[at + 1:]
    if kind == "insert":
        extra = rng.randbytes(rng.randint(1, 8))
        return f"{extra.hex()} inserted at byte {at}", body[:at] + extra + body[at:]
    bit = rng.randrange(8)
    return (f"bit {bit} of byte {at} flipped",
            body[:at] + bytes([body[at] ^ (1 << bit)]) + body[at + 1:])


def cut_points(rng: random.Random, body: bytes,
               length_fields: list[tuple[int, str]]) -> list[int]:
    """Where to cut: the ends, the middle, right after some length prefixes (so the
    elements they announce are missing) and a few random places."""
    n = len(body)
    points = {0, 1, n // 2, n - 1}
    points |= {offset + read_length(body, offset, kind)[1]
               for offset, kind in rng.sample(length_fields, min(4, len(length_fields)))}
    points |= {rng.randrange(n) for _ in range(TRUNCATIONS)} if n else set()
    return sorted(p for p in points if 0 <= p < n)


# --- 1. mangled requests to every served API ---------------------------------------------


def run_attack(world: World, api_key: int,
               attack: Callable[[random.Random, int, bytes, list], list[tuple[str, bytes]]]
               ) -> tuple[Counter, list[tuple[str, dict]]]:
    """Every hostile request the attack makes of each version's valid request; returns
    how many were answered, dropped or silent, and the answers with what was sent."""
    rng = random.Random(f"{SEED}-{api_key}-{attack.__name__}")
    bystanders = world.open_bystanders()
    outcomes: Counter = Counter()
    answers = []
    for version in versions_to_try(api_key):
        writer = kw.encode_body(api_key, version, world.valid_request(api_key, version))
        body = writer.bytes()
        assert exchange(world, api_key, version, body, "unchanged")[0] == "answered", \
            describe(api_key, version, "the valid request was not answered", body)
        for how, hostile in attack(rng, api_key, body, writer.length_fields):
            outcome, response = exchange(world, api_key, version, hostile, how)
            outcomes[outcome] += 1
            if response is not None:
                answers.append((describe(api_key, version, how, hostile), response))
    world.check_bystanders(bystanders)
    return outcomes, answers


def truncated(rng, _api_key, body, length_fields):
    return [(f"cut after {cut} of {len(body)} bytes", body[:cut])
            for cut in cut_points(rng, body, length_fields)]


def mutated(rng, api_key, body, length_fields):
    out = []
    for i in range(MUTATIONS):
        stack = 1 if i % 3 or api_key in SINGLE_MUTATION_APIS else rng.randint(2, 3)
        hostile, hows = body, []
        for _ in range(stack):
            # Length prefixes are where the encoder put them only before the first.
            how, hostile = mutate(rng, hostile, [] if hows else length_fields)
            hows.append(how)
        out.append(("; ".join(hows), hostile))
    return out


def random_bodies(rng, _api_key, body, _length_fields):
    out = []
    for i in range(RANDOM_BODIES):
        n = rng.randint(0, 2 * len(body) + 8)
        if i % 2:  # a valid start, then garbage: gets further into the decoder
            keep = rng.randint(0, len(body))
            out.append((f"first {keep} bytes kept, then random", body[:keep] + rng.randbytes(n)))
        else:
            out.append((f"{n} random bytes", rng.randbytes(n)))
    return out


API_IDS = [API_NAMES[k] for k in sorted(SUPPORTED_APIS)]


@pytest.mark.parametrize("api_key", sorted(SUPPORTED_APIS), ids=API_IDS)
def test_truncated_bodies_of_every_api_are_refused_without_hurting_bystanders(
        broker, world, api_key):
    outcomes, answers = run_attack(world, api_key, truncated)
    if api_key == kw.API_VERSIONS:
        # Kafka closes the connection on a body it cannot parse, ApiVersions too;
        # atoll answers INVALID_REQUEST there on purpose (so a client can fall back),
        # which is well-formed and harmless as long as it is an error.
        for what, response in answers:
            assert response["error_code"] == kw.INVALID_REQUEST, what
    else:
        # A body cut short cannot be parsed: Kafka closes the connection.
        assert outcomes["answered"] == 0, answers[:3]


@pytest.mark.parametrize("api_key", sorted(SUPPORTED_APIS), ids=API_IDS)
def test_mutated_requests_to_every_api_are_answered_or_dropped(broker, world, api_key):
    outcomes, _ = run_attack(world, api_key, mutated)
    assert sum(outcomes.values()) >= MUTATIONS


@pytest.mark.parametrize("api_key", sorted(SUPPORTED_APIS), ids=API_IDS)
def test_random_bodies_to_every_api_are_answered_or_dropped(broker, world, api_key):
    outcomes, _ = run_attack(world, api_key, random_bodies)
    assert sum(outcomes.values()) >= RANDOM_BODIES


# --- 2. versions that are not served ------------------------------------------------------

# ApiVersions answers UNSUPPORTED_VERSION instead (test_api_versions.py) and Metadata's
# unsupported versions are in test_metadata.py.
WRONG_VERSIONS = [(key, v) for key in sorted(SUPPORTED_APIS)
                  if key not in (kw.API_VERSIONS, kw.METADATA)
                  for v in sorted({SUPPORTED_APIS[key][1] + 1,
                                   *range(0, SUPPORTED_APIS[key][0])})]


@pytest.mark.parametrize("api_key,version", WRONG_VERSIONS,
                         ids=[f"{API_NAMES[k]}-v{v}" for k, v in WRONG_VERSIONS])
def test_an_unserved_version_closes_only_that_connection(broker, world, api_key, version):
    """Kafka closes the connection on any API but ApiVersions at a version it does not
    serve, without answering. The body is the nearest served version's, as a client
    that guessed the broker's range wrong would send."""
    lo, hi = SUPPORTED_APIS[api_key]
    nearest = min(max(version, lo), hi)
    body = kw.encode_body(api_key, nearest, world.valid_request(api_key, nearest)).bytes()
    bystanders = world.open_bystanders()
    with broker.connect() as conn:
        conn.send_request(api_key, version, body,
                          header_version=kw.request_header_version(api_key, nearest))
        assert conn.wait_for_eof() == b"", describe(api_key, version, "unserved", body)
    world.check_bystanders(bystanders)


# --- 4. corrupt record batches ----------------------------------------------------------------


def with_crc(batch: bytes) -> bytes:
    """The batch with its CRC recomputed, so only the lie the test put in remains."""
    return (batch[:kw.BATCH_CRC_OFFSET]
            + struct.pack(">I", kw.crc32c(batch[kw.BATCH_ATTRIBUTES_OFFSET:]))
            + batch[kw.BATCH_ATTRIBUTES_OFFSET:])


def patched(batch: bytes, offset: int, fmt: str, value: int, fix_crc: bool = False) -> bytes:
    out = bytearray(batch)
    struct.pack_into(fmt, out, offset, value)
    return with_crc(bytes(out)) if fix_crc else bytes(out)


GOOD_BATCH = kw.encode_record_batch(records_for("corrupt", 3), timestamp_ms=1_700_000_000_000)
BATCH_LENGTH = len(GOOD_BATCH) - 12
LAST_OFFSET_DELTA_OFFSET = 23

# name -> (records, the error Kafka 4.0 answers). Kafka's ProduceRequest.validateRecords
# finds no batch in bytes that do not hold a whole one (INVALID_RECORD), and a legacy
# (magic 0/1) batch is INVALID_RECORD too; ByteBufferLogInputStream refuses a size under
# 14 or a magic outside 0-2 as corrupt (CORRUPT_MESSAGE); a CRC that does not match is
# CORRUPT_MESSAGE (RecordBatch.ensureValid); LogValidator.validateBatch refuses a record
# count that disagrees with the offsets, a control batch and a producer id without a
# sequence (INVALID_RECORD), and its record iterator a count that disagrees with the
# records there are (INVALID_RECORD).
CORRUPT_BATCHES = {
    "crc-changed": (patched(GOOD_BATCH, kw.BATCH_CRC_OFFSET, ">I", 0xDEADBEEF),
                    kw.CORRUPT_MESSAGE),
    "record-byte-flipped": (GOOD_BATCH[:-3] + bytes([GOOD_BATCH[-3] ^ 0x10])
                            + GOOD_BATCH[-2:], kw.CORRUPT_MESSAGE),
    "attributes-flipped": (patched(GOOD_BATCH, kw.BATCH_ATTRIBUTES_OFFSET, ">h", 0x0040),
                           kw.CORRUPT_MESSAGE),
    "length-one-short": (patched(GOOD_BATCH, kw.BATCH_LENGTH_OFFSET, ">i", BATCH_LENGTH - 1),
                         kw.CORRUPT_MESSAGE),
    "length-below-minimum": (patched(GOOD_BATCH, kw.BATCH_LENGTH_OFFSET, ">i", 13),
                             kw.CORRUPT_MESSAGE),
    "length-negative": (patched(GOOD_BATCH, kw.BATCH_LENGTH_OFFSET, ">i", -1),
                        kw.CORRUPT_MESSAGE),
    "length-one-long": (patched(GOOD_BATCH, kw.BATCH_LENGTH_OFFSET, ">i", BATCH_LENGTH + 1),
                        kw.INVALID_RECORD),
    "length-far-too-long": (patched(GOOD_BATCH, kw.BATCH_LENGTH_OFFSET, ">i", 1 << 20),
                            kw.INVALID_RECORD),
    "last-byte-missing": (GOOD_BATCH[:-1], kw.INVALID_RECORD),
    "header-only": (GOOD_BATCH[:kw.BATCH_HEADER_BYTES], kw.INVALID_RECORD),
    "no-bytes": (b"", kw.INVALID_RECORD),
    "magic-3": (patched(GOOD_BATCH, kw.BATCH_MAGIC_OFFSET, ">b", 3), kw.CORRUPT_MESSAGE),
    "magic-negative": (patched(GOOD_BATCH, kw.BATCH_MAGIC_OFFSET, ">b", -1),
                       kw.CORRUPT_MESSAGE),
    "magic-1": (patched(GOOD_BATCH, kw.BATCH_MAGIC_OFFSET, ">b", 1), kw.INVALID_RECORD),
    "magic-0": (patched(GOOD_BATCH, kw.BATCH_MAGIC_OFFSET, ">b", 0), kw.INVALID_RECORD),
    "count-one-more": (patched(GOOD_BATCH, kw.BATCH_RECORD_COUNT_OFFSET, ">i", 4, True),
                       kw.INVALID_RECORD),
    "count-one-less": (patched(GOOD_BATCH, kw.BATCH_RECORD_COUNT_OFFSET, ">i", 2, True),
                       kw.INVALID_RECORD),
    "count-zero": (patched(GOOD_BATCH, kw.BATCH_RECORD_COUNT_OFFSET, ">i", 0, True),
                   kw.INVALID_RECORD),
    "count-negative": (patched(GOOD_BATCH, kw.BATCH_RECORD_COUNT_OFFSET, ">i", -1, True),
                       kw.INVALID_RECORD),
    "count-huge": (patched(GOOD_BATCH, kw.BATCH_RECORD_COUNT_OFFSET, ">i", 0x7FFF_FFFF, True),
                   kw.INVALID_RECORD),
    # Count and last offset delta agree, but the batch holds fewer records.
    "records-missing": (patched(patched(GOOD_BATCH, kw.BATCH_RECORD_COUNT_OFFSET, ">i", 4),
                                LAST_OFFSET_DELTA_OFFSET, ">i", 3, True), kw.INVALID_RECORD),
    # ... or more records than both say.
    "records-extra": (patched(patched(GOOD_BATCH, kw.BATCH_RECORD_COUNT_OFFSET, ">i", 2),
                              LAST_OFFSET_DELTA_OFFSET, ">i", 1, True), kw.INVALID_RECORD),
    "two-batches": (GOOD_BATCH + GOOD_BATCH, kw.INVALID_RECORD),
    # What only a broker writes: LogValidator refuses a control batch from a client.
    "control-batch": (patched(GOOD_BATCH, kw.BATCH_ATTRIBUTES_OFFSET, ">h", 0x20, True),
                      kw.INVALID_RECORD),
    # An idempotent producer's batch without a sequence number.
    "producer-id-without-sequence": (kw.encode_record_batch(
        records_for("corrupt", 3), producer_id=7, producer_epoch=0, base_sequence=-1),
        kw.INVALID_RECORD),
}

def corrupt_cases():
    for name, (records, expected) in CORRUPT_BATCHES.items():
        yield pytest.param(records, expected, id=name)


@pytest.mark.parametrize("version", [3, 9, 11])
@pytest.mark.parametrize("records,expected_error", corrupt_cases())
def test_a_corrupt_batch_is_refused_and_nothing_is_appended(broker, world, records,
                                                            expected_error, version):
    with broker.connect() as conn:
        before = log_end_offset(conn, CORRUPT_TOPIC, 0)
        out = produce(conn, CORRUPT_TOPIC, 0, records, version)
        assert log_end_offset(conn, CORRUPT_TOPIC, 0) == before
        # The connection is fine and so is the partition: a good batch goes in next.
        good = produce(conn, CORRUPT_TOPIC, 0, GOOD_BATCH, version)
        assert (good["error_code"], good["base_offset"]) == (kw.NONE, before)
        assert log_end_offset(conn, CORRUPT_TOPIC, 0) == before + 3
        assert out["error_code"] == expected_error, out


def test_a_corrupt_batch_fails_only_its_own_partition(broker, world):
    corrupt, _ = CORRUPT_BATCHES["crc-changed"]
    with broker.connect() as conn:
        before = [log_end_offset(conn, CORRUPT_TOPIC, p) for p in (0, 1)]
        resp = conn.call(kw.PRODUCE, 11, {"topic_data": [{
            "name": CORRUPT_TOPIC, "partition_data": [{"index": 0, "records": corrupt},
                                                      {"index": 1, "records": GOOD_BATCH}]}]})
        outs = {p["index"]: p for p in resp["responses"][0]["partition_responses"]}
        assert outs[0]["error_code"] == kw.CORRUPT_MESSAGE, outs
        assert (outs[1]["error_code"], outs[1]["base_offset"]) == (kw.NONE, before[1]), outs
        assert [log_end_offset(conn, CORRUPT_TOPIC, p) for p in (0, 1)] == \
            [before[0], before[1] + 3]
        got = fetch_all(conn, CORRUPT_TOPIC, 1)[before[1]:]
        assert [(r.key, r.value) for r in got] == \
            [(r.key, r.value) for r in records_for("corrupt", 3)]


def test_batches_with_a_valid_crc_but_mangled_contents_are_refused_or_stored_readable(
        broker, world):
    """The CRC protects against the network, not against the producer: a batch whose
    header fields or records lie, with a CRC that matches, must be refused whole, or
    stored as a batch any client can read back (as it was sent)."""
    rng = random.Random(f"{SEED}-mangled")
    template = kw.encode_record_batch(
        [kw.Record(f"key-{i}".encode(), f"value-{i}".encode() * 3, [("hdr", b"x" * i)])
         for i in range(4)] + [kw.Record(None, b"no key"), kw.Record(b"no value", None)],
        timestamp_ms=1_700_000_000_000)
    stored: list[kw.Record] = []
    outcomes: Counter = Counter()
    with broker.connect() as conn:
        for i in range(MANGLED_BATCHES):
            version = (3, 9, 11)[i % 3]
            how, body = mutate(rng, template[kw.BATCH_ATTRIBUTES_OFFSET:], [])
            batch = bytearray(template[:kw.BATCH_ATTRIBUTES_OFFSET] + body)
            struct.pack_into(">i", batch, kw.BATCH_LENGTH_OFFSET, len(batch) - 12)
            batch = with_crc(bytes(batch))
            what = (f"Produce v{version} of a batch with a valid CRC, {how} (counted from "
                    f"its attributes): {batch.hex()}")
            out = produce(conn, MANGLED_TOPIC, 0, batch, version)
            end = log_end_offset(conn, MANGLED_TOPIC, 0)
            outcomes[out["error_code"]] += 1
            if out["error_code"] != kw.NONE:
                assert end == len(stored), f"refused, yet the log grew: {what}"
                continue
            try:
                [sent] = kw.decode_record_batches(batch)
            except kw.DecodeError as e:
                pytest.fail(f"stored a batch clients cannot read ({e}): {what}")
            assert (out["base_offset"], end) == \
                (len(stored), len(stored) + sent.last_offset_delta + 1), what
            stored += sent.records
        got = fetch_all(conn, MANGLED_TOPIC, 0)
    assert [(r.key, r.value, r.headers) for r in got] == \
        [(r.key, r.value, r.headers) for r in stored]
    assert outcomes[kw.NONE] < MANGLED_BATCHES, outcomes  # most lies are caught


def test_a_refused_batch_reports_no_base_offset(broker, world):
    """Kafka's PartitionResponse(error) carries base offset -1 (INVALID_OFFSET)."""
    corrupt, _ = CORRUPT_BATCHES["crc-changed"]
    with broker.connect() as conn:
        out = produce(conn, CORRUPT_TOPIC, 0, corrupt, 11)
    assert out["error_code"] == kw.CORRUPT_MESSAGE
    assert (out["base_offset"], out["log_start_offset"]) == (-1, -1), out


# --- requests for more partitions than Kafka takes in one -----------------------------

# Kafka's controller refuses to make more than 10,000 partitions in one request
# (ReplicationControlManager.MAX_PARTITIONS_PER_BATCH for CreateTopics,
# QuorumController.MAX_RECORDS_PER_USER_OP for CreatePartitions) with POLICY_VIOLATION.
PARTITIONS_PER_REQUEST_MAX = 10_000
# atolld opens a directory and a file per partition: a broker allowed few descriptors
# runs out after a few hundred instead of filling the disk.
FEW_FILES = 512

@pytest.fixture
def few_files_broker(launcher, monkeypatch, tmp_path):
    without_ubsan_vptr_check(monkeypatch, tmp_path)
    b = launcher.start(*BROKER_ARGS)
    resource.prlimit(b.pid, resource.RLIMIT_NOFILE, (FEW_FILES, FEW_FILES))
    return b


def topic_partitions(conn: kw.KafkaConnection, topic: str) -> Optional[int]:
    [t] = conn.call(kw.METADATA, 12, {"topics": [{"name": topic}]})["topics"]
    return None if t["error_code"] == kw.UNKNOWN_TOPIC_OR_PARTITION else len(t["partitions"])


def test_create_topics_refuses_more_partitions_than_kafka_makes_in_one_request(
        few_files_broker):
    b = few_files_broker
    with b.connect() as conn, b.connect() as bystander:
        fds_before = fd_count(b.pid)
        resp = conn.call(kw.CREATE_TOPICS, 7, {"topics": [
            {"name": "too-many", "num_partitions": PARTITIONS_PER_REQUEST_MAX + 1}]})
        [t] = resp["topics"]
        assert (t["error_code"], topic_partitions(bystander, "too-many")) == \
            (kw.POLICY_VIOLATION, None), t
        assert fd_count(b.pid) <= fds_before + 10
        assert bystander.api_versions(3).api_keys == SUPPORTED_APIS


def test_create_partitions_refuses_more_new_partitions_than_kafka_makes_in_one_request(
        few_files_broker):
    b = few_files_broker
    with b.connect() as conn, b.connect() as bystander:
        created = conn.call(kw.CREATE_TOPICS, 7, {"topics": [{"name": "grows"}]})
        assert created["topics"][0]["error_code"] == kw.NONE, created
        fds_before = fd_count(b.pid)
        resp = conn.call(kw.CREATE_PARTITIONS, 3, {"topics": [
            {"name": "grows", "count": PARTITIONS_PER_REQUEST_MAX + 2}]})
        [t] = resp["results"]
        assert (t["error_code"], topic_partitions(bystander, "grows")) == \
            (kw.POLICY_VIOLATION, 1), t
        assert fd_count(b.pid) <= fds_before + 10
        assert bystander.api_versions(3).api_keys == SUPPORTED_APIS
