"""Kafka's own ProducerPerformance and ConsumerPerformance against a broker.

A figure from a client that is not ours: the Java 4.4 client in Kafka's
tools (tests/compat/peers/java/target/lib), run as
`java -cp 'lib/*' org.apache.kafka.tools.ProducerPerformance ...` with a
small heap. On a fresh topic (16 partitions, created by CreateTopics with
replication factor 1) ProducerPerformance sends N records of 1 KiB
unthrottled with acks=all, linger.ms=1, batch.size=131072 and
enable.idempotence=false (the Java producer is idempotent by default, and
atolld does not serve InitProducerId yet, so both brokers get the same
non-idempotent producer); then ConsumerPerformance (a consumer group)
reads the N records back from the start.

Both tools print MB as 2^20 bytes; the figures here are recomputed in
MB = 10^6 bytes from their record rates (their own figures stay in the
JSON as *_tool_mib_per_s). ProducerPerformance's latencies are whole
milliseconds. Standard library only.
"""

from __future__ import annotations

import re
import resource
import subprocess
import time
from typing import Any, Optional

import brokers
from brokers import kafka_peer

PRODUCER_CLASS = "org.apache.kafka.tools.ProducerPerformance"
CONSUMER_CLASS = "org.apache.kafka.tools.ConsumerPerformance"
TOOL_HEAP = "256m"
TOPIC = "perf-tools"
PARTITIONS = 16
RECORD_SIZE = 1024
PRODUCER_PROPS = ["acks=all", "linger.ms=1", "batch.size=131072", "enable.idempotence=false"]
SLOWEST_MB_PER_S = 2.0  # a tool slower than this is taken to hang
TOOL_SLACK_S = 90

_PRODUCER_LINE = re.compile(
    r"^(?P<records>\d+) (?P<steady>steady state )?records sent, "
    r"(?P<rps>[\d.]+) records/sec \((?P<mib>[\d.]+) MB/sec\), "
    r"(?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency, "
    r"(?P<p50>\d+) ms 50th, (?P<p95>\d+) ms 95th, (?P<p99>\d+) ms 99th, "
    r"(?P<p999>\d+) ms 99\.9th\.?\s*$")
_CONSUMER_HEADER = "start.time, end.time, data.consumed.in.MB"
# An ERROR log line, an uncaught exception, or the head of a stack trace
# (ProducerPerformance prints one for every failed send); WARN lines (retries)
# are not trouble.
_TROUBLE = re.compile(r"^\[[^\]]*\] ERROR |^Exception in thread|^[\w.$]+(Exception|Error)(:|$)")

PRODUCER_KEYS = ["records", "records_per_s", "mb_per_s", "avg_latency_ms", "max_latency_ms",
                 "p50_ms", "p95_ms", "p99_ms", "p999_ms"]
CONSUMER_KEYS = ["records", "records_per_s", "mb_per_s", "rebalance_ms", "fetch_ms",
                 "fetch_records_per_s", "fetch_mb_per_s"]


def parse_producer(text: str, record_size: int) -> dict[str, Optional[dict[str, Any]]]:
    """The final summary line ("total") and, with --warmup-records, the
    steady-state line after it ("steady")."""
    out: dict[str, Optional[dict[str, Any]]] = {"total": None, "steady": None}
    for line in text.splitlines():
        m = _PRODUCER_LINE.match(line.strip())
        if not m:
            continue
        rps = float(m["rps"])
        out["steady" if m["steady"] else "total"] = {
            "records": int(m["records"]),
            "records_per_s": rps,
            "mb_per_s": rps * record_size / 1e6,
            "tool_mib_per_s": float(m["mib"]),
            "avg_latency_ms": float(m["avg"]),
            "max_latency_ms": float(m["max"]),
            "p50_ms": int(m["p50"]),
            "p95_ms": int(m["p95"]),
            "p99_ms": int(m["p99"]),
            "p999_ms": int(m["p999"]),
        }
    return out


def parse_consumer(text: str, record_size: int) -> Optional[dict[str, Any]]:
    """The line after ConsumerPerformance's header: start.time, end.time,
    data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
    rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith(_CONSUMER_HEADER) or i + 1 >= len(lines):
            continue
        names = [c.strip() for c in line.split(",")]
        values = [c.strip() for c in lines[i + 1].split(",")]
        if len(values) != len(names):
            return None
        row = dict(zip(names, values))
        try:
            rps = float(row["nMsg.sec"])
            fetch_rps = float(row["fetch.nMsg.sec"])
            return {
                "records": int(row["data.consumed.in.nMsg"]),
                "records_per_s": rps,
                "mb_per_s": rps * record_size / 1e6,
                "tool_mib_per_s": float(row["MB.sec"]),
                "rebalance_ms": int(row["rebalance.time.ms"]),
                "fetch_ms": int(row["fetch.time.ms"]),
                "fetch_records_per_s": fetch_rps,
                "fetch_mb_per_s": fetch_rps * record_size / 1e6,
            }
        except (KeyError, ValueError):
            return None
    return None


def _children_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run_java(main_class: str, args: list[str], timeout_s: float) -> dict[str, Any]:
    cmd = kafka_peer.jvm_args(TOOL_HEAP) + [main_class, *args]
    cpu0, t0 = _children_cpu_s(), time.monotonic()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout_s)
        rc, output = proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as e:  # subprocess.run killed it (by pid)
        rc = None
        output = e.output.decode(errors="replace") if isinstance(e.output, bytes) \
            else (e.output or "")
    return {"cmd": cmd, "rc": rc, "output": output, "elapsed_s": time.monotonic() - t0,
            "client_cpu_s": _children_cpu_s() - cpu0}


def run_tools(broker: brokers.Broker, records: int, warmup_records: int,
              log=print) -> dict[str, Any]:
    """Both tools against one started broker; the figures and what went wrong
    (result["problems"]); raises brokers.BrokerError if the topic cannot be made."""
    brokers.create_topic(broker.bootstrap, TOPIC, PARTITIONS)
    timeout = TOOL_SLACK_S + records * RECORD_SIZE / (SLOWEST_MB_PER_S * 1e6)
    gb = records * RECORD_SIZE / 1e9
    problems: list[str] = []
    result: dict[str, Any] = {"topic": TOPIC, "partitions": PARTITIONS, "records": records,
                              "warmup_records": warmup_records, "record_size": RECORD_SIZE,
                              "producer_props": PRODUCER_PROPS, "tool_heap": TOOL_HEAP}

    producer_args = ["--bootstrap-server", broker.bootstrap, "--topic", TOPIC,
                     "--num-records", str(records), "--record-size", str(RECORD_SIZE),
                     "--throughput", "-1"]
    if warmup_records > 0:
        producer_args += ["--warmup-records", str(warmup_records)]
    producer_args += ["--command-property", *PRODUCER_PROPS]
    consumer_args = ["--bootstrap-server", broker.bootstrap, "--topic", TOPIC,
                     "--num-records", str(records), "--timeout", "30000"]

    for role, cls, args in (("producer", PRODUCER_CLASS, producer_args),
                            ("consumer", CONSUMER_CLASS, consumer_args)):
        log(f"{cls.rsplit('.', 1)[1]} against {broker.target}: {' '.join(args)}")
        cpu0 = brokers.cpu_seconds(broker.pid)
        run = _run_java(cls, args, timeout)
        cpu1 = brokers.cpu_seconds(broker.pid)
        broker_cpu = None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 3)
        output = run["output"]
        if role == "producer":
            parsed = parse_producer(output, RECORD_SIZE)
            figures = dict(parsed["steady"] or parsed["total"] or {})
            figures["steady_state"] = parsed["steady"] is not None
            figures["total"] = parsed["total"]
        else:
            figures = dict(parse_consumer(output, RECORD_SIZE) or {})
        figures.update({"elapsed_s": round(run["elapsed_s"], 3),
                        "client_cpu_s": round(run["client_cpu_s"], 3),
                        "broker_cpu_s": broker_cpu,
                        "broker_cpu_s_per_gb": None if broker_cpu is None
                        else round(broker_cpu / gb, 3)})
        result[role] = figures
        for line in output.splitlines():
            if line.startswith(("Warmup", "start.time")) or _PRODUCER_LINE.match(line) \
                    or (role == "consumer" and line[:4].isdigit()):
                print(f"    {line}", flush=True)
        who = f"{cls.rsplit('.', 1)[1]} against {broker.target}"
        if run["rc"] is None:
            problems.append(f"{who} ran past {timeout:.0f} s (killed)")
        elif run["rc"] != 0:
            problems.append(f"{who} exited with code {run['rc']}")
        trouble = [line.strip() for line in output.splitlines() if _TROUBLE.search(line)]
        if trouble:
            problems.append(f"{who} reported errors: {' | '.join(trouble[:3])}")
        keys = PRODUCER_KEYS if role == "producer" else CONSUMER_KEYS
        missing = [k for k in keys if not isinstance(figures.get(k), (int, float))]
        if missing:
            problems.append(f"{who}: no {', '.join(missing)} in its output\n"
                            + output[-3000:])
        else:
            for k in ("records_per_s", "mb_per_s"):
                if not figures[k] > 0:
                    problems.append(f"{who}: {k} is {figures[k]}, not above zero")
            want = records - warmup_records if figures.get("steady_state") else records
            if figures["records"] < want:
                problems.append(f"{who}: {figures['records']} records, not {want}")
        if not broker.alive():
            problems.append(f"{broker.target} died during {who}\n{broker.describe()}")
            break
    result["broker_peak_rss_bytes"] = brokers.peak_rss_bytes(broker.pid)
    result["problems"] = problems
    return result
