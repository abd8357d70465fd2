"""The brokers `run_suite.py` measures: a release atolld and Apache Kafka 4.4.

Each broker is fresh (its own data dir under the suite's scratch directory,
which is on the disk `limits` measures), listens on a free loopback port and
is stopped by its pid, never by name. A broker that does not come up raises
BrokerError with its log's tail.

Targets:
  atolld       release atolld, --no-pin (acks=all waits for fdatasync)
  kafka        Apache Kafka 4.4 single-node KRaft, its defaults: acks=all is
               answered once the batch is in the page cache
  kafka-fsync  the same with log.flush.interval.messages=1: an fsync after
               every append (every batch), what atolld does for acks=all
  mock         librdkafka's in-memory mock cluster inside atoll-bench (no
               broker process here)

Also: the /proc figures the suite reads around Kafka's own tools, and a
CreateTopics request, so topics for those tools exist with the partition
count asked for on both brokers. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
PEERS_DIR = REPO / "tests/compat/peers"
sys.path.insert(0, str(PEERS_DIR))
import kafka_peer  # noqa: E402  (tests/compat/peers, stdlib only)

HOST = "127.0.0.1"
TARGETS = ["atolld", "kafka", "kafka-fsync", "mock"]
BROKER_TARGETS = ["atolld", "kafka", "kafka-fsync"]
KAFKA_TARGETS = ["kafka", "kafka-fsync"]
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0
DEFAULT_KAFKA_HEAP = "1g"

# Both brokers get the settings the workloads and tools need and nothing
# else: partitions come from CreateTopics (atoll-bench, or create_topic
# below for Kafka's tools); ConsumerPerformance joins a group, which should
# not sit out a 3 s initial rebalance delay on either broker.
ATOLLD_ARGS = ["--no-pin", "--set", "group.initial.rebalance.delay.ms=0"]
KAFKA_PROPERTIES = {
    "num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
}
KAFKA_FSYNC_PROPERTIES = {**KAFKA_PROPERTIES, "log.flush.interval.messages": "1"}
# A JVM that exits on SIGTERM through its shutdown hooks reports 128 + 15.
KAFKA_CLEAN_EXIT = (0, 128 + signal.SIGTERM)


class BrokerError(Exception):
    pass


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


def target_settings(atolld: Path, kafka_heap: str) -> dict[str, dict[str, Any]]:
    """What each target is, for the report and its JSON."""
    kafka_jvm = f"-Xms{kafka_heap} -Xmx{kafka_heap} -XX:+UseG1GC -XX:MaxGCPauseMillis=20"
    base = {**kafka_peer.BASE_PROPERTIES}
    return {
        "atolld": {"binary": str(atolld), "args": ATOLLD_ARGS,
                   "durability": "fdatasync before acks=all is answered"},
        "kafka": {"version": kafka_peer.KAFKA_VERSION, "mode": "single-node KRaft, "
                  "combined broker+controller", "jvm": kafka_jvm, "heap": kafka_heap,
                  "properties": {**base, **KAFKA_PROPERTIES},
                  "durability": "page cache (Kafka's default: no fsync on the produce path)"},
        "kafka-fsync": {"version": kafka_peer.KAFKA_VERSION, "mode": "single-node KRaft, "
                        "combined broker+controller", "jvm": kafka_jvm, "heap": kafka_heap,
                        "properties": {**base, **KAFKA_FSYNC_PROPERTIES},
                        "durability": "fsync after every append (log.flush.interval.messages=1)"},
        "mock": {"durability": "none (in memory)"},
    }


class Broker:
    """One started broker. Subclasses start it in __init__."""

    target: str
    dir: Path

    @property
    def bootstrap(self) -> str:
        raise NotImplementedError

    @property
    def pid(self) -> int:
        raise NotImplementedError

    def alive(self) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def stop(self) -> Optional[str]:
        """Stops the broker by pid; what went wrong, or None after a clean stop."""
        raise NotImplementedError

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class AtollBroker(Broker):
    """A release atolld on a fresh data dir."""

    def __init__(self, atolld: Path, scratch: Path, label: str) -> None:
        self.target = "atolld"
        self.dir = Path(tempfile.mkdtemp(prefix=f"atolld-{label}-", dir=scratch))
        self.port = free_port()
        self.log_path = self.dir / "atolld.log"
        data = self.dir / "data"
        data.mkdir()
        self.args = [str(atolld), "--data-dir", str(data), "--kafka-addr",
                     f"{HOST}:{self.port}", "--rpc-addr", f"{HOST}:0", *ATOLLD_ARGS]
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            self.remove()
            raise

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def describe(self) -> str:
        return f"$ {' '.join(self.args)} (pid {self.proc.pid})\n{tail(self.log_path)}"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise BrokerError(f"atolld exited with code {rc} while starting\n"
                                  f"{self.describe()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BrokerError(f"atolld did not accept connections within "
                                  f"{READY_TIMEOUT_S} s\n{self.describe()}")
            time.sleep(0.02)

    def stop(self) -> Optional[str]:
        """SIGTERM to the pid; SIGKILL (by pid) if it does not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)
            return (f"atolld did not exit within {STOP_TIMEOUT_S} s of SIGTERM; killed it\n"
                    f"{self.describe()}")
        if rc != 0:
            return f"atolld exited with code {rc} on SIGTERM\n{self.describe()}"
        return None


class KafkaBroker(Broker):
    """Apache Kafka 4.4, single-node KRaft (tests/compat/peers/kafka_peer.py)."""

    def __init__(self, target: str, scratch: Path, label: str, heap: str) -> None:
        self.target = target
        self.heap = heap
        self.dir = Path(tempfile.mkdtemp(prefix=f"{target}-{label}-", dir=scratch))
        props = KAFKA_FSYNC_PROPERTIES if target == "kafka-fsync" else KAFKA_PROPERTIES
        try:
            # Formats the node's storage, starts it and waits until it serves
            # Metadata.
            self.cluster = kafka_peer.KafkaCluster(self.dir, [HOST], dict(props), heap)
            self.cluster.start()
        except BaseException as e:
            cluster = getattr(self, "cluster", None)
            log_tail = ""
            if cluster is not None:
                cluster.stop()  # by pid; nothing to do for a node never started
                log_tail = tail(cluster.nodes[0].log_path)
            self.remove()
            if not isinstance(e, (RuntimeError, OSError, subprocess.SubprocessError)):
                raise
            msg = str(e)
            if log_tail and log_tail[-200:] not in msg:
                msg += f"\n--- kafka.log ---\n{log_tail}"
            raise BrokerError(f"Apache Kafka ({target}) did not start: {msg}") from None
        self.node = self.cluster.nodes[0]

    @property
    def bootstrap(self) -> str:
        return self.cluster.bootstrap

    @property
    def pid(self) -> int:
        return self.node.pid

    def alive(self) -> bool:
        return self.node.proc is not None and self.node.proc.poll() is None

    def describe(self) -> str:
        cmd = " ".join(self.node.proc.args) if self.node.proc is not None else "?"
        return f"$ {cmd} (pid {self.pid})\n{self.node.log_tail(4000)}"

    def stop(self) -> Optional[str]:
        was_running = self.alive()
        started = time.monotonic()
        rc = self.node.stop()  # SIGTERM by pid, SIGKILL by pid after 20 s
        if was_running and rc not in KAFKA_CLEAN_EXIT:
            waited = time.monotonic() - started
            how = ("did not exit within its stop timeout; killed it"
                   if rc == -signal.SIGKILL and waited >= kafka_peer.STOP_TIMEOUT_S
                   else f"exited with code {rc} on SIGTERM")
            return f"Apache Kafka ({self.target}) {how}\n{self.describe()}"
        if not was_running:
            return f"Apache Kafka ({self.target}) had exited (code {rc}) before the stop\n" \
                   f"{self.describe()}"
        return None


def start_broker(target: str, scratch: Path, label: str, atolld: Path,
                 kafka_heap: str) -> Broker:
    if target == "atolld":
        return AtollBroker(atolld, scratch, label)
    if target in KAFKA_TARGETS:
        return KafkaBroker(target, scratch, label, kafka_heap)
    raise ValueError(f"no broker for target {target}")


def kafka_missing() -> Optional[str]:
    """Why Kafka cannot run here, or None."""
    try:
        kafka_peer.classpath()
    except RuntimeError as e:
        return str(e)
    java = kafka_peer.java_binary()
    if shutil.which(java) is None:
        return f"{java} not found: Apache Kafka and its tools need a JDK 17 or newer"
    return None


# -- /proc figures -------------------------------------------------------------

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU of the process (all its threads) so far."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def peak_rss_bytes(pid: int) -> Optional[int]:
    """VmHWM: the process's peak resident set so far."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# -- CreateTopics --------------------------------------------------------------

def _string(s: str) -> bytes:
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def create_topic(bootstrap: str, topic: str, partitions: int, timeout_s: float = 15.0) -> None:
    """CreateTopics v2 (both brokers serve it): `partitions`, replication factor 1.

    TOPIC_ALREADY_EXISTS counts as success. Raises BrokerError otherwise."""
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    body = struct.pack(">hhi", 19, 2, 1) + _string("atoll-run-suite")
    body += struct.pack(">i", 1) + _string(topic) + struct.pack(">ih", partitions, 1)
    body += struct.pack(">ii", 0, 0)  # no replica assignment, no configs
    body += struct.pack(">i?", int(timeout_s * 1000), False)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=timeout_s + 5) as s:
                s.sendall(struct.pack(">i", len(body)) + body)
                size = struct.unpack(">i", _read_exactly(s, 4))[0]
                data = _read_exactly(s, size)
            break
        except OSError as e:
            if time.monotonic() > deadline:
                raise BrokerError(f"CreateTopics {topic} on {bootstrap}: {e}")
            time.sleep(0.2)
    # correlation id, throttle_time_ms, then [name, error_code, error_message]
    _, _, count = struct.unpack(">iii", data[:12])
    off = 12
    for _ in range(count):
        n = struct.unpack(">h", data[off:off + 2])[0]
        name = data[off + 2:off + 2 + n].decode()
        off += 2 + n
        err, n = struct.unpack(">hh", data[off:off + 4])
        off += 4
        message = data[off:off + n].decode(errors="replace") if n >= 0 else None
        off += max(n, 0)
        if name == topic and err not in (0, 36):  # 36: TOPIC_ALREADY_EXISTS
            raise BrokerError(f"CreateTopics {topic} on {bootstrap}: error code {err} "
                              f"({message})")
