"""Apache Kafka 4.x as a peer: single-node and 3-node KRaft clusters on loopback.

Used by the differential suite (tests/compat) and by `make bench`. Stdlib only,
so it runs under Debian's /usr/bin/python3 and the suite's virtual environment
alike. The jars come from tests/compat/peers/java (tools/install-peers.sh).

    python3 tests/compat/peers/kafka_peer.py start --dir /tmp/k [--nodes 3]

starts a cluster in the foreground, prints its bootstrap servers and pids, and
stops it (by pid) on Ctrl-C or SIGTERM.

Every node runs as a combined broker+controller (KRaft, no ZooKeeper) with a
small heap, its data under the given directory, and is stopped by its pid.
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
LIB_DIR = HERE / "java" / "target" / "lib"
KAFKA_VERSION = "4.4.0"

# A JVM here shares 2 cores with the broker under test and the clients.
DEFAULT_HEAP = "512m"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0

# Defaults that differ from Kafka's production defaults only where a single
# node or a test run needs it; the differential suite passes the same values
# to atolld.
BASE_PROPERTIES = {
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
}


def java_binary() -> str:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else "java"


def classpath() -> str:
    if not (LIB_DIR / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
        raise RuntimeError(f"Kafka's jars are missing from {LIB_DIR}; "
                           "run tools/install-peers.sh (make peers)")
    return str(LIB_DIR / "*")


def jvm_args(heap: str = DEFAULT_HEAP) -> list[str]:
    """A small, quick-starting JVM: fixed small heap, serial GC for the tools."""
    return [java_binary(), f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath()]


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def metadata_broker_count(host: str, port: int, timeout: float = 2.0) -> int:
    """Brokers a Metadata v1 request lists (enough to tell the node is serving)."""
    body = struct.pack(">hhi", 3, 1, 1) + struct.pack(">h", 4) + b"peer" + struct.pack(">i", -1)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _read_exactly(s, 4))[0]
        data = _read_exactly(s, size)
    # correlation id, then the brokers array's length
    return struct.unpack(">i", data[4:8])[0]


def _read_exactly(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


class KafkaNode:
    def __init__(self, node_id: int, host: str, workdir: Path) -> None:
        self.node_id = node_id
        self.host = host
        self.port = free_port(host)
        self.controller_port = free_port(host)
        self.workdir = workdir
        self.proc: Optional[subprocess.Popen] = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def log_path(self) -> Path:
        return self.workdir / "kafka.log"

    def write_properties(self, voters: str, extra: dict[str, str]) -> Path:
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://{self.bootstrap},CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.bootstrap}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.workdir / "data"),
            **BASE_PROPERTIES, **extra,
        }
        path = self.workdir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return path

    def format(self, cluster_id: str, props: Path) -> None:
        cmd = jvm_args("128m") + ["kafka.tools.StorageTool", "format", "-t", cluster_id,
                                  "-c", str(props)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            raise RuntimeError(f"formatting node {self.node_id} failed:\n{run.stdout}{run.stderr}")

    def start(self, props: Path, heap: str) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(jvm_args(heap) + ["kafka.Kafka", str(props)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         cwd=self.workdir)

    def log_tail(self, limit: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return text[-limit:]

    def stop(self, sig: int = signal.SIGTERM) -> Optional[int]:
        """Stops by pid; SIGKILL if it has not exited in time. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        return self.proc.returncode


class KafkaCluster:
    """`nodes` combined broker+controller nodes; node i listens on hosts[i]."""

    def __init__(self, workdir: Path, hosts: list[str], properties: Optional[dict[str, str]] = None,
                 heap: str = DEFAULT_HEAP) -> None:
        self.workdir = workdir
        self.heap = heap
        self.properties = dict(properties or {})
        self.nodes = []
        for i, host in enumerate(hosts, start=1):
            d = workdir / f"kafka{i}"
            d.mkdir(parents=True, exist_ok=True)
            self.nodes.append(KafkaNode(i, host, d))

    @property
    def bootstrap(self) -> str:
        return ",".join(n.bootstrap for n in self.nodes)

    @property
    def pids(self) -> list[int]:
        return [n.pid for n in self.nodes]

    def start(self) -> "KafkaCluster":
        voters = ",".join(f"{n.node_id}@{n.host}:{n.controller_port}" for n in self.nodes)
        # Kafka's cluster ids are 16 bytes in URL-safe base64 without padding;
        # one starting with '-' would read as an option to the format tool.
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        props = [n.write_properties(voters, self.properties) for n in self.nodes]
        for n, p in zip(self.nodes, props):
            n.format(cluster_id, p)
        for n, p in zip(self.nodes, props):
            n.start(p, self.heap)
        try:
            self.wait_ready()
        except Exception:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Until every node answers Metadata listing every node."""
        deadline = time.monotonic() + timeout
        pending = list(self.nodes)
        while pending:
            n = pending[0]
            if n.proc is not None and n.proc.poll() is not None:
                raise RuntimeError(f"Kafka node {n.node_id} exited with code "
                                   f"{n.proc.returncode} while starting\n{n.log_tail()}")
            try:
                if metadata_broker_count(n.host, n.port) == len(self.nodes):
                    pending.pop(0)
                    continue
            except (OSError, struct.error):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kafka node {n.node_id} not ready on {n.bootstrap} "
                                   f"within {timeout} s\n{n.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> list[Optional[int]]:
        return [n.stop() for n in self.nodes]


def start_single(workdir: Path, properties: Optional[dict[str, str]] = None,
                 heap: str = DEFAULT_HEAP, host: str = "127.0.0.1") -> KafkaCluster:
    return KafkaCluster(workdir, [host], properties, heap).start()


def start_three(workdir: Path, properties: Optional[dict[str, str]] = None,
                heap: str = DEFAULT_HEAP) -> KafkaCluster:
    """Three nodes on 127.0.0.2-4 (the whole of 127/8 routes to loopback)."""
    return KafkaCluster(workdir, [f"127.0.0.{i}" for i in (2, 3, 4)], properties, heap).start()


def main() -> int:
    ap = argparse.ArgumentParser(description="Run Apache Kafka (KRaft) on loopback.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    st = sub.add_parser("start", help="start a cluster and keep it running until SIGINT/SIGTERM")
    st.add_argument("--dir", required=True, type=Path, help="data and logs go here")
    st.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    st.add_argument("--heap", default=DEFAULT_HEAP)
    st.add_argument("--property", action="append", default=[], metavar="K=V",
                    help="a broker property, repeatable")
    args = ap.parse_args()
    props = dict(p.split("=", 1) for p in args.property)
    args.dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cluster = (start_three if args.nodes == 3 else start_single)(args.dir, props, args.heap)
    print(f"kafka {KAFKA_VERSION} ready in {time.monotonic() - started:.1f} s: "
          f"bootstrap {cluster.bootstrap}, pids {cluster.pids}", flush=True)
    stop = {"now": False}

    def on_signal(*_: object) -> None:
        stop["now"] = True
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stop["now"] and all(n.proc and n.proc.poll() is None for n in cluster.nodes):
        time.sleep(0.2)
    print(f"stopped: exit codes {cluster.stop()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
