"""npm's Kafka clients against atolld: kafkajs 2.2.4 and @platformatic/kafka 1.35.0
(tests/node/package.json pins both; the latter speaks the newest flexible versions).

Each client produces records with keys, headers and explicit timestamps, uncompressed
and with gzip, then runs the admin calls it offers that the broker serves: create,
list, describe and delete topics, add partitions, topic offsets (by timestamp too),
describe and alter configs, delete records. The test generates the records (with
test_data_path's generator) and knows each one's offset; a node script
(tests/node/*_client.*) produces them, runs the calls and prints every call's outcome as
JSON; the records are read back with confluent-kafka outside any group (assign), record
by record. Both clients consume only through groups, which the consumer-group tests
cover.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest

import kafka_wire as kw
from conftest import REPO_ROOT
from test_data_path import (CONSUME_ALL_SCRIPT, CONSUME_TIMEOUT_S, TIMESTAMP_CREATE_TIME,
                            Record, assert_consumed_exactly, counts_by_partition,
                            first_offset_at_or_after, make_records, metadata_partitions,
                            records_to_json, run_client, seen_from_json)

NODE_DIR = REPO_ROOT / "tests" / "node"
NODE_TIMEOUT_S = 60.0
# A deleted or unknown topic must stay unknown when a client asks for its metadata
# (kafkajs asks with allowAutoTopicCreation).
BROKER_ARGS = ("--set", "auto.create.topics.enable=false")

RECORDS_PER_CODEC = 1000
CODECS = ["none", "gzip"]
PARTITIONS = 3
BATCH = 100  # records per send: one Produce request, one batch per partition
GROW_TO = 3  # partitions of the "grow" topic after CreatePartitions (from 1)
TRIM_RECORDS = 10
TRIM_BEFORE = 4
RETENTION_MS = "86400000"  # the records topic's one explicit config

# Kafka's config resources, sources and types (DescribeConfigs)
TOPIC_RESOURCE, BROKER_RESOURCE = 2, 4
TOPIC_CONFIG = 1
DEFAULT_CONFIG = 5
INT, LONG, LIST = 3, 5, 7
INVALID_PARTITIONS = 37
TOPIC_ALREADY_EXISTS = 36
INVALID_CONFIG = 40
# Broker defaults the describe calls see.
DEFAULTS = {"cleanup.policy": "delete", "retention.ms": "604800000",
            "segment.bytes": "1073741824", "segment.ms": "604800000"}


# --- records and expectations --------------------------------------------------------


def client_records(n: int, partitions: int, seed: str, *,
                   kafkajs_headers: bool) -> list[Record]:
    """kafkajs cannot send a null header value and takes headers as an object, so a
    repeated name comes out next to its first use: its records keep repeated names
    together."""
    records = make_records(n, partitions, seed=seed, null_header_values=not kafkajs_headers)
    if kafkajs_headers:
        records = [dataclasses.replace(r, headers=grouped(r.headers)) for r in records]
    return records


def grouped(headers: tuple) -> tuple:
    order = list(dict.fromkeys(name for name, _ in headers))
    return tuple(h for name in order for h in headers if h[0] == name)


def by_codec(records: list[Record]) -> list[tuple[str, list[Record]]]:
    """RECORDS_PER_CODEC records per codec, in that order."""
    n = RECORDS_PER_CODEC
    return [(codec, records[i * n:(i + 1) * n]) for i, codec in enumerate(CODECS)]


def expected_batch_offsets(records: list[Record]) -> dict[str, list[list[list[int]]]]:
    """Per codec, per send of BATCH records: [partition, base offset] of each batch."""
    next_offset = [0] * PARTITIONS
    out = {}
    for codec, recs in by_codec(records):
        sends = []
        for i in range(0, len(recs), BATCH):
            chunk = recs[i:i + BATCH]
            sends.append([[p, next_offset[p]] for p in sorted({r.partition for r in chunk})])
            for r in chunk:
                next_offset[r.partition] += 1
        out[codec] = sends
    return out


def time_targets(records: list[Record]) -> list[int]:
    """Timestamps to look offsets up by: before everything, a middle record's exactly and
    1 ms after it, a record older than the one before it, the newest, after everything."""
    ts = [r.timestamp for r in records]
    mid = len(ts) // 2
    older = next(i for i in range(mid, len(ts)) if ts[i] < ts[i - 1])
    return [min(ts) - 1, ts[mid], ts[mid] + 1, ts[older], max(ts), max(ts) + 1]


def record_at(records: list[Record], partition: int, offset: int) -> Record:
    return [r for r in records if r.partition == partition][offset]


def raw_metadata(broker, topics: list[str]) -> kw.MetadataResponse:
    """A raw Metadata v12 that creates nothing."""
    with kw.KafkaConnection(broker.host, broker.port) as conn:
        return conn.metadata(12, topics=topics, allow_auto_topic_creation=False)


def topic_error(broker, topic: str) -> int:
    (t,) = raw_metadata(broker, [topic]).topics
    return t.error_code


# --- running the clients ---------------------------------------------------------------


@dataclasses.dataclass
class Run:
    topics: dict[str, str]
    records: list[Record]
    trim_records: list[Record]  # produced uncompressed to the topic to delete records from
    out: dict  # the node script's outcomes
    read: dict  # the records topic read back: watermarks, errors, seen
    trim_read: dict  # the trimmed topic read back


def run_node(script: str, spec: dict, workdir: Path) -> dict:
    assert shutil.which("node"), "node is not installed (tools/install-deps.sh)"
    spec_path = workdir / f"{script}.spec.json"
    spec_path.write_text(json.dumps(spec))
    try:
        proc = subprocess.run(["node", str(NODE_DIR / script), str(spec_path)],
                              capture_output=True, text=True, timeout=NODE_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, cwd=workdir)
    except subprocess.TimeoutExpired as e:  # run() has killed the child by pid
        pytest.fail(f"node {script} did not finish in {NODE_TIMEOUT_S} s\n"
                    f"--- stdout ---\n{e.stdout}\n--- stderr ---\n{e.stderr}", pytrace=False)
    assert proc.returncode == 0, (f"node {script} failed (exit code {proc.returncode})\n"
                                  f"--- stdout ---\n{proc.stdout[-4000:]}\n"
                                  f"--- stderr ---\n{proc.stderr[-8000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def read_back(broker, workdir: Path, topic: str, partitions: int) -> dict:
    return run_client(CONSUME_ALL_SCRIPT, {"bootstrap": broker.bootstrap, "topic": topic,
                                           "partitions": partitions,
                                           "consume_timeout": CONSUME_TIMEOUT_S},
                      workdir, f"read-{topic}")


def topic_names(client: str) -> dict[str, str]:
    """The records topic; one to add partitions to, then delete; one to alter configs of;
    one to delete records from."""
    return {role: f"{client}-{role}" for role in ("records", "grow", "tuned", "trim")}


def creations(topics: dict[str, str]) -> list[tuple[str, int, dict[str, str]]]:
    """(name, partitions, configs) of the topics each client creates."""
    return [(topics["records"], PARTITIONS, {"retention.ms": RETENTION_MS}),
            (topics["grow"], 1, {}),
            (topics["tuned"], 1, {"retention.ms": "1000"}),
            (topics["trim"], 1, {})]


def client_run(broker, workdir: Path, script: str, client: str, *, kafkajs_headers: bool,
               admin: Callable[[dict[str, str]], dict], special_timestamps: list[int]) -> Run:
    """Runs the client's script on records of its own, then reads its topics back.
    `admin` gives the client's own shapes of the admin calls' arguments."""
    topics = topic_names(client)
    records = client_records(RECORDS_PER_CODEC * len(CODECS), PARTITIONS, client,
                             kafkajs_headers=kafkajs_headers)
    trim_records = client_records(TRIM_RECORDS, 1, f"{client}-trim",
                                  kafkajs_headers=kafkajs_headers)
    spec = {"bootstrap": broker.bootstrap, "topic": topics["records"], "batch": BATCH,
            "produce": [[codec, records_to_json(recs)] for codec, recs in by_codec(records)],
            "timestamps": special_timestamps + time_targets(records),
            "admin": {"grow": topics["grow"], "growTo": GROW_TO, "shrinkTo": GROW_TO - 1,
                      "alter": topics["tuned"], "trim": topics["trim"],
                      "trimRecords": records_to_json(trim_records),
                      "trimBefore": TRIM_BEFORE, "partitions": PARTITIONS,
                      "describe": sorted(DEFAULTS), "brokerId": str(broker.node_id),
                      "describeBroker": ["num.partitions"], **admin(topics)}}
    out = run_node(script, spec, workdir)
    return Run(topics, records, trim_records, out,
               read_back(broker, workdir, topics["records"], PARTITIONS),
               read_back(broker, workdir, topics["trim"], 1))


ALTER_TO = {"cleanup.policy": "compact", "segment.ms": "3600000"}
ALTER_BAD = {"retention.ms": "soon"}


def kafkajs_admin(topics: dict[str, str]) -> dict:
    def entries(configs):
        return [{"name": k, "value": v} for k, v in configs.items()]
    return {"create": [{"topic": name, "numPartitions": n, "configEntries": entries(configs)}
                       for name, n, configs in creations(topics)],
            "alterTo": entries(ALTER_TO), "alterBad": entries(ALTER_BAD)}


SET, DELETE, APPEND = 0, 1, 2  # IncrementalAlterConfigs' operations


def platformatic_admin(topics: dict[str, str]) -> dict:
    def entries(configs):
        return [{"name": k, "value": v} for k, v in configs.items()]
    return {"create": [{"name": name, "partitions": n, "configs": entries(configs)}
                       for name, n, configs in creations(topics)],
            "alterTo": entries(ALTER_TO),
            "incrementTo": [
                {"name": "retention.ms", "configOperation": SET, "value": "5000"},
                {"name": "segment.ms", "configOperation": DELETE},
                {"name": "cleanup.policy", "configOperation": APPEND, "value": "delete"}],
            "incrementBad": [{"name": "retention.ms", "configOperation": SET,
                              "value": "soon"}]}


@pytest.fixture(scope="module")
def kafkajs(shared_broker, tmp_path_factory) -> Run:
    return client_run(shared_broker, tmp_path_factory.mktemp("kafkajs"), "kafkajs_client.js",
                      "kafkajs", kafkajs_headers=True, admin=kafkajs_admin,
                      special_timestamps=[])


# ListOffsets' special timestamps: earliest, latest, the newest record's.
EARLIEST, LATEST, MAX_TIMESTAMP = -2, -1, -3


@pytest.fixture(scope="module")
def platformatic(shared_broker, tmp_path_factory) -> Run:
    return client_run(shared_broker, tmp_path_factory.mktemp("platformatic"),
                      "platformatic_client.mjs", "platformatic", kafkajs_headers=False,
                      admin=platformatic_admin,
                      special_timestamps=[EARLIEST, LATEST, MAX_TIMESTAMP])


def ok(outcome: dict):
    """The value of a call that must have succeeded."""
    assert "error" not in outcome, f"the call failed: {outcome}"
    return outcome["ok"]


def counts(run: Run) -> list[int]:
    return counts_by_partition(run.records, PARTITIONS)


# --- both clients ----------------------------------------------------------------------

CLIENTS = ["kafkajs", "platformatic"]


@pytest.fixture(params=CLIENTS)
def run(request, broker) -> Run:
    return request.getfixturevalue(request.param)


def test_the_records_read_back_intact_in_order(run):
    assert run.read["errors"] == []
    assert_consumed_exactly(run.records, seen_from_json(run.read["seen"]),
                            TIMESTAMP_CREATE_TIME)


def test_the_created_topics_have_their_partition_counts(run, broker):
    # "grow" is grown, then deleted: its own tests check it.
    for name, partitions, _ in creations(run.topics):
        if name != run.topics["grow"]:
            assert metadata_partitions(broker.host, broker.port, name) == partitions


def test_the_watermarks_are_zero_and_the_record_counts(run):
    assert run.read["watermarks"] == [[0, c] for c in counts(run)]


def test_delete_records_moves_the_log_start(run):
    # Read back from the new log start: the records from there on are intact.
    assert run.trim_read["errors"] == []
    assert run.trim_read["watermarks"] == [[TRIM_BEFORE, TRIM_RECORDS]]
    want = [(o, r.key, r.value, r.headers, TIMESTAMP_CREATE_TIME, r.timestamp)
            for o, r in enumerate(run.trim_records) if o >= TRIM_BEFORE]
    assert [(s.offset, s.key, s.value, s.headers, s.timestamp_type, s.timestamp)
            for s in seen_from_json(run.trim_read["seen"])] == want


def test_the_deleted_topic_is_gone(run, broker):
    assert topic_error(broker, run.topics["grow"]) == kw.UNKNOWN_TOPIC_OR_PARTITION
    assert topic_error(broker, run.topics["records"]) == kw.NONE


# --- kafkajs ---------------------------------------------------------------------------


def test_kafkajs_creates_topics_and_reports_one_that_exists(kafkajs):
    assert kafkajs.out["created"] == {"ok": True}
    # kafkajs answers false, not an error, for a topic that already exists.
    assert kafkajs.out["createdAgain"] == {"ok": False}


def test_kafkajs_acknowledges_each_batch_at_its_offset(kafkajs):
    for codec, sends in expected_batch_offsets(kafkajs.records).items():
        got = [[[a["partition"], int(a["baseOffset"]), a["errorCode"], a["logAppendTime"],
                 a["logStartOffset"]] for a in sorted(send, key=lambda a: a["partition"])]
               for send in ok(kafkajs.out["produced"][codec])]
        assert got == [[[p, o, 0, "-1", "0"] for p, o in send] for send in sends], codec


def test_kafkajs_fetches_topic_offsets(kafkajs):
    assert ok(kafkajs.out["offsets"]) == [
        {"partition": p, "offset": str(c), "high": str(c), "low": "0"}
        for p, c in enumerate(counts(kafkajs))]


def kafkajs_by_timestamp(run: Run, target: int) -> list[dict]:
    """kafkajs answers the high watermark where no record is that recent."""
    out = []
    for p, high in enumerate(counts(run)):
        o = first_offset_at_or_after(run.records, p, target)
        out.append({"partition": p, "offset": str(o if o >= 0 else high)})
    return out


def test_kafkajs_fetches_offsets_by_timestamp(kafkajs):
    targets = time_targets(kafkajs.records)
    got = [ok(g) for g in kafkajs.out["byTimestamp"]]
    assert got == [kafkajs_by_timestamp(kafkajs, t) for t in targets]


def test_kafkajs_describes_the_cluster_and_topics(kafkajs, broker):
    cluster = ok(kafkajs.out["cluster"])
    assert cluster["brokers"] == [{"nodeId": broker.node_id, "host": broker.host,
                                   "port": broker.port}]
    assert cluster["controller"] == broker.node_id
    assert cluster["clusterId"] == raw_metadata(broker, []).cluster_id
    names = {name for name, _, _ in creations(kafkajs.topics)}
    assert names <= set(ok(kafkajs.out["topics"]))
    topics = {t["name"]: t["partitions"] for t in ok(kafkajs.out["metadata"])["topics"]}
    for role, count in (("records", PARTITIONS), ("grow", GROW_TO)):
        assert topics[kafkajs.topics[role]] == [
            {"partitionErrorCode": 0, "partitionId": p, "leader": broker.node_id,
             "replicas": [broker.node_id], "isr": [broker.node_id], "offlineReplicas": []}
            for p in range(count)], role


def test_kafkajs_adds_partitions_and_cannot_remove_them(kafkajs):
    assert kafkajs.out["grown"] == {"ok": None}
    assert kafkajs.out["shrunk"]["error"] == "INVALID_PARTITIONS", kafkajs.out["shrunk"]


def kafkajs_configs(outcome: dict, name: str) -> dict[str, list]:
    (resource,) = ok(outcome)["resources"]
    assert (resource["errorCode"], resource["resourceName"]) == (0, name), resource
    return {c["configName"]: [c["configValue"], c["configSource"], c["isDefault"],
                              c["readOnly"]]
            for c in resource["configEntries"]}


def test_kafkajs_describes_topic_and_broker_configs(kafkajs, broker):
    got = kafkajs_configs(kafkajs.out["configs"], kafkajs.topics["records"])
    want = {name: [value, DEFAULT_CONFIG, True, False] for name, value in DEFAULTS.items()}
    want["retention.ms"] = [RETENTION_MS, TOPIC_CONFIG, False, False]
    assert got == want
    # Read-only, as Kafka 4.4 reports num.partitions: a node changes no
    # broker config at run time.
    assert kafkajs_configs(kafkajs.out["brokerConfigs"], str(broker.node_id)) == {
        "num.partitions": ["1", DEFAULT_CONFIG, True, True]}


def test_kafkajs_alters_a_topics_configs_whole(kafkajs):
    (resource,) = ok(kafkajs.out["altered"])["resources"]
    assert resource["errorCode"] == 0, resource
    got = kafkajs_configs(kafkajs.out["alteredConfigs"], kafkajs.topics["tuned"])
    # AlterConfigs replaces the topic's explicit configs: retention.ms is the default again.
    want = {name: [value, DEFAULT_CONFIG, True, False] for name, value in DEFAULTS.items()}
    want["cleanup.policy"] = ["compact", TOPIC_CONFIG, False, False]
    want["segment.ms"] = ["3600000", TOPIC_CONFIG, False, False]
    assert got == want
    refused = kafkajs.out["alterRefused"]
    assert refused["error"] == "INVALID_CONFIG", refused
    assert kafkajs_configs(kafkajs.out["alterRefusedConfigs"], kafkajs.topics["tuned"]) == want


def test_kafkajs_deletes_records(kafkajs):
    def offsets(low):
        return [{"partition": 0, "offset": str(TRIM_RECORDS), "high": str(TRIM_RECORDS),
                 "low": str(low)}]
    assert ok(kafkajs.out["trimOffsetsBefore"]) == offsets(0)
    assert kafkajs.out["trimmed"] == {"ok": None}
    assert ok(kafkajs.out["trimOffsets"]) == offsets(TRIM_BEFORE)


def test_kafkajs_deletes_a_topic(kafkajs):
    assert kafkajs.out["deleted"] == {"ok": None}
    after = ok(kafkajs.out["topicsAfter"])
    assert kafkajs.topics["grow"] not in after
    assert {kafkajs.topics[r] for r in ("records", "tuned", "trim")} <= set(after)


# --- @platformatic/kafka ---------------------------------------------------------------


def test_platformatic_creates_topics_and_refuses_one_that_exists(platformatic):
    metadata = ok(platformatic.out["metadata"])["topics"]
    for outcome, (name, partitions, _) in zip(platformatic.out["created"],
                                              creations(platformatic.topics)):
        (created,) = ok(outcome)
        assert (created["name"], created["partitions"], created["replicas"]) == (
            name, partitions, 1)
        if name in metadata:
            assert created["id"] == metadata[name]["id"]
    again = platformatic.out["createdAgain"]
    assert again["kafka"] == [[TOPIC_ALREADY_EXISTS, "TOPIC_ALREADY_EXISTS"]], again


def test_platformatic_create_topics_answers_the_topics_configs(platformatic):
    (created,) = ok(platformatic.out["created"][0])
    described = ok(platformatic.out["allConfigs"])[0]["configs"]
    assert created["configuration"] == {c["name"]: c["value"] for c in described}
    assert created["configuration"]["retention.ms"] == RETENTION_MS


def test_platformatic_acknowledges_each_batch_at_its_offset(platformatic):
    for codec, sends in expected_batch_offsets(platformatic.records).items():
        got = []
        for send in ok(platformatic.out["produced"][codec]):
            rows = sorted(send["offsets"], key=lambda a: a["partition"])
            assert {a["topic"] for a in rows} == {platformatic.topics["records"]}
            got.append([[a["partition"], a["offset"]] for a in rows])
        assert got == sends, codec


def platformatic_offsets(run: Run, timestamp: int) -> list[dict]:
    return ok(run.out["listOffsets"][str(timestamp)])


def test_platformatic_lists_earliest_and_latest_offsets(platformatic, broker):
    epochs = [p["leaderEpoch"]
              for p in ok(platformatic.out["metadata"])["topics"][
                  platformatic.topics["records"]]["partitions"]]
    assert platformatic_offsets(platformatic, EARLIEST) == [
        {"partitionIndex": p, "offset": 0, "timestamp": -1, "leaderEpoch": epochs[p]}
        for p in range(PARTITIONS)]
    assert platformatic_offsets(platformatic, LATEST) == [
        {"partitionIndex": p, "offset": c, "timestamp": -1, "leaderEpoch": epochs[p]}
        for p, c in enumerate(counts(platformatic))]


def test_platformatic_lists_offsets_by_timestamp(platformatic):
    for target in time_targets(platformatic.records):
        want = []
        for p in range(PARTITIONS):
            o = first_offset_at_or_after(platformatic.records, p, target)
            ts = record_at(platformatic.records, p, o).timestamp if o >= 0 else -1
            want.append([p, o, ts])
        got = [[x["partitionIndex"], x["offset"], x["timestamp"]]
               for x in platformatic_offsets(platformatic, target)]
        assert got == want, target


def test_platformatic_lists_the_offset_of_the_newest_record(platformatic):
    want = []
    for p in range(PARTITIONS):
        records = [r for r in platformatic.records if r.partition == p]
        newest = max(range(len(records)), key=lambda o: records[o].timestamp)
        want.append([p, newest, records[newest].timestamp])
    got = [[x["partitionIndex"], x["offset"], x["timestamp"]]
           for x in platformatic_offsets(platformatic, MAX_TIMESTAMP)]
    assert got == want


def test_platformatic_describes_the_cluster_and_topics(platformatic, broker):
    assert set(ok(platformatic.out["topics"])) >= {
        name for name, _, _ in creations(platformatic.topics)}
    md = ok(platformatic.out["metadata"])
    assert md["id"] == raw_metadata(broker, []).cluster_id
    assert md["brokers"] == {str(broker.node_id): {"host": broker.host, "port": broker.port,
                                                   "rack": None}}
    assert md["controllerId"] == broker.node_id
    for role, count in (("records", PARTITIONS), ("grow", GROW_TO)):
        topic = md["topics"][platformatic.topics[role]]
        assert topic["partitionsCount"] == count, role
        assert [(p["leader"], p["replicas"], p["isr"], p["offlineReplicas"])
                for p in topic["partitions"]] == [
            (broker.node_id, [broker.node_id], [broker.node_id], [])] * count, role


def test_platformatic_adds_partitions_and_cannot_remove_them(platformatic):
    assert platformatic.out["grown"] == {"ok": None}
    shrunk = platformatic.out["shrunk"]
    assert shrunk["kafka"] == [[INVALID_PARTITIONS, "INVALID_PARTITIONS"]], shrunk


def platformatic_configs(outcome: dict, resource_type: int, name: str) -> dict[str, list]:
    (resource,) = ok(outcome)
    assert (resource["resourceType"], resource["resourceName"]) == (resource_type, name)
    return {c["name"]: [c["value"], c["configSource"], c["readOnly"], c["isSensitive"]]
            for c in resource["configs"]}


def test_platformatic_describes_topic_and_broker_configs(platformatic, broker):
    got = platformatic_configs(platformatic.out["configs"], TOPIC_RESOURCE,
                               platformatic.topics["records"])
    want = {name: [value, DEFAULT_CONFIG, False, False] for name, value in DEFAULTS.items()}
    want["retention.ms"] = [RETENTION_MS, TOPIC_CONFIG, False, False]
    assert got == want
    assert platformatic_configs(platformatic.out["brokerConfigs"], BROKER_RESOURCE,
                                str(broker.node_id)) == {
        "num.partitions": ["1", DEFAULT_CONFIG, True, False]}  # read-only, as in Kafka
    # Asked for them: every config has its documentation.
    (resource,) = ok(platformatic.out["configs"])
    assert all(c["documentation"] for c in resource["configs"]), resource


def test_platformatic_describes_configs_with_kafkas_types(platformatic, broker):
    (topic,) = ok(platformatic.out["configs"])
    (node,) = ok(platformatic.out["brokerConfigs"])
    types = {c["name"]: c["configType"] for c in topic["configs"] + node["configs"]}
    assert types == {"cleanup.policy": LIST, "retention.ms": LONG, "segment.bytes": INT,
                     "segment.ms": LONG, "num.partitions": INT}


def test_platformatic_alters_configs_whole_then_incrementally(platformatic):
    tuned = platformatic.topics["tuned"]
    assert platformatic.out["altered"] == {"ok": None}
    want = {name: [value, DEFAULT_CONFIG, False, False] for name, value in DEFAULTS.items()}
    # AlterConfigs replaces the explicit configs: retention.ms is the default again.
    after_alter = dict(want, **{"cleanup.policy": ["compact", TOPIC_CONFIG, False, False],
                                "segment.ms": ["3600000", TOPIC_CONFIG, False, False]})
    assert platformatic_configs(platformatic.out["alteredConfigs"], TOPIC_RESOURCE,
                                tuned) == after_alter
    assert platformatic.out["incremented"] == {"ok": None}
    # SET retention.ms, DELETE segment.ms, APPEND delete to cleanup.policy.
    after_increment = dict(want, **{
        "cleanup.policy": ["compact,delete", TOPIC_CONFIG, False, False],
        "retention.ms": ["5000", TOPIC_CONFIG, False, False]})
    assert platformatic_configs(platformatic.out["incrementedConfigs"], TOPIC_RESOURCE,
                                tuned) == after_increment
    refused = platformatic.out["incrementRefused"]
    assert refused["kafka"] == [[INVALID_CONFIG, "INVALID_CONFIG"]], refused
    assert platformatic_configs(platformatic.out["incrementRefusedConfigs"], TOPIC_RESOURCE,
                                tuned) == after_increment


def test_platformatic_deletes_records(platformatic):
    assert ok(platformatic.out["trimmed"]) == [
        {"name": platformatic.topics["trim"],
         "partitions": [{"partition": 0, "lowWatermark": TRIM_BEFORE}]}]
    (earliest,) = ok(platformatic.out["trimEarliest"])
    assert (earliest["offset"], earliest["timestamp"]) == (TRIM_BEFORE, -1)


def test_platformatic_deletes_a_topic(platformatic):
    assert platformatic.out["deleted"] == {"ok": None}
    after = ok(platformatic.out["topicsAfter"])
    assert platformatic.topics["grow"] not in after
    assert {platformatic.topics[r] for r in ("records", "tuned", "trim")} <= set(after)
    # platformatic turns the topic's UNKNOWN_TOPIC_OR_PARTITION into an error of its own.
    gone = platformatic.out["deletedMetadata"]
    assert (gone.get("error"), gone.get("message")) == (
        "PLT_KFK_USER", f"Unknown topic {platformatic.topics['grow']}."), gone
