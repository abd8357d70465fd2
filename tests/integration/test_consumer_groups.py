"""Consumer groups with real clients: confluent-kafka (librdkafka), kafka-python, kafkajs
2.2.4 and @platformatic/kafka 1.x as members of classic groups, and raw requests for what
no client will send.

Each consumer runs in a child process and writes what it sees to an events file, one
JSON object a line, with `t` in microseconds of CLOCK_MONOTONIC (Python's
time.monotonic_ns(), node's process.hrtime: the same clock in every process):
  assign / revoke / lost {parts}  its rebalance callbacks (kafkajs: "join" as it sends
                                  JoinGroup, which ends what an eager member owns)
  rec {p, o, v}                   a record handed to the application
  commit {offsets: [[p, next]]}   a commit the broker took (each member commits what it
                                  consumed before asking for more)
  closing                         the member stops consuming, then leaves
From those the test rebuilds who owned which partition when (`History`), and checks:
no two members own a partition at once, every record a member gets comes from a
partition it owns, a member resumes a partition at the committed offset and reads on
without a gap, every produced record is consumed with its value, and a record is
consumed twice only when its partition moved to a member that resumed below it, i.e.
it moved after its last commit.

The module's broker starts groups without the initial rebalance delay; sessions are
Kafka's minimum (6 s), heartbeats every second.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

import pytest

import kafka_wire as kw
from conftest import REPO_ROOT

BROKER_ARGS = ("--set", "group.initial.rebalance.delay.ms=0")
NODE_DIR = REPO_ROOT / "tests" / "node"

SESSION_TIMEOUT_MS = 6000  # group.min.session.timeout.ms
HEARTBEAT_INTERVAL_MS = 1000
REBALANCE_TIMEOUT_MS = 15000  # librdkafka and kafka-python: max.poll.interval.ms
WAIT_S = 25.0  # the longest wait for something the group should get to
STOP_S = 15.0  # from SIGTERM until a client process has left the group and exited
OFFSET_METADATA_MAX_BYTES = 4096  # offset.metadata.max.bytes

# Kafka error codes
OFFSET_METADATA_TOO_LARGE = 12
ILLEGAL_GENERATION = 22
INCONSISTENT_GROUP_PROTOCOL = 23
UNKNOWN_MEMBER_ID = 25
REBALANCE_IN_PROGRESS = 27
NON_EMPTY_GROUP = 68
GROUP_ID_NOT_FOUND = 69
MEMBER_ID_REQUIRED = 79


def now_us() -> int:
    return time.monotonic_ns() // 1000


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT_S,
               describe: Callable[[], str] = lambda: "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        got = condition()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s\n{describe()}", pytrace=False)
        time.sleep(0.05)


# --- raw requests ------------------------------------------------------------------


def create_topic(broker, name: str, partitions: int) -> None:
    with broker.connect() as conn:
        resp = conn.call(kw.CREATE_TOPICS, 7, {"topics": [
            {"name": name, "num_partitions": partitions, "replication_factor": 1}]})
    assert [(t["name"], t["error_code"]) for t in resp["topics"]] == [(name, kw.NONE)], resp


def produce(broker, topic: str, values_by_partition: dict[int, list[str]]
            ) -> list[tuple[int, int, str]]:
    """Produces (acks=all) each partition's values as one batch; returns (p, o, v)."""
    out = []
    with broker.connect() as conn:
        for p, values in sorted(values_by_partition.items()):
            batch = kw.encode_record_batch([kw.Record(None, v.encode()) for v in values])
            resp = conn.call(kw.PRODUCE, 8, {"acks": -1, "topic_data": [
                {"name": topic, "partition_data": [{"index": p, "records": batch}]}]})
            (part,) = resp["responses"][0]["partition_responses"]
            assert part["error_code"] == kw.NONE, resp
            out += [(p, part["base_offset"] + i, v) for i, v in enumerate(values)]
    return out


def high_watermarks(broker, topic: str, partitions: int) -> list[int]:
    with broker.connect() as conn:
        resp = conn.call(kw.LIST_OFFSETS, 7, {"topics": [{"name": topic, "partitions": [
            {"partition_index": p, "timestamp": -1} for p in range(partitions)]}]})
    parts = sorted(resp["topics"][0]["partitions"], key=lambda x: x["partition_index"])
    assert [x["error_code"] for x in parts] == [kw.NONE] * partitions, resp
    return [x["offset"] for x in parts]


def offset_fetch(broker, group: str, topic: str, partitions: int) -> list[tuple]:
    """(offset, leader epoch, metadata, error) per partition, from OffsetFetch v5."""
    with broker.connect() as conn:
        resp = conn.call(kw.OFFSET_FETCH, 5, {"group_id": group, "topics": [
            {"name": topic, "partition_indexes": list(range(partitions))}]})
    assert resp["error_code"] == kw.NONE, resp
    (t,) = resp["topics"]
    parts = sorted(t["partitions"], key=lambda x: x["partition_index"])
    assert [x["partition_index"] for x in parts] == list(range(partitions)), resp
    return [(x["committed_offset"], x["committed_leader_epoch"], x["metadata"],
             x["error_code"]) for x in parts]


def committed_offsets(broker, group: str, topic: str, partitions: int) -> list[int]:
    rows = offset_fetch(broker, group, topic, partitions)
    assert [r[3] for r in rows] == [kw.NONE] * partitions, rows
    return [r[0] for r in rows]


def describe_group(broker, group: str) -> dict:
    """DescribeGroups v4 for one group, each member's assignment decoded."""
    with broker.connect() as conn:
        resp = conn.call(kw.DESCRIBE_GROUPS, 4, {"groups": [group]})
    (g,) = resp["groups"]
    assert (g["group_id"], g["error_code"]) == (group, kw.NONE), resp
    for m in g["members"]:
        m["partitions"] = (decode_assignment(m["member_assignment"])
                           if m["member_assignment"] else {})
    return g


def list_groups(broker) -> dict[str, tuple[str, str]]:
    """group id -> (protocol type, state), from ListGroups v4."""
    with broker.connect() as conn:
        resp = conn.call(kw.LIST_GROUPS, 4, {})
    assert resp["error_code"] == kw.NONE, resp
    return {g["group_id"]: (g["protocol_type"], g["group_state"]) for g in resp["groups"]}


def decode_assignment(data: bytes) -> dict[str, list[int]]:
    """A consumer protocol Assignment (any version): topic -> partitions."""
    r = kw.Reader(data)
    r.int16()  # version
    topics = r.array(lambda r2: (r2.string(), r2.array(lambda r3: r3.int32())))
    return {t: sorted(ps) for t, ps in topics}


def subscription(topics: list[str]) -> bytes:
    """A consumer protocol Subscription v0."""
    w = kw.Writer().int16(0)
    w.array(topics, lambda w2, t: w2.string(t))
    return w.nullable_bytes(b"").bytes()


# --- child processes ---------------------------------------------------------------

# Shared by the Python clients: argument 1 is the spec file.
PRELUDE = """
    import json, signal, sys, time
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    _events = open(spec["events"], "a", buffering=1)
    def emit(ev, **fields):
        fields.update(ev=ev, m=spec["name"], t=time.monotonic_ns() // 1000)
        _events.write(json.dumps(fields) + "\\n")
    stopping = False
    def _on_term(signum, frame):
        global stopping
        stopping = True
    signal.signal(signal.SIGTERM, _on_term)
    consumed = 0
    def done():
        return stopping or (spec.get("stop_after") is not None
                            and consumed >= spec["stop_after"])
"""

# confluent-kafka (librdkafka): consume, log, commit what was consumed (synchronously)
# before consuming more. Eager protocols revoke everything before each JoinGroup;
# cooperative-sticky revokes and assigns incrementally.
CONFLUENT_CONSUMER = """
    from confluent_kafka import Consumer, KafkaException, TopicPartition
    topic = spec["topic"]
    conf = {"bootstrap.servers": spec["bootstrap"], "group.id": spec["group"],
            "client.id": spec["name"], "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": spec["session_timeout_ms"],
            "heartbeat.interval.ms": spec["heartbeat_interval_ms"],
            "max.poll.interval.ms": spec["rebalance_timeout_ms"],
            "partition.assignment.strategy": spec["strategy"],
            "fetch.wait.max.ms": 100, "reconnect.backoff.ms": 50,
            "reconnect.backoff.max.ms": 500}
    if spec.get("instance_id"):
        conf["group.instance.id"] = spec["instance_id"]
    consumer = Consumer(conf)
    def parts(tps):
        return sorted(tp.partition for tp in tps)
    consumer.subscribe(
        [topic],
        on_assign=lambda c, tps: emit("assign", parts=parts(tps)),
        on_revoke=lambda c, tps: emit("revoke", parts=parts(tps)),
        on_lost=lambda c, tps: emit("lost", parts=parts(tps)))
    def commit(nexts):
        offsets = [TopicPartition(topic, p, o) for p, o in sorted(nexts.items())]
        try:
            result = consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as e:
            emit("commit_failed", parts=sorted(nexts), code=e.args[0].code(),
                 error=e.args[0].str())
            return
        ok = [[tp.partition, tp.offset] for tp in result if tp.error is None]
        bad = [[tp.partition, tp.error.code()] for tp in result if tp.error is not None]
        if ok:
            emit("commit", offsets=ok)
        if bad:
            emit("commit_failed", parts=[p for p, _ in bad], codes=bad)
    while not done():
        nexts = {}
        batch = 500 if spec.get("stop_after") is None else min(500, spec["stop_after"] - consumed)
        for m in consumer.consume(batch, 0.1):
            err = m.error()
            if err is not None:
                emit("error", code=err.code(), error=err.str())
                continue
            emit("rec", p=m.partition(), o=m.offset(), v=m.value().decode())
            nexts[m.partition()] = m.offset() + 1
            consumed += 1
        if nexts:
            commit(nexts)
    emit("closing")
    consumer.close()
    emit("closed")
"""

# kafka-python: the same loop; kafka-python also tells the generation and member id.
KAFKA_PYTHON_CONSUMER = """
    from kafka import KafkaConsumer, TopicPartition
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.errors import CommitFailedError, KafkaError
    from kafka.structs import OffsetAndMetadata
    topic = spec["topic"]
    assignors = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}
    consumer = KafkaConsumer(
        bootstrap_servers=spec["bootstrap"], group_id=spec["group"], client_id=spec["name"],
        enable_auto_commit=False, auto_offset_reset="earliest",
        session_timeout_ms=spec["session_timeout_ms"],
        heartbeat_interval_ms=spec["heartbeat_interval_ms"],
        max_poll_interval_ms=spec["rebalance_timeout_ms"], fetch_max_wait_ms=100,
        partition_assignment_strategy=[assignors[s] for s in spec["strategy"].split(",")])
    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            emit("revoke", parts=sorted(tp.partition for tp in revoked))
        def on_partitions_assigned(self, assigned):
            g = consumer._coordinator._generation
            emit("assign", parts=sorted(tp.partition for tp in assigned),
                 gen=g.generation_id, member=g.member_id, protocol=g.protocol)
    consumer.subscribe([topic], listener=Listener())
    try:
        while not done():
            nexts = {}
            for tp, records in consumer.poll(timeout_ms=100, max_records=500).items():
                for r in records:
                    emit("rec", p=r.partition, o=r.offset, v=r.value.decode())
                    nexts[r.partition] = r.offset + 1
                    consumed += 1
            if nexts:
                try:
                    consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "")
                                     for p, o in nexts.items()})
                    emit("commit", offsets=sorted(nexts.items()))
                except CommitFailedError as e:
                    emit("commit_failed", parts=sorted(nexts), error=str(e))
    except KafkaError as e:
        emit("error", error=type(e).__name__, code=getattr(e, "errno", None))
    emit("closing")
    consumer.close()
    emit("closed")
"""

# confluent-kafka, rate-limited: value "<prefix>-<i>" to partition i % partitions.
PRODUCER = """
    from confluent_kafka import Producer
    topic, partitions = spec["topic"], spec["partitions"]
    producer = Producer({"bootstrap.servers": spec["bootstrap"], "linger.ms": 5,
                         "acks": "all"})
    acks, errors = [], []
    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acks.append([msg.partition(), msg.offset(), msg.value().decode()])
    start = time.monotonic()
    for i in range(spec["count"]):
        while (delay := start + i / spec["rate"] - time.monotonic()) > 0:
            producer.poll(delay)  # returns early when it serves a delivery report
        producer.produce(topic, value=f"{spec['prefix']}-{i}".encode(),
                         partition=i % partitions, on_delivery=report)
        producer.poll(0)
    left = producer.flush(30)
    with open(spec["result"], "w") as f:
        json.dump({"acks": acks, "errors": errors, "unflushed": left}, f)
"""


class Client:
    """A client child process; consumers write events to `events_path`."""

    def __init__(self, name: str, args: list[str], workdir: Path, spec: dict,
                 cwd: Optional[Path] = None) -> None:
        self.name = name
        self.workdir = workdir
        self.spec = spec
        self.events_path = Path(spec["events"]) if "events" in spec else None
        self.killed_at: Optional[int] = None
        self.ended = False  # stopped or killed on purpose
        self._offset = 0
        self._events: list[dict] = []
        spec_path = workdir / f"{name}.spec.json"
        spec_path.write_text(json.dumps(spec))
        self.out_path = workdir / f"{name}.stdout"
        self.err_path = workdir / f"{name}.stderr"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(args + [str(spec_path)], stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, cwd=cwd or workdir)

    def events(self, ev: Optional[str] = None) -> list[dict]:
        """Events so far (a line still being written is left for the next call)."""
        if self.events_path is not None and self.events_path.exists():
            with open(self.events_path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
            end = data.rfind(b"\n") + 1
            self._offset += end
            self._events += [json.loads(line) for line in data[:end].splitlines()]
        return [e for e in self._events if ev is None or e["ev"] == ev]

    def describe(self) -> str:
        rc = self.proc.poll()
        err = self.err_path.read_text(errors="replace")[-6000:]
        out = self.out_path.read_text(errors="replace")[-2000:]
        return (f"client {self.name} (pid {self.proc.pid}, "
                f"{'running' if rc is None else f'exit code {rc}'})\n"
                f"--- stdout ---\n{out}\n--- stderr ---\n{err}")

    def stop(self, timeout: float = STOP_S) -> None:
        """SIGTERM (by pid), then waits for a clean exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.wait(timeout)

    def wait(self, timeout: float = STOP_S) -> None:
        self.ended = True
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"{self.name} did not exit within {timeout} s; killed it\n"
                        f"{self.describe()}", pytrace=False)
        assert rc == 0, f"{self.name} failed\n{self.describe()}"

    def kill(self) -> None:
        """SIGKILL (by pid): the member vanishes without leaving the group."""
        self.killed_at = now_us()
        self.ended = True
        self.proc.kill()
        self.proc.wait()

    def assert_alive(self) -> None:
        assert self.ended or self.proc.poll() is None, \
            f"{self.name} exited early\n{self.describe()}"

    def result(self) -> dict:
        return json.loads(Path(self.spec["result"]).read_text())


class Clients:
    """Starts client processes for one test; kills (by pid) any still running after it."""

    def __init__(self, workdir: Path, bootstrap: str = "") -> None:
        self.workdir = workdir
        self.bootstrap = bootstrap
        self.started: list[Client] = []

    def _spec(self, name: str, **spec: object) -> dict:
        spec.setdefault("bootstrap", self.bootstrap)
        spec.setdefault("events", str(self.workdir / f"{name}.events"))
        return dict(spec, name=name)

    def _python(self, script: str, name: str, spec: dict) -> Client:
        code = textwrap.dedent(PRELUDE) + textwrap.dedent(script)
        client = Client(name, [sys.executable, "-c", code], self.workdir, spec)
        self.started.append(client)
        return client

    def consumer(self, name: str, group: str, topic: str, lib: str = "confluent",
                 strategy: str = "range,roundrobin", **spec: object) -> Client:
        script = {"confluent": CONFLUENT_CONSUMER, "kafka-python": KAFKA_PYTHON_CONSUMER}[lib]
        return self._python(script, name, self._spec(
            name, group=group, topic=topic, strategy=strategy,
            session_timeout_ms=SESSION_TIMEOUT_MS, heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
            rebalance_timeout_ms=REBALANCE_TIMEOUT_MS, **spec))

    def node(self, script: str, name: str, group: str, topic: str, members: list[str],
             **spec: object) -> Client:
        spec = self._spec(name, groupId=group, topic=topic, members=members,
                          clientId=name, sessionTimeout=SESSION_TIMEOUT_MS,
                          heartbeatInterval=HEARTBEAT_INTERVAL_MS,
                          rebalanceTimeout=REBALANCE_TIMEOUT_MS, **spec)
        client = Client(name, ["node", str(NODE_DIR / script)], self.workdir, spec, cwd=NODE_DIR)
        self.started.append(client)
        return client

    def producer(self, name: str, topic: str, partitions: int, count: int, rate: float
                 ) -> Client:
        spec = self._spec(name, topic=topic, partitions=partitions, count=count, rate=rate,
                          prefix=name, result=str(self.workdir / f"{name}.result.json"))
        return self._python(PRODUCER, name, spec)

    def close(self) -> None:
        for c in self.started:
            if c.proc.poll() is None:
                c.proc.kill()  # by pid
                c.proc.wait()


@pytest.fixture
def clients(tmp_path: Path) -> Iterable[Clients]:
    cs = Clients(tmp_path)
    yield cs
    cs.close()


def produced(producer: Client) -> list[tuple[int, int, str]]:
    producer.wait(timeout=60)
    out = producer.result()
    assert (out["errors"], out["unflushed"]) == ([], 0), out
    assert len(out["acks"]) == producer.spec["count"], out
    return [tuple(a) for a in out["acks"]]


# --- what the members saw ----------------------------------------------------------


@dataclasses.dataclass
class Interval:
    """A member owning a partition, from `start` to `end` (µs, monotonic)."""
    member: str
    partition: int
    start: int
    end: int
    ended_by: str = ""
    deliveries: list = dataclasses.field(default_factory=list)  # offsets, in order


@dataclasses.dataclass
class Delivery:
    member: str
    partition: int
    offset: int
    value: str
    t: int
    interval: Optional[Interval] = None


class History:
    """Who owned which partition when, what each member got and committed."""

    def __init__(self, members: list[Client], incremental: Iterable[str] = (),
                 end: Optional[int] = None) -> None:
        self.intervals: list[Interval] = []
        self.deliveries: list[Delivery] = []
        self.commits: list[tuple[int, str, int, int]] = []  # (t, member, p, next offset)
        self.unowned: list[str] = []  # records got from partitions not owned
        self.names: list[str] = []
        end = end or now_us()
        for client in members:
            by_member = collections.defaultdict(list)
            for e in client.events():
                by_member[e["m"]].append(e)
            for name, events in by_member.items():
                self.names.append(name)
                self._replay(name, events, client.killed_at or end,
                             "killed" if client.killed_at else "still running",
                             name in incremental)

    def _replay(self, name: str, events: list[dict], end: int, end_reason: str,
                incremental: bool) -> None:
        owned: dict[int, Interval] = {}

        def close(p: int, t: int, why: str) -> None:
            iv = owned.pop(p)
            iv.end, iv.ended_by = t, why
            self.intervals.append(iv)

        for e in events:
            ev, t = e["ev"], e["t"]
            if ev == "assign":
                if not incremental:  # an eager assignment is the whole of it
                    for p in [p for p in owned if p not in e["parts"]]:
                        close(p, t, "assign")
                for p in e["parts"]:
                    owned.setdefault(p, Interval(name, p, t, 0))
            elif ev in ("revoke", "lost"):
                for p in e["parts"]:
                    if p in owned:
                        close(p, t, ev)
            elif ev in ("join", "closing", "closed"):
                for p in list(owned):
                    close(p, t, ev)
            elif ev == "rec":
                d = Delivery(name, e["p"], e["o"], e["v"], t, owned.get(e["p"]))
                if d.interval is None:
                    self.unowned.append(f"{name} got {e['p']}:{e['o']} at {t} while not "
                                         f"owning partition {e['p']}")
                else:
                    d.interval.deliveries.append(d.offset)
                self.deliveries.append(d)
            elif ev == "commit":
                for p, o in e["offsets"]:
                    self.commits.append((t, name, p, o))
        for p in list(owned):
            close(p, end, end_reason)

    def by_partition(self) -> dict[int, list[Interval]]:
        out = collections.defaultdict(list)
        for iv in self.intervals:
            out[iv.partition].append(iv)
        for ivs in out.values():
            ivs.sort(key=lambda iv: (iv.start, iv.end))
        return out

    def committed_before(self, p: int, t: int) -> int:
        """The offset the last commit for `p` before `t` stored (0: none, the earliest)."""
        before = [c for c in self.commits if c[2] == p and c[0] < t]
        return max(before)[3] if before else 0

    def check(self, records: list[tuple[int, int, str]], *, ownership: bool = True
              ) -> list[str]:
        """Everything that breaks the rules in the module docstring. Without
        `ownership` (a client that does not tell when it gives partitions up), only what
        was consumed: every record, with its value, duplicates only after a move."""
        problems = list(self.unowned) if ownership else []
        intervals = self.by_partition()
        if ownership:
            for p, ivs in intervals.items():
                for i, a in enumerate(ivs):
                    for b in ivs[i + 1:]:
                        if b.member != a.member and b.start < a.end:
                            problems.append(
                                f"partition {p} owned by {a.member} ({a.start}..{a.end}, "
                                f"until {a.ended_by}) and {b.member} (from {b.start}) at once")
        for p, ivs in intervals.items():
            for iv in ivs:
                if not iv.deliveries:
                    continue
                first = iv.deliveries[0]
                expected = list(range(first, first + len(iv.deliveries)))
                if iv.deliveries != expected:
                    problems.append(f"{iv.member} read partition {p} out of order or with "
                                    f"a gap: {iv.deliveries[:50]}")
                resumed_at = self.committed_before(p, iv.start)
                before = [x for x in ivs if x.end <= iv.start and x.deliveries]
                after_kill = before and before[-1].ended_by == "killed"
                if ownership and first != resumed_at and not (
                        after_kill and resumed_at <= first <= before[-1].deliveries[-1] + 1):
                    problems.append(f"{iv.member} resumed partition {p} at {first}, the "
                                    f"committed offset was {resumed_at}")
        want = {(p, o): v for p, o, v in records}
        seen = collections.defaultdict(list)
        for d in self.deliveries:
            seen[(d.partition, d.offset)].append(d)
            if want.get((d.partition, d.offset)) != d.value:
                problems.append(f"{d.member} got {d.partition}:{d.offset} = {d.value!r}, "
                                f"produced {want.get((d.partition, d.offset))!r}")
        missed = sorted(set(want) - set(seen))
        if missed:
            problems.append(f"{len(missed)} records never consumed: {missed[:20]}")
        for (p, o), ds in seen.items():
            ds.sort(key=lambda d: d.t)
            for prev, again in zip(ds, ds[1:]):
                if again.interval is None or prev.interval is None:
                    continue
                if again.interval is prev.interval:
                    problems.append(f"{again.member} got {p}:{o} twice without a move")
                    continue
                stored = self.committed_before(p, again.interval.start)
                if stored > o:
                    problems.append(
                        f"{again.member} got {p}:{o} again (first {prev.member}) although "
                        f"{stored} was committed before the partition moved")
        return problems

    def duplicates(self) -> int:
        return len(self.deliveries) - len({(d.partition, d.offset) for d in self.deliveries})

    def owned_now(self, member: str) -> set[int]:
        return {iv.partition for iv in self.intervals
                if iv.member == member and iv.ended_by == "still running"}


def owned_now(members: list[Client], incremental: Iterable[str] = ()) -> dict[str, set[int]]:
    h = History(members, incremental)
    return {name: h.owned_now(name) for name in h.names}


def settled(members: list[Client], partitions: int, counts: dict[str, int],
            incremental: Iterable[str] = ()) -> Optional[dict[str, set[int]]]:
    """Each named member owns `counts[name]` partitions, the others none, together all
    of them once; the ownership map if so."""
    owned = owned_now(members, incremental)
    if {n: len(owned.get(n, ())) for n in owned} != {n: counts.get(n, 0) for n in owned}:
        return None
    if any(n not in owned for n in counts):
        return None
    every = [p for ps in owned.values() for p in ps]
    if sorted(every) != list(range(partitions)):
        return None
    return owned


def all_consumed(members: list[Client], records: list[tuple[int, int, str]]) -> bool:
    seen = {(e["p"], e["o"]) for c in members for e in c.events("rec")}
    return seen >= {(p, o) for p, o, _ in records}


def events_summary(members: list[Client]) -> str:
    lines = []
    for c in members:
        for e in c.events():
            if e["ev"] != "rec":
                lines.append(json.dumps(e))
    return "\n".join(lines[-200:])


def consumed_and_committed(broker, members: list[Client], group: str, topic: str,
                           records: list[tuple[int, int, str]], partitions: int) -> bool:
    """Every record consumed, and the group's commits at each partition's end (the
    high watermark: `records` are all the topic holds)."""
    ends = [0] * partitions
    for p, o, _ in records:
        ends[p] = max(ends[p], o + 1)
    return (all_consumed(members, records)
            and committed_offsets(broker, group, topic, partitions) == ends
            and high_watermarks(broker, topic, partitions) == ends)


def wait_consumed_and_committed(broker, members: list[Client], group: str, topic: str,
                                records: list[tuple[int, int, str]], partitions: int) -> None:
    wait_until(lambda: consumed_and_committed(broker, members, group, topic, records,
                                              partitions),
               f"{group}: every record consumed and committed",
               describe=lambda: (f"committed {committed_offsets(broker, group, topic, partitions)}"
                                 f"\n{events_summary(members)}"))


def wait_settled(members: list[Client], partitions: int, counts: dict[str, int],
                 incremental: Iterable[str] = (), timeout: float = WAIT_S
                 ) -> dict[str, set[int]]:
    for c in members:
        c.assert_alive()
    return wait_until(lambda: settled(members, partitions, counts, incremental),
                      f"members owning {counts}", timeout=timeout,
                      describe=lambda: events_summary(members) + "\n" + "\n".join(
                          c.describe() for c in members))


def wait_consuming(client: Client, records: int = 50) -> None:
    """Waits until the member has consumed and committed `records` records since its
    last assignment, so that each membership lasts while the producer runs."""
    def enough() -> bool:
        events = client.events()
        assigned = [i for i, e in enumerate(events) if e["ev"] == "assign"]
        after = events[assigned[-1]:] if assigned else []
        return (sum(e["ev"] == "rec" for e in after) >= records
                and any(e["ev"] == "commit" for e in after))
    wait_until(enough, f"{client.name} consuming", describe=lambda: events_summary([client]))


def assigns(client: Client, name: Optional[str] = None) -> list[list[int]]:
    return [e["parts"] for e in client.events("assign") if name in (None, e["m"])]


def revokes(client: Client) -> list[list[int]]:
    return [e["parts"] for e in client.events() if e["ev"] in ("revoke", "lost")]


def join_group(conn, version: int, group: str, protocols: list[tuple[str, bytes]],
               protocol_type: str = "consumer", member_id: str = "") -> dict:
    return conn.call(kw.JOIN_GROUP, version, {
        "group_id": group, "session_timeout_ms": SESSION_TIMEOUT_MS,
        "rebalance_timeout_ms": REBALANCE_TIMEOUT_MS, "member_id": member_id,
        "group_instance_id": None, "protocol_type": protocol_type,
        "protocols": [{"name": n, "metadata": m} for n, m in protocols]})


def offset_commit(conn, group: str, generation: int, member: str, topic: str,
                  offsets: dict[int, tuple]) -> dict[int, int]:
    """OffsetCommit v7 of partition -> (offset, metadata[, leader epoch]); returns
    partition -> error code."""
    resp = conn.call(kw.OFFSET_COMMIT, 7, {
        "group_id": group, "generation_id_or_member_epoch": generation, "member_id": member,
        "group_instance_id": None, "topics": [{"name": topic, "partitions": [
            {"partition_index": p, "committed_offset": o[0], "committed_metadata": o[1],
             "committed_leader_epoch": o[2] if len(o) > 2 else -1}
            for p, o in sorted(offsets.items())]}]})
    (t,) = resp["topics"]
    assert t["name"] == topic, resp
    return {x["partition_index"]: x["error_code"] for x in t["partitions"]}


def heartbeat(conn, group: str, generation: int, member: str) -> int:
    resp = conn.call(kw.HEARTBEAT, 3, {"group_id": group, "generation_id": generation,
                                      "member_id": member, "group_instance_id": None})
    return resp["error_code"]


def values(prefix: str, partitions: int, per_partition: int) -> dict[int, list[str]]:
    return {p: [f"{prefix}-{p}-{i}" for i in range(per_partition)] for p in range(partitions)}


class RawMember:
    """A group member speaking raw requests on its own connection (JoinGroup v5,
    SyncGroup v3), for what no client does on purpose."""

    def __init__(self, broker, group: str, topic: str) -> None:
        self.conn = broker.connect(timeout=10)
        self.group, self.topic = group, topic
        self.member_id, self.generation = "", -1
        found = wait_until(lambda: self.conn.call(kw.FIND_COORDINATOR, 3, {"key": group})
                           ["error_code"] == kw.NONE, "the group coordinator", timeout=10)
        assert found

    def close(self) -> None:
        self.conn.close()

    def _join_body(self) -> bytes:
        return kw.encode_body(kw.JOIN_GROUP, 5, {
            "group_id": self.group, "session_timeout_ms": SESSION_TIMEOUT_MS,
            "rebalance_timeout_ms": REBALANCE_TIMEOUT_MS, "member_id": self.member_id,
            "group_instance_id": None, "protocol_type": "consumer",
            "protocols": [{"name": "range", "metadata": subscription([self.topic])}]}).bytes()

    def send_join(self) -> int:
        """Sends JoinGroup without waiting (it waits for the other members)."""
        if not self.member_id:  # KIP-394: the first round only hands out the member id
            resp = join_group(self.conn, 5, self.group, [("range", subscription([self.topic]))])
            assert resp["error_code"] == MEMBER_ID_REQUIRED, resp
            self.member_id = resp["member_id"]
        return self.conn.send_request(kw.JOIN_GROUP, 5, self._join_body())

    def joined(self, correlation_id: int) -> dict:
        resp = kw.decode_body(kw.JOIN_GROUP, 5, self.conn.recv_response(
            kw.JOIN_GROUP, 5, correlation_id))
        assert resp["error_code"] == kw.NONE, resp
        self.generation = resp["generation_id"]
        return resp

    def sync(self, assignments: dict[str, list[int]]) -> dict[str, list[int]]:
        def assignment(parts: list[int]) -> bytes:
            w = kw.Writer().int16(0)
            w.array([(self.topic, parts)], lambda w2, t: (
                w2.string(t[0]), w2.array(t[1], lambda w3, p: w3.int32(p))))
            return w.nullable_bytes(b"").bytes()
        resp = self.conn.call(kw.SYNC_GROUP, 3, {
            "group_id": self.group, "generation_id": self.generation,
            "member_id": self.member_id, "group_instance_id": None,
            "assignments": [{"member_id": m, "assignment": assignment(ps)}
                            for m, ps in assignments.items()]})
        assert resp["error_code"] == kw.NONE, resp
        return decode_assignment(resp["assignment"])

    def commit(self, generation: int, offsets: dict[int, tuple]) -> dict[int, int]:
        return offset_commit(self.conn, self.group, generation, self.member_id, self.topic,
                             offsets)

    def send_commit(self, generation: int, offsets: dict[int, tuple]) -> int:
        return self.conn.send_request(kw.OFFSET_COMMIT, 7, kw.encode_body(kw.OFFSET_COMMIT, 7, {
            "group_id": self.group, "generation_id_or_member_epoch": generation,
            "member_id": self.member_id, "group_instance_id": None,
            "topics": [{"name": self.topic, "partitions": [
                {"partition_index": p, "committed_offset": o[0], "committed_metadata": o[1]}
                for p, o in sorted(offsets.items())]}]}).bytes())

    def committed(self, correlation_id: int) -> dict[int, int]:
        resp = kw.decode_body(kw.OFFSET_COMMIT, 7, self.conn.recv_response(
            kw.OFFSET_COMMIT, 7, correlation_id))
        return {x["partition_index"]: x["error_code"] for x in resp["topics"][0]["partitions"]}

    def heartbeat(self) -> int:
        return heartbeat(self.conn, self.group, self.generation, self.member_id)


# --- the tests ---------------------------------------------------------------------


def test_three_client_libraries_share_a_group_without_loss_or_double_ownership(
        broker, clients):
    """confluent-kafka and kafka-python offer range and roundrobin, kafkajs (renamed)
    only roundrobin: once all three are in, the broker must pick roundrobin. The
    producer runs through every rebalance."""
    topic, group, partitions = "mixed", "g-mixed", 12
    clients.bootstrap = broker.bootstrap
    create_topic(broker, topic, partitions)
    producer = clients.producer("mixed", topic, partitions, count=1500, rate=250)
    a = clients.consumer("confluent", group, topic)
    wait_settled([a], partitions, {"confluent": 12})
    b = clients.consumer("kafka-python", group, topic, lib="kafka-python")
    wait_settled([a, b], partitions, {"confluent": 6, "kafka-python": 6})
    assert b.events("assign")[-1]["protocol"] == "range"
    wait_consuming(b)
    c = clients.node("kafkajs_group_consumer.js", "kafkajs", group, topic, ["kafkajs"],
                     protocol="roundrobin")
    members = [a, b, c]
    owned = wait_settled(members, partitions,
                         {"confluent": 4, "kafka-python": 4, "kafkajs": 4})
    assert producer.proc.poll() is None, "the producer finished before the group formed"

    g = describe_group(broker, group)
    assert (g["group_state"], g["protocol_type"], g["protocol_data"]) == \
        ("Stable", "consumer", "roundrobin")
    by_client = {m["client_id"]: m for m in g["members"]}
    assert sorted(by_client) == ["confluent", "kafka-python", "kafkajs"]
    # Round robin over the member ids in order: what the broker handed each member is
    # what the leader computed, and what the member then owned.
    for i, name in enumerate(sorted(by_client, key=lambda n: by_client[n]["member_id"])):
        mine = [p for p in range(partitions) if p % 3 == i]
        assert by_client[name]["partitions"] == {topic: mine}, g
        assert owned[name] == set(mine), (name, owned)
    assert b.events("assign")[-1]["protocol"] == "roundrobin"
    assert c.events("assign")[-1]["protocol"] == "roundrobin"
    assert b.events("assign")[-1]["member"] == by_client["kafka-python"]["member_id"]

    wait_consuming(b)
    wait_consuming(c)
    b.stop()  # leaves the group: its partitions move again
    wait_settled(members, partitions, {"confluent": 6, "kafkajs": 6})
    g = describe_group(broker, group)
    assert (g["group_state"], g["protocol_data"], sorted(m["client_id"] for m in g["members"])) \
        == ("Stable", "roundrobin", ["confluent", "kafkajs"])

    records = produced(producer)
    wait_consumed_and_committed(broker, members, group, topic, records, partitions)
    end = now_us()
    a.stop()
    c.stop()
    history = History(members, end=end)
    assert history.check(records) == []
    assert len(history.deliveries) >= len(records)


def test_a_member_sharing_no_protocol_with_the_group_is_rejected(broker, clients):
    """The group's member offers only roundrobin. A JoinGroup whose protocols share
    none with it, or of another protocol type, or with no protocols, is refused with
    INCONSISTENT_GROUP_PROTOCOL at every version, before any member id is handed out;
    kafka-python offering only range stops on that error. The member already there is
    left alone, and an empty group takes any protocol."""
    topic, group = "inconsistent", "g-inconsistent"
    clients.bootstrap = broker.bootstrap
    create_topic(broker, topic, 2)
    a = clients.consumer("rr", group, topic, strategy="roundrobin")
    wait_settled([a], 2, {"rr": 2})

    sub = subscription([topic])
    with broker.connect() as conn:
        for version in range(10):  # every JoinGroup version, the first round of each
            for protocol_type, protocols in [("consumer", [("range", sub)]),
                                             ("consumer", [("range", sub), ("sticky", sub)]),
                                             ("connect", [("roundrobin", sub)]),
                                             ("consumer", [])]:
                resp = join_group(conn, version, group, protocols, protocol_type)
                assert (resp["error_code"], resp["generation_id"], resp["member_id"],
                        resp["members"]) == (INCONSISTENT_GROUP_PROTOCOL, -1, "", []), \
                    (version, protocol_type, protocols, resp)
    # A real client offering only range: kafka-python gives up on the fatal error.
    k = clients.consumer("range-only", group, topic, lib="kafka-python", strategy="range")
    k.wait(timeout=30)
    assert [(e["error"], e["code"]) for e in k.events("error")] == \
        [("InconsistentGroupProtocolError", INCONSISTENT_GROUP_PROTOCOL)]
    assert k.events("assign") == []

    # The member already there saw nothing of it.
    g = describe_group(broker, group)
    assert (g["group_state"], g["protocol_data"], [m["client_id"] for m in g["members"]]) \
        == ("Stable", "roundrobin", ["rr"])
    assert (assigns(a), revokes(a)) == ([[0, 1]], [])

    # Once the group is empty, any protocol goes (Kafka's rule for an empty group).
    a.stop()
    r = clients.consumer("range-later", group, topic, lib="kafka-python", strategy="range")
    wait_settled([r], 2, {"range-later": 2})
    assert r.events("assign")[-1]["protocol"] == "range"
    assert describe_group(broker, group)["protocol_data"] == "range"
    r.stop()


def test_kafkajs_and_platformatic_consume_through_groups_and_commit(broker, clients):
    """Two members of each client in a group of their own (kafkajs under its own
    protocol name, RoundRobinAssigner). Half the records are there before the members
    join, half come once both have partitions; each client stops by itself once both
    members had partitions and everything is consumed and committed."""
    topic, partitions, per_partition = "node-groups", 4, 100
    create_topic(broker, topic, partitions)
    half = per_partition // 2
    first = values("early", partitions, half)
    records = produce(broker, topic, first)
    clients.bootstrap = broker.bootstrap
    total = partitions * per_partition
    runs = {
        "g-kafkajs": clients.node("kafkajs_group_consumer.js", "kafkajs", "g-kafkajs",
                                  topic, ["js-a", "js-b"], expect=total),
        "g-platformatic": clients.node("platformatic_group_consumer.mjs", "platformatic",
                                       "g-platformatic", topic, ["pl-a", "pl-b"],
                                       expect=total),
    }
    for client in runs.values():
        wait_until(lambda: all(assigns(client, m) and assigns(client, m)[-1]
                               for m in client.spec["members"]),
                   f"{client.name}: both members with partitions",
                   describe=lambda: events_summary([client]) + client.describe())
    records += produce(broker, topic, values("late", partitions, half))

    for group, client in runs.items():
        client.wait(timeout=60)
        summary = json.loads(client.out_path.read_text())
        assert summary == {"consumed": total,
                           "committed": {str(p): per_partition for p in range(partitions)}}
        # kafkajs tells when it gives its partitions up; @platformatic/kafka does not,
        # so for it only what was consumed is checked, not who owned what when.
        is_kafkajs = group == "g-kafkajs"
        assert History([client]).check(records, ownership=is_kafkajs) == []
        for member in client.spec["members"]:
            got = [e for e in client.events("rec") if e["m"] == member]
            assert any(e["v"].startswith("late-") for e in got), (member, len(got))
        protocols = {e.get("protocol") for e in client.events("assign")}
        assert protocols == ({"RoundRobinAssigner"} if is_kafkajs else {None})
        assert committed_offsets(broker, group, topic, partitions) == \
            [per_partition] * partitions

    # OffsetFetch v8 asks for both groups at once.
    with broker.connect() as conn:
        resp = conn.call(kw.OFFSET_FETCH, 8, {"groups": [
            {"group_id": g, "topics": [{"name": topic, "partition_indexes": [0, 1, 2, 3]}]}
            for g in runs]})
    got = {g["group_id"]: (g["error_code"], [(p["partition_index"], p["committed_offset"],
                                              p["error_code"])
                                             for t in g["topics"] for p in t["partitions"]])
           for g in resp["groups"]}
    assert got == {g: (0, [(p, per_partition, 0) for p in range(partitions)]) for g in runs}

    # confluent-kafka sees the same commits.
    from confluent_kafka import Consumer, TopicPartition
    for group in runs:
        c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
        try:
            got = c.committed([TopicPartition(topic, p) for p in range(partitions)],
                              timeout=10)
        finally:
            c.close()
        assert [(tp.partition, tp.offset, tp.error) for tp in got] == \
            [(p, per_partition, None) for p in range(partitions)]


def test_a_killed_members_partitions_move_within_the_session_timeout(broker, clients):
    """SIGKILL: no LeaveGroup, so the broker finds out only when the session runs out;
    the survivors get the partitions then (not before: the member may have been alive),
    and what the dead member consumed without committing is consumed again."""
    topic, group, partitions = "kill", "g-kill", 6
    clients.bootstrap = broker.bootstrap
    create_topic(broker, topic, partitions)
    producer = clients.producer("kill", topic, partitions, count=3000, rate=250)
    a = clients.consumer("k-a", group, topic)
    wait_settled([a], partitions, {"k-a": 6})
    b = clients.consumer("k-b", group, topic, lib="kafka-python")
    c = clients.consumer("k-c", group, topic)
    members = [a, b, c]
    wait_settled(members, partitions, {"k-a": 2, "k-b": 2, "k-c": 2})
    wait_consuming(c)
    doomed = set(owned_now(members)["k-c"])
    c.kill()
    wait_settled(members, partitions, {"k-a": 3, "k-b": 3},
                 timeout=SESSION_TIMEOUT_MS / 1000 + 10)
    history = History(members)
    moved_at = max(iv.start for iv in history.intervals
                   if iv.partition in doomed and iv.start > c.killed_at)
    elapsed_s = (moved_at - c.killed_at) / 1e6
    # The last heartbeat came at most an interval before the kill, so the session ends
    # between (timeout - interval) and timeout after it; then one heartbeat round for
    # the survivors to hear of the rebalance, and the rebalance itself.
    session_s, interval_s = SESSION_TIMEOUT_MS / 1000, HEARTBEAT_INTERVAL_MS / 1000
    assert session_s - interval_s - 0.5 <= elapsed_s <= session_s + interval_s + 1.5, \
        elapsed_s
    g = describe_group(broker, group)
    assert (g["group_state"], sorted(m["client_id"] for m in g["members"])) == \
        ("Stable", ["k-a", "k-b"])
    assert producer.proc.poll() is None, "the producer finished before the move"

    records = produced(producer)
    wait_consumed_and_committed(broker, members, group, topic, records, partitions)
    end = now_us()
    a.stop()
    b.stop()
    assert History(members, end=end).check(records) == []


def test_a_static_member_restarts_without_a_rebalance(broker, clients):
    """KIP-345: a member with group.instance.id that closes (without leaving) and comes
    back within its session gets its partitions back, in the same generation; the
    others see nothing. kafka-python (no static membership in 2.0.2) is the dynamic
    member that reports the generation."""
    topic, group, partitions = "static", "g-static", 6
    clients.bootstrap = broker.bootstrap
    create_topic(broker, topic, partitions)
    records = produce(broker, topic, values("before", partitions, 20))
    a = clients.consumer("s-a", group, topic, instance_id="inst-a")
    wait_settled([a], partitions, {"s-a": 6})
    b = clients.consumer("s-b", group, topic, instance_id="inst-b")
    k = clients.consumer("s-k", group, topic, lib="kafka-python")
    members = [a, b, k]
    owned = wait_settled(members, partitions, {"s-a": 2, "s-b": 2, "s-k": 2})
    wait_consumed_and_committed(broker, members, group, topic, records, partitions)
    before = describe_group(broker, group)
    ids = {m["client_id"]: (m["member_id"], m["group_instance_id"]) for m in before["members"]}
    assert {n: i for n, (_, i) in ids.items()} == \
        {"s-a": "inst-a", "s-b": "inst-b", "s-k": None}
    generation = k.events("assign")[-1]["gen"]
    seen_before = [(assigns(x), revokes(x)) for x in (a, k)]

    b.stop()  # a static member does not send LeaveGroup when it closes
    g = describe_group(broker, group)
    assert (g["group_state"], {m["member_id"] for m in g["members"]}) == \
        ("Stable", {i for i, _ in ids.values()})
    b2 = clients.consumer("s-b2", group, topic, instance_id="inst-b")
    members.append(b2)
    wait_until(lambda: b2.events("assign"), "the restarted member's assignment")
    assert assigns(b2) == [sorted(owned["s-b"])]

    more = produce(broker, topic, values("after", partitions, 10))
    wait_consumed_and_committed(broker, members, group, topic, records + more, partitions)
    end = now_us()
    # No rebalance: nothing assigned or revoked anywhere else, the same generation.
    assert [(assigns(x), revokes(x)) for x in (a, k)] == seen_before, \
        events_summary([a, k])
    assert [e["gen"] for e in k.events("assign")] == [generation]
    assert k.events("commit_failed") == [] and a.events("commit_failed") == []
    after = describe_group(broker, group)
    now_ids = {m["client_id"]: (m["member_id"], m["group_instance_id"])
               for m in after["members"]}
    assert after["group_state"] == "Stable"
    assert (now_ids["s-a"], now_ids["s-k"]) == (ids["s-a"], ids["s-k"])
    assert sorted(now_ids) == ["s-a", "s-b2", "s-k"] and now_ids["s-b2"][1] == "inst-b"
    # The broker's generation is still the one kafka-python joined: a commit in it is
    # taken, one from the next generation is not.
    k_partition = min(owned["s-k"])
    stored = committed_offsets(broker, group, topic, partitions)[k_partition]
    k_member = ids["s-k"][0]
    with broker.connect() as conn:
        assert offset_commit(conn, group, generation, k_member, topic,
                             {k_partition: (stored, "")}) == {k_partition: kw.NONE}
        assert offset_commit(conn, group, generation + 1, k_member, topic,
                             {k_partition: (stored, "")}) == {k_partition: ILLEGAL_GENERATION}
    for c in (a, b2, k):
        c.stop()
    history = History(members, end=end)
    assert history.check(records + more) == []
    assert history.duplicates() == 0


def test_cooperative_sticky_revokes_only_the_partitions_that_move(broker, clients):
    """librdkafka's cooperative-sticky: a member joining costs the others only the
    partitions it takes; the rest stay with their owners throughout.

    Records are produced between the joins, not during them: librdkafka 2.0.2 keeps
    consuming what it retains while its own JoinGroup waits, and a commit it sends then
    is answered (as by Kafka, which serves a connection's requests one at a time) after
    the join completes, from a generation that is no longer current: ILLEGAL_GENERATION,
    on which librdkafka declares its whole assignment lost. The broker's side of that
    is checked with raw requests in
    test_commits_during_a_rebalance_are_judged_by_the_generation."""
    topic, group, partitions = "coop", "g-coop", 12
    clients.bootstrap = broker.bootstrap
    create_topic(broker, topic, partitions)
    names = ["c-a", "c-b", "c-c"]
    records = produce(broker, topic, values("one", partitions, 10))
    a = clients.consumer("c-a", group, topic, strategy="cooperative-sticky")
    wait_settled([a], partitions, {"c-a": 12}, incremental=names)
    wait_consumed_and_committed(broker, [a], group, topic, records, partitions)
    b = clients.consumer("c-b", group, topic, strategy="cooperative-sticky")
    after_b = wait_settled([a, b], partitions, {"c-a": 6, "c-b": 6}, incremental=names)
    records += produce(broker, topic, values("two", partitions, 10))
    wait_consumed_and_committed(broker, [a, b], group, topic, records, partitions)
    c = clients.consumer("c-c", group, topic, strategy="cooperative-sticky")
    members = [a, b, c]
    after_c = wait_settled(members, partitions, {"c-a": 4, "c-b": 4, "c-c": 4},
                           incremental=names)
    records += produce(broker, topic, values("three", partitions, 10))
    wait_consumed_and_committed(broker, members, group, topic, records, partitions)
    end = now_us()

    nonempty = lambda lists: [sorted(x) for x in lists if x]  # noqa: E731
    # b's arrival: a gives up exactly what b gets; c's: a and b give up what c gets.
    a_revoked, b_revoked = nonempty(revokes(a)), nonempty(revokes(b))
    assert nonempty(assigns(a)) == [list(range(12))], events_summary(members)
    assert len(a_revoked) == 2 and len(b_revoked) == 1, events_summary(members)
    assert nonempty(assigns(b)) == [a_revoked[0]] == [sorted(after_b["c-b"])]
    assert sorted(after_b["c-a"]) == sorted(set(range(12)) - set(a_revoked[0]))
    taken_by_c = sorted(a_revoked[1] + b_revoked[0])
    assert sorted(p for x in nonempty(assigns(c)) for p in x) == taken_by_c == \
        sorted(after_c["c-c"])
    assert (len(a_revoked[1]), len(b_revoked[0])) == (2, 2)
    assert after_c["c-a"] == set(after_b["c-a"]) - set(a_revoked[1])
    assert after_c["c-b"] == set(after_b["c-b"]) - set(b_revoked[0])
    assert [e for m in members for e in m.events() if e["ev"] in ("lost", "commit_failed")] \
        == []
    g = describe_group(broker, group)
    assert (g["group_state"], g["protocol_data"]) == ("Stable", "cooperative-sticky")

    for m in members:
        m.stop()
    history = History(members, incremental=names, end=end)
    assert history.check(records) == []
    assert history.duplicates() == 0


def test_groups_and_committed_offsets_survive_a_broker_restart(launcher, clients):
    """Three groups at the stop: one empty after a consumer read part of the topic, one
    that only ever had a commit (with metadata and leader epochs), one with a member
    that stays up through the restart. They come back as they were; the consumer that
    starts in the empty group resumes at the commits, the live one carries on without
    a rebalance (Kafka keeps a group's members in __consumer_offsets too)."""
    first = launcher.start(*BROKER_ARGS)
    clients.bootstrap = first.bootstrap
    topic, partitions = "restart", 4
    create_topic(first, topic, partitions)
    records = produce(first, topic, values("one", partitions, 50))
    empty, raw, live = "g-restart-empty", "g-restart-raw", "g-restart-live"

    a = clients.consumer("r-a", empty, topic, stop_after=90)
    a.wait(timeout=30)
    assert len(a.events("rec")) == 90
    commit_only(first, raw, topic)
    l = clients.consumer("r-live", live, topic)
    wait_settled([l], partitions, {"r-live": 4})
    wait_consumed_and_committed(first, [l], live, topic, records, partitions)

    with_members = (empty, live)
    listed = {g: v for g, v in list_groups(first).items() if g in with_members}
    assert listed == {empty: ("consumer", "Empty"), live: ("consumer", "Stable")}
    described = {g: describe_group(first, g) for g in with_members}
    offsets = {g: offset_fetch(first, g, topic, partitions) for g in (empty, raw, live)}
    assert offsets[raw] == COMMIT_ONLY_OFFSETS

    assert first.stop() == 0
    second = launcher.start(*BROKER_ARGS, data_dir=first.workdir / "data", port=first.port)
    assert {g: offset_fetch(second, g, topic, partitions) for g in offsets} == offsets
    assert {g: describe_group(second, g) for g in with_members} == described
    assert {g: v for g, v in list_groups(second).items() if g in with_members} == listed

    b = clients.consumer("r-b", empty, topic)
    more = produce(second, topic, values("two", partitions, 10))
    wait_consumed_and_committed(second, [a, b], empty, topic, records + more, partitions)
    wait_consumed_and_committed(second, [l], live, topic, records + more, partitions)
    end = now_us()
    b.stop()
    l.stop()
    history = History([a, b], end=end)
    assert history.check(records + more) == []
    assert history.duplicates() == 0
    # The live member kept its partitions through the restart: never a rebalance.
    assert (assigns(l), revokes(l)) == ([[0, 1, 2, 3]], [[0, 1, 2, 3]])
    assert History([l], end=end).check(records + more) == []


# A commit with generation -1 to a group that does not exist: as an admin client or a
# consumer with assign() does. Null metadata is stored as "", as Kafka does
# (OffsetAndMetadata.NO_METADATA).
COMMIT_ONLY_OFFSETS = [(7, 0, "seven", 0), (9, -1, "", 0), (11, -1, "", 0),
                       (13, 5, "m" * 100, 0)]


def commit_only(broker, group: str, topic: str) -> None:
    with broker.connect() as conn:
        wait_until(lambda: conn.call(kw.FIND_COORDINATOR, 3, {"key": group})["error_code"]
                   == kw.NONE, "the group coordinator", timeout=10)
        assert offset_commit(conn, group, -1, "", topic, {
            0: (7, "seven", 0), 1: (9, ""), 2: (11, None), 3: (13, "m" * 100, 5)}) == \
            {p: kw.NONE for p in range(4)}


def test_a_group_with_only_committed_offsets_is_still_listed_after_a_restart(launcher):
    first = launcher.start(*BROKER_ARGS)
    topic, group = "commit-only", "g-commit-only"
    create_topic(first, topic, 4)
    commit_only(first, group, topic)
    before = (list_groups(first).get(group), describe_group(first, group)["group_state"])
    assert before == (("", "Empty"), "Empty")
    assert first.stop() == 0
    second = launcher.start(*BROKER_ARGS, data_dir=first.workdir / "data", port=first.port)
    assert offset_fetch(second, group, topic, 4) == COMMIT_ONLY_OFFSETS
    assert (list_groups(second).get(group), describe_group(second, group)["group_state"]) \
        == before


def test_bad_commits_are_rejected_and_disturb_nothing(broker, clients):
    """Raw OffsetCommit and Heartbeat on behalf of a kafka-python member: a stale or
    future generation is ILLEGAL_GENERATION, an unknown member UNKNOWN_MEMBER_ID (also
    the generation-less commit of a group that has members), metadata over
    offset.metadata.max.bytes OFFSET_METADATA_TOO_LARGE for its partition alone. The
    member notices nothing and its offsets change only where a commit was valid."""
    topic, group, partitions = "bad", "g-bad", 3
    clients.bootstrap = broker.bootstrap
    create_topic(broker, topic, partitions)
    records = produce(broker, topic, values("one", partitions, 20))
    k = clients.consumer("bad-k", group, topic, lib="kafka-python")
    wait_settled([k], partitions, {"bad-k": 3})
    wait_consumed_and_committed(broker, [k], group, topic, records, partitions)
    (assigned,) = k.events("assign")
    generation, member = assigned["gen"], assigned["member"]
    before = offset_fetch(broker, group, topic, partitions)
    assert before == [(20, -1, "", 0)] * partitions

    two = {0: (5, "bad"), 1: (5, "bad")}
    too_big = "x" * (OFFSET_METADATA_MAX_BYTES + 1)
    fits = "y" * OFFSET_METADATA_MAX_BYTES
    with broker.connect() as conn:
        for gen, who, expected in [(generation - 1, member, ILLEGAL_GENERATION),
                                   (generation + 1, member, ILLEGAL_GENERATION),
                                   (generation, "no-such-member", UNKNOWN_MEMBER_ID),
                                   (generation - 1, "no-such-member", UNKNOWN_MEMBER_ID),
                                   (-1, "", UNKNOWN_MEMBER_ID)]:
            assert offset_commit(conn, group, gen, who, topic, two) == \
                {0: expected, 1: expected}, (gen, who)
        assert heartbeat(conn, group, generation - 1, member) == ILLEGAL_GENERATION
        assert heartbeat(conn, group, generation + 1, member) == ILLEGAL_GENERATION
        assert heartbeat(conn, group, generation, "no-such-member") == UNKNOWN_MEMBER_ID
        assert offset_fetch(broker, group, topic, partitions) == before
        # The generation is checked before the metadata.
        assert offset_commit(conn, group, generation - 1, member, topic,
                             {0: (20, too_big)}) == {0: ILLEGAL_GENERATION}
        assert offset_commit(conn, group, generation, member, topic,
                             {0: (20, too_big), 1: (20, fits)}) == \
            {0: OFFSET_METADATA_TOO_LARGE, 1: kw.NONE}
        assert heartbeat(conn, group, generation, member) == kw.NONE
    assert offset_fetch(broker, group, topic, partitions) == \
        [before[0], (20, -1, fits, 0), before[2]]
    g = describe_group(broker, group)
    assert (g["group_state"], [m["member_id"] for m in g["members"]]) == ("Stable", [member])

    more = produce(broker, topic, values("two", partitions, 5))
    wait_consumed_and_committed(broker, [k], group, topic, records + more, partitions)
    end = now_us()
    assert [e["ev"] for e in k.events() if e["ev"] not in ("rec", "commit")] == \
        ["revoke", "assign"]  # kafka-python revokes nothing before its first join
    k.stop()
    history = History([k], end=end)
    assert history.check(records + more) == []
    assert history.duplicates() == 0


def test_commits_during_a_rebalance_are_judged_by_the_generation(broker):
    """Kafka's rules while a second member joins: the current generation may still
    commit while the group waits for its members (PreparingRebalance; heartbeats say
    REBALANCE_IN_PROGRESS); once the join completes, the old generation is
    ILLEGAL_GENERATION, including for a commit queued on the connection behind the
    member's own JoinGroup (a connection's requests are served in order), and the new
    one is REBALANCE_IN_PROGRESS until SyncGroup."""
    topic, group = "rebalancing", "g-rebalancing"
    create_topic(broker, topic, 2)
    one, two = RawMember(broker, group, topic), RawMember(broker, group, topic)
    try:
        first = one.joined(one.send_join())
        assert (first["leader"], first["protocol_name"]) == (one.member_id, "range")
        assert one.sync({one.member_id: [0, 1]}) == {topic: [0, 1]}
        old = one.generation
        assert (one.commit(old, {0: (1, "a")}), one.heartbeat()) == ({0: kw.NONE}, kw.NONE)

        pending = two.send_join()  # waits for `one` to rejoin
        wait_until(lambda: one.heartbeat() == REBALANCE_IN_PROGRESS,
                   "REBALANCE_IN_PROGRESS on heartbeat")
        assert one.commit(old, {0: (2, "b")}) == {0: kw.NONE}  # still the generation
        rejoin = one.send_join()
        queued = one.send_commit(old, {1: (3, "c")})
        joined = one.joined(rejoin)
        assert one.committed(queued) == {1: ILLEGAL_GENERATION}
        assert two.joined(pending)["generation_id"] == joined["generation_id"] == old + 1
        assert one.commit(old, {0: (4, "d")}) == {0: ILLEGAL_GENERATION}
        assert one.commit(one.generation, {0: (4, "d")}) == {0: REBALANCE_IN_PROGRESS}
        assert one.sync({one.member_id: [0], two.member_id: [1]}) == {topic: [0]}
        assert two.sync({}) == {topic: [1]}
        assert one.commit(one.generation, {0: (5, "e")}) == {0: kw.NONE}
        assert offset_fetch(broker, group, topic, 2) == [(5, -1, "e", 0), (-1, -1, "", 0)]
    finally:
        one.close()
        two.close()


def test_admin_clients_list_describe_and_delete_groups_and_compute_lag(broker, clients):
    """confluent-kafka's AdminClient.list_groups (ListGroups, then DescribeGroups; the
    Debian 1.7.0 has no describe_consumer_groups) and kafka-python's admin client see
    the group, its members and their assignments; DeleteGroups refuses a group with
    members and deletes it once empty, offsets and all; the lag per partition (high
    watermark minus the committed offset) comes out exact from either client."""
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient
    from kafka import KafkaAdminClient, KafkaConsumer
    from kafka import TopicPartition as KafkaTopicPartition

    topic, group, partitions = "admin", "g-admin", 4
    clients.bootstrap = broker.bootstrap
    create_topic(broker, topic, partitions)
    records = produce(broker, topic, values("one", partitions, 25))
    a = clients.consumer("adm-a", group, topic)
    wait_settled([a], partitions, {"adm-a": 4})
    b = clients.consumer("adm-b", group, topic)
    owned = wait_settled([a, b], partitions, {"adm-a": 2, "adm-b": 2})
    wait_consumed_and_committed(broker, [a, b], group, topic, records, partitions)

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    listed = {g.id: g for g in admin.list_groups(timeout=10)}
    g = listed[group]
    assert (g.error, g.state, g.protocol_type, g.protocol) == \
        (None, "Stable", "consumer", "range")
    members = {m.client_id: m for m in g.members}
    assert sorted(members) == ["adm-a", "adm-b"]
    for name, m in members.items():
        # (client_host: see test_describe_groups_gives_the_client_host_as_kafka_does)
        assert decode_assignment(m.assignment) == {topic: sorted(owned[name])}
        r = kw.Reader(m.metadata)
        r.int16()
        assert r.array(lambda r2: r2.string()) == [topic]
    (only,) = admin.list_groups(group, timeout=10)
    assert (only.id, only.state, sorted(x.id for x in only.members)) == \
        (group, "Stable", sorted(x.id for x in g.members))

    ka = KafkaAdminClient(bootstrap_servers=broker.bootstrap, client_id="adm-admin")
    try:
        assert (group, "consumer") in ka.list_consumer_groups()
        (info,) = ka.describe_consumer_groups([group])
        assert (info.error_code, info.group, info.state, info.protocol_type,
                info.protocol) == (0, group, "Stable", "consumer", "range")
        assert sorted((m.client_id, sorted(m.member_assignment.assignment[0][1]))
                      for m in info.members) == \
            sorted((n, sorted(ps)) for n, ps in owned.items())
        refused = dict(ka.delete_consumer_groups([group, "g-never-was"]))
        assert {gid: e.errno for gid, e in refused.items()} == \
            {group: NON_EMPTY_GROUP, "g-never-was": GROUP_ID_NOT_FOUND}
        assert committed_offsets(broker, group, topic, partitions) == [25] * partitions

        a.stop()
        b.stop()
        assert list_groups(broker)[group] == ("consumer", "Empty")
        more = produce(broker, topic, {0: [f"lag-0-{i}" for i in range(10)],
                                       3: [f"lag-3-{i}" for i in range(20)]})
        lag = [10, 0, 0, 20]

        c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
        try:
            tps = [TopicPartition(topic, p) for p in range(partitions)]
            committed = [tp.offset for tp in c.committed(tps, timeout=10)]
            ends = [c.get_watermark_offsets(tp, timeout=10, cached=False)[1] for tp in tps]
        finally:
            c.close()
        assert [e - o for e, o in zip(ends, committed)] == lag

        stored = ka.list_consumer_group_offsets(group)
        kc = KafkaConsumer(bootstrap_servers=broker.bootstrap)
        try:
            ktps = [KafkaTopicPartition(topic, p) for p in range(partitions)]
            kends = kc.end_offsets(ktps)
        finally:
            kc.close()
        assert [kends[tp] - stored[tp].offset for tp in ktps] == lag

        assert {gid: e.errno for gid, e in ka.delete_consumer_groups([group])} == {group: 0}
    finally:
        ka.close()
    assert group not in list_groups(broker)
    assert offset_fetch(broker, group, topic, partitions) == [(-1, -1, "", 0)] * partitions
    assert len(records + more) == 130
    assert History([a, b]).check(records) == []


def test_describe_groups_gives_the_client_host_as_kafka_does(broker):
    topic, group = "host", "g-host"
    create_topic(broker, topic, 1)
    member = RawMember(broker, group, topic)
    try:
        member.joined(member.send_join())
        member.sync({member.member_id: [0]})
        (m,) = describe_group(broker, group)["members"]
        assert (m["member_id"], m["client_id"], m["client_host"]) == \
            (member.member_id, kw.DEFAULT_CLIENT_ID, "/127.0.0.1")
    finally:
        member.close()


def test_a_join_waiting_on_a_silent_member_does_not_hold_up_shutdown(launcher):
    """Regression: a JoinGroup that waits for a member which will never rejoin
    (its process died) kept the listener from stopping until the member's
    session ran out. On SIGTERM the waiting join is told NOT_COORDINATOR (it
    finds the coordinator again elsewhere) and the broker exits at once."""
    b = launcher.start(*BROKER_ARGS)
    create_topic(b, "shed-topic", 1)
    silent = RawMember(b, "shed-group", "shed-topic")
    silent.joined(silent.send_join())
    waiting = RawMember(b, "shed-group", "shed-topic")
    correlation_id = waiting.send_join()
    time.sleep(0.5)  # the join is parked, waiting for `silent` to rejoin
    started = time.monotonic()
    assert b.stop(signal.SIGTERM) == 0, b.describe()
    assert time.monotonic() - started < 4.0
    resp = kw.decode_body(kw.JOIN_GROUP, 5, waiting.conn.recv_response(
        kw.JOIN_GROUP, 5, correlation_id))
    assert resp["error_code"] == 16  # NOT_COORDINATOR
    silent.close()
    waiting.close()
