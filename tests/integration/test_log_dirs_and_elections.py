"""DescribeLogDirs (35) and ElectLeaders (43) over the raw protocol: the Debian clients
here have no call for either (librdkafka 2.0.2 has no ElectLeaders, kafka-python 2.0.2
no describe_log_dirs). Sizes are checked against the segment files on disk, after
records were written by kcat. @platformatic/kafka (npm), where installed, describes
log dirs and topic partitions with codecs of its own."""

import json
import os
import subprocess
from pathlib import Path

import pytest

import kafka_wire as kw
from expected import versions_of
from conftest import REPO_ROOT
from test_clients import KCAT, run, run_python_client

# Topics exist only when a test creates them.
BROKER_ARGS = ("--set", "auto.create.topics.enable=false")

ELECTION_NOT_NEEDED_MESSAGE = "Leader election not needed for topic partition."
NODE_CLIENTS = REPO_ROOT / "tests" / "node"

CREATE_TOPICS = """
    import json, sys
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": sys.argv[1]})
    topics = json.loads(sys.argv[2])
    futures = admin.create_topics([NewTopic(name, n, 1) for name, n in topics.items()])
    for f in futures.values():
        f.result()
    print(json.dumps({"ok": True}))
"""


def create_topics(broker, topics: dict[str, int]) -> None:
    assert run_python_client(CREATE_TOPICS, broker.bootstrap, json.dumps(topics))["ok"]


def produce(broker, topic: str, partition: int, values: list[str]) -> None:
    """Writes `values` to one partition with kcat, acks=all: on disk when this returns."""
    proc = subprocess.run([KCAT, "-P", "-b", broker.bootstrap, "-t", topic,
                           "-p", str(partition), "-X", "topic.request.required.acks=-1"],
                          input="".join(v + "\n" for v in values), capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


def data_dir_of(broker) -> Path:
    return broker.workdir / "data"


def bytes_on_disk(broker, topic: str, partition: int) -> int:
    """What the partition's segment files (.log) hold, less Raft's own entries.

    As the broker's data dir shows: every batch of the segment files, walked
    by its length field, but the non-transactional control batches (a Raft
    leader's first entry, a configuration) that Kafka's logs never hold and
    DescribeLogDirs leaves out. Transaction markers are transactional and count.
    """
    d = data_dir_of(broker) / "kafka" / f"{topic}-{partition}"
    total = 0
    for f in sorted(d.iterdir()):
        if f.suffix != ".log":
            continue
        data = f.read_bytes()
        pos = 0
        while pos + 23 <= len(data):
            length = 12 + int.from_bytes(data[pos + 8:pos + 12], "big")
            attributes = int.from_bytes(data[pos + 21:pos + 23], "big")
            raft_own = attributes & 0x20 and not attributes & 0x10
            total += 0 if raft_own else length
            pos += length
    return total


def raft_bytes_on_disk(broker, topic: str, partition: int) -> int:
    d = data_dir_of(broker) / "kafka" / f"{topic}-{partition}"
    raw = sum(f.stat().st_size for f in d.iterdir() if f.suffix == ".log")
    return raw - bytes_on_disk(broker, topic, partition)


def single_dir(resp: kw.DescribeLogDirsResponse, version: int) -> kw.LogDirResult:
    assert resp.throttle_time_ms == 0
    if version >= 3:
        assert resp.error_code == kw.NONE
    (result,) = resp.results
    assert result.error_code == kw.NONE
    for t in result.topics:
        assert t.partitions, f"topic {t.name} listed without partitions"
        for p in t.partitions:
            assert (p.offset_lag, p.is_future_key) == (0, False), p
    return result


# --- DescribeLogDirs ----------------------------------------------------------------------


def test_describe_log_dirs_sizes_grow_by_what_was_produced_on_every_shard(launcher):
    broker = launcher.start("--set", "auto.create.topics.enable=false")  # --smp 2
    # Partition p of a topic lives on shard (hash(topic) + p) % 2: both shards hold some.
    create_topics(broker, {"sized": 4, "other": 1})
    with broker.connect() as conn:
        before = single_dir(conn.describe_log_dirs(4, topics=None), 4)
    assert before.log_dir == str(data_dir_of(broker))
    assert before.sizes() == {("sized", 0): 0, ("sized", 1): 0, ("sized", 2): 0,
                              ("sized", 3): 0, ("other", 0): 0}
    # Each partition's log does hold its leader's first entry, which Kafka
    # offsets and sizes leave out.
    assert all(raft_bytes_on_disk(broker, t, p) > 0 for t, p in before.sizes())

    payload = {0: 20, 1: 5, 3: 1}  # partition -> records of 1,000 bytes
    for partition, count in payload.items():
        produce(broker, "sized", partition, [f"{partition}{i:03d}".ljust(1000, "x")
                                             for i in range(count)])
    with broker.connect() as conn:
        after = single_dir(conn.describe_log_dirs(4, topics=None), 4)
    sizes = after.sizes()
    assert sorted(sizes) == sorted(before.sizes())
    for (topic, partition), size in sizes.items():
        # Exactly what the segment files hold.
        assert size == bytes_on_disk(broker, topic, partition), (topic, partition)
        written = 1000 * payload.get(partition, 0) if topic == "sized" else 0
        # Every value byte, plus record and batch framing (well under 100 bytes a record).
        assert written <= size <= written + 100 * (written // 1000) + 100, (topic, partition)
    assert sizes[("sized", 2)] == 0 and sizes[("other", 0)] == 0
    assert sizes[("sized", 0)] > sizes[("sized", 1)] > sizes[("sized", 3)] > 0


@pytest.mark.parametrize("version", versions_of(kw.DESCRIBE_LOG_DIRS))
def test_describe_log_dirs_answers_every_served_version(broker, version):
    create_topics(broker, {f"ldv{version}": 2})
    produce(broker, f"ldv{version}", 1, ["hello"] * 3)
    with broker.connect() as conn:
        result = single_dir(conn.describe_log_dirs(version, topics={f"ldv{version}": [0, 1]}),
                            version)
    assert result.log_dir == str(data_dir_of(broker))
    assert result.sizes() == {(f"ldv{version}", 0): 0,
                              (f"ldv{version}", 1): bytes_on_disk(broker, f"ldv{version}", 1)}
    assert result.sizes()[(f"ldv{version}", 1)] > 15
    if version >= 4:
        st = os.statvfs(data_dir_of(broker))
        assert result.total_bytes == st.f_blocks * st.f_frsize
        # Free space moves with whatever else writes to this disk meanwhile.
        assert 0 < result.usable_bytes <= result.total_bytes
        assert abs(result.usable_bytes - st.f_bavail * st.f_frsize) < 256 << 20
    else:
        assert result.total_bytes is None and result.usable_bytes is None


def test_describe_log_dirs_filters_by_topic_and_partition(broker):
    create_topics(broker, {"filtered": 4, "unasked": 2})
    with broker.connect() as conn:
        some = single_dir(conn.describe_log_dirs(
            4, topics={"filtered": [3, 1, 1, 7, -1], "no-such": [0]}), 4)
        # Topics with no partition to describe are left out, as Kafka does.
        none_existing = single_dir(conn.describe_log_dirs(
            4, topics={"filtered": [4, 99], "no-such": [0]}), 4)
        empty = single_dir(conn.describe_log_dirs(4, topics={}), 4)
        everything = single_dir(conn.describe_log_dirs(4, topics=None), 4)
    assert [(t.name, [p.partition_index for p in t.partitions]) for t in some.topics] == \
        [("filtered", [1, 3])]
    assert none_existing.topics == [] and empty.topics == []
    assert {"filtered", "unasked"} <= {t.name for t in everything.topics}
    assert [p.partition_index for t in everything.topics if t.name == "unasked"
            for p in t.partitions] == [0, 1]
    assert some.log_dir == empty.log_dir == everything.log_dir == str(data_dir_of(broker))


def test_describe_log_dirs_v0_is_not_served(broker):
    """Kafka 4.0 removed v0 (KIP-896): the connection is closed, as for any unsupported
    version."""
    with broker.connect() as conn:
        conn.send_request(kw.DESCRIBE_LOG_DIRS, 0, kw.encode_describe_log_dirs_request(0, None))
        assert conn.wait_for_eof() == b""


def test_describe_log_dirs_names_a_relative_data_dir_absolutely(launcher):
    broker = launcher.start("--set", "auto.create.topics.enable=false",
                            data_dir=Path("rel") / ".." / "data-here")  # from its workdir
    with broker.connect() as conn:
        result = single_dir(conn.describe_log_dirs(4), 4)
    assert result.log_dir == str(broker.workdir / "data-here")
    assert os.path.isabs(result.log_dir)


@pytest.mark.skipif(not (NODE_CLIENTS / "node_modules" / "@platformatic" / "kafka").is_dir(),
                    reason="@platformatic/kafka is not installed in tests/node")
def test_platformatic_kafka_describes_log_dirs_and_topic_partitions(broker):
    create_topics(broker, {"npm-described": 3})
    produce(broker, "npm-described", 2, ["from kcat"] * 4)
    proc = run(["node", str(NODE_CLIENTS / "describe_partitions.js"), broker.bootstrap,
                "npm-described", "3", "2"])
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    (per_broker,) = out["logDirs"]
    assert per_broker["broker"] == broker.node_id
    (result,) = per_broker["results"]
    assert result["logDir"] == str(data_dir_of(broker))
    assert int(result["usableBytes"]) <= int(result["totalBytes"])
    assert result["topics"] == [{"name": "npm-described", "partitions": [
        {"partitionIndex": p, "partitionSize": str(bytes_on_disk(broker, "npm-described", p)),
         "offsetLag": "0", "isFutureKey": False} for p in range(3)]}]
    assert int(result["topics"][0]["partitions"][2]["partitionSize"]) > 0
    page = out["page"]
    (topic,) = page["topics"]
    assert (topic["errorCode"], topic["name"], topic["isInternal"]) == (0, "npm-described",
                                                                       False)
    assert [p["partitionIndex"] for p in topic["partitions"]] == [0, 1]
    assert all(p["leaderId"] == broker.node_id and p["isrNodes"] == [broker.node_id]
               for p in topic["partitions"])
    assert page["nextCursor"] == {"topicName": "npm-described", "partitionIndex": 2}


# --- ElectLeaders -------------------------------------------------------------------------


# v0 has no election type: it elects preferred leaders.
@pytest.mark.parametrize("version,election_type", [
    (v, kind) for v in versions_of(kw.ELECT_LEADERS)
    for kind in (kw.PREFERRED_ELECTION, kw.UNCLEAN_ELECTION)
    if v >= 1 or kind == kw.PREFERRED_ELECTION])
def test_elect_leaders_answers_each_partition_as_kafka_does(broker, version, election_type):
    topic = f"elect-v{version}-{election_type}"
    create_topics(broker, {topic: 3})
    with broker.connect() as conn:
        resp = conn.elect_leaders(version, [(topic, [2, 0, 3, -1]), ("no-such", [0])],
                                  election_type)
    assert resp.throttle_time_ms == 0
    assert resp.error_code == (kw.NONE if version >= 1 else None)
    # Topics and partitions in request order. The node is the only replica, so the
    # preferred leader and a live one already: no election needed.
    assert resp.results == [
        (topic, [kw.ElectionResult(2, kw.ELECTION_NOT_NEEDED, ELECTION_NOT_NEEDED_MESSAGE),
                 kw.ElectionResult(0, kw.ELECTION_NOT_NEEDED, ELECTION_NOT_NEEDED_MESSAGE),
                 kw.ElectionResult(3, kw.UNKNOWN_TOPIC_OR_PARTITION,
                                   f"No such partition as {topic}-3"),
                 kw.ElectionResult(-1, kw.UNKNOWN_TOPIC_OR_PARTITION,
                                   f"No such partition as {topic}--1")]),
        ("no-such", [kw.ElectionResult(0, kw.UNKNOWN_TOPIC_OR_PARTITION,
                                       "No such topic as no-such")]),
    ]


def test_elect_leaders_for_every_partition_lists_none_that_needed_it(launcher):
    broker = launcher.start("--set", "auto.create.topics.enable=false")
    create_topics(broker, {"all-a": 2, "all-b": 1})
    with broker.connect() as conn:
        for version in versions_of(kw.ELECT_LEADERS):
            resp = conn.elect_leaders(version, None)
            # Kafka's controller lists every topic, with only the partitions whose
            # election was needed: none.
            assert resp.results == [("all-a", []), ("all-b", [])], version
            assert resp.error_code == (kw.NONE if version >= 1 else None)
        # Leadership is as it was.
        md = conn.metadata(12, topics=["all-a", "all-b"], allow_auto_topic_creation=False)
    for t in md.topics:
        assert all((p.leader_id, p.leader_epoch) == (broker.node_id, 0) for p in t.partitions)


@pytest.mark.parametrize("version", [1, 2])
def test_elect_leaders_refuses_an_unknown_election_type(broker, version):
    create_topics(broker, {f"elect-bad-{version}": 1})
    with broker.connect() as conn:
        resp = conn.elect_leaders(version, [(f"elect-bad-{version}", [0, 5])], election_type=2)
        # The connection stays usable.
        assert conn.elect_leaders(version, []).results == []
    assert resp.error_code == kw.INVALID_REQUEST
    assert resp.results == [(f"elect-bad-{version}", [
        kw.ElectionResult(0, kw.INVALID_REQUEST, "Unknown election type 2"),
        kw.ElectionResult(5, kw.INVALID_REQUEST, "Unknown election type 2")])]
