"""The data path end to end with real clients: Produce, Fetch, ListOffsets, CreateTopics
and Metadata's auto creation, through kcat (librdkafka's CLI), confluent-kafka
(librdkafka) and kafka-python, with every compression codec, and across restarts.

The test generates the records (keys, values, headers, timestamps; some null or empty)
and knows which partition each goes to, so it knows each record's offset. A client runs
in a child process with a hard timeout (a client that hangs on a bad answer fails the
test instead of hanging the suite); it gets the records and writes what it saw back as
JSON, and the test compares, record by record.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Optional

import pytest

import kafka_wire as kw

KCAT = "/usr/bin/kcat"
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
RECORDS_PER_CODEC = 10_000
PARTITIONS = 4
CLIENT_TIMEOUT_S = 60.0  # hard limit for one child client process
CONSUME_TIMEOUT_S = 20.0  # inside a child: how long to wait for all records

# Kafka error codes the admin client reports
INVALID_TOPIC_EXCEPTION = 17
TOPIC_ALREADY_EXISTS = 36
INVALID_REPLICATION_FACTOR = 38
INVALID_CONFIG = 40

TIMESTAMP_CREATE_TIME = 1  # librdkafka's TIMESTAMP_CREATE_TIME
KAFKA_PYTHON_CREATE_TIME = 0  # kafka-python's timestamp_type for CreateTime


# --- records ----------------------------------------------------------------------------

Header = tuple[str, Optional[bytes]]


@dataclasses.dataclass(frozen=True)
class Record:
    partition: int
    key: Optional[bytes]
    value: Optional[bytes]
    headers: tuple[Header, ...]
    timestamp: int


def now_ms() -> int:
    return int(time.time() * 1000)


def make_records(n: int, partitions: int, seed: object, *,
                 null_header_values: bool = True) -> list[Record]:
    """`n` records spread pseudo-randomly over `partitions`.

    Keys: mostly distinct binary ones, some null, some empty. Values: mostly short text
    followed by random bytes, some null (tombstones), some empty, a few of 50-200 KB
    (batches of their own). Headers: none, or one to four with duplicate and non-ASCII
    names, binary, empty and (if the client can send them) null values. Timestamps: an
    hour ago and increasing, except every 50th record, which is 1.5 s older than its
    neighbours (CreateTime is whatever the producer says, so not monotonic).
    """
    rng = random.Random(seed)
    base = now_ms() - 3_600_000
    records = []
    for i in range(n):
        if i % 11 == 0:
            key = None
        elif i % 29 == 0:
            key = b""
        else:
            key = f"key-{i}-".encode() + rng.randbytes(rng.randrange(0, 12))
        if i % 13 == 0 and key is not None:
            value = None
        elif i % 31 == 0:
            value = b""
        elif i % 997 == 500:
            size = rng.randrange(50_000, 200_000)
            text = (f"large-{i}-".encode() * (size // 20))[:size // 2]
            value = text + rng.randbytes(size // 2)
        else:
            text = f"value {i} " * rng.randrange(0, 20)
            value = text.encode() + rng.randbytes(rng.randrange(0, 64))
        headers: list[Header] = []
        if i % 5:
            for h in range(rng.randrange(1, 5)):
                name = rng.choice(["trace-id", "dup", "dup", "schlüssel-\u00e9", "h"])
                choice = rng.randrange(4)
                if choice == 0:
                    hv: Optional[bytes] = b""
                elif choice == 1 and null_header_values:
                    hv = None
                else:
                    hv = rng.randbytes(rng.randrange(1, 24))
                headers.append((name, hv))
        ts = base + 3 * i - (1500 if i % 50 == 0 else 0)
        records.append(Record(rng.randrange(partitions), key, value, tuple(headers), ts))
    return records


def expected_offsets(records: list[Record]) -> list[int]:
    """The offset each record gets in a partition that starts empty."""
    next_offset: dict[int, int] = {}
    out = []
    for r in records:
        out.append(next_offset.get(r.partition, 0))
        next_offset[r.partition] = out[-1] + 1
    return out


def counts_by_partition(records: list[Record], partitions: int) -> list[int]:
    counts = [0] * partitions
    for r in records:
        counts[r.partition] += 1
    return counts


def b64(data: Optional[bytes]) -> Optional[str]:
    return None if data is None else base64.b64encode(data).decode()


def unb64(text: Optional[str]) -> Optional[bytes]:
    return None if text is None else base64.b64decode(text)


def records_to_json(records: list[Record]) -> list[list]:
    return [[r.partition, b64(r.key), b64(r.value), [[k, b64(v)] for k, v in r.headers],
             r.timestamp] for r in records]


@dataclasses.dataclass(frozen=True)
class Seen:
    """A record as a consumer saw it."""
    partition: int
    offset: int
    key: Optional[bytes]
    value: Optional[bytes]
    headers: tuple[Header, ...]
    timestamp_type: int
    timestamp: int


def seen_from_json(rows: list[list]) -> list[Seen]:
    """Rows of [partition, offset, key, value, headers, timestamp_type, timestamp]."""
    return [Seen(p, o, unb64(k), unb64(v), tuple((hk, unb64(hv)) for hk, hv in h), tt, ts)
            for p, o, k, v, h, tt, ts in rows]


def short(x: object, limit: int = 300) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def assert_consumed_exactly(records: list[Record], seen: list[Seen],
                            timestamp_type: int) -> None:
    """Every record came back once, intact, at its offset, in order in its partition."""
    offsets = expected_offsets(records)
    want: dict[int, list[Seen]] = {}
    for r, o in zip(records, offsets):
        want.setdefault(r.partition, []).append(
            Seen(r.partition, o, r.key, r.value, r.headers, timestamp_type, r.timestamp))
    got: dict[int, list[Seen]] = {}
    for s in seen:
        got.setdefault(s.partition, []).append(s)
    problems = []
    for p in sorted(set(want) | set(got)):
        w, g = want.get(p, []), got.get(p, [])
        if len(w) != len(g):
            problems.append(f"partition {p}: expected {len(w)} records, consumed {len(g)}")
        for i, (a, b) in enumerate(zip(w, g)):
            if a != b:
                problems.append(f"partition {p}, record #{i} of the partition:\n"
                                f"  expected {short(a)}\n  consumed {short(b)}")
                break
    assert not problems, "\n".join(problems)


def first_offset_at_or_after(records: list[Record], partition: int, target: int) -> int:
    """What ListOffsets answers for a timestamp: the earliest offset whose timestamp is
    at least `target`, or -1 if there is none."""
    offset = 0
    for r in records:
        if r.partition != partition:
            continue
        if r.timestamp >= target:
            return offset
        offset += 1
    return -1


def time_queries(records: list[Record], partitions: int) -> list[list[list[int]]]:
    """Rounds of [partition, timestamp] queries, one per partition per round: before
    everything, a middle record's timestamp exactly and 1 ms after it, a record that is
    older than the ones before it, the newest timestamp, and after everything."""
    by_p: dict[int, list[int]] = {p: [] for p in range(partitions)}
    for r in records:
        by_p[r.partition].append(r.timestamp)
    rounds: list[list[list[int]]] = [[] for _ in range(6)]
    for p, ts in by_p.items():
        mid = len(ts) // 2
        # A record older than its predecessor, past the middle of the partition.
        older = next((i for i in range(max(mid, 1), len(ts)) if ts[i] < ts[i - 1]), mid)
        for round_, target in zip(rounds, [min(ts) - 1, ts[mid], ts[mid] + 1, ts[older],
                                           max(ts), max(ts) + 1]):
            round_.append([p, target])
    return rounds


# --- running clients --------------------------------------------------------------------


def run_process(args: list[str], timeout: float = CLIENT_TIMEOUT_S,
                stdin: Optional[bytes] = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, input=stdin, capture_output=True, timeout=timeout,
                              stdin=None if stdin is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:  # run() has killed the child by pid
        pytest.fail(f"`{' '.join(args[:4])} ...` did not finish in {timeout} s\n"
                    f"--- stdout ---\n{(e.stdout or b'')[-4000:]!r}\n"
                    f"--- stderr ---\n{(e.stderr or b'')[-4000:]!r}", pytrace=False)


# Shared by the client scripts: arguments are the spec file and the result file.
CLIENT_PRELUDE = """
    import base64, json, sys, time
    def b64(data):
        return None if data is None else base64.b64encode(bytes(data)).decode()
    def unb64(text):
        return None if text is None else base64.b64decode(text)
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    records = [(p, unb64(k), unb64(v), [(hk, unb64(hv)) for hk, hv in h], ts)
               for p, k, v, h, ts in spec.get("records", [])]
    def finish(result):
        with open(sys.argv[2], "w") as f:
            json.dump(result, f)
    # confluent-kafka 1.7.0's Message.headers() puts None (a null header value) in its
    # tuples without taking a reference to it, so each message freed drops None's count
    # once too often per null value, until the interpreter aborts ("deallocating None").
    # Take the missing reference for it (never released, like the one it should own).
    import ctypes
    def confluent_headers(m):
        headers = m.headers() or []
        for _, v in headers:
            if v is None:
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
        return [[k, b64(v)] for k, v in headers]
"""


def run_client(script: str, spec: dict, workdir: Path, name: str,
               timeout: float = CLIENT_TIMEOUT_S) -> dict:
    """Runs a client script under this interpreter (Debian's, which has the client
    packages) with `spec`; returns the JSON it wrote."""
    spec_path = workdir / f"{name}.spec.json"
    result_path = workdir / f"{name}.result.json"
    spec_path.write_text(json.dumps(spec))
    code = textwrap.dedent(CLIENT_PRELUDE) + textwrap.dedent(script)
    proc = run_process([sys.executable, "-c", code, str(spec_path), str(result_path)],
                       timeout=timeout)
    assert proc.returncode == 0, (f"{name}: client failed (exit code {proc.returncode})\n"
                                  f"--- stdout ---\n{proc.stdout.decode()[-4000:]}\n"
                                  f"--- stderr ---\n{proc.stderr.decode()[-8000:]}")
    return json.loads(result_path.read_text())


CREATE_TOPICS_SCRIPT = """
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": spec["bootstrap"]})
    results = {}
    for name, partitions, rf, configs, validate_only in spec["topics"]:
        futures = admin.create_topics([NewTopic(name, partitions, rf, config=configs)],
                                      operation_timeout=10, request_timeout=10,
                                      validate_only=validate_only)
        e = futures[name].exception(timeout=15)
        results[name] = None if e is None else [e.args[0].code(), e.args[0].str()]
    listed = admin.list_topics(timeout=10)
    finish({"results": results,
            "topics": {t: len(m.partitions) for t, m in listed.topics.items()}})
"""


def create_topics(bootstrap: str, workdir: Path, topics: list[tuple[str, int]]) -> None:
    """Creates topics (name, partitions) with the admin client; fails unless all were."""
    spec = {"bootstrap": bootstrap,
            "topics": [[name, partitions, 1, {}, False] for name, partitions in topics]}
    out = run_client(CREATE_TOPICS_SCRIPT, spec, workdir, "create-" + topics[0][0])
    assert out["results"] == {name: None for name, _ in topics}
    for name, partitions in topics:
        assert out["topics"].get(name) == partitions, out["topics"]


def metadata_partitions(host: str, port: int, topic: str) -> int:
    """The topic's partition count from a raw Metadata v12 (no auto creation); fails if
    the broker does not know the topic."""
    with kw.KafkaConnection(host, port) as conn:
        resp = conn.metadata(12, topics=[topic], allow_auto_topic_creation=False)
    (t,) = resp.topics
    assert (t.name, t.error_code) == (topic, kw.NONE), t
    assert t.topic_id != kw.ZERO_UUID, t
    indexes = sorted(p.partition_index for p in t.partitions)
    assert indexes == list(range(len(indexes))), t
    assert all(p.error_code == kw.NONE for p in t.partitions), t
    return len(indexes)


# --- kcat -------------------------------------------------------------------------------

# kcat's consume format: partition, offset, key length, key, value length, value,
# headers, timestamp. Keys, values and headers below never hold tabs or newlines.
KCAT_FORMAT = r"%p\t%o\t%K\t%k\t%S\t%s\t%h\t%T\n"
KCAT_HEADERS = [("trace", "abc-123"), ("dup", "first"), ("dup", "second"), ("empty", "")]


def kcat_lines(codec: str, n: int) -> list[tuple[str, str]]:
    """(key, value) lines: text, sizes from a few bytes to 30 KB, compressible."""
    rng = random.Random(f"kcat-{codec}")
    out = []
    for i in range(n):
        key = f"{codec}-{i:06d}"
        size = 30_000 if i % 1000 == 7 else rng.randrange(0, 300)
        filler = "".join(rng.choice("abcdefgh ") for _ in range(min(size, 40)))
        value = (f"v{i}:" + filler * (size // max(len(filler), 1) + 1))[:max(size, 8)]
        out.append((key, value))
    return out


@pytest.mark.parametrize("codec", CODECS)
def test_kcat_round_trips_keyed_records_with_headers(broker, tmp_path, codec):
    topic = f"kcat-{codec}"
    create_topics(broker.bootstrap, tmp_path, [(topic, PARTITIONS)])
    lines = kcat_lines(codec, RECORDS_PER_CODEC)
    stdin = "".join(f"{k}\t{v}\n" for k, v in lines).encode()
    header_args = [a for k, v in KCAT_HEADERS for a in ("-H", f"{k}={v}")]
    # kcat (1.7.1) has no way to set a record's timestamp: librdkafka stamps each record
    # with the wall clock when it is produced, so the check is that they come back in
    # that window.
    before = now_ms()
    proc = run_process([KCAT, "-P", "-b", broker.bootstrap, "-t", topic, "-z", codec,
                        "-K", r"\t", *header_args, "-X", "acks=all", "-X", "linger.ms=5"],
                       stdin=stdin)
    after = now_ms()
    assert proc.returncode == 0, proc.stderr.decode()

    proc = run_process([KCAT, "-C", "-b", broker.bootstrap, "-t", topic, "-o", "beginning",
                        "-e", "-q", "-f", KCAT_FORMAT])
    assert proc.returncode == 0, proc.stderr.decode()
    rows = proc.stdout.decode().split("\n")
    assert rows.pop() == "", "output does not end with a newline"

    by_key = {k: (i, v) for i, (k, v) in enumerate(lines)}
    headers = ",".join(f"{k}={v}" for k, v in KCAT_HEADERS)
    seen_keys = set()
    last_seq: dict[int, int] = {}
    next_offset: dict[int, int] = {}
    problems = []
    for row in rows:
        fields = row.split("\t")
        if len(fields) != 8:
            problems.append(f"malformed line {short(row)}")
            continue
        p, o, klen, key, vlen, value, h, ts = fields
        p, o = int(p), int(o)
        if key not in by_key or key in seen_keys:
            problems.append(f"partition {p} offset {o}: unexpected or repeated key {key!r}")
            continue
        seen_keys.add(key)
        seq, want_value = by_key[key]
        if o != next_offset.get(p, 0):
            problems.append(f"partition {p}: offset {o}, expected {next_offset.get(p, 0)}")
        next_offset[p] = o + 1
        if seq <= last_seq.get(p, -1):
            problems.append(f"partition {p} offset {o}: record #{seq} after #{last_seq[p]}")
        last_seq[p] = seq
        if (value, int(vlen), int(klen)) != (want_value, len(want_value), len(key)):
            problems.append(f"partition {p} offset {o} (record #{seq}): value "
                            f"{short(value)} ({vlen} bytes), expected {short(want_value)}")
        if h != headers:
            problems.append(f"partition {p} offset {o}: headers {h!r}, expected {headers!r}")
        if not before <= int(ts) <= after:
            problems.append(f"partition {p} offset {o}: timestamp {ts} outside the produce "
                            f"window [{before}, {after}]")
        if len(problems) > 20:
            break
    assert not problems, "\n".join(problems)
    assert len(seen_keys) == len(lines), f"consumed {len(seen_keys)} of {len(lines)} records"
    # The key hash spread the records: every partition was written and read.
    assert sorted(next_offset) == list(range(PARTITIONS)), next_offset


def test_kcat_produce_auto_creates_a_topic_with_num_partitions(launcher):
    b = launcher.start("--set", "num.partitions=3")
    topic = "auto-created"
    stdin = "".join(f"k{i}\tv{i}\n" for i in range(300)).encode()
    proc = run_process([KCAT, "-P", "-b", b.bootstrap, "-t", topic, "-K", r"\t",
                        "-X", "acks=all"], stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()
    assert metadata_partitions(b.host, b.port, topic) == 3
    proc = run_process([KCAT, "-C", "-b", b.bootstrap, "-t", topic, "-o", "beginning", "-e",
                        "-q", "-f", r"%p %k %s\n"])
    assert proc.returncode == 0, proc.stderr.decode()
    rows = proc.stdout.decode().splitlines()
    assert sorted(r.split(" ", 1)[1] for r in rows) == sorted(f"k{i} v{i}" for i in range(300))
    assert {r.split(" ")[0] for r in rows} <= {"0", "1", "2"}


# --- confluent-kafka (librdkafka) -------------------------------------------------------

CONFLUENT_ROUND_TRIP_SCRIPT = """
    from functools import partial
    from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError, Producer,
                                 TopicPartition)
    from confluent_kafka.admin import AdminClient, NewTopic

    topic, partitions = spec["topic"], spec["partitions"]
    errors = []
    common = {"bootstrap.servers": spec["bootstrap"],
              "error_cb": lambda e: errors.append(str(e))}
    timings = {}
    started = time.monotonic()

    if spec["create"]:
        admin = AdminClient(common)
        admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=10,
                            request_timeout=10)[topic].result(timeout=15)

    reports = [None] * len(records)
    def delivered(i, err, msg):
        reports[i] = [msg.partition(), msg.offset()] if err is None else str(err)
    producer = Producer({**common, "acks": "all", "compression.type": spec["codec"],
                         "linger.ms": 5})
    for i, (p, key, value, headers, ts) in enumerate(records):
        while True:
            try:
                producer.produce(topic, value=value, key=key, partition=p, timestamp=ts,
                                 headers=headers or None, on_delivery=partial(delivered, i))
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.05)
        producer.poll(0)
    unflushed = producer.flush(30)
    timings["produce"] = time.monotonic() - started

    consumer = Consumer({**common, "group.id": "atoll-data-path",
                         "enable.auto.commit": False, "enable.auto.offset.store": False,
                         "enable.partition.eof": True, "fetch.wait.max.ms": 100})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    want = spec["expected_counts"]
    seen = {p: [] for p in range(partitions)}
    done = set()
    consume_errors = []
    deadline = time.monotonic() + spec["consume_timeout"]
    while len(done) < partitions and time.monotonic() < deadline:
        for m in consumer.consume(1000, 0.2):
            err = m.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    if len(seen[m.partition()]) >= want[m.partition()]:
                        done.add(m.partition())
                else:
                    consume_errors.append(str(err))
                continue
            ts_type, ts = m.timestamp()
            seen[m.partition()].append(
                [m.partition(), m.offset(), b64(m.key()), b64(m.value()),
                 confluent_headers(m), ts_type, ts])
    timings["consume"] = time.monotonic() - started
    consumer.unassign()  # no fetches queued before the ListOffsets below

    watermarks = [list(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10,
                                                      cached=False))
                  for p in range(partitions)]
    by_time = []
    for round_ in spec["time_queries"]:
        found = consumer.offsets_for_times(
            [TopicPartition(topic, p, ts) for p, ts in round_], timeout=10)
        by_time.append([[tp.partition, tp.offset, tp.error and str(tp.error)]
                        for tp in found])
    consumer.close()
    finish({"reports": reports, "unflushed": unflushed,
            "seen": [row for p in range(partitions) for row in seen[p]],
            "consume_errors": consume_errors, "watermarks": watermarks,
            "by_time": by_time, "errors": errors, "timings": timings})
"""


def confluent_round_trip(bootstrap: str, workdir: Path, topic: str, codec: str,
                         records: list[Record], partitions: int, create: bool,
                         counts_before: Optional[list[int]] = None,
                         queries: Optional[list] = None) -> dict:
    """Produces `records` (creating the topic first if `create`), then consumes the
    whole topic, which held `counts_before` records per partition before; asks the
    watermarks and the offsets for the timestamps of `queries`."""
    counts = counts_by_partition(records, partitions)
    if counts_before:
        counts = [a + b for a, b in zip(counts, counts_before)]
    spec = {"bootstrap": bootstrap, "topic": topic, "codec": codec,
            "partitions": partitions, "create": create,
            "records": records_to_json(records), "expected_counts": counts,
            "consume_timeout": CONSUME_TIMEOUT_S, "time_queries": queries or []}
    return run_client(CONFLUENT_ROUND_TRIP_SCRIPT, spec, workdir,
                      f"confluent-{topic}-{codec}")


@dataclasses.dataclass
class RoundTrip:
    codec: str
    records: list[Record]
    out: dict


@pytest.fixture(scope="module", params=CODECS)
def confluent_run(request, shared_broker, tmp_path_factory) -> RoundTrip:
    codec = request.param
    records = make_records(RECORDS_PER_CODEC, PARTITIONS, seed=f"confluent-{codec}")
    out = confluent_round_trip(shared_broker.bootstrap, tmp_path_factory.mktemp("confluent"),
                               f"confluent-{codec}", codec, records, PARTITIONS, create=True,
                               queries=time_queries(records, PARTITIONS))
    return RoundTrip(codec, records, out)


def test_confluent_kafka_acks_all_reports_every_record_at_its_offset(confluent_run, broker):
    out, records = confluent_run.out, confluent_run.records
    assert out["unflushed"] == 0
    want = [[r.partition, o] for r, o in zip(records, expected_offsets(records))]
    wrong = [(i, got, exp) for i, (got, exp) in enumerate(zip(out["reports"], want))
             if got != exp]
    assert not wrong, (f"{len(wrong)} delivery reports differ (record, got, expected), "
                       f"first ones: {wrong[:10]}")


def test_confluent_kafka_consumes_every_record_intact_in_order(confluent_run, broker):
    out = confluent_run.out
    assert out["consume_errors"] == []
    assert_consumed_exactly(confluent_run.records, seen_from_json(out["seen"]),
                            TIMESTAMP_CREATE_TIME)


def test_confluent_kafka_watermarks_are_zero_and_the_record_count(confluent_run, broker):
    # get_watermark_offsets(cached=False) asks ListOffsets for earliest and latest.
    counts = counts_by_partition(confluent_run.records, PARTITIONS)
    assert confluent_run.out["watermarks"] == [[0, c] for c in counts]


def test_confluent_kafka_offsets_for_times_finds_the_first_record_at_or_after(
        confluent_run, broker):
    records = confluent_run.records
    queries = time_queries(records, PARTITIONS)
    got = confluent_run.out["by_time"]
    assert len(got) == len(queries)
    problems = []
    for round_, answers in zip(queries, got):
        for (p, ts), (ap, offset, error) in zip(round_, answers):
            expected = first_offset_at_or_after(records, p, ts)
            if (ap, offset, error) != (p, expected, None):
                problems.append(f"partition {p}, timestamp {ts}: got partition {ap} offset "
                                f"{offset} error {error}, expected offset {expected}")
    assert not problems, "\n".join(problems)


def test_confluent_kafka_client_reports_no_errors(confluent_run, broker):
    assert confluent_run.out["errors"] == []


ADMIN_TOPICS = [
    # name, partitions, replication factor, configs, validate only
    ["admin-ok", 5, 1, {"retention.ms": "3600000", "cleanup.policy": "compact,delete",
                        "segment.bytes": "1048576", "compression.type": "zstd",
                        "max.message.bytes": "2000000"}, False],
    ["admin-default-rf", 2, -1, {}, False],
    ["admin-validate-only", 3, 1, {"retention.bytes": "-1"}, True],
    ["admin-rf3", 1, 3, {}, False],
    ["admin-unknown-config", 1, 1, {"no.such.config": "1"}, False],
    ["admin-broker-config", 1, 1, {"num.partitions": "3"}, False],
    ["admin-bad-value", 1, 1, {"retention.ms": "soon"}, False],
    ["admin-bad-choice", 1, 1, {"cleanup.policy": "shred"}, False],
    ["bad name!", 1, 1, {}, False],
]


@pytest.fixture(scope="module")
def admin_results(shared_broker, tmp_path_factory) -> dict:
    """Each of ADMIN_TOPICS created in its own request; then "admin-ok" once more."""
    workdir = tmp_path_factory.mktemp("admin")
    first = run_client(CREATE_TOPICS_SCRIPT, {"bootstrap": shared_broker.bootstrap,
                                              "topics": ADMIN_TOPICS}, workdir, "admin")
    again = run_client(CREATE_TOPICS_SCRIPT, {"bootstrap": shared_broker.bootstrap,
                                              "topics": [["admin-ok", 5, 1, {}, False]]},
                       workdir, "admin-again")
    return {"first": first["results"], "again": again["results"]["admin-ok"],
            "topics": again["topics"]}


def test_confluent_kafka_admin_creates_topics_with_configs(admin_results, broker):
    assert admin_results["first"]["admin-ok"] is None
    assert admin_results["first"]["admin-default-rf"] is None
    assert admin_results["topics"]["admin-ok"] == 5
    assert admin_results["topics"]["admin-default-rf"] == 2
    assert metadata_partitions(broker.host, broker.port, "admin-ok") == 5


def test_confluent_kafka_admin_validate_only_creates_nothing(admin_results, broker):
    assert admin_results["first"]["admin-validate-only"] is None
    assert "admin-validate-only" not in admin_results["topics"]


@pytest.mark.parametrize("name, code, words", [
    ("admin-rf3", INVALID_REPLICATION_FACTOR, "replication factor"),
    ("admin-unknown-config", INVALID_CONFIG, "no.such.config"),
    ("admin-broker-config", INVALID_CONFIG, "num.partitions"),
    ("admin-bad-value", INVALID_CONFIG, "retention.ms"),
    ("admin-bad-choice", INVALID_CONFIG, "cleanup.policy"),
    ("bad name!", INVALID_TOPIC_EXCEPTION, "topic name"),
])
def test_confluent_kafka_admin_gets_the_reason_a_topic_is_refused(admin_results, broker,
                                                                  name, code, words):
    result = admin_results["first"][name]
    assert result is not None, f"{name!r} was created"
    assert result[0] == code, result
    assert words in result[1].lower(), result
    assert name not in admin_results["topics"]


def test_confluent_kafka_admin_cannot_create_a_topic_twice(admin_results, broker):
    result = admin_results["again"]
    assert result is not None and result[0] == TOPIC_ALREADY_EXISTS, result
    assert admin_results["topics"]["admin-ok"] == 5


# --- kafka-python -----------------------------------------------------------------------

KAFKA_PYTHON_SCRIPT = """
    import logging
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic

    class Collect(logging.Handler):
        lines = []
        def emit(self, record):
            self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")
    logging.getLogger("kafka").setLevel(logging.ERROR)
    logging.getLogger("kafka").addHandler(Collect())

    topic, partitions = spec["topic"], spec["partitions"]
    timeouts = dict(api_version_auto_timeout_ms=5000, request_timeout_ms=15000)
    timings = {}
    started = time.monotonic()
    admin = KafkaAdminClient(bootstrap_servers=spec["bootstrap"], **timeouts)
    created = admin.create_topics([NewTopic(topic, partitions, 1)], timeout_ms=10000)
    create_errors = [list(e) for e in created.topic_errors]
    admin.close()

    producer = KafkaProducer(bootstrap_servers=spec["bootstrap"], acks="all",
                             compression_type=spec["codec"], linger_ms=5,
                             batch_size=256 * 1024, max_request_size=1_000_000,
                             **timeouts)
    futures = [producer.send(topic, value=value, key=key, headers=headers, partition=p,
                             timestamp_ms=ts)
               for p, key, value, headers, ts in records]
    producer.flush(timeout=30)
    reports = []
    for f in futures:
        try:
            md = f.get(timeout=0)
            reports.append([md.partition, md.offset])
        except Exception as e:
            reports.append(repr(e))
    producer.close()
    timings["produce"] = time.monotonic() - started

    consumer = KafkaConsumer(bootstrap_servers=spec["bootstrap"], group_id=None,
                             enable_auto_commit=False, fetch_max_wait_ms=100, **timeouts)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    want = spec["expected_counts"]
    seen = {p: [] for p in range(partitions)}
    deadline = time.monotonic() + spec["consume_timeout"]
    while (any(len(seen[p]) < want[p] for p in range(partitions))
           and time.monotonic() < deadline):
        for tp, batch in consumer.poll(timeout_ms=200, max_records=10000).items():
            for m in batch:
                seen[tp.partition].append(
                    [tp.partition, m.offset, b64(m.key), b64(m.value),
                     [[k, b64(v)] for k, v in m.headers], m.timestamp_type, m.timestamp])
    timings["consume"] = time.monotonic() - started
    beginning = consumer.beginning_offsets(tps)
    end = consumer.end_offsets(tps)
    consumer.close()
    finish({"create_errors": create_errors, "reports": reports,
            "seen": [row for p in range(partitions) for row in seen[p]],
            "watermarks": [[beginning[tp], end[tp]] for tp in tps],
            "log": Collect.lines, "timings": timings})
"""


@pytest.fixture(scope="module", params=[None, "gzip", "snappy", "lz4", "zstd"],
                ids=lambda c: c or "none")
def kafka_python_run(request, shared_broker, tmp_path_factory) -> RoundTrip:
    codec = request.param
    # kafka-python's producer cannot send null header values.
    records = make_records(RECORDS_PER_CODEC, PARTITIONS, seed=f"kafka-python-{codec}",
                           null_header_values=False)
    topic = f"kafka-python-{codec or 'none'}"
    spec = {"bootstrap": shared_broker.bootstrap, "topic": topic, "codec": codec,
            "partitions": PARTITIONS, "records": records_to_json(records),
            "expected_counts": counts_by_partition(records, PARTITIONS),
            "consume_timeout": CONSUME_TIMEOUT_S}
    out = run_client(KAFKA_PYTHON_SCRIPT, spec, tmp_path_factory.mktemp("kafka-python"),
                     topic)
    return RoundTrip(codec or "none", records, out)


def test_kafka_python_produces_every_record_at_its_offset(kafka_python_run, broker):
    out, records = kafka_python_run.out, kafka_python_run.records
    assert out["create_errors"] == [[f"kafka-python-{kafka_python_run.codec}", 0, None]]
    want = [[r.partition, o] for r, o in zip(records, expected_offsets(records))]
    wrong = [(i, got, exp) for i, (got, exp) in enumerate(zip(out["reports"], want))
             if got != exp]
    assert not wrong, (f"{len(wrong)} produce results differ (record, got, expected), "
                       f"first ones: {wrong[:10]}")


def test_kafka_python_consumes_every_record_intact_in_order(kafka_python_run, broker):
    seen = seen_from_json(kafka_python_run.out["seen"])
    assert_consumed_exactly(kafka_python_run.records, seen, KAFKA_PYTHON_CREATE_TIME)


def test_kafka_python_beginning_and_end_offsets(kafka_python_run, broker):
    counts = counts_by_partition(kafka_python_run.records, PARTITIONS)
    assert kafka_python_run.out["watermarks"] == [[0, c] for c in counts]


def test_kafka_python_logs_no_errors(kafka_python_run, broker):
    assert kafka_python_run.out["log"] == []


# --- restarts ---------------------------------------------------------------------------


def restart(launcher, stopped, data_dir: Path):
    """Starts a broker on `data_dir` on a port other than the stopped one's, so that a
    client still trying the old broker cannot reach the new one."""
    port = launcher.free_port()
    while port == stopped.port:
        port = launcher.free_port()
    return launcher.start(data_dir=data_dir, port=port)


def test_acknowledged_records_and_topics_survive_a_restart(launcher, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    first = launcher.start(data_dir=data_dir)
    create_topics(first.bootstrap, tmp_path, [("restart-empty", 7)])
    records = make_records(3000, 3, seed=1)
    out = confluent_round_trip(first.bootstrap, tmp_path, "restart", "lz4", records, 3,
                               create=True)
    assert out["reports"] == [[r.partition, o]
                              for r, o in zip(records, expected_offsets(records))]
    assert first.stop(signal.SIGTERM) == 0, first.describe()

    second = restart(launcher, first, data_dir)
    assert metadata_partitions(second.host, second.port, "restart") == 3
    assert metadata_partitions(second.host, second.port, "restart-empty") == 7
    # More records: each partition continues at its old end; then all of them are read.
    more = make_records(600, 3, seed=2)
    counts = counts_by_partition(records, 3)
    out = confluent_round_trip(second.bootstrap, tmp_path, "restart", "zstd", more, 3,
                               create=False, counts_before=counts)
    new_offsets = [counts[r.partition] + o for r, o in zip(more, expected_offsets(more))]
    assert out["reports"] == [[r.partition, o] for r, o in zip(more, new_offsets)]
    assert_consumed_exactly(records + more, seen_from_json(out["seen"]), TIMESTAMP_CREATE_TIME)
    assert out["watermarks"] == [[0, c] for c in counts_by_partition(records + more, 3)]


PRODUCE_UNTIL_STOPPED_SCRIPT = """
    import os
    from functools import partial
    from confluent_kafka import Producer

    acks = open(spec["acks_file"], "w")
    failures = []
    def delivered(i, err, msg):
        if err is None:
            acks.write(f"{i} {msg.partition()} {msg.offset()}\\n")
        else:
            failures.append(i)
    producer = Producer({"bootstrap.servers": spec["bootstrap"], "acks": "all",
                         "compression.type": "snappy", "linger.ms": 2,
                         "message.timeout.ms": 1000, "reconnect.backoff.ms": 50})
    # Paced, so that the test stops the broker while records are still being sent.
    produced = 0
    for i, (p, key, value, headers, ts) in enumerate(records):
        if os.path.exists(spec["stop_file"]):
            break
        producer.produce(spec["topic"], value=value, key=key, partition=p, timestamp=ts,
                         headers=headers or None, on_delivery=partial(delivered, i))
        produced += 1
        if produced % 100 == 0:  # at most 10,000 records a second
            producer.poll(0.01)
            acks.flush()
    stopped_early = produced < len(records)
    unflushed = producer.flush(10)
    acks.close()
    finish({"produced": produced, "stopped_early": stopped_early,
            "failures": len(failures), "unflushed": unflushed})
"""


# SIGKILL leaves the page cache, so it checks recovery of logs cut anywhere, not fsync.
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_records_acknowledged_before_a_stop_mid_produce_survive_it(launcher, tmp_path, sig):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    first = launcher.start(data_dir=data_dir)
    partitions = 3
    create_topics(first.bootstrap, tmp_path, [("midway", partitions)])
    records = make_records(40_000, partitions, seed=3)
    acks_file, stop_file = tmp_path / "acks.txt", tmp_path / "stop"
    spec = {"bootstrap": first.bootstrap, "topic": "midway",
            "records": records_to_json(records), "acks_file": str(acks_file),
            "stop_file": str(stop_file)}
    (tmp_path / "producer.spec.json").write_text(json.dumps(spec))
    code = textwrap.dedent(CLIENT_PRELUDE) + textwrap.dedent(PRODUCE_UNTIL_STOPPED_SCRIPT)
    producer = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "producer.spec.json"),
         str(tmp_path / "producer.result.json")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Stop the broker once a few thousand records are acknowledged.
        deadline = time.monotonic() + 20
        while True:
            assert producer.poll() is None, producer.communicate()
            if acks_file.exists() and acks_file.read_text().count("\n") >= 3000:
                break
            assert time.monotonic() < deadline, "the producer got no 3000 acks in 20 s"
            time.sleep(0.01)
        rc = first.stop(sig)
        assert rc == (0 if sig == signal.SIGTERM else -signal.SIGKILL), first.describe()
        stop_file.touch()
        second = restart(launcher, first, data_dir)
        out, err = producer.communicate(timeout=CLIENT_TIMEOUT_S)
        assert producer.returncode == 0, f"{out.decode()}\n{err.decode()}"
    finally:
        if producer.poll() is None:
            producer.kill()  # by pid
            producer.wait()
    result = json.loads((tmp_path / "producer.result.json").read_text())
    assert result["stopped_early"], f"the broker was not stopped mid-produce: {result}"
    acked = [tuple(map(int, line.split())) for line in acks_file.read_text().splitlines()]

    assert metadata_partitions(second.host, second.port, "midway") == partitions
    out = run_client(CONSUME_ALL_SCRIPT, {"bootstrap": second.bootstrap, "topic": "midway",
                                          "partitions": partitions,
                                          "consume_timeout": CONSUME_TIMEOUT_S},
                     tmp_path, "after-restart")
    assert out["errors"] == []
    seen = seen_from_json(out["seen"])
    at = {(s.partition, s.offset): s for s in seen}
    problems = []
    # Every partition is read from 0 to its end without a gap.
    for p in range(partitions):
        offsets = [s.offset for s in seen if s.partition == p]
        if offsets != list(range(out["watermarks"][p][1])) or out["watermarks"][p][0] != 0:
            problems.append(f"partition {p}: watermarks {out['watermarks'][p]}, offsets read "
                            f"{short(offsets)}")
    # Every acknowledged record is where its acknowledgement said, intact.
    for i, p, o in acked:
        r = records[i]
        want = Seen(p, o, r.key, r.value, r.headers, TIMESTAMP_CREATE_TIME, r.timestamp)
        if r.partition != p or at.get((p, o)) != want:
            problems.append(f"acknowledged record #{i} at partition {p} offset {o}: "
                            f"expected {short(want)}, read {short(at.get((p, o)))}")
            if len(problems) > 10:
                break
    # Anything else in the log is one of the records sent (not acknowledged in time).
    sent = {(r.partition, r.key, r.value, r.headers, r.timestamp)
            for r in records[:result["produced"]]}
    for s in seen:
        if (s.partition, s.key, s.value, s.headers, s.timestamp) not in sent:
            problems.append(f"a record that was never sent: {short(s)}")
            break
    assert not problems, "\n".join(problems)
    assert len(acked) >= 3000

    # Producing continues at each partition's end.
    ends = [w[1] for w in out["watermarks"]]
    more = make_records(300, partitions, seed=4)
    out = confluent_round_trip(second.bootstrap, tmp_path, "midway", "gzip", more,
                               partitions, create=False, counts_before=ends)
    new_offsets = [ends[r.partition] + o for r, o in zip(more, expected_offsets(more))]
    assert out["reports"] == [[r.partition, o] for r, o in zip(more, new_offsets)]
    assert out["watermarks"] == [[0, e + c] for e, c in
                                 zip(ends, counts_by_partition(more, partitions))]
    tail = [s for s in seen_from_json(out["seen"]) if s.offset >= ends[s.partition]]
    assert sorted(tail, key=lambda s: (s.partition, s.offset)) == sorted(
        (Seen(r.partition, o, r.key, r.value, r.headers, TIMESTAMP_CREATE_TIME, r.timestamp)
         for r, o in zip(more, new_offsets)), key=lambda s: (s.partition, s.offset))


CONSUME_ALL_SCRIPT = """
    from confluent_kafka import Consumer, KafkaError, TopicPartition

    topic, partitions = spec["topic"], spec["partitions"]
    consumer = Consumer({"bootstrap.servers": spec["bootstrap"], "group.id": "atoll-read-all",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "fetch.wait.max.ms": 100})
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    watermarks = [list(consumer.get_watermark_offsets(tp, timeout=10, cached=False))
                  for tp in tps]
    # From the log start the watermarks say rather than OFFSET_BEGINNING, which
    # librdkafka looks up only after a half-second delay.
    consumer.assign([TopicPartition(topic, p, watermarks[p][0]) for p in range(partitions)])
    seen = {p: [] for p in range(partitions)}
    done = set()
    errors = []
    deadline = time.monotonic() + spec["consume_timeout"]
    while len(done) < partitions and time.monotonic() < deadline:
        for m in consumer.consume(1000, 0.2):
            err = m.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    if m.offset() >= watermarks[m.partition()][1]:
                        done.add(m.partition())
                else:
                    errors.append(str(err))
                continue
            ts_type, ts = m.timestamp()
            seen[m.partition()].append(
                [m.partition(), m.offset(), b64(m.key()), b64(m.value()),
                 confluent_headers(m), ts_type, ts])
    consumer.close()
    finish({"watermarks": watermarks, "errors": errors,
            "seen": [row for p in range(partitions) for row in seen[p]]})
"""
