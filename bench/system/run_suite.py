#!/usr/bin/python3
"""The system benchmark suite (issue 7): `make bench` and `make bench-system-smoke`.

Full run (`make bench`):
  1. bench/system/limits measures the machine: fdatasync bandwidth and
     latency on the disk under bench/.scratch, loopback TCP bandwidth;
  2. each standard workload (bench/system/workloads/{1-latency,2-throughput,
     3-mixed,4-small-messages}.yaml) runs with atoll-bench against a fresh
     release atolld (own data dir under bench/.scratch, free port, --no-pin,
     --broker-pid for its CPU and memory) and against librdkafka's in-memory
     mock cluster (--mock); 3-mixed's rate is 50 % of 2-throughput's measured
     publish MB/s on the same target;
  3. bench/results/<date>.md gets the machine's facts, the limits, every
     figure, the ratios to the issue's targets and latency plots
     (bench/results/<date>-*.png, gnuplot); <date>.json has the raw figures.

Smoke run (--smoke, part of `make test`): limits --quick and smoke.yaml
against atolld and the mock, the same report written to a temporary
directory; fails unless every JSON figure is present, every rate is above
zero, no run had errors and the broker stopped cleanly.

Standard library only; run with /usr/bin/python3.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
STANDARD = ["1-latency", "2-throughput", "3-mixed", "4-small-messages"]
SMOKE = ["smoke"]
MIXED, MAXIMUM, LATENCY = "3-mixed", "2-throughput", "1-latency"
MIXED_SHARE = 0.5  # of the maximum from 2-throughput
LATENCY_KEYS = ["p50", "p99", "p999", "max"]
RATE_KEYS = ["publish_msgs_per_s", "publish_mb_per_s", "consume_msgs_per_s", "consume_mb_per_s"]
RESULT_KEYS = ["workload", "target", "duration_s", *RATE_KEYS, "publish_latency_ms",
               "e2e_latency_ms", "errors", "broker_cpu_s", "broker_peak_rss_bytes",
               "cpu_s_per_gb"]
BROKER_KEYS = ["broker_cpu_s", "broker_peak_rss_bytes", "cpu_s_per_gb"]
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return text if len(text) <= limit else "...\n" + text[-limit:]


def workload_settings(path: Path) -> dict[str, str]:
    """The `key: value` lines of a workload file (comments dropped)."""
    settings = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if ":" in line:
            key, value = line.split(":", 1)
            settings[key.strip()] = value.strip()
    return settings


class Broker:
    """A release atolld on a fresh data dir; stopped by pid."""

    def __init__(self, atolld: Path, scratch: Path, label: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"atolld-{label}-", dir=scratch))
        self.port = free_port()
        self.log_path = self.dir / "atolld.log"
        data = self.dir / "data"
        data.mkdir()
        self.args = [str(atolld), "--data-dir", str(data), "--kafka-addr",
                     f"{HOST}:{self.port}", "--no-pin"]
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    def describe(self) -> str:
        return f"$ {' '.join(self.args)} (pid {self.proc.pid})\n{tail(self.log_path)}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise SuiteError(f"atolld exited with code {rc} while starting\n{self.describe()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SuiteError(f"atolld did not accept connections within "
                                 f"{READY_TIMEOUT_S} s\n{self.describe()}")
            time.sleep(0.02)

    def stop(self) -> int:
        """SIGTERM to the pid; SIGKILL (by pid) if it does not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)
            raise SuiteError(f"atolld did not exit within {STOP_TIMEOUT_S} s of SIGTERM; "
                             f"killed it\n{self.describe()}")

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


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


class Suite:
    def __init__(self, args: argparse.Namespace, out_dir: Path) -> None:
        self.args = args
        self.out_dir = out_dir
        self.scratch: Path = args.scratch
        self.runs: list[dict[str, Any]] = []  # {workload, target, rate_mbps, result}
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

    def bench(self, workload: str, target: str, rate: Optional[float]) -> dict[str, Any]:
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
        broker = None
        try:
            if target == "atolld":
                broker = Broker(self.args.atolld, self.scratch, workload)
                broker.wait_ready()
                cmd += ["--bootstrap", broker.bootstrap, "--broker-pid", str(broker.proc.pid)]
            else:
                cmd += ["--mock"]
            log(f"{workload} against {target}: " + " ".join(cmd))
            started = time.monotonic()
            try:
                proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, timeout=timeout)
            except subprocess.TimeoutExpired as e:
                raise SuiteError(f"atoll-bench ran past {timeout} s: {' '.join(cmd)}\n"
                                 f"{e.output or ''}")
            for line in proc.stdout.splitlines():
                print(f"    {line}")
            if proc.returncode != 0:
                raise SuiteError(f"atoll-bench exited with code {proc.returncode}: "
                                 f"{' '.join(cmd)}"
                                 + (f"\n--- atolld ---\n{broker.describe()}" if broker else ""))
            if broker is not None and broker.proc.poll() is not None:
                raise SuiteError(f"atolld died during {workload}\n{broker.describe()}")
            result = json.loads(out.read_text())
            log(f"{workload} against {target}: done in {time.monotonic() - started:.1f} s")
        finally:
            if broker is not None:
                rc = broker.stop()
                if rc != 0:
                    self.problems.append(f"{workload}: atolld exited with code {rc} on "
                                         f"SIGTERM\n{broker.describe()}")
                broker.remove()
        problems = check_result(result, broker=target == "atolld")
        self.problems += [f"{workload} against {target}: {p}" for p in problems]
        if rate is None:
            rate = float(settings.get("rate_mbps", 0))
        self.runs.append({"workload": workload, "target": target, "rate_mbps": rate,
                          "result": result})
        return result

    def run(self) -> tuple[dict[str, Any], dict[str, Any]]:
        for tool, hint in ((self.args.bench, "the atoll-bench binary (`make build`)"),
                           (self.args.atolld, "the release atolld (`make build`)")):
            if not os.access(tool, os.X_OK):
                raise SuiteError(f"{tool} not found: {hint}")
        if shutil.which("gnuplot") is None:
            raise SuiteError("gnuplot not found: run `make deps` (tools/install-deps.sh)")
        workloads = SMOKE if self.args.smoke else STANDARD
        for w in workloads:
            if not (self.args.workloads / f"{w}.yaml").is_file():
                raise SuiteError(f"workload file {self.args.workloads / f'{w}.yaml'} missing")
        self.scratch.mkdir(parents=True, exist_ok=True)
        machine = machine_facts()
        limits = self.limits()
        log(f"limits: {json.dumps(limits)}")
        maxima: dict[str, float] = {}
        for w in workloads:
            for target in ("atolld", "mock"):
                rate = None
                if w == MIXED and target in maxima:
                    rate = MIXED_SHARE * maxima[target]
                r = self.bench(w, target, rate)
                if w == MAXIMUM and isinstance(r.get("publish_mb_per_s"), (int, float)):
                    maxima[target] = r["publish_mb_per_s"]
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


def write_report(out_dir: Path, stem: str, machine: dict[str, Any], limits: dict[str, Any],
                 runs: list[dict[str, Any]], smoke: bool, problems: list[str],
                 elapsed_s: float) -> Path:
    md = out_dir / f"{stem}.md"
    raw = out_dir / f"{stem}.json"
    raw.write_text(json.dumps({"machine": machine, "limits": limits, "runs": runs,
                               "problems": problems}, indent=2) + "\n")
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

    lines = [f"# System benchmarks, {stem}" + (" (smoke run)" if smoke else ""), ""]
    lines += [
        "Written by `bench/system/run_suite.py`"
        + (" --smoke" if smoke else " (`make bench`)")
        + f" in {elapsed_s:.0f} s. Every workload ran with `atoll-bench` against a fresh "
        "single-node release `atolld` (`--no-pin`, default shards, acks=all with fdatasync; "
        "own data dir on the disk measured below) and against librdkafka's in-memory mock "
        "cluster, which does no disk I/O. MB = 10^6 bytes. Raw figures: "
        f"[{raw.name}]({raw.name}).", ""]

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

    lines += ["## Every figure", ""]
    header = "| figure | " + " | ".join(f"{r['workload']} {r['target']}" for r in runs) + " |"
    lines += [header, "|---|" + "---:|" * len(runs)]

    def row(name: str, get, digits: int = 2) -> str:
        return f"| {name} | " + " | ".join(fmt(get(r), digits) for r in runs) + " |"

    lines.append(row("rate asked (MB/s; 0 = unthrottled)", lambda r: r["rate_mbps"]))
    lines.append(row("duration (s)", lambda r: r["result"].get("duration_s")))
    for k, name in (("publish_msgs_per_s", "publish (msg/s)"),
                    ("publish_mb_per_s", "publish (MB/s)"),
                    ("consume_msgs_per_s", "consume (msg/s)"),
                    ("consume_mb_per_s", "consume (MB/s)")):
        digits = 0 if "msgs" in k else 2
        lines.append(row(name, lambda r, k=k: r["result"].get(k), digits))
    for k, name in (("publish_latency_ms", "publish latency"), ("e2e_latency_ms", "e2e latency")):
        for p, pname in zip(LATENCY_KEYS, ["p50", "p99", "p99.9", "max"]):
            lines.append(row(f"{name} {pname} (ms)",
                             lambda r, k=k, p=p: as_float((r["result"].get(k) or {}).get(p)), 3))
    lines.append(row("errors", lambda r: r["result"].get("errors")))
    lines.append(row("broker CPU (s)", lambda r: r["result"].get("broker_cpu_s")))
    lines.append(row("broker peak RSS (MiB)",
                     lambda r: None if r["result"].get("broker_peak_rss_bytes") is None
                     else r["result"]["broker_peak_rss_bytes"] / 2**20, 1))
    lines.append(row("broker CPU-s per GB", lambda r: r["result"].get("cpu_s_per_gb"), 3))
    lines.append("")

    # Ratios to the targets.
    lines += ["## Against the targets", "",
              "The issue's targets are goals to report against, not test assertions.", ""]
    workloads = list(dict.fromkeys(r["workload"] for r in runs))
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
    lat_w = LATENCY if LATENCY in workloads else workloads[0]
    lines += [f"**Publish p99 at a fixed rate** ({lat_w}; target: ≤ fdatasync p99 + "
              f"{LATENCY_SLACK_MS:g} ms = {fmt(p99_bound, 3)} ms):", "",
              "| target | publish p99 (ms) | bound (ms) | target |", "|---|---:|---:|---|"]
    for t in ("atolld", "mock"):
        p99 = ((result(lat_w, t) or {}).get("publish_latency_ms") or {}).get("p99")
        ok = None if p99 is None or p99_bound is None else p99 <= p99_bound
        lines.append(f"| {t} | {fmt(p99, 3)} | {fmt(p99_bound, 3)} | "
                     f"{verdict(ok) if t == 'atolld' else '(reference)'} |")
    lines.append("")

    lines += [f"**Broker CPU per GB ingested** (target: ≤ {CPU_S_PER_GB_TARGET} CPU-s/GB):", "",
              "| workload | CPU-s per GB | target |", "|---|---:|---|"]
    for w in workloads:
        c = (result(w, "atolld") or {}).get("cpu_s_per_gb")
        lines.append(f"| {w} | {fmt(c, 3)} | "
                     f"{verdict(None if c is None else c <= CPU_S_PER_GB_TARGET)} |")
    lines.append("")

    lines += ["**Broker vs the in-memory mock cluster** (the issue's target, ≥ "
              f"{MOCK_SHARE_TARGET:.0%} of the mock, applies with write caching, i.e. no "
              "fsync per batch; these runs fsync every batch, so the ratio is for reference):",
              "", "| workload | publish atolld / mock (MB/s) | ratio | consume ratio |",
              "|---|---:|---:|---:|"]
    for w in workloads:
        a, m = result(w, "atolld") or {}, result(w, "mock") or {}
        lines.append(f"| {w} | {fmt(a.get('publish_mb_per_s'))} / "
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


def main() -> int:
    global _WORKLOADS_DIR
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--smoke", action="store_true",
                   help="seconds-long run with assertions, written to a temporary directory")
    p.add_argument("--out", type=Path,
                   help="where the report goes (default: bench/results, or a temporary "
                        "directory removed after a passing --smoke)")
    p.add_argument("--atolld", type=Path,
                   default=Path(os.environ.get("ATOLLD", REPO / "build/release/bin/atolld")))
    p.add_argument("--bench", type=Path,
                   default=Path(os.environ.get("ATOLL_BENCH",
                                               REPO / "build/release/bin/atoll-bench")))
    p.add_argument("--workloads", type=Path, default=_WORKLOADS_DIR)
    p.add_argument("--duration-s", type=int,
                   help="override every workload's duration_s (a shorter full run)")
    p.add_argument("--warmup-s", type=int, help="override every workload's warmup_s")
    p.add_argument("--scratch", type=Path, default=REPO / "bench/.scratch",
                   help="where the broker's data and limits' files go (git-ignored)")
    args = p.parse_args()
    _WORKLOADS_DIR = args.workloads
    stem = datetime.date.today().isoformat()

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
    try:
        machine, limits = suite.run()
        problems = list(suite.problems)
        for k in ("fsync16k_write_mb_per_s", "fsync1m_write_mb_per_s", "loopback_gbit_per_s"):
            if not isinstance(limits.get(k), (int, float)) or not limits[k] > 0:
                problems.append(f"limits: {k} is {limits.get(k)!r}, not above zero")
        for k in ("p50", "p99", "p999"):
            if not isinstance(limits.get("fdatasync_latency_ms", {}).get(k), (int, float)):
                problems.append(f"limits: fdatasync_latency_ms.{k} missing")
        md = write_report(out_dir, stem, machine, limits, suite.runs, args.smoke, problems,
                          time.monotonic() - started)
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
        log(f"smoke passed in {elapsed:.1f} s ({len(suite.runs)} runs, every figure present)")
        if not keep_out:
            shutil.rmtree(out_dir, ignore_errors=True)
        else:
            log(f"report: {md}")
        return 0
    log(f"report: {md} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
