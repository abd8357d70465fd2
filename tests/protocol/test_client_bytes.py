"""Our codecs against the bytes real clients send: a recording proxy sits
between each client and a real atolld; every request frame it saw must
decode (header and body, by its api key and version) with nothing left over,
and encode back to the very same bytes.

Only what the broker serves so far gets past the first requests, so the
captured set grows as handlers land: today ApiVersions and Metadata from
librdkafka (kcat, confluent-kafka), kafka-python and kafkajs."""

import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT

ATOLLD = Path(os.environ.get("ATOLLD") or REPO_ROOT / "build" / "release" / "bin" / "atolld")
CLIENT_TIMEOUT_S = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingProxy:
    """Forwards 127.0.0.1:<port> to the broker and records what clients send."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.streams = []  # bytes each client sent, one bytearray per connection
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            recorded = bytearray()
            with self.lock:
                self.streams.append(recorded)
            threading.Thread(target=self._pump, args=(client, upstream, recorded),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None),
                             daemon=True).start()

    @staticmethod
    def _pump(src, dst, recorded):
        try:
            while data := src.recv(65536):
                if recorded is not None:
                    recorded += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def frames(self):
        """Every complete request frame recorded, without its size prefix."""
        out = []
        with self.lock:
            streams = [bytes(s) for s in self.streams]
        for stream in streams:
            pos = 0
            while pos + 4 <= len(stream):
                (size,) = struct.unpack_from(">i", stream, pos)
                if size < 0 or pos + 4 + size > len(stream):
                    break
                out.append(stream[pos + 4:pos + 4 + size])
                pos += 4 + size
        return out

    def close(self):
        self.listener.close()


@pytest.fixture(scope="module")
def proxied_broker(tmp_path_factory):
    if not ATOLLD.is_file():
        pytest.exit(f"{ATOLLD} not found: build it first (make build)", returncode=4)
    workdir = tmp_path_factory.mktemp("atolld")
    port = free_port()
    log = open(workdir / "stderr", "wb")
    proc = subprocess.Popen([str(ATOLLD), "--data-dir", str(workdir / "data"),
                             "--kafka-addr", f"127.0.0.1:{port}", "--rpc-addr", "127.0.0.1:0",
                             "--no-pin", "--smp", "1"],
                            stdin=subprocess.DEVNULL, stderr=log, stdout=log)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "atolld did not start"
            time.sleep(0.02)
    try:
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)  # by pid
        try:
            assert proc.wait(timeout=5) == 0
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("atolld did not stop on SIGTERM")
        log.close()


def run_client(args):
    done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=CLIENT_TIMEOUT_S, text=True)
    return done


CLIENTS = {
    "kcat": lambda port: ["kcat", "-L", "-b", f"127.0.0.1:{port}", "-m", "5"],
    "kcat-topic": lambda port: ["kcat", "-L", "-b", f"127.0.0.1:{port}", "-t", "orders",
                                "-m", "5"],
    "confluent-kafka": lambda port: [
        "/usr/bin/python3", "-c",
        "from confluent_kafka.admin import AdminClient\n"
        f"a = AdminClient({{'bootstrap.servers': '127.0.0.1:{port}'}})\n"
        "print(a.list_topics(timeout=10).brokers)\n"
        "print(a.list_topics(topic='orders', timeout=10).topics)\n"],
    "kafka-python": lambda port: [
        "/usr/bin/python3", "-c",
        "from kafka import KafkaConsumer\n"
        f"c = KafkaConsumer(bootstrap_servers='127.0.0.1:{port}', api_version_auto_timeout_ms=10000)\n"
        "print(c.topics())\n"
        "c.close()\n"],
    "kafkajs": lambda port: ["node", str(REPO_ROOT / "tests" / "node" / "list_topics.js"),
                             f"127.0.0.1:{port}"],
}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_every_request_a_client_sends_round_trips_exactly(codec, proxied_broker, client):
    proxy = RecordingProxy(proxied_broker)
    try:
        done = run_client(CLIENTS[client](proxy.port))
        assert done.returncode == 0, done.stderr
        frames = proxy.frames()
    finally:
        proxy.close()
    assert len(frames) >= 2, "the client sent fewer requests than ApiVersions + Metadata"
    keys = set()
    for frame in frames:
        answer = codec.ask(f"frame {frame.hex()}")
        assert answer == f"OK {frame.hex()}", f"{client}: {answer}\nframe: {frame.hex()}"
        keys.add(struct.unpack_from(">h", frame)[0])
    assert {18, 3} <= keys, f"{client} sent api keys {sorted(keys)}"
