#!/usr/bin/env python3
"""Python clients' scenarios for the differential suite (contract: ../../README.md).

Runs under two interpreters, with two generations of clients:
- tests/compat/.venv: confluent-kafka 2.x (a current librdkafka) and
  kafka-python 3.x; scenario names start `confluent2.` and `kafkapython3.`;
- Debian's /usr/bin/python3: confluent-kafka 1.7 (librdkafka 2.0.2) and
  kafka-python 2.0.2, the old clients still in the wild; `confluent1.` and
  `kafkapython2.`.
A scenario needing an API the older client lacks is left out of its list.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

import confluent_kafka as ck
import kafka as kp
from confluent_kafka import admin as ck_admin
from kafka import errors as kp_errors

CK_MAJOR = int(ck.version()[0].split(".")[0])
KP_MAJOR = int(kp.__version__.split(".")[0])
CK = f"confluent{CK_MAJOR}"
KP = f"kafkapython{KP_MAJOR}"
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
WAIT_S = 30.0
# Timestamps the clients set are observed relative to this, so both brokers'
# runs (seconds apart) see the same numbers.
BASE_TS = (int(time.time()) // 3600 - 1) * 3600 * 1000

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import runner  # noqa: E402

SCENARIOS: dict[str, Callable[["Ctx"], Any]] = {}


def scenario(name: str, when: bool = True):
    def add(fn: Callable[["Ctx"], Any]) -> Callable[["Ctx"], Any]:
        if when:
            SCENARIOS[name] = fn
        return fn
    return add


class Ctx:
    def __init__(self, bootstrap: str, prefix: str, name: str) -> None:
        self.bootstrap = bootstrap
        self.base = f"{prefix}-{name.replace('.', '-')}"
        self._admin: Optional[ck_admin.AdminClient] = None

    def topic(self, suffix: str = "") -> str:
        return f"{self.base}-{suffix}" if suffix else self.base

    def admin(self) -> ck_admin.AdminClient:
        # One per scenario, kept alive: a client destroyed with requests in
        # flight fails their futures.
        if self._admin is None:
            self._admin = ck_admin.AdminClient({"bootstrap.servers": self.bootstrap})
        return self._admin

    def create(self, topic: str, partitions: int = 1, configs: Optional[dict] = None) -> None:
        fut = self.admin().create_topics(
            [ck_admin.NewTopic(topic, partitions, 1, config=configs or {})])[topic]
        fut.result(WAIT_S)
        wait_for_leaders(self, topic, partitions)


def wait_for_leaders(ctx: Ctx, topic: str, partitions: int) -> None:
    a = ctx.admin()
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        t = a.list_topics(topic, timeout=5).topics.get(topic)
        if t and t.error is None and len(t.partitions) == partitions and all(
                p.leader >= 0 for p in t.partitions.values()):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{topic} has no leaders")


def text(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("latin-1")


def rel_ts(ts: int) -> int:
    return ts - BASE_TS


def sample_records(n: int = 20) -> list[dict[str, Any]]:
    """Keys, null keys, null values, binary values, repeated and binary headers."""
    out = []
    for i in range(n):
        out.append({
            "key": None if i % 5 == 4 else f"k{i}".encode(),
            "value": None if i % 7 == 6 else (bytes([0, 255, i]) + b"v" * i),
            "headers": [("h", b"1"), ("h", b"2"), ("bin", bytes([0, 1, 255]))] if i % 3 == 0 else [],
            "ts": BASE_TS + i * 10,
        })
    return out


def poll_until(poll: Callable[[], None], done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the group did not get there in time")
        poll()


def all_assigned(assignments: list, partitions: int) -> bool:
    """Every member has partitions, and together they have each exactly once."""
    owned = sorted(tp.partition for a in assignments for tp in a)
    return all(assignments) and owned == list(range(partitions))


def ck_err(e: Optional[ck.KafkaError]) -> Optional[str]:
    return None if e is None else e.name()


def kp_name(e: BaseException) -> str:
    return type(e).__name__


# --------------------------------------------------------------------------
# confluent-kafka
# --------------------------------------------------------------------------

def ck_produce(ctx: Ctx, topic: str, records: list[dict], conf: dict, partition: int = 0) -> list:
    reports: list = []
    p = ck.Producer({"bootstrap.servers": ctx.bootstrap, "enable.idempotence": False,
                     "linger.ms": 5, **conf})
    for r in records:
        p.produce(topic, r["value"], r["key"], partition=partition, headers=r["headers"] or None,
                  timestamp=r["ts"],
                  on_delivery=lambda err, msg: reports.append(
                      {"error": ck_err(err), "partition": msg.partition(), "offset": msg.offset()}))
    left = p.flush(WAIT_S)
    assert left == 0, f"{left} records undelivered"
    return reports


def ck_read(ctx: Ctx, topic: str, count: int, partition: int = 0, start: int = ck.OFFSET_BEGINNING,
            isolation: str = "read_uncommitted") -> list:
    c = ck.Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": f"{ctx.base}-reader",
                     "enable.auto.commit": False, "enable.partition.eof": True,
                     "isolation.level": isolation})
    c.assign([ck.TopicPartition(topic, partition, start)])
    out, deadline = [], time.monotonic() + WAIT_S
    try:
        while len(out) < count and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is None or (m.error() and m.error().code() == ck.KafkaError._PARTITION_EOF):
                continue
            assert m.error() is None, m.error()
            ts_type, ts = m.timestamp()
            out.append({"partition": m.partition(), "offset": m.offset(), "key": text(m.key()),
                        "value": text(m.value()),
                        "headers": [[k, text(v)] for k, v in (m.headers() or [])],
                        "timestamp_type": ts_type, "timestamp": rel_ts(ts)})
    finally:
        c.close()
    return out


@scenario(f"{CK}.producer.codecs")
def ck_codecs(ctx: Ctx) -> Any:
    seen = {}
    for codec in CODECS:
        topic = ctx.topic(codec)
        ctx.create(topic)
        records = sample_records()
        seen[codec] = {
            "delivered": ck_produce(ctx, topic, records, {"acks": "all", "compression.type": codec}),
            "read": ck_read(ctx, topic, len(records)),
        }
    return seen


@scenario(f"{CK}.producer.acks")
def ck_acks(ctx: Ctx) -> Any:
    seen = {}
    for acks in ("0", "1", "all"):
        topic = ctx.topic(f"acks{acks}")
        ctx.create(topic)
        delivered = ck_produce(ctx, topic, sample_records(5), {"acks": acks})
        c = ck.Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": ctx.base})
        tp = ck.TopicPartition(topic, 0)
        marks = list(c.get_watermark_offsets(tp, WAIT_S))
        if acks == "0":
            # Delivered means sent: the broker may append after another
            # connection's ListOffsets (Kafka did, once). Until it lands.
            deadline = time.monotonic() + WAIT_S
            while marks[1] < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
                marks = list(c.get_watermark_offsets(tp, WAIT_S))
        seen[acks] = {"delivered": delivered, "watermarks": marks}
        c.close()
    return seen


@scenario(f"{CK}.producer.errors")
def ck_producer_errors(ctx: Ctx) -> Any:
    small = ctx.topic("small")
    ctx.create(small, configs={"max.message.bytes": "1000"})
    big = [{"key": b"k", "value": b"x" * 4000, "headers": [], "ts": BASE_TS}]
    ok = [{"key": b"k", "value": b"x" * 10, "headers": [], "ts": BASE_TS}]
    future = [{"key": b"k", "value": b"y", "headers": [], "ts": int(time.time() * 1000) + 86_400_000}]
    conf = {"acks": "all", "retries": 0, "message.timeout.ms": 10000}
    seen = {"too_large": ck_produce(ctx, small, big, conf),
            "fits": ck_produce(ctx, small, ok, conf),
            "future_timestamp": ck_produce(ctx, small, future, conf)}
    try:
        seen["unknown_partition"] = ck_produce(ctx, small, ok, {**conf, "message.timeout.ms": 3000},
                                               partition=5)
    except ck.KafkaException as e:
        seen["unknown_partition"] = ck_err(e.args[0])
    c = ck.Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": ctx.base})
    seen["watermarks"] = list(c.get_watermark_offsets(ck.TopicPartition(small, 0), WAIT_S))
    c.close()
    return seen


def ck_group_run(ctx: Ctx, strategy: str) -> Any:
    topic = ctx.topic()
    ctx.create(topic, 4)
    group = f"{ctx.base}-g"
    conf = {"bootstrap.servers": ctx.bootstrap, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "partition.assignment.strategy": strategy,
            "session.timeout.ms": 10000, "heartbeat.interval.ms": 500}
    members = [ck.Consumer(conf), ck.Consumer(conf)]
    for m in members:
        m.subscribe([topic])
    got: set[tuple[int, int]] = set()
    dupes = 0

    def poll_all() -> None:
        nonlocal dupes
        for m in members:
            msg = m.poll(0.1)
            if msg is not None and msg.error() is None:
                dupes += (msg.partition(), msg.offset()) in got
                got.add((msg.partition(), msg.offset()))

    # The group settles first, so every record is read once, by its owner.
    poll_until(poll_all, lambda: all_assigned([m.assignment() for m in members], 4))
    for p in range(4):
        ck_produce(ctx, topic, sample_records(10), {"acks": "all"}, partition=p)
    poll_until(poll_all, lambda: len(got) == 40)
    assignments = sorted(sorted(tp.partition for tp in m.assignment()) for m in members)
    if strategy == "cooperative-sticky":
        # Which partitions move to a later joiner depends on when it joined;
        # the balance and the coverage do not.
        assignments = {"sizes": sorted(map(len, assignments)),
                       "all": sorted(p for a in assignments for p in a)}
    for m in members:
        m.commit(asynchronous=False)
    committed = sorted((tp.partition, tp.offset) for tp in members[0].committed(
        [ck.TopicPartition(topic, p) for p in range(4)], WAIT_S))
    groups = ctx.admin().list_groups(group, timeout=WAIT_S)
    described = [{"state": g.state, "protocol_type": g.protocol_type, "protocol": g.protocol,
                  "members": len(g.members)} for g in groups]
    for m in members:
        m.close()
    after = [{"state": g.state, "members": len(g.members)}
             for g in ctx.admin().list_groups(group, timeout=WAIT_S)]
    return {"consumed": len(got), "duplicates": dupes, "assignments": assignments,
            "committed": committed, "group": described, "after_close": after}


@scenario(f"{CK}.consumer.group_range")
def ck_group_range(ctx: Ctx) -> Any:
    return ck_group_run(ctx, "range")


@scenario(f"{CK}.consumer.group_cooperative")
def ck_group_coop(ctx: Ctx) -> Any:
    return ck_group_run(ctx, "cooperative-sticky")


@scenario(f"{CK}.consumer.offsets")
def ck_offsets(ctx: Ctx) -> Any:
    topic = ctx.topic()
    ctx.create(topic)
    ck_produce(ctx, topic, sample_records(10), {"acks": "all"})
    c = ck.Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": f"{ctx.base}-g",
                     "enable.auto.commit": False})
    tp = lambda off: ck.TopicPartition(topic, 0, off)  # noqa: E731
    seen: dict[str, Any] = {"watermarks": list(c.get_watermark_offsets(tp(0), WAIT_S))}
    times = c.offsets_for_times([tp(BASE_TS + 35), tp(BASE_TS), tp(BASE_TS + 10_000)], WAIT_S)
    seen["offsets_for_times"] = [t.offset for t in times]
    seen["committed_before"] = [t.offset for t in c.committed([tp(0)], WAIT_S)]
    c.assign([tp(7)])
    m = c.poll(WAIT_S)
    seen["first_after_seek"] = m.offset() if m else None
    c.seek(tp(2))
    m = c.poll(WAIT_S)
    seen["after_second_seek"] = m.offset() if m else None
    c.commit(offsets=[tp(3)], asynchronous=False)
    seen["committed_after"] = [t.offset for t in c.committed([tp(0)], WAIT_S)]
    c.close()
    return seen


@scenario(f"{CK}.consumer.out_of_range")
def ck_out_of_range(ctx: Ctx) -> Any:
    topic = ctx.topic()
    ctx.create(topic)
    ck_produce(ctx, topic, sample_records(10), {"acks": "all"})
    seen = {}
    for reset in ("error", "earliest", "latest"):
        c = ck.Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": f"{ctx.base}-{reset}",
                         "auto.offset.reset": reset, "enable.partition.eof": True})
        c.assign([ck.TopicPartition(topic, 0, 1000)])
        outcome = None
        deadline = time.monotonic() + WAIT_S
        while outcome is None and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is None:
                continue
            outcome = {"error": ck_err(m.error()), "offset": m.offset()}
        seen[reset] = outcome
        c.close()
    return seen


def ck_results(futures: dict) -> dict:
    out = {}
    for key, fut in sorted(futures.items(), key=lambda kv: str(kv[0])):
        try:
            fut.result(WAIT_S)
            out[str(key)] = None
        except ck.KafkaException as e:
            out[str(key)] = ck_err(e.args[0])
    return out


@scenario(f"{CK}.txn.commit_and_abort")
def ck_txn_commit_and_abort(ctx: Ctx) -> Any:
    """A transactional producer: committed, aborted, committed; read both ways."""
    topic = ctx.topic()
    ctx.create(topic)
    p = ck.Producer({"bootstrap.servers": ctx.bootstrap, "transactional.id": f"{ctx.base}-id",
                     "linger.ms": 5})
    p.init_transactions(WAIT_S)
    for i, (values, commit) in enumerate(((["c0", "c1"], True), (["a0"], False), (["d0"], True))):
        p.begin_transaction()
        for v in values:
            p.produce(topic, v.encode(), partition=0, timestamp=BASE_TS + i)
        assert p.flush(WAIT_S) == 0
        if commit:
            p.commit_transaction(WAIT_S)
        else:
            p.abort_transaction(WAIT_S)
    return {"read_committed": ck_read(ctx, topic, 3, isolation="read_committed"),
            "read_uncommitted": ck_read(ctx, topic, 4)}


@scenario(f"{CK}.admin.topics")
def ck_admin_topics(ctx: Ctx) -> Any:
    a = ctx.admin()
    t = ctx.topic
    ok = a.create_topics([ck_admin.NewTopic(t("ok"), 3, 1, config={"cleanup.policy": "compact"})])
    seen: dict[str, Any] = {"create": ck_results(ok)}
    wait_for_leaders(ctx, t("ok"), 3)
    bad = [ck_admin.NewTopic(t("ok"), 1, 1), ck_admin.NewTopic(t("zero"), 0, 1),
           ck_admin.NewTopic(t("rf3"), 1, 3),
           ck_admin.NewTopic(t("badcfg"), 1, 1, config={"cleanup.policy": "sometimes"}),
           ck_admin.NewTopic(t("unknowncfg"), 1, 1, config={"no.such.config": "1"})]
    seen["create_errors"] = ck_results(a.create_topics(bad))
    seen["validate_only"] = ck_results(a.create_topics([ck_admin.NewTopic(t("v"), 2, 1)],
                                                       validate_only=True))
    listed = a.list_topics(timeout=WAIT_S).topics
    seen["listed"] = sorted([name, len(md.partitions)] for name, md in listed.items()
                            if name.startswith(ctx.base))
    seen["grow"] = ck_results(a.create_partitions([ck_admin.NewPartitions(t("ok"), 5)]))
    seen["shrink"] = ck_results(a.create_partitions([ck_admin.NewPartitions(t("ok"), 2)]))
    seen["same"] = ck_results(a.create_partitions([ck_admin.NewPartitions(t("ok"), 5)]))
    seen["grow_unknown"] = ck_results(a.create_partitions([ck_admin.NewPartitions(t("nope"), 5)]))
    seen["delete"] = ck_results(a.delete_topics([t("ok"), t("nope")]))
    return seen


CONFIG_KEYS = ("cleanup.policy", "retention.ms", "segment.bytes", "max.message.bytes",
               "compression.type", "message.timestamp.type", "min.insync.replicas")


def ck_describe_topic_configs(a: ck_admin.AdminClient, topic: str) -> Any:
    res = ck_admin.ConfigResource(ck_admin.ConfigResource.Type.TOPIC, topic)
    try:
        entries = a.describe_configs([res])[res].result(WAIT_S)
    except ck.KafkaException as e:
        return ck_err(e.args[0])
    return {k: {"value": entries[k].value, "source": entries[k].source,
                "read_only": entries[k].is_read_only, "sensitive": entries[k].is_sensitive}
            for k in CONFIG_KEYS if k in entries}


def ck_describe_settled(a: ck_admin.AdminClient, topic: str, key: str, before: Any) -> Any:
    """The topic's configs once `key` no longer reads `before` (or after 5 s).

    Kafka applies a config change through its metadata log and answers
    DescribeConfigs from the broker's copy, so a read right after a write may
    still see the old value; a client that waits sees the new one.
    """
    deadline = time.monotonic() + 5
    while True:
        seen = ck_describe_topic_configs(a, topic)
        if not isinstance(seen, dict) or seen.get(key) != before or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


@scenario(f"{CK}.admin.configs")
def ck_admin_configs(ctx: Ctx) -> Any:
    a = ctx.admin()
    topic = ctx.topic()
    ctx.create(topic, configs={"retention.ms": "3600000"})
    seen = {"described": ck_describe_topic_configs(a, topic),
            "unknown_topic": ck_describe_topic_configs(a, ctx.topic("nope"))}
    res = ck_admin.ConfigResource(ck_admin.ConfigResource.Type.TOPIC, topic,
                                  set_config={"segment.bytes": "1048576"})
    seen["alter"] = ck_results({"alter": a.alter_configs([res])[res]})
    seen["after_alter"] = ck_describe_settled(a, topic, "segment.bytes",
                                              seen["described"]["segment.bytes"])
    bad = ck_admin.ConfigResource(ck_admin.ConfigResource.Type.TOPIC, topic,
                                  set_config={"retention.ms": "soon"})
    seen["alter_invalid"] = ck_results({"alter": a.alter_configs([bad])[bad]})
    if hasattr(a, "incremental_alter_configs"):
        entry = ck_admin.ConfigEntry("cleanup.policy", "compact",
                                     incremental_operation=ck_admin.AlterConfigOpType.APPEND)
        res = ck_admin.ConfigResource(ck_admin.ConfigResource.Type.TOPIC, topic,
                                      incremental_configs=[entry])
        seen["incremental_append"] = ck_results({"alter": a.incremental_alter_configs([res])[res]})
        seen["after_append"] = ck_describe_settled(a, topic, "cleanup.policy",
                                                   seen["after_alter"]["cleanup.policy"])
        delete = ck_admin.ConfigEntry("segment.bytes", None,
                                      incremental_operation=ck_admin.AlterConfigOpType.DELETE)
        res = ck_admin.ConfigResource(ck_admin.ConfigResource.Type.TOPIC, topic,
                                      incremental_configs=[delete])
        seen["incremental_delete"] = ck_results({"alter": a.incremental_alter_configs([res])[res]})
        seen["after_delete"] = ck_describe_settled(a, topic, "segment.bytes",
                                                   seen["after_append"]["segment.bytes"])
    return seen


@scenario(f"{CK}.admin.all_topic_configs")
def ck_all_topic_configs(ctx: Ctx) -> Any:
    """Every config a topic has, with its synonyms: tools list and set them all."""
    a = ctx.admin()
    topic = ctx.topic()
    ctx.create(topic, configs={"retention.ms": "3600000", "flush.messages": "10"})
    res = ck_admin.ConfigResource(ck_admin.ConfigResource.Type.TOPIC, topic)
    entries = a.describe_configs([res], request_timeout=WAIT_S)[res].result(WAIT_S)
    return {name: {"value": e.value, "source": e.source, "read_only": e.is_read_only,
                   "sensitive": e.is_sensitive,
                   "synonyms": [[s.name, s.value, s.source] for s in e.synonyms.values()]}
            for name, e in sorted(entries.items())}


@scenario(f"{CK}.admin.offsets_and_records", when=CK_MAJOR >= 2)
def ck_admin_offsets(ctx: Ctx) -> Any:
    a = ctx.admin()
    topic = ctx.topic()
    ctx.create(topic)
    ck_produce(ctx, topic, sample_records(10), {"acks": "all"})
    tp = ck.TopicPartition(topic, 0)
    specs = {"earliest": ck_admin.OffsetSpec.earliest(), "latest": ck_admin.OffsetSpec.latest(),
             "max_timestamp": ck_admin.OffsetSpec.max_timestamp(),
             "at_35": ck_admin.OffsetSpec.for_timestamp(BASE_TS + 35)}
    seen: dict[str, Any] = {}
    for name, spec in specs.items():
        r = a.list_offsets({tp: spec})[tp].result(WAIT_S)
        seen[name] = r.offset
    deleted = a.delete_records([ck.TopicPartition(topic, 0, 4)])
    seen["delete_records"] = [r.low_watermark for r in (f.result(WAIT_S) for f in deleted.values())] \
        if isinstance(deleted, dict) else None
    try:
        a.delete_records([ck.TopicPartition(topic, 0, 50)])[ck.TopicPartition(topic, 0, 50)].result(WAIT_S)
        seen["delete_beyond"] = None
    except ck.KafkaException as e:
        seen["delete_beyond"] = ck_err(e.args[0])
    seen["earliest_after"] = a.list_offsets({tp: ck_admin.OffsetSpec.earliest()})[tp].result(WAIT_S).offset
    return seen


@scenario(f"{CK}.admin.cluster", when=CK_MAJOR >= 2)
def ck_admin_cluster(ctx: Ctx) -> Any:
    a = ctx.admin()
    topic = ctx.topic()
    ctx.create(topic, 2)
    d = a.describe_cluster().result(WAIT_S)
    seen: dict[str, Any] = {"nodes": sorted(n.id for n in d.nodes), "controller": d.controller.id}
    tc = ck.TopicCollection([topic, ctx.topic("nope")])
    for name, fut in sorted(a.describe_topics(tc).items()):
        try:
            t = fut.result(WAIT_S)
            seen[name.removeprefix(ctx.base)] = {
                "internal": t.is_internal,
                "partitions": [[p.id, p.leader.id, [r.id for r in p.replicas], [r.id for r in p.isr]]
                               for p in t.partitions]}
        except ck.KafkaException as e:
            seen[name.removeprefix(ctx.base)] = ck_err(e.args[0])
    return seen


@scenario(f"{CK}.admin.groups", when=CK_MAJOR >= 2)
def ck_admin_groups(ctx: Ctx) -> Any:
    a = ctx.admin()
    topic = ctx.topic()
    ctx.create(topic, 2)
    ck_produce(ctx, topic, sample_records(6), {"acks": "all"})
    empty, live = f"{ctx.base}-empty", f"{ctx.base}-live"
    res = a.alter_consumer_group_offsets([ck.ConsumerGroupTopicPartitions(
        empty, [ck.TopicPartition(topic, 0, 3), ck.TopicPartition(topic, 1, 0)])])
    seen: dict[str, Any] = {"alter_empty": ck_results(res)}
    c = ck.Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": live,
                     "auto.offset.reset": "earliest", "session.timeout.ms": 10000})
    c.subscribe([topic])
    deadline = time.monotonic() + WAIT_S
    while not c.assignment() and time.monotonic() < deadline:
        c.poll(0.1)
    c.commit(offsets=[ck.TopicPartition(topic, 0, 2)], asynchronous=False)
    listed = a.list_consumer_group_offsets([ck.ConsumerGroupTopicPartitions(empty)])
    seen["offsets_empty"] = {g: sorted((t.partition, t.offset) for t in f.result(WAIT_S).topic_partitions)
                             for g, f in listed.items()}
    described = a.describe_consumer_groups([empty, live])
    seen["describe"] = {}
    for g, f in sorted(described.items()):
        d = f.result(WAIT_S)
        seen["describe"][g.removeprefix(ctx.base)] = {
            "state": str(d.state), "simple": d.is_simple_consumer_group,
            "assignor": d.partition_assignor,
            "members": sorted(sorted(tp.partition for tp in m.assignment.topic_partitions)
                              for m in d.members)}
    res = a.alter_consumer_group_offsets([ck.ConsumerGroupTopicPartitions(
        live, [ck.TopicPartition(topic, 0, 1)])])
    seen["alter_live"] = ck_results(res)
    seen["delete"] = ck_results(a.delete_consumer_groups([empty, live, f"{ctx.base}-nope"]))
    c.close()
    seen["delete_after_close"] = ck_results(a.delete_consumer_groups([live]))
    return seen


# --------------------------------------------------------------------------
# kafka-python
# --------------------------------------------------------------------------

def kp_producer(ctx: Ctx, **conf: Any) -> kp.KafkaProducer:
    return kp.KafkaProducer(bootstrap_servers=ctx.bootstrap, **conf)


def kp_send(p: kp.KafkaProducer, topic: str, records: list[dict], partition: int = 0) -> list:
    futures = [p.send(topic, value=r["value"], key=r["key"], partition=partition,
                      headers=r["headers"], timestamp_ms=r["ts"]) for r in records]
    p.flush(WAIT_S)
    out = []
    for f in futures:
        try:
            md = f.get(WAIT_S)
            out.append({"partition": md.partition, "offset": md.offset})
        except kp_errors.KafkaError as e:
            out.append({"error": kp_name(e)})
    return out


def kp_read(ctx: Ctx, topic: str, count: int, partition: int = 0) -> list:
    c = kp.KafkaConsumer(bootstrap_servers=ctx.bootstrap, enable_auto_commit=False,
                         consumer_timeout_ms=2000)
    tp = kp.TopicPartition(topic, partition)
    c.assign([tp])
    c.seek_to_beginning(tp)
    out, deadline = [], time.monotonic() + WAIT_S
    while len(out) < count and time.monotonic() < deadline:
        for batch in c.poll(200).values():
            for m in batch:
                out.append({"partition": m.partition, "offset": m.offset, "key": text(m.key),
                            "value": text(m.value),
                            "headers": [[k, text(v)] for k, v in (m.headers or [])],
                            "timestamp_type": m.timestamp_type, "timestamp": rel_ts(m.timestamp)})
    c.close()
    return out


@scenario(f"{KP}.producer.codecs")
def kp_codecs(ctx: Ctx) -> Any:
    seen = {}
    for codec in CODECS:
        topic = ctx.topic(codec)
        ctx.create(topic)
        p = kp_producer(ctx, acks="all", linger_ms=5,
                        compression_type=None if codec == "none" else codec)
        records = sample_records()
        seen[codec] = {"sent": kp_send(p, topic, records), "read": kp_read(ctx, topic, len(records))}
        p.close()
    return seen


@scenario(f"{KP}.producer.errors")
def kp_producer_errors(ctx: Ctx) -> Any:
    topic = ctx.topic()
    ctx.create(topic, configs={"max.message.bytes": "1000"})
    p = kp_producer(ctx, acks="all", retries=0, max_block_ms=5000)
    seen = {
        "too_large": kp_send(p, topic, [{"key": b"k", "value": b"x" * 4000, "headers": [], "ts": BASE_TS}]),
        "future_timestamp": kp_send(p, topic, [{"key": b"k", "value": b"y", "headers": [],
                                                "ts": int(time.time() * 1000) + 86_400_000}]),
        "fits": kp_send(p, topic, [{"key": b"k", "value": b"z", "headers": [], "ts": BASE_TS}]),
    }
    try:
        kp_send(p, topic, [{"key": b"k", "value": b"z", "headers": [], "ts": BASE_TS}], partition=5)
        seen["unknown_partition"] = None
    except (kp_errors.KafkaError, AssertionError, ValueError) as e:
        seen["unknown_partition"] = kp_name(e)
    p.close()
    return seen


@scenario(f"{KP}.producer.default_config", when=KP_MAJOR >= 3)
def kp_default_producer(ctx: Ctx) -> Any:
    """kafka-python 3 is idempotent by default, as the Java client is."""
    topic = ctx.topic()
    ctx.create(topic)
    try:
        p = kp.KafkaProducer(bootstrap_servers=ctx.bootstrap, max_block_ms=5000,
                             request_timeout_ms=5000)
        sent = kp_send(p, topic, sample_records(3))
        p.close(timeout=5)
    except kp_errors.KafkaError as e:
        sent = kp_name(e)
    return {"sent": sent, "read": kp_read(ctx, topic, 3)}


@scenario(f"{KP}.consumer.group")
def kp_group(ctx: Ctx) -> Any:
    topic = ctx.topic()
    ctx.create(topic, 4)
    group = f"{ctx.base}-g"
    members = [kp.KafkaConsumer(bootstrap_servers=ctx.bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                session_timeout_ms=10000, heartbeat_interval_ms=500)
               for _ in range(2)]
    for m in members:
        # kafka-python 3.0.12 loses an assignment when a leader's rejoin for
        # new metadata outlasts a poll (need_rejoin() turns false once the
        # rejoin is prepared, so the finished join is never collected): the
        # topic's metadata comes first, so the first assignment is complete.
        assert m.partitions_for_topic(topic) == {0, 1, 2, 3}
        m.subscribe([topic])
    got: set[tuple[int, int]] = set()
    dupes = 0
    lock = threading.Lock()
    stop = threading.Event()
    commit_now = threading.Event()
    committed_by = [False] * len(members)

    def poll_loop(i: int, m: kp.KafkaConsumer) -> None:
        # One thread per member, as applications run them: a member polled
        # only between another's polls can miss its rejoin.
        nonlocal dupes
        while not stop.is_set():
            for batch in m.poll(100).values():
                with lock:
                    for r in batch:
                        dupes += (r.partition, r.offset) in got
                        got.add((r.partition, r.offset))
            if commit_now.is_set() and not committed_by[i]:
                # Committed from the poll loop, as applications do: a rebalance
                # still finishing completes in the next poll, then it is retried.
                try:
                    m.commit()
                    committed_by[i] = True
                except (kp_errors.RebalanceInProgressError, kp_errors.CommitFailedError):
                    pass

    threads = [threading.Thread(target=poll_loop, args=(i, m), daemon=True)
               for i, m in enumerate(members)]
    for t in threads:
        t.start()
    wait = lambda: time.sleep(0.05)  # noqa: E731
    # The group settles first, so every record is read once, by its owner.
    try:
        poll_until(wait, lambda: all_assigned([m.assignment() for m in members], 4))
        p = kp_producer(ctx, acks="all")
        for part in range(4):
            kp_send(p, topic, sample_records(5), partition=part)
        p.close()
        poll_until(wait, lambda: len(got) == 20)
        commit_now.set()
        poll_until(wait, lambda: all(committed_by))
    finally:
        stop.set()
        for t in threads:
            t.join(WAIT_S)
    assignments = sorted(sorted(tp.partition for tp in m.assignment()) for m in members)
    committed = [members[0].committed(kp.TopicPartition(topic, part)) for part in range(4)]
    for m in members:
        m.close()
    return {"consumed": len(got), "duplicates": dupes, "assignments": assignments,
            "committed": committed}


@scenario(f"{KP}.consumer.offsets")
def kp_offsets(ctx: Ctx) -> Any:
    topic = ctx.topic()
    ctx.create(topic)
    p = kp_producer(ctx, acks="all")
    kp_send(p, topic, sample_records(10))
    p.close()
    c = kp.KafkaConsumer(bootstrap_servers=ctx.bootstrap, group_id=f"{ctx.base}-g",
                         enable_auto_commit=False)
    tp = kp.TopicPartition(topic, 0)
    c.assign([tp])
    found = c.offsets_for_times({tp: BASE_TS + 35})
    beyond = c.offsets_for_times({tp: BASE_TS + 10_000})
    seen: dict[str, Any] = {
        "beginning": c.beginning_offsets([tp])[tp], "end": c.end_offsets([tp])[tp],
        "for_times": found[tp].offset if found[tp] else None,
        "for_times_beyond": beyond[tp].offset if beyond[tp] else None,
        "committed_before": c.committed(tp),
    }
    c.seek(tp, 6)
    records = c.poll(WAIT_S * 1000, max_records=1)
    seen["after_seek"] = [r.offset for b in records.values() for r in b]
    seen["position"] = c.position(tp)
    c.commit({tp: kp.OffsetAndMetadata(4, "meta", -1) if KP_MAJOR >= 3 else kp.OffsetAndMetadata(4, "meta")})
    seen["committed_after"] = c.committed(tp)
    c.close()
    return seen


def kp_admin(ctx: Ctx):
    return kp.KafkaAdminClient(bootstrap_servers=ctx.bootstrap)


def kp_create(a, name: str, partitions: int, rf: int, configs: Optional[dict] = None,
              validate_only: bool = False) -> Optional[str]:
    """The error name a topic creation got, or None."""
    from kafka.admin import NewTopic
    try:
        r = a.create_topics([NewTopic(name, partitions, rf, topic_configs=configs or {})],
                            validate_only=validate_only)
    except kp_errors.KafkaError as e:
        return kp_name(e)
    if KP_MAJOR < 3:  # 2.0.2 answers the response and raises nothing
        code = r.topic_errors[0][1]
        return None if code == 0 else kp_errors.for_code(code).__name__
    return None


@scenario(f"{KP}.admin.topics")
def kp_admin_topics(ctx: Ctx) -> Any:
    a = kp_admin(ctx)
    t = ctx.topic
    seen: dict[str, Any] = {"create": kp_create(a, t("ok"), 2, 1, {"cleanup.policy": "compact"})}
    wait_for_leaders(ctx, t("ok"), 2)
    seen["exists"] = kp_create(a, t("ok"), 2, 1)
    seen["zero_partitions"] = kp_create(a, t("zero"), 0, 1)
    seen["rf3"] = kp_create(a, t("rf3"), 1, 3)
    seen["bad_config"] = kp_create(a, t("bad"), 1, 1, {"cleanup.policy": "sometimes"})
    seen["validate_only"] = kp_create(a, t("v"), 1, 1, validate_only=True)
    seen["listed"] = sorted(n for n in a.list_topics() if n.startswith(ctx.base))
    try:
        a.delete_topics([t("nope")])
        seen["delete_unknown"] = None
    except kp_errors.KafkaError as e:
        seen["delete_unknown"] = kp_name(e)
    a.close()
    return seen


# --------------------------------------------------------------------------

def run(name: str, bootstrap: str, prefix: str) -> dict[str, Any]:
    try:
        return {"scenario": name, "observations": SCENARIOS[name](Ctx(bootstrap, prefix, name))}
    except Exception as e:  # reported, and the run goes on
        traceback.print_exc()
        return {"scenario": name, "failed": f"{type(e).__name__}: {e}"}


if __name__ == "__main__":
    sys.exit(runner.main(__doc__, SCENARIOS, run, "py"))
