"""Fixtures that run real atolld processes on free ports and clean them up by pid.

- `launcher`: starts brokers with per-test options; every broker it started is
  stopped with SIGTERM at teardown, and the test fails if one does not exit
  cleanly (code 0) in time or had to be killed.
- `broker`: one broker with default options shared by a test module (starting a
  process per parametrized case would be slow); each test using it fails if the
  broker died during that test.

Each broker writes stdout/stderr to files in its temp dir; when a test fails,
their tails are attached to the report.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator, Optional, Sequence

import pytest

from kafka_wire import KafkaConnection

REPO_ROOT = Path(__file__).resolve().parents[2]
ATOLLD = Path(os.environ.get("ATOLLD") or REPO_ROOT / "build" / "release" / "bin" / "atolld")

HOST = "127.0.0.1"
DEFAULT_SMP = 2
READY_TIMEOUT_S = 10.0  # from spawn until the Kafka port accepts connections
STOP_TIMEOUT_S = 5.0  # from SIGTERM/SIGINT until the process has exited
EXIT_TIMEOUT_S = 5.0  # for runs expected to exit on their own (--help, bad config)
OUTPUT_TAIL_CHARS = 16_000
# How an ASan/UBSan/LSan build reports a problem on stderr (the sanitize build also
# aborts, but a report must fail the run even under options that let it go on).
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "SUMMARY: UndefinedBehaviorSanitizer", "runtime error: ")


def free_port() -> int:
    """A port the kernel just handed out; a race with other processes is possible but rare."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tail(text: str, limit: int = OUTPUT_TAIL_CHARS) -> str:
    return text if len(text) <= limit else "[...]\n" + text[-limit:]


@dataclasses.dataclass
class Exited:
    """A run that was expected to exit on its own."""
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (f"$ {' '.join(self.args)}\nexit code {self.returncode}\n"
                f"--- stdout ---\n{tail(self.stdout)}\n--- stderr ---\n{tail(self.stderr)}")


class Broker:
    """One atolld process. `host`/`port` is where to connect; `node_id` what it should report."""

    def __init__(self, name: str, args: list[str], workdir: Path, port: int,
                 node_id: int) -> None:
        self.name = name
        self.args = args
        self.workdir = workdir
        self.host = HOST
        self.port = port
        self.node_id = node_id
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        self.stopped = False  # a test (or teardown) has already stopped it on purpose
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, cwd=workdir)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stdout_text(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr_size(self) -> int:
        return self.stderr_path.stat().st_size

    def sanitizer_report(self, since: int = 0) -> Optional[str]:
        """The first sanitizer report on stderr after byte `since`, with what follows it."""
        with open(self.stderr_path, "rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        starts = [i for i in (text.find(m) for m in SANITIZER_MARKERS) if i >= 0]
        if not starts:
            return None
        start = text.rfind("\n", 0, min(starts)) + 1
        return text[start:start + OUTPUT_TAIL_CHARS]

    def describe(self) -> str:
        rc = self.proc.poll()
        state = "running" if rc is None else f"exit code {rc}"
        return (f"$ {' '.join(self.args)}\n(pid {self.pid}, {state})\n"
                f"--- stdout ---\n{tail(self.stdout_text())}\n"
                f"--- stderr ---\n{tail(self.stderr_text())}")

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                pytest.fail(f"atolld exited with code {rc} while starting\n{self.describe()}",
                            pytrace=False)
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"atolld did not accept connections on {self.bootstrap} "
                            f"within {timeout} s\n{self.describe()}", pytrace=False)
            time.sleep(0.02)

    def connect(self, timeout: float = 5.0) -> KafkaConnection:
        return KafkaConnection(self.host, self.port, timeout=timeout)

    def is_running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> int:
        """Sends `sig` to the pid and waits; returns the exit code.

        Fails the test if the process has to be killed.
        """
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)  # by pid
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # SIGKILL by pid
            self.proc.wait(timeout=timeout)
        pytest.fail(f"atolld did not exit within {timeout} s of {signal.Signals(sig).name}; "
                    f"killed it\n{self.describe()}", pytrace=False)

    def teardown_problem(self) -> Optional[str]:
        """Stops the broker if still running; describes anything unclean."""
        if self.stopped:
            return None
        rc = self.proc.poll()
        if rc is not None:
            self.stopped = True
            return f"atolld exited on its own (code {rc}) before teardown\n{self.describe()}"
        self.stopped = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)
            return (f"atolld did not exit within {STOP_TIMEOUT_S} s of SIGTERM; "
                    f"killed it\n{self.describe()}")
        if rc != 0:
            return f"atolld exited with code {rc} after SIGTERM (expected 0)\n{self.describe()}"
        report = self.sanitizer_report()
        if report:
            return f"atolld's stderr has a sanitizer report\n{report}"
        return None


class Launcher:
    """Starts atolld processes for one test (or module) and stops them all afterwards."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.brokers: list[Broker] = []
        self._runs = 0

    free_port = staticmethod(free_port)

    def _next_dir(self, kind: str) -> tuple[str, Path]:
        self._runs += 1
        name = f"{kind}{self._runs}"
        path = self.workdir / name
        path.mkdir()
        return name, path

    @staticmethod
    def command(data_dir: Path, port: int, *extra: str, smp: Optional[object] = DEFAULT_SMP,
                node_id: Optional[object] = None, advertise: Optional[str] = None,
                pin: bool = False, kafka_addr: Optional[str] = None) -> list[str]:
        kafka_addr = kafka_addr or f"{HOST}:{port}"
        # Port 0: several brokers run at once, each on a free RPC port.
        args = [str(ATOLLD), "--data-dir", str(data_dir), "--kafka-addr", kafka_addr,
                "--rpc-addr", f"{HOST}:0"]
        if not pin:
            args.append("--no-pin")
        if smp is not None:
            args += ["--smp", str(smp)]
        if node_id is not None:
            args += ["--node-id", str(node_id)]
        if advertise is not None:
            args += ["--advertise-kafka-addr", advertise]
        return args + list(extra)

    def start(self, *extra: str, node_id: Optional[int] = None,
              expected_node_id: Optional[int] = None, smp: int = DEFAULT_SMP,
              advertise: Optional[str] = None, data_dir: Optional[Path] = None,
              port: Optional[int] = None, wait: bool = True) -> Broker:
        """Starts a broker; extra args go last. Waits until its port accepts connections."""
        name, path = self._next_dir("atolld")
        if data_dir is None:
            data_dir = path / "data"
            data_dir.mkdir()
        port = port or free_port()
        args = self.command(data_dir, port, *extra, smp=smp, node_id=node_id,
                            advertise=advertise)
        if expected_node_id is None:
            expected_node_id = node_id if node_id is not None else 0
        broker = Broker(name, args, path, port, expected_node_id)
        self.brokers.append(broker)
        if wait:
            broker.wait_ready()
        return broker

    def run_to_exit(self, *extra: str, bare: bool = False, timeout: float = EXIT_TIMEOUT_S,
                    **options: object) -> Exited:
        """Runs atolld expecting it to exit by itself (bad config, --help).

        Unless `bare`, the usual --data-dir/--kafka-addr/--no-pin/--smp come first, so
        that the only thing wrong is what the test adds. If the process is still
        running after `timeout`, it is killed by pid and the test fails.
        """
        _, path = self._next_dir("run")
        if bare:
            args = [str(ATOLLD), *extra]
        else:
            data_dir = path / "data"
            data_dir.mkdir()
            args = self.command(data_dir, free_port(), *extra, **options)  # type: ignore[arg-type]
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=path)
        try:
            out, err = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL by pid
            out, err = proc.communicate(timeout=STOP_TIMEOUT_S)
            timed_out = True
        run = Exited(args, proc.returncode, out.decode(errors="replace"),
                     err.decode(errors="replace"))
        if timed_out:
            pytest.fail(f"atolld was still running {timeout} s after start (expected it "
                        f"to exit by itself); killed it\n{run.describe()}", pytrace=False)
        return run

    def write_file(self, name: str, text: str) -> Path:
        path = self.workdir / name
        path.write_text(text)
        return path

    def close(self) -> list[str]:
        problems = []
        for broker in self.brokers:
            problem = broker.teardown_problem()
            if problem:
                problems.append(problem)
        return problems


def without_ubsan_vptr_check(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> None:
    """For brokers started after this call in the test: no UBSan vptr check.

    UBSan reads a vtable through a pipe (IsAccessibleMemoryRange) before trusting it;
    a broker out of descriptors cannot make one, and UBSan then calls every checked
    virtual call an "invalid vptr" and aborts. Tests that run a broker out of
    descriptors turn that one check off; ASan and the other UBSan checks stay on. A
    no-op for builds without UBSan.
    """
    suppressions = workdir / "ubsan-no-vptr.supp"
    suppressions.write_text("vptr:*\n")
    monkeypatch.setenv("UBSAN_OPTIONS", f"suppressions={suppressions}")


def _require_binary() -> None:
    if not (ATOLLD.is_file() and os.access(ATOLLD, os.X_OK)):
        pytest.exit(f"atolld binary not found (or not executable) at {ATOLLD}; "
                    f"build it or point $ATOLLD at it", returncode=4)


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    _require_binary()
    launcher = Launcher(tmp_path)
    yield launcher
    problems = launcher.close()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def shared_broker(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    _require_binary()
    launcher = Launcher(tmp_path_factory.mktemp("shared"))
    try:
        # A module may ask for its own flags: BROKER_ARGS = ("--set", "x=y").
        broker = launcher.start(*getattr(request.module, "BROKER_ARGS", ()))
        yield broker
    finally:
        problems = launcher.close()
        if problems and request.session.shouldstop:
            # Stopping early (-x): pytest cannot report a failure from this teardown.
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            reporter.write_line("\n\n".join(problems), red=True)
        elif problems:
            pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture
def broker(shared_broker: Broker) -> Iterator[Broker]:
    """The module's shared default broker; the test fails if the broker dies during it."""
    if not shared_broker.is_running():
        pytest.fail(f"the module's shared atolld died in an earlier test (see the first "
                    f"failure); exit code {shared_broker.proc.poll()}", pytrace=False)
    yield shared_broker
    if not shared_broker.is_running():
        shared_broker.stopped = True  # reported here, not again at module teardown
        pytest.fail(f"atolld died during this test\n{shared_broker.describe()}",
                    pytrace=False)


def _brokers_of(item: pytest.Item) -> Sequence[Broker]:
    found: list[Broker] = []
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Broker) and value not in found:
            found.append(value)
        elif isinstance(value, Launcher):
            found.extend(b for b in value.brokers if b not in found)
    return found


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call":
        for b in _brokers_of(item):
            report.sections.append((f"atolld {b.name} (port {b.port})", b.describe()))
