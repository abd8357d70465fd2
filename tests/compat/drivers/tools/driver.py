#!/usr/bin/env python3
"""Kafka's own command-line tools as scenarios (contract: ../../README.md).

Each tool runs as its Java class from the pinned Apache Kafka jars, exactly
as the kafka-*.sh scripts would run it. What is compared is what an operator
reads: the exit code and stdout with the parts that differ between any two
clusters (topic ids, addresses, member ids, paths, column padding) masked,
and the names of the Kafka exceptions on stderr (not their messages).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

COMPAT = Path(__file__).resolve().parents[2]
LIB = COMPAT / "peers" / "java" / "target" / "lib"
TOOL_TIMEOUT_S = 60
TOOLS = "org.apache.kafka.tools."

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import runner  # noqa: E402

SCENARIOS: dict[str, Callable[["Ctx"], Any]] = {}


def scenario(name: str):
    def add(fn):
        SCENARIOS[name] = fn
        return fn
    return add


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else "java"


# Masks for what differs between any two clusters, applied in order.
MASKS = [
    (re.compile(r"TopicId: \S+"), "TopicId: <id>"),
    # The broker's error texts: what an operator reads is the error, its
    # wording is each broker's own (compared are the exception names).
    (re.compile(r"(command : |Exception: |Error: ).*$"), r"\1<message>"),
    (re.compile(r"(consumer|console-consumer|verifiable-consumer)-[\w.-]+-[0-9a-f-]{36}"), "<member>"),
    (re.compile(r"/127\.0\.0\.1\b"), "<host>"),
    (re.compile(r"\b\d{2,3}\.\d+\.\d+\.\d+:\d+\b"), "<address>"),
    (re.compile(r"[ \t]+"), " "),
]


def mask(line: str, ctx: "Ctx") -> str:
    line = line.replace(ctx.bootstrap, "<bootstrap>").replace(str(ctx.tmp), "<tmp>")
    for pattern, repl in MASKS:
        line = pattern.sub(repl, line)
    return line.strip()


EXCEPTION = re.compile(r"\b(?:org\.apache\.kafka\.common\.errors\.|kafka\.common\.)?([A-Z]\w+(?:Exception|Error))\b")


class Ctx:
    def __init__(self, bootstrap: str, prefix: str, name: str, tmp: Path) -> None:
        self.bootstrap = bootstrap
        self.base = f"{prefix}-{name.replace('.', '-')}"
        self.tmp = tmp

    def topic(self, suffix: str = "") -> str:
        return f"{self.base}-{suffix}" if suffix else self.base

    def raw(self, tool: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        cmd = [java(), "-Xms32m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
               "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", f"{LIB}/*",
               TOOLS + tool, *args]
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT_S)

    def run(self, tool: str, *args: str, stdin: str = "", keep: Callable[[str], bool] = bool,
            sort: bool = False) -> dict[str, Any]:
        """A tool's exit code, masked stdout lines (those `keep` accepts), and exceptions."""
        r = self.raw(tool, *args, stdin=stdin)
        lines = [mask(line, self) for line in r.stdout.splitlines()]
        lines = [line for line in lines if line and keep(line)]
        return {"exit": r.returncode, "stdout": sorted(lines) if sort else lines,
                "exceptions": sorted(set(EXCEPTION.findall(r.stderr + r.stdout)))}

    def file(self, name: str, text: str) -> str:
        path = self.tmp / name
        path.write_text(text)
        return str(path)


NO_IDEMPOTENCE = "enable.idempotence=false"


def produce(ctx: Ctx, topic: str, lines: list[str], *extra: str) -> dict[str, Any]:
    """kafka-console-producer with keys (k:v); not idempotent (see known differences)."""
    return ctx.run("ConsoleProducer", "--bootstrap-server", ctx.bootstrap, "--topic", topic,
                   "--reader-property", "parse.key=true", "--reader-property", "key.separator=:",
                   "--command-property", NO_IDEMPOTENCE, "--command-property", "acks=all",
                   *extra, stdin="".join(line + "\n" for line in lines))


def consume(ctx: Ctx, topic: str, count: int, *extra: str) -> dict[str, Any]:
    return ctx.run("consumer.ConsoleConsumer", "--bootstrap-server", ctx.bootstrap,
                   "--topic", topic, "--from-beginning", "--max-messages", str(count),
                   "--timeout-ms", "20000", "--formatter-property", "print.key=true",
                   "--formatter-property", "print.offset=true",
                   "--formatter-property", "print.partition=true",
                   "--formatter-property", "print.headers=true", *extra)


def topics(ctx: Ctx, *args: str, **kw: Any) -> dict[str, Any]:
    return ctx.run("TopicCommand", "--bootstrap-server", ctx.bootstrap, *args, **kw)


def wait_for_topic(ctx: Ctx, topic: str, partitions: int) -> None:
    """Until --describe shows every partition with a leader (Kafka creates asynchronously)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = ctx.raw("TopicCommand", "--bootstrap-server", ctx.bootstrap, "--describe",
                    "--topic", topic)
        leaders = re.findall(r"Leader: (\d+)", r.stdout)
        if r.returncode == 0 and len(leaders) == partitions:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{topic} not ready")


@scenario("tools.topics")
def tools_topics(ctx: Ctx) -> Any:
    t = ctx.topic
    seen: dict[str, Any] = {
        "create": topics(ctx, "--create", "--topic", t("a"), "--partitions", "3",
                         "--replication-factor", "1", "--config", "cleanup.policy=compact",
                         "--config", "retention.ms=86400000"),
    }
    wait_for_topic(ctx, t("a"), 3)
    seen["create_again"] = topics(ctx, "--create", "--topic", t("a"), "--partitions", "1")
    seen["create_if_not_exists"] = topics(ctx, "--create", "--if-not-exists", "--topic", t("a"),
                                          "--partitions", "1")
    seen["zero_partitions"] = topics(ctx, "--create", "--topic", t("z"), "--partitions", "0")
    seen["rf3"] = topics(ctx, "--create", "--topic", t("rf"), "--replication-factor", "3")
    seen["bad_config"] = topics(ctx, "--create", "--topic", t("bad"),
                                "--config", "cleanup.policy=sometimes")
    seen["unknown_config"] = topics(ctx, "--create", "--topic", t("unk"),
                                    "--config", "no.such.config=1")
    seen["list"] = topics(ctx, "--list", "--topic", f"{ctx.base}.*", sort=True)
    seen["describe"] = topics(ctx, "--describe", "--topic", t("a"))
    seen["grow"] = topics(ctx, "--alter", "--topic", t("a"), "--partitions", "5")
    wait_for_topic(ctx, t("a"), 5)
    seen["shrink"] = topics(ctx, "--alter", "--topic", t("a"), "--partitions", "2")
    seen["describe_grown"] = topics(ctx, "--describe", "--topic", t("a"))
    seen["under_replicated"] = topics(ctx, "--describe", "--under-replicated-partitions",
                                      "--topic", f"{ctx.base}.*")
    seen["unavailable"] = topics(ctx, "--describe", "--unavailable-partitions",
                                 "--topic", f"{ctx.base}.*")
    seen["describe_unknown"] = topics(ctx, "--describe", "--topic", t("nope"))
    seen["delete"] = topics(ctx, "--delete", "--topic", t("a"))
    seen["delete_unknown"] = topics(ctx, "--delete", "--topic", t("nope"))
    return seen


def configs(ctx: Ctx, *args: str) -> dict[str, Any]:
    return ctx.run("ConfigCommand", "--bootstrap-server", ctx.bootstrap, *args)


def describe_settled(ctx: Ctx, topic: str, before: dict[str, Any]) -> dict[str, Any]:
    """--describe once it no longer shows `before` (Kafka applies changes asynchronously)."""
    deadline = time.monotonic() + 5
    while True:
        now = configs(ctx, "--describe", "--entity-type", "topics", "--entity-name", topic)
        if now != before or time.monotonic() > deadline:
            return now
        time.sleep(0.1)


@scenario("tools.configs")
def tools_configs(ctx: Ctx) -> Any:
    topic = ctx.topic()
    topics(ctx, "--create", "--topic", topic, "--partitions", "1",
           "--config", "retention.ms=86400000")
    wait_for_topic(ctx, topic, 1)
    which = ("--entity-type", "topics", "--entity-name", topic)
    seen: dict[str, Any] = {"describe": configs(ctx, "--describe", *which)}
    seen["add"] = configs(ctx, "--alter", *which, "--add-config",
                          "segment.bytes=1048576,cleanup.policy=[delete,compact]")
    seen["after_add"] = describe_settled(ctx, topic, seen["describe"])
    seen["delete"] = configs(ctx, "--alter", *which, "--delete-config", "retention.ms")
    seen["after_delete"] = describe_settled(ctx, topic, seen["after_add"])
    seen["bad_value"] = configs(ctx, "--alter", *which, "--add-config", "retention.ms=soon")
    seen["unknown_topic"] = configs(ctx, "--describe", "--entity-type", "topics",
                                    "--entity-name", ctx.topic("nope"))
    keys = ("cleanup.policy=", "retention.ms=", "segment.bytes=", "max.message.bytes=",
            "compression.type=", "message.timestamp.type=", "retention.bytes=", "segment.ms=")
    seen["describe_all"] = ctx.run("ConfigCommand", "--bootstrap-server", ctx.bootstrap,
                                   "--describe", "--all", *which,
                                   keep=lambda line: line.startswith(keys))
    return seen


@scenario("tools.console")
def tools_console(ctx: Ctx) -> Any:
    topic = ctx.topic()
    topics(ctx, "--create", "--topic", topic, "--partitions", "2")
    wait_for_topic(ctx, topic, 2)
    lines = [f"k{i % 4}:value-{i}" for i in range(20)]
    return {"produce": produce(ctx, topic, lines),
            "consume": consume(ctx, topic, 20, "--group", f"{ctx.base}-g")}


def verifiable_producer(ctx: Ctx, topic: str, count: int, *config: str) -> dict[str, Any]:
    props = ctx.file(f"{topic}.producer.properties", "".join(c + "\n" for c in config))
    r = ctx.raw("VerifiableProducer", "--bootstrap-server", ctx.bootstrap, "--topic", topic,
                "--max-messages", str(count), "--acks", "-1", "--producer.config", props)
    events = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    sent = sorted((e["partition"], e["offset"], e["value"]) for e in events
                  if e["name"] == "producer_send_success")
    errors = sorted({e.get("exception", "") for e in events if e["name"] == "producer_send_error"})
    data = [{k: v for k, v in e.items() if k in ("sent", "acked")}
            for e in events if e["name"] == "tool_data"]
    return {"exit": r.returncode, "sent": sent, "errors": errors, "tool_data": data}


def verifiable_consumer(ctx: Ctx, topic: str, group: str, count: int) -> dict[str, Any]:
    r = ctx.raw("VerifiableConsumer", "--bootstrap-server", ctx.bootstrap, "--topic", topic,
                "--group-id", group, "--max-messages", str(count), "--reset-policy", "earliest",
                "--verbose")
    events = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    records = sorted((e["partition"], e["offset"], e["value"]) for e in events
                     if e["name"] == "record_data")
    committed = {}
    for e in events:
        if e["name"] == "offsets_committed" and e.get("success"):
            for o in e["offsets"]:
                committed[o["partition"]] = o["offset"]
    assigned = sorted({p["partition"] for e in events if e["name"] == "partitions_assigned"
                       for p in e["partitions"]})
    return {"exit": r.returncode, "records": records, "committed": sorted(committed.items()),
            "assigned": assigned}


@scenario("tools.verifiable")
def tools_verifiable(ctx: Ctx) -> Any:
    """Kafka's system-test producer and consumer; one partition keeps offsets exact."""
    topic = ctx.topic()
    topics(ctx, "--create", "--topic", topic, "--partitions", "1")
    wait_for_topic(ctx, topic, 1)
    return {"producer": verifiable_producer(ctx, topic, 300, NO_IDEMPOTENCE),
            "consumer": verifiable_consumer(ctx, topic, f"{ctx.base}-g", 300)}


@scenario("tools.verifiable_default_producer")
def tools_verifiable_default(ctx: Ctx) -> Any:
    """The producer with Kafka's defaults: idempotent since Kafka 3.0."""
    topic = ctx.topic()
    topics(ctx, "--create", "--topic", topic, "--partitions", "1")
    wait_for_topic(ctx, topic, 1)
    return verifiable_producer(ctx, topic, 50, "delivery.timeout.ms=10000",
                               "request.timeout.ms=5000", "max.block.ms=10000")


def groups(ctx: Ctx, *args: str, **kw: Any) -> dict[str, Any]:
    return ctx.run("consumer.group.ConsumerGroupCommand", "--bootstrap-server", ctx.bootstrap,
                   *args, **kw)


@scenario("tools.consumer_groups")
def tools_consumer_groups(ctx: Ctx) -> Any:
    topic, group = ctx.topic(), f"{ctx.base}-g"
    topics(ctx, "--create", "--topic", topic, "--partitions", "2")
    wait_for_topic(ctx, topic, 2)
    produce(ctx, topic, [f"k{i % 2}:v{i}" for i in range(10)])
    seen: dict[str, Any] = {"consume": consume(ctx, topic, 10, "--group", group)}
    g = ("--group", group)
    seen["list"] = groups(ctx, "--list", keep=lambda line: line.startswith(ctx.base), sort=True)
    seen["list_state"] = groups(ctx, "--list", "--state",
                                keep=lambda line: ctx.base in line or line.startswith("GROUP"),
                                sort=True)
    seen["describe"] = groups(ctx, "--describe", *g, sort=True)
    seen["describe_state"] = groups(ctx, "--describe", "--state", *g)
    seen["describe_members"] = groups(ctx, "--describe", "--members", *g)
    t = ("--topic", topic)
    seen["reset_dry_run"] = groups(ctx, "--reset-offsets", "--to-offset", "1", *g, *t,
                                   "--dry-run", sort=True)
    seen["reset_earliest"] = groups(ctx, "--reset-offsets", "--to-earliest", *g, *t,
                                    "--execute", sort=True)
    seen["reset_shift"] = groups(ctx, "--reset-offsets", "--shift-by", "2", *g,
                                 "--topic", f"{topic}:0", "--execute", sort=True)
    seen["reset_latest"] = groups(ctx, "--reset-offsets", "--to-latest", *g,
                                  "--topic", f"{topic}:1", "--execute", sort=True)
    seen["reset_datetime"] = groups(ctx, "--reset-offsets", "--to-datetime",
                                    "2000-01-01T00:00:00.000", *g, *t, "--dry-run", sort=True)
    seen["describe_after_reset"] = groups(ctx, "--describe", *g, sort=True)
    seen["delete_offsets"] = groups(ctx, "--delete-offsets", *g, "--topic", f"{topic}:1")
    seen["describe_after_delete_offsets"] = groups(ctx, "--describe", *g, sort=True)
    seen["describe_unknown"] = groups(ctx, "--describe", "--group", f"{ctx.base}-nope")
    seen["delete"] = groups(ctx, "--delete", *g)
    seen["delete_unknown"] = groups(ctx, "--delete", "--group", f"{ctx.base}-nope")
    return seen


def get_offsets(ctx: Ctx, *args: str) -> dict[str, Any]:
    return ctx.run("GetOffsetShell", "--bootstrap-server", ctx.bootstrap, *args, sort=True)


@scenario("tools.offsets_and_records")
def tools_offsets(ctx: Ctx) -> Any:
    topic = ctx.topic()
    topics(ctx, "--create", "--topic", topic, "--partitions", "2")
    wait_for_topic(ctx, topic, 2)
    produce(ctx, topic, [f"k{i % 2}:v{i}" for i in range(12)])
    t = ("--topic", topic)
    seen = {"latest": get_offsets(ctx, *t),
            "earliest": get_offsets(ctx, *t, "--time", "-2"),
            "partition_1": get_offsets(ctx, *t, "--partitions", "1"),
            "unknown_topic": get_offsets(ctx, "--topic", ctx.topic("nope"))}
    spec = {"version": 1, "partitions": [{"topic": topic, "partition": 1, "offset": 2},
                                         {"topic": topic, "partition": 0, "offset": 1000}]}
    seen["delete_records"] = ctx.run("DeleteRecordsCommand", "--bootstrap-server", ctx.bootstrap,
                                     "--offset-json-file", ctx.file("delete.json", json.dumps(spec)),
                                     sort=True)
    seen["earliest_after"] = get_offsets(ctx, *t, "--time", "-2")
    return seen


@scenario("tools.log_dirs_and_elections")
def tools_log_dirs(ctx: Ctx) -> Any:
    topic = ctx.topic()
    topics(ctx, "--create", "--topic", topic, "--partitions", "2")
    wait_for_topic(ctx, topic, 2)
    produce(ctx, topic, ["a:1", "b:2"])
    r = ctx.raw("LogDirsCommand", "--bootstrap-server", ctx.bootstrap, "--describe",
                "--topic-list", topic)
    report = next((json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")), None)
    dirs = []
    for b in (report or {}).get("brokers", []):
        for d in b["logDirs"]:
            dirs.append({"broker": b["broker"], "error": d["error"],
                         "partitions": sorted((p["partition"], p["size"] > 0, p["offsetLag"],
                                               p["isFuture"]) for p in d["partitions"])})
    election = ("--bootstrap-server", ctx.bootstrap, "--election-type")
    return {"log_dirs": {"exit": r.returncode, "dirs": dirs},
            "preferred_one": ctx.run("LeaderElectionCommand", *election, "preferred",
                                     "--topic", topic, "--partition", "0"),
            "unclean_one": ctx.run("LeaderElectionCommand", *election, "unclean",
                                   "--topic", topic, "--partition", "1"),
            "unknown_partition": ctx.run("LeaderElectionCommand", *election, "preferred",
                                         "--topic", topic, "--partition", "7")}


def run(name: str, bootstrap: str, prefix: str) -> dict[str, Any]:
    try:
        with tempfile.TemporaryDirectory(prefix="atoll-tools-") as tmp:
            return {"scenario": name,
                    "observations": SCENARIOS[name](Ctx(bootstrap, prefix, name, Path(tmp)))}
    except Exception as e:  # reported, and the run goes on
        traceback.print_exc()
        return {"scenario": name, "failed": f"{type(e).__name__}: {e}"}


if __name__ == "__main__":
    sys.exit(runner.main(__doc__, SCENARIOS, run, "tools"))
