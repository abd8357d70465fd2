"""Both brokers of the differential suite, started once per run and stopped by pid.

Apache Kafka 4.4 (single-node KRaft) and atolld run with the same settings.
Each driver runs all its scenarios once against each broker, the two runs side
by side; the tests then compare the results scenario by scenario.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

COMPAT = Path(__file__).resolve().parent
sys.path.insert(0, str(COMPAT / "peers"))
sys.path.insert(0, str(COMPAT))

import kafka_peer  # noqa: E402
from compare import load_known  # noqa: E402
from drivers import DriverRun, all_drivers  # noqa: E402

REPO_ROOT = COMPAT.parents[1]
ATOLLD = Path(os.environ.get("ATOLLD") or REPO_ROOT / "build" / "release" / "bin" / "atolld")
KNOWN_DIFFERENCES = COMPAT / "known_differences.toml"
NODE_ID = 1
# The same on both brokers; the rest are each broker's own defaults.
SHARED_PROPERTIES = {
    "num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
    "auto.create.topics.enable": "true",
}


class AtollBroker:
    def __init__(self, workdir: Path) -> None:
        self.port = kafka_peer.free_port("127.0.0.1")
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.log_path = workdir / "atolld.log"
        args = [str(ATOLLD), "--data-dir", str(workdir / "data"), "--kafka-addr", self.bootstrap,
                "--rpc-addr", "127.0.0.1:0", "--node-id", str(NODE_ID), "--smp", "2", "--no-pin"]
        for k, v in SHARED_PROPERTIES.items():
            args += ["--set", f"{k}={v}"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 15
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"atolld exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"atolld not ready on {self.bootstrap}:\n{self.log_tail()}")
                time.sleep(0.05)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # by pid
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return -9
        return self.proc.returncode


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" not in metafunc.fixturenames:
        return
    cases = []
    for d in all_drivers():
        cases += [(d.name, s) for s in d.scenarios()]
    metafunc.parametrize("case", cases, ids=[f"{d}:{s}" for d, s in cases])


@pytest.fixture(scope="session")
def brokers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("brokers")
    started = time.monotonic()
    kafka = kafka_peer.start_single(root / "kafka", {**SHARED_PROPERTIES, "node.id": str(NODE_ID)})
    atoll = AtollBroker(root)
    print(f"\ncompat: Kafka {kafka_peer.KAFKA_VERSION} at {kafka.bootstrap} (pid {kafka.pids[0]}), "
          f"atolld at {atoll.bootstrap} (pid {atoll.proc.pid}), ready in "
          f"{time.monotonic() - started:.1f} s")
    yield {"kafka": kafka.bootstrap, "atoll": atoll.bootstrap}
    kafka.stop()
    code = atoll.stop()
    assert code == 0, f"atolld exited with {code} at the end of the run:\n{atoll.log_tail()}"


class Runs:
    """Each driver's results against each broker, run on first use."""

    def __init__(self, bootstraps: dict[str, str]) -> None:
        self.bootstraps = bootstraps
        self.drivers = {d.name: d for d in all_drivers()}
        self.cache: dict[str, dict[str, DriverRun]] = {}

    def get(self, driver: str) -> dict[str, DriverRun]:
        if driver not in self.cache:
            d = self.drivers[driver]
            started = time.monotonic()
            with ThreadPoolExecutor(2) as pool:
                futures = {b: pool.submit(d.run_all, addr) for b, addr in self.bootstraps.items()}
                self.cache[driver] = {b: f.result() for b, f in futures.items()}
            print(f"\ncompat: driver {driver} ran against both brokers in "
                  f"{time.monotonic() - started:.1f} s")
        return self.cache[driver]


@pytest.fixture(scope="session")
def runs(brokers: dict[str, str]) -> Runs:
    return Runs(brokers)


@pytest.fixture(scope="session")
def known():
    return load_known(KNOWN_DIFFERENCES)


EXPLAINED: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if EXPLAINED:
        terminalreporter.section("known differences (known_differences.toml)")
        for line in EXPLAINED:
            terminalreporter.write_line(line)
