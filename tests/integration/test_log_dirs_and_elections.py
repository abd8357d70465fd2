"""DescribeLogDirs (35) over the raw protocol: the Debian clients here have no call for
it (kafka-python 2.0.2 has no describe_log_dirs). Sizes are checked against the segment
files on disk, after records were written by kcat."""

import json
import os
import subprocess
from pathlib import Path

import pytest

import kafka_wire as kw
from expected import versions_of
from test_clients import KCAT, run_python_client

# Topics exist only when a test creates them.
BROKER_ARGS = ("--set", "auto.create.topics.enable=false")


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
    """What the partition's segment files (.log) hold, as the broker's data dir shows."""
    d = data_dir_of(broker) / "kafka" / f"{topic}-{partition}"
    return sum(f.stat().st_size for f in d.iterdir() if f.suffix == ".log")


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
