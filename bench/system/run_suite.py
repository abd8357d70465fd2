#!/usr/bin/python3
"""The system benchmark suite (issues 7 and 13): `make bench` and `make bench-system-smoke`.

Full run (`make bench`):
  1. bench/system/limits measures the machine: fdatasync bandwidth and
     latency on the disk under bench/.scratch, loopback TCP bandwidth;
  2. each standard workload (bench/system/workloads/{1-latency,2-throughput,
     3-mixed,4-small-messages}.yaml, and issue 14's costs: 5-plain against
     5-idempotent, transactions of 1, 10 and 100 records in 6-txn-*.yaml)
     runs with the same client, atoll-bench
     (librdkafka), against four targets (brokers.py):
       atolld       a fresh release atolld (own data dir under bench/.scratch,
                    free port, --no-pin);
       kafka        a fresh Apache Kafka 4.4 (single-node KRaft, fixed heap,
                    own data dir under bench/.scratch), its defaults: acks=all
                    is answered from the page cache;
       kafka-fsync  the same with log.flush.interval.messages=1, an fsync per
                    batch, as atolld does for acks=all;
       mock         librdkafka's in-memory mock cluster (the client-bound
                    reference);
     each broker's pid goes to atoll-bench (--broker-pid) for its CPU and peak
     RSS; 3-mixed's rate is 50 % of 2-throughput's measured publish MB/s on the
     same target;
  3. Kafka's own ProducerPerformance and ConsumerPerformance (the Java 4.4
     client, kafka_tools.py) against a fresh broker of each kind;
  4. bench/results/<date>.md gets the machine's facts, the limits, every
     figure per workload with the ratios atolld/kafka and atolld/kafka-fsync,
     the tools' figures, the ratios to the issue's targets and latency plots
     (bench/results/<date>-*.png, gnuplot); <date>.json has the raw figures.

Smoke run (--smoke, part of `make test`): limits --quick, smoke.yaml against
atolld, the mock and Kafka (defaults), and a 20,000-record
ProducerPerformance / ConsumerPerformance against the same atolld and Kafka;
the same report written to a temporary directory; fails unless every JSON
figure is present, every rate is above zero, no run had errors and every
broker stopped cleanly.

Apache Kafka and its tools come from tests/compat/peers/java/target/lib
(`make peers`). Standard library only; run with /usr/bin/python3.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

sys.dont_write_bytecode = True  # no __pycache__ beside the helpers
sys.path.insert(0, str(Path(__file__).resolve().parent))
import brokers  # noqa: E402
import kafka_tools  # noqa: E402
from brokers import BROKER_TARGETS, KAFKA_TARGETS, TARGETS, BrokerError  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STANDARD = ["1-latency", "2-throughput", "3-mixed", "4-small-messages",
            # Issue 14: the cost of idempotence and of transactions.
            "5-plain", "5-idempotent", "6-txn-1", "6-txn-10", "6-txn-100"]
SMOKE = ["smoke"]
MIXED, MAXIMUM, LATENCY = "3-mixed", "2-throughput", "1-latency"
MIXED_SHARE = 0.5  # of the maximum from 2-throughput
LATENCY_KEYS = ["p50", "p99", "p999", "max"]
RATE_KEYS = ["publish_msgs_per_s", "publish_mb_per_s", "consume_msgs_per_s", "consume_mb_per_s"]
RESULT_KEYS = ["workload", "target", "duration_s", *RATE_KEYS, "publish_latency_ms",
               "e2e_latency_ms", "errors", "broker_cpu_s", "broker_peak_rss_bytes",
               "cpu_s_per_gb"]
BROKER_KEYS = ["broker_cpu_s", "broker_peak_rss_bytes", "cpu_s_per_gb"]
SMOKE_TARGETS = ["atolld", "kafka", "mock"]
SMOKE_TOOL_RECORDS = 20_000
FULL_TOOL_RECORDS = 1_000_000
TOOL_RECORDS_PER_DURATION_S = 50_000  # with --duration-s: about 50 MB per second asked
BENCH_SLACK_S = 120  # beyond a workload's warm-up + duration
# The targets (goals to report against, not assertions).
INGEST_SHARE_TARGET = 0.80
LATENCY_SLACK_MS = 1.0
CPU_S_PER_GB_TARGET = 0.5
MOCK_SHARE_TARGET = 0.90


class SuiteError(Exception):
    pass


def log(msg: str) -> None:
    print(f"run_suite: {msg}", flush=True)


def workload_settings(path: Path) -> dict[str, str]:
    """The `key: value` lines of a workload file (comments dropped)."""
    settings = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if ":" in line:
            key, value = line.split(":", 1)
            settings[key.strip()] = value.strip()
    return settings


def check_result(r: dict[str, Any], broker: bool) -> list[str]:
    """What is wrong with one atoll-bench result; empty when it is sound."""
    problems = [f"missing key {k}" for k in RESULT_KEYS if k not in r]
    for k in ("publish_latency_ms", "e2e_latency_ms"):
        v = r.get(k)
        if not isinstance(v, dict):
            problems.append(f"{k} is not an object")
            continue
        problems += [f"missing key {k}.{p}" for p in LATENCY_KEYS
                     if not isinstance(v.get(p), (int, float))]
    for k in RATE_KEYS:
        v = r.get(k)
        if not isinstance(v, (int, float)) or not v > 0:
            problems.append(f"{k} is {v!r}, not above zero")
    if r.get("errors") != 0:
        problems.append(f"errors is {r.get('errors')!r}, not 0")
    for k in BROKER_KEYS:
        v = r.get(k)
        if broker and not isinstance(v, (int, float)):
            problems.append(f"{k} is {v!r} although the broker's pid was given")
        if not broker and v is not None:
            problems.append(f"{k} is {v!r} without a broker pid (expected null)")
    if broker and isinstance(r.get("broker_peak_rss_bytes"), (int, float)) \
            and not r["broker_peak_rss_bytes"] > 0:
        problems.append("broker_peak_rss_bytes is not above zero")
    return problems


def children_cpu_s() -> float:
    """CPU of the reaped children so far: around one subprocess.run, that client's."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class Suite:
    def __init__(self, args: argparse.Namespace, out_dir: Path) -> None:
        self.args = args
        self.out_dir = out_dir
        self.scratch: Path = args.scratch
        self.targets: list[str] = args.targets
        # {workload, target, rate_mbps, client_cpu_s, result}
        self.runs: list[dict[str, Any]] = []
        self.tools: list[dict[str, Any]] = []  # {target, result} from kafka_tools
        self.problems: list[str] = []

    # -- the pieces ---------------------------------------------------------

    def limits(self) -> dict[str, Any]:
        out = self.out_dir / "limits.json"
        cmd = [str(REPO / "bench/system/limits"), "--json", str(out), str(self.scratch)]
        if self.args.smoke:
            cmd.insert(1, "--quick")
        log("measuring the machine's limits: " + " ".join(cmd))
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise SuiteError(f"limits failed (exit code {proc.returncode}):\n{proc.stdout}")
        data = json.loads(out.read_text())
        out.unlink()
        return data

    @contextlib.contextmanager
    def broker(self, target: str, label: str):
        """A fresh broker of the target's kind, stopped (by pid) and removed after."""
        started = time.monotonic()
        try:
            b = brokers.start_broker(target, self.scratch, label, self.args.atolld,
                                     self.args.kafka_heap)
        except BrokerError as e:
            raise SuiteError(str(e))
        log(f"{target} for {label}: pid {b.pid} on {b.bootstrap}, up in "
            f"{time.monotonic() - started:.1f} s")
        try:
            yield b
        finally:
            problem = b.stop()
            if problem:
                self.problems.append(f"{label}: {problem}")
            b.remove()

    def bench(self, workload: str, target: str, rate: Optional[float],
              broker: Optional[brokers.Broker] = None) -> dict[str, Any]:
        """One atoll-bench run; a fresh broker unless one is given (or the mock)."""
        if target == "mock" or broker is not None:
            return self._bench(workload, target, rate, broker)
        with self.broker(target, workload) as b:
            return self._bench(workload, target, rate, b)

    def _bench(self, workload: str, target: str, rate: Optional[float],
               broker: Optional[brokers.Broker]) -> dict[str, Any]:
        path = self.args.workloads / f"{workload}.yaml"
        settings = workload_settings(path)
        duration = self.args.duration_s or int(settings.get("duration_s", 60))
        warmup = self.args.warmup_s if self.args.warmup_s is not None \
            else int(settings.get("warmup_s", 10))
        timeout = duration + warmup + BENCH_SLACK_S
        out = self.out_dir / f"{workload}-{target}.json"
        cmd = [str(self.args.bench), "--workload", str(path), "--json", str(out)]
        if rate is not None:
            cmd += ["--rate-mbps", f"{rate:.3f}"]
        if self.args.duration_s is not None:
            cmd += ["--duration-s", str(self.args.duration_s)]
        if self.args.warmup_s is not None:
            cmd += ["--warmup-s", str(self.args.warmup_s)]
        if broker is not None:
            cmd += ["--bootstrap", broker.bootstrap, "--broker-pid", str(broker.pid)]
        else:
            cmd += ["--mock"]
        log(f"{workload} against {target}: " + " ".join(cmd))
        started, cpu0 = time.monotonic(), children_cpu_s()
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise SuiteError(f"atoll-bench ran past {timeout} s: {' '.join(cmd)}\n"
                             f"{e.output or ''}")
        client_cpu = children_cpu_s() - cpu0
        for line in proc.stdout.splitlines():
            print(f"    {line}")
        if proc.returncode != 0:
            raise SuiteError(f"atoll-bench exited with code {proc.returncode}: "
                             f"{' '.join(cmd)}"
                             + (f"\n--- {target} ---\n{broker.describe()}" if broker else ""))
        if broker is not None and not broker.alive():
            raise SuiteError(f"{target} died during {workload}\n{broker.describe()}")
        result = json.loads(out.read_text())
        log(f"{workload} against {target}: done in {time.monotonic() - started:.1f} s")
        problems = check_result(result, broker=broker is not None)
        self.problems += [f"{workload} against {target}: {p}" for p in problems]
        if rate is None:
            rate = float(settings.get("rate_mbps", 0))
        self.runs.append({"workload": workload, "target": target, "rate_mbps": rate,
                          "client_cpu_s": round(client_cpu, 3), "result": result})
        return result

    def tool_records(self) -> tuple[int, int]:
        """Records for Kafka's tools, and how many of them are warm-up."""
        if self.args.tool_records is not None:
            records = self.args.tool_records
        elif self.args.smoke:
            records = SMOKE_TOOL_RECORDS
        elif self.args.duration_s is not None:
            records = min(FULL_TOOL_RECORDS, TOOL_RECORDS_PER_DURATION_S * self.args.duration_s)
        else:
            records = FULL_TOOL_RECORDS
        return records, 0 if self.args.smoke else records // 10

    def kafka_tools(self, target: str, broker: Optional[brokers.Broker] = None) -> None:
        """ProducerPerformance then ConsumerPerformance; a fresh broker unless given."""
        if broker is None:
            with self.broker(target, "kafka-tools") as b:
                return self.kafka_tools(target, b)
        records, warmup = self.tool_records()
        started = time.monotonic()
        try:
            r = kafka_tools.run_tools(broker, records, warmup, log=log)
        except BrokerError as e:
            raise SuiteError(f"{e}\n--- {target} ---\n{broker.describe()}")
        self.problems += [f"Kafka's tools against {target}: {p}" for p in r["problems"]]
        self.tools.append({"target": target, "result": r})
        log(f"Kafka's tools against {target}: done in {time.monotonic() - started:.1f} s")

    def check_tools(self) -> None:
        for tool, hint in ((self.args.bench, "the atoll-bench binary (`make build`)"),
                           (self.args.atolld, "the release atolld (`make build`)")):
            if tool == self.args.atolld and "atolld" not in self.targets:
                continue
            if not os.access(tool, os.X_OK):
                raise SuiteError(f"{tool} not found: {hint}")
        if any(t in KAFKA_TARGETS for t in self.targets) or (
                self.args.kafka_tools and any(t in BROKER_TARGETS for t in self.targets)):
            missing = brokers.kafka_missing()
            if missing:
                raise SuiteError(missing)
        if shutil.which("gnuplot") is None:
            raise SuiteError("gnuplot not found: run `make deps` (tools/install-deps.sh)")

    def run(self) -> tuple[dict[str, Any], dict[str, Any]]:
        self.check_tools()
        workloads = SMOKE if self.args.smoke else (self.args.only or STANDARD)
        for w in workloads:
            if not (self.args.workloads / f"{w}.yaml").is_file():
                raise SuiteError(f"workload file {self.args.workloads / f'{w}.yaml'} missing")
        self.scratch.mkdir(parents=True, exist_ok=True)
        machine = machine_facts()
        limits = self.limits()
        log(f"limits: {json.dumps(limits)}")
        tool_targets = [t for t in self.targets if t in BROKER_TARGETS] \
            if self.args.kafka_tools else []
        if self.args.smoke:
            # One broker of each kind serves the smoke workload and then the
            # tools, to keep `make test` short.
            for target in self.targets:
                if target == "mock":
                    self.bench(SMOKE[0], target, None)
                    continue
                with self.broker(target, SMOKE[0]) as b:
                    self.bench(SMOKE[0], target, None, b)
                    if target in tool_targets:
                        self.kafka_tools(target, b)
            return machine, limits
        maxima: dict[str, float] = {}
        for w in workloads:
            for target in self.targets:
                rate = None
                if w == MIXED and target in maxima:
                    rate = MIXED_SHARE * maxima[target]
                r = self.bench(w, target, rate)
                if w == MAXIMUM and isinstance(r.get("publish_mb_per_s"), (int, float)):
                    maxima[target] = r["publish_mb_per_s"]
        for target in tool_targets:
            self.kafka_tools(target)
        return machine, limits


# -- machine facts -----------------------------------------------------------

def run_text(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO).stdout.strip()
    except OSError:
        return ""


def machine_facts() -> dict[str, Any]:
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    commit = run_text(["git", "rev-parse", "--short", "HEAD"])
    if run_text(["git", "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes)"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": run_text(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "commit": commit,
    }


# -- the report --------------------------------------------------------------

def fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v != 0 and abs(v) < 0.01:
            return f"{v:.2g}"
        return f"{v:,.{digits}f}"
    return str(v)


def as_float(v: Any) -> Any:
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


def ratio(a: Any, b: Any) -> Optional[float]:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0:
        return a / b
    return None


def pct(r: Optional[float]) -> str:
    return "–" if r is None else f"{100 * r:.0f}%"


def verdict(ok: Optional[bool]) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def plot(runs: list[dict[str, Any]], key: str, title: str, png: Path) -> None:
    """A clustered bar chart of p50/p99/p99.9/max per run, log scale."""
    rows = []
    for run in runs:
        lat = run["result"].get(key) or {}
        values = [max(float(lat.get(p) or 0), 0.001) for p in LATENCY_KEYS]
        label = f"{run['workload']}\\n{run['target']}"
        rows.append(f'"{label}" ' + " ".join(f"{v:.4f}" for v in values))
    script = "\n".join([
        "$data << EOD", *rows, "EOD",
        f"set terminal pngcairo size {max(640, 160 * len(runs))},520 font ',10'",
        "set bmargin 4",
        f"set output '{png}'",
        f"set title '{title}'",
        "set ylabel 'ms (log scale)'",
        "set logscale y",
        "set grid ytics",
        "set key outside right top",
        "set style data histograms",
        "set style histogram clustered gap 1",
        "set style fill solid 0.8 border -1",
        "set boxwidth 0.9",
        "plot $data using 2:xtic(1) title 'p50', '' using 3 title 'p99', "
        "'' using 4 title 'p99.9', '' using 5 title 'max'",
    ])
    proc = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    if proc.returncode != 0 or not png.is_file():
        raise SuiteError(f"gnuplot failed for {png}:\n{proc.stderr}")


def times(r: Optional[float]) -> str:
    return "–" if r is None else f"{r:.2f}×"


def mib(v: Any) -> Optional[float]:
    return v / 2**20 if isinstance(v, (int, float)) else None


# Every figure of one atoll-bench run: (row name, getter on the run record,
# digits, which direction is better: "higher", "lower" or None for no ratio).
def _res(k: str):
    return lambda run: as_float(run["result"].get(k))


def _lat(k: str, p: str):
    return lambda run: as_float((run["result"].get(k) or {}).get(p))


WORKLOAD_ROWS = [
    ("rate asked (MB/s; 0 = unthrottled)", lambda run: run["rate_mbps"], 2, None),
    ("duration (s)", lambda run: run["result"].get("duration_s"), 0, None),
    ("publish (msg/s)", _res("publish_msgs_per_s"), 0, "higher"),
    ("**publish (MB/s)**", _res("publish_mb_per_s"), 2, "higher"),
    ("consume (msg/s)", _res("consume_msgs_per_s"), 0, "higher"),
    ("**consume (MB/s)**", _res("consume_mb_per_s"), 2, "higher"),
    *[(f"{'**' if p != 'max' else ''}{name} {pname} (ms){'**' if p != 'max' else ''}",
       _lat(k, p), 3, "lower")
      for k, name in (("publish_latency_ms", "publish latency"),
                      ("e2e_latency_ms", "e2e latency"))
      for p, pname in zip(LATENCY_KEYS, ["p50", "p99", "p99.9", "max"])],
    ("errors", lambda run: run["result"].get("errors"), 0, None),
    ("broker CPU (s)", _res("broker_cpu_s"), 2, None),
    ("**broker CPU-s per GB**", _res("cpu_s_per_gb"), 3, "lower"),
    ("**broker peak RSS (MiB)**", lambda run: mib(run["result"].get("broker_peak_rss_bytes")),
     1, "lower"),
    ("client CPU (s; atoll-bench, with the mock inside it)",
     lambda run: run.get("client_cpu_s"), 2, None),
]

RATIOS = [("atolld", "kafka"), ("atolld", "kafka-fsync")]


def figure_table(columns: list[tuple[str, Any]], rows: list[tuple[str, Any, int, Any]]
                 ) -> list[str]:
    """One column per target (name, record), then the ratios atolld/kafka and
    atolld/kafka-fsync where both ran, and which direction is better."""
    names = [n for n, _ in columns]
    ratios = [(a, b) for a, b in RATIOS if a in names and b in names]
    head = "| figure | " + " | ".join(names) + "".join(f" | {a}/{b}" for a, b in ratios)
    head += " | better |" if ratios else " |"
    lines = [head, "|---|" + "---:|" * (len(names) + len(ratios)) + ("---|" if ratios else "")]
    for name, get, digits, better in rows:
        values = {n: get(rec) for n, rec in columns}
        cells = [fmt(values[n], digits) for n in names]
        for a, b in ratios:
            cells.append(times(ratio(values[a], values[b])) if better else "")
        if ratios:
            cells.append(better or "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


TOOL_ROWS = [
    ("producer: records measured", lambda t: t["producer"].get("records"), 0, None),
    ("**producer: records/s**", lambda t: t["producer"].get("records_per_s"), 0, "higher"),
    ("**producer: MB/s**", lambda t: t["producer"].get("mb_per_s"), 2, "higher"),
    ("producer: avg latency (ms)", lambda t: t["producer"].get("avg_latency_ms"), 1, "lower"),
    ("producer: p50 latency (ms)", lambda t: t["producer"].get("p50_ms"), 0, "lower"),
    ("producer: p95 latency (ms)", lambda t: t["producer"].get("p95_ms"), 0, "lower"),
    ("**producer: p99 latency (ms)**", lambda t: t["producer"].get("p99_ms"), 0, "lower"),
    ("producer: p99.9 latency (ms)", lambda t: t["producer"].get("p999_ms"), 0, "lower"),
    ("producer: max latency (ms)", lambda t: t["producer"].get("max_latency_ms"), 0, "lower"),
    ("producer: run time, JVM start included (s)", lambda t: t["producer"].get("elapsed_s"),
     1, "lower"),
    ("producer: client CPU (s)", lambda t: t["producer"].get("client_cpu_s"), 2, None),
    ("producer: broker CPU (s)", lambda t: t["producer"].get("broker_cpu_s"), 2, None),
    ("**producer: broker CPU-s per GB**", lambda t: t["producer"].get("broker_cpu_s_per_gb"),
     3, "lower"),
    ("consumer: records", lambda t: t["consumer"].get("records"), 0, None),
    ("**consumer: MB/s** (group join included)", lambda t: t["consumer"].get("mb_per_s"), 2,
     "higher"),
    ("consumer: fetch MB/s (after the group join)",
     lambda t: t["consumer"].get("fetch_mb_per_s"), 2, "higher"),
    ("consumer: group join (ms)", lambda t: t["consumer"].get("rebalance_ms"), 0, "lower"),
    ("consumer: client CPU (s)", lambda t: t["consumer"].get("client_cpu_s"), 2, None),
    ("consumer: broker CPU (s)", lambda t: t["consumer"].get("broker_cpu_s"), 2, None),
    ("**broker peak RSS (MiB)**", lambda t: mib(t.get("broker_peak_rss_bytes")), 1, "lower"),
]


def write_report(out_dir: Path, stem: str, machine: dict[str, Any], limits: dict[str, Any],
                 runs: list[dict[str, Any]], tools: list[dict[str, Any]],
                 targets: dict[str, dict[str, Any]], smoke: bool, problems: list[str],
                 elapsed_s: float) -> Path:
    md = out_dir / f"{stem}.md"
    raw = out_dir / f"{stem}.json"
    raw.write_text(json.dumps({"machine": machine, "limits": limits, "targets": targets,
                               "runs": runs, "kafka_tools": tools, "problems": problems},
                              indent=2) + "\n")
    plots = []
    for key, name, title in (("publish_latency_ms", "publish-latency",
                              "Publish latency (send to delivery report)"),
                             ("e2e_latency_ms", "e2e-latency",
                              "End-to-end latency (produce timestamp to consume)")):
        png = out_dir / f"{stem}-{name}.png"
        plot(runs, key, title, png)
        plots.append((title, png.name))

    def result(w: str, t: str) -> Optional[dict[str, Any]]:
        for run in runs:
            if run["workload"] == w and run["target"] == t:
                return run["result"]
        return None

    ran = [t for t in TARGETS if any(r["target"] == t for r in runs)
           or any(x["target"] == t for x in tools)]
    kafka_ran = [t for t in ran if t in KAFKA_TARGETS]
    heap = next((targets[t]["heap"] for t in kafka_ran), None)
    lines = [f"# System benchmarks, {stem}" + (" (smoke run)" if smoke else ""), ""]
    lines += [
        "Written by `bench/system/run_suite.py`"
        + (" --smoke" if smoke else " (`make bench`)")
        + f" in {elapsed_s:.0f} s. Every workload ran with the same client, `atoll-bench` "
        "(librdkafka), against each target below, every broker fresh (own data dir on the "
        "disk measured below, its pid given to `atoll-bench` for its CPU and peak RSS)"
        + ("; then Kafka's own `ProducerPerformance` and `ConsumerPerformance` ran against "
           "each broker" if tools else "")
        + f". MB = 10^6 bytes. Raw figures: [{raw.name}]({raw.name}).", ""]

    lines += ["## Targets", "", "| target | what | durability of acks=all |", "|---|---|---|"]
    for t in ran:
        ts = targets.get(t, {})
        if t == "atolld":
            what = f"single-node release `atolld {' '.join(ts.get('args', []))}`, default shards"
        elif t in KAFKA_TARGETS:
            props = ", ".join(f"`{k}={v}`" for k, v in ts.get("properties", {}).items())
            what = (f"Apache Kafka {ts.get('version')} ({ts.get('mode')}), JVM "
                    f"`{ts.get('jvm')}`; defaults except {props}")
        else:
            what = "librdkafka's in-memory mock cluster inside `atoll-bench` (client-bound " \
                   "reference; no disk I/O, no broker process)"
        lines.append(f"| {t} | {what} | {ts.get('durability', '')} |")
    lines.append("")
    if kafka_ran:
        lines += [f"Kafka's peak RSS includes its JVM heap, fixed at -Xms{heap} -Xmx{heap} "
                  "(committed up front, touched as it is used): compare RSS with the heap "
                  "setting beside it.", ""]

    lines += ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| CPUs (nproc) | {machine['nproc']} × {machine['cpu']} |",
              f"| memory | {machine['memory_gib']} GiB |",
              f"| kernel | {machine['kernel']} ({machine['os']}) |",
              f"| disk | {limits.get('fs')} on {limits.get('device')} |",
              f"| commit | {machine['commit']} |", ""]

    fl = limits.get("fdatasync_latency_ms", {})
    lines += ["## The machine's limits (`bench/system/limits`"
              + (" --quick" if limits.get("quick") else "") + ")", "",
              "| limit | value |", "|---|---|",
              f"| sequential 16 KiB writes, fdatasync after each | "
              f"{fmt(limits.get('fsync16k_write_mb_per_s'))} MB/s |",
              f"| sequential 16 KiB writes, fdatasync every 1 MiB | "
              f"{fmt(limits.get('fsync1m_write_mb_per_s'))} MB/s |",
              f"| fdatasync latency after a 16 KiB write, p50 / p99 / p99.9 / max | "
              f"{fmt(fl.get('p50'), 3)} / {fmt(fl.get('p99'), 3)} / {fmt(fl.get('p999'), 3)}"
              f" / {fmt(fl.get('max'), 3)} ms |",
              f"| loopback TCP, one iperf3 stream | "
              f"{fmt(limits.get('loopback_gbit_per_s'))} Gbit/s |", ""]

    workloads = list(dict.fromkeys(r["workload"] for r in runs))
    lines += ["## Every figure, per workload", "",
              "One column per target, then the ratios atolld/kafka and atolld/kafka-fsync: "
              "for rows marked *higher* a ratio above 1× is atolld ahead, for rows marked "
              "*lower* a ratio below 1× is atolld ahead. Key rows in bold."
              + (f" Kafka's RSS is with a fixed {heap} heap (-Xms{heap} -Xmx{heap})."
                 if kafka_ran else ""), ""]
    for w in workloads:
        ws = workload_settings_safe(w)
        lines += [f"### {w}", "",
                  f"{ws.get('partitions', '?')} partitions, {ws.get('message_size', '?')} B "
                  f"messages, {ws.get('producers', '?')} producer(s) and "
                  f"{ws.get('consumers', '?')} consumer(s), acks={ws.get('acks', '?')}, "
                  f"linger {ws.get('linger_ms', '?')} ms, batch {ws.get('batch_size', '?')} B"
                  + (f"; rate {MIXED_SHARE:.0%} of each target's own 2-throughput maximum"
                     if w == MIXED else "") + ".", ""]
        columns = [(r["target"], r) for t in TARGETS for r in runs
                   if r["workload"] == w and r["target"] == t]
        lines += figure_table(columns, WORKLOAD_ROWS)
        lines.append("")

    if tools:
        t0 = tools[0]["result"]
        lines += ["## Kafka's own tools", "",
                  f"`org.apache.kafka.tools.ProducerPerformance` then `ConsumerPerformance` "
                  f"(Apache Kafka {targets.get('kafka', {}).get('version', '4.4')} Java client, "
                  f"JVM heap {t0['tool_heap']}), `java -cp "
                  "'tests/compat/peers/java/target/lib/*'`, against each broker on a fresh "
                  f"topic of {t0['partitions']} partitions: {t0['records']:,} records of "
                  f"{t0['record_size']} B, unthrottled, `{' '.join(t0['producer_props'])}`"
                  + (f"; the producer's figures are its steady-state line, after "
                     f"{t0['warmup_records']:,} warm-up records" if t0["warmup_records"] else "")
                  + ". `enable.idempotence=false` for both brokers: the Java producer is "
                  "idempotent by default and atolld does not serve InitProducerId yet. The "
                  "consumer (a group) reads the records back from the start. The tools print "
                  "MiB; MB/s here are recomputed in 10^6 bytes from their record rates. "
                  "Producer latencies are whole ms (send to acknowledgement). The tools' JVM "
                  "shares the 2 cores with the broker: compare client CPU with run time.", ""]
        lines += figure_table([(x["target"], x["result"]) for t in TARGETS for x in tools
                               if x["target"] == t], TOOL_ROWS)
        lines.append("")

    # Ratios to the targets.
    lines += ["## Against the targets", "",
              "The issue's targets are goals to report against, not test assertions.", ""]
    bw16k, bw1m = limits.get("fsync16k_write_mb_per_s"), limits.get("fsync1m_write_mb_per_s")
    unthrottled = [w for w in workloads
                   if w != MIXED and float(workload_settings_safe(w).get("rate_mbps", 0)) == 0]
    lines += [f"**Ingest vs fdatasync bandwidth** (target: ≥ {INGEST_SHARE_TARGET:.0%} of the "
              "same-run bandwidth; judged against the 1 MiB cadence, since group commit "
              "flushes many batches at once under load):", "",
              "| workload | atolld publish MB/s | vs 16 KiB cadence | vs 1 MiB cadence | target |",
              "|---|---:|---:|---:|---|"]
    for w in unthrottled:
        r = result(w, "atolld") or {}
        mb = r.get("publish_mb_per_s")
        r1m = ratio(mb, bw1m)
        lines.append(f"| {w} | {fmt(mb)} | {pct(ratio(mb, bw16k))} | {pct(r1m)} | "
                     f"{verdict(None if r1m is None else r1m >= INGEST_SHARE_TARGET)} |")
    lines.append("")

    p99_bound = (fl["p99"] + LATENCY_SLACK_MS) if isinstance(fl.get("p99"), (int, float)) else None
    lat_w = LATENCY if LATENCY in workloads else (workloads[0] if workloads else LATENCY)
    lines += [f"**Publish p99 at a fixed rate** ({lat_w}; target: ≤ fdatasync p99 + "
              f"{LATENCY_SLACK_MS:g} ms = {fmt(p99_bound, 3)} ms):", "",
              "| target | publish p99 (ms) | bound (ms) | target |", "|---|---:|---:|---|"]
    for t in ran:
        if not any(r["target"] == t for r in runs):
            continue
        p99 = ((result(lat_w, t) or {}).get("publish_latency_ms") or {}).get("p99")
        ok = None if p99 is None or p99_bound is None else p99 <= p99_bound
        lines.append(f"| {t} | {fmt(p99, 3)} | {fmt(p99_bound, 3)} | "
                     f"{verdict(ok) if t == 'atolld' else '(reference)'} |")
    lines.append("")

    brokers_ran = [t for t in ran if t in BROKER_TARGETS and any(r["target"] == t for r in runs)]
    lines += [f"**Broker CPU per GB ingested** (target for atolld: ≤ {CPU_S_PER_GB_TARGET} "
              "CPU-s/GB; Kafka for reference):", "",
              "| workload | " + " | ".join(f"{t} CPU-s per GB" for t in brokers_ran)
              + " | target |", "|---|" + "---:|" * len(brokers_ran) + "---|"]
    for w in workloads:
        cells = [fmt((result(w, t) or {}).get("cpu_s_per_gb"), 3) for t in brokers_ran]
        c = (result(w, "atolld") or {}).get("cpu_s_per_gb")
        lines.append(f"| {w} | " + " | ".join(cells)
                     + f" | {verdict(None if c is None else c <= CPU_S_PER_GB_TARGET)} |")
    lines.append("")

    lines += ["**Broker vs the in-memory mock cluster** (the issue's target, ≥ "
              f"{MOCK_SHARE_TARGET:.0%} of the mock, applies with write caching, i.e. no "
              "fsync per batch; atolld fsyncs every batch, so the ratio is for reference; "
              "`kafka` is the write-caching broker):",
              "", "| workload | target | publish target / mock (MB/s) | ratio | consume ratio |",
              "|---|---|---:|---:|---:|"]
    for w in workloads:
        m = result(w, "mock") or {}
        for t in brokers_ran:
            a = result(w, t) or {}
            lines.append(f"| {w} | {t} | {fmt(a.get('publish_mb_per_s'))} / "
                         f"{fmt(m.get('publish_mb_per_s'))} | "
                         f"{pct(ratio(a.get('publish_mb_per_s'), m.get('publish_mb_per_s')))} | "
                         f"{pct(ratio(a.get('consume_mb_per_s'), m.get('consume_mb_per_s')))} |")
    lines.append("")

    lines += ["## Latency plots", ""]
    for title, name in plots:
        lines += [f"![{title}]({name})", ""]
    if problems:
        lines += ["## Problems", ""] + [f"- {p.splitlines()[0]}" for p in problems] + [""]
    md.write_text("\n".join(lines))
    return md


_WORKLOADS_DIR = REPO / "bench/system/workloads"


def workload_settings_safe(name: str) -> dict[str, str]:
    try:
        return workload_settings(_WORKLOADS_DIR / f"{name}.yaml")
    except OSError:
        return {}


def parse_targets(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in TARGETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown target(s) {', '.join(unknown) or '(none)'}; choose from {','.join(TARGETS)}")
    return [t for t in TARGETS if t in names]


def on_sigterm(signum: int, frame: Any) -> None:
    # Unwind like Ctrl-C, so every running broker is stopped by its pid.
    raise KeyboardInterrupt


def main() -> int:
    global _WORKLOADS_DIR
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--smoke", action="store_true",
                   help="seconds-long run with assertions, written to a temporary directory")
    p.add_argument("--out", "--out-dir", dest="out", type=Path,
                   help="where the report goes (default: bench/results, or a temporary "
                        "directory removed after a passing --smoke)")
    p.add_argument("--targets", type=parse_targets, default=None,
                   help=f"comma-separated subset of {','.join(TARGETS)} (default: all; "
                        f"with --smoke: {','.join(SMOKE_TARGETS)})")
    p.add_argument("--no-kafka-tools", dest="kafka_tools", action="store_false",
                   help="skip Kafka's ProducerPerformance and ConsumerPerformance")
    p.add_argument("--tool-records", type=int,
                   help=f"records for Kafka's tools (default {FULL_TOOL_RECORDS:,}; "
                        f"{TOOL_RECORDS_PER_DURATION_S:,} per --duration-s second up to that; "
                        f"{SMOKE_TOOL_RECORDS:,} with --smoke)")
    p.add_argument("--kafka-heap", default=brokers.DEFAULT_KAFKA_HEAP,
                   help="Apache Kafka's JVM heap, -Xms = -Xmx (default: %(default)s)")
    p.add_argument("--atolld", type=Path,
                   default=Path(os.environ.get("ATOLLD", REPO / "build/release/bin/atolld")))
    p.add_argument("--bench", type=Path,
                   default=Path(os.environ.get("ATOLL_BENCH",
                                               REPO / "build/release/bin/atoll-bench")))
    p.add_argument("--workloads", type=Path, default=_WORKLOADS_DIR)
    p.add_argument("--only", type=lambda v: [w for w in v.split(",") if w],
                   help="run only these workloads (comma-separated names)")
    p.add_argument("--duration-s", type=int,
                   help="override every workload's duration_s (a shorter full run)")
    p.add_argument("--warmup-s", type=int, help="override every workload's warmup_s")
    p.add_argument("--scratch", type=Path, default=REPO / "bench/.scratch",
                   help="where the brokers' data and limits' files go (git-ignored)")
    args = p.parse_args()
    if args.targets is None:
        args.targets = list(SMOKE_TARGETS if args.smoke else TARGETS)
    if args.tool_records is not None and args.tool_records <= 0:
        p.error("--tool-records must be above zero")
    _WORKLOADS_DIR = args.workloads
    stem = datetime.date.today().isoformat()
    signal.signal(signal.SIGTERM, on_sigterm)

    keep_out = args.out is not None or not args.smoke
    if args.out is not None:
        out_dir = args.out
    elif args.smoke:
        out_dir = Path(tempfile.mkdtemp(prefix="atoll-bench-smoke-"))
    else:
        out_dir = REPO / "bench/results"
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.smoke:
        stem = "smoke"

    started = time.monotonic()
    suite = Suite(args, out_dir)
    log(f"targets: {', '.join(args.targets)}"
        + (f"; Kafka's tools with {suite.tool_records()[0]:,} records" if args.kafka_tools
           and any(t in BROKER_TARGETS for t in args.targets) else ""))
    try:
        machine, limits = suite.run()
        problems = list(suite.problems)
        for k in ("fsync16k_write_mb_per_s", "fsync1m_write_mb_per_s", "loopback_gbit_per_s"):
            if not isinstance(limits.get(k), (int, float)) or not limits[k] > 0:
                problems.append(f"limits: {k} is {limits.get(k)!r}, not above zero")
        for k in ("p50", "p99", "p999"):
            if not isinstance(limits.get("fdatasync_latency_ms", {}).get(k), (int, float)):
                problems.append(f"limits: fdatasync_latency_ms.{k} missing")
        md = write_report(out_dir, stem, machine, limits, suite.runs, suite.tools,
                          brokers.target_settings(args.atolld, args.kafka_heap), args.smoke,
                          problems, time.monotonic() - started)
        # The per-run JSON files are folded into <stem>.json.
        for run in suite.runs:
            (out_dir / f"{run['workload']}-{run['target']}.json").unlink(missing_ok=True)
    except SuiteError as e:
        print(f"run_suite: FAILED: {e}", file=sys.stderr)
        print(f"run_suite: partial output in {out_dir}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("run_suite: interrupted", file=sys.stderr)
        return 130
    elapsed = time.monotonic() - started
    if problems:
        for prob in problems:
            print(f"run_suite: PROBLEM: {prob}", file=sys.stderr)
        if args.smoke:
            print(f"run_suite: smoke FAILED after {elapsed:.1f} s; report kept in {md}",
                  file=sys.stderr)
            return 1
    if args.smoke:
        log(f"smoke passed in {elapsed:.1f} s ({len(suite.runs)} atoll-bench runs, "
            f"{len(suite.tools)} Kafka tool runs, every figure present)")
        if not keep_out:
            shutil.rmtree(out_dir, ignore_errors=True)
        else:
            log(f"report: {md}")
        return 0
    log(f"report: {md} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
