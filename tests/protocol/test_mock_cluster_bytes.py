"""Our codecs against real clients talking to a second Kafka implementation:
librdkafka's mock cluster serves librdkafka (confluent-kafka) and
kafka-python while they produce (compressed, idempotent) and consume in
groups, and kafkajs while it produces (uncompressed and gzip) and lists
offsets (by timestamp too); tshark records the loopback traffic. Every
request and every response in it must decode with our codecs, leaving
nothing over, and encode back to the same bytes. This covers the APIs our broker does not
serve yet: Produce, Fetch, ListOffsets, the group APIs, InitProducerId..."""

import base64
import collections
import json
import shutil
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT

MOCK = REPO_ROOT / "build" / "release" / "bin" / "mock_cluster"
NODE_DIR = REPO_ROOT / "tests" / "node"
TOPIC = "orders"
RECORDS = 20
CLIENT_TIMEOUT_S = 60
API_VERSIONS = 18
UNSUPPORTED_VERSION = struct.pack(">h", 35)

CONFLUENT_KAFKA = f"""
import sys
from confluent_kafka import Producer, Consumer
bootstrap = sys.argv[1]
p = Producer({{"bootstrap.servers": bootstrap, "enable.idempotence": True,
              "compression.type": "lz4", "linger.ms": 5}})
for i in range({RECORDS}):
    p.produce("{TOPIC}", key=b"k%d" % i, value=b"rdkafka-%d" % i, headers={{"h": b"v"}})
assert p.flush(30) == 0
p2 = Producer({{"bootstrap.servers": bootstrap, "compression.type": "zstd"}})
p2.produce("{TOPIC}", value=b"zstd")
assert p2.flush(30) == 0
c = Consumer({{"bootstrap.servers": bootstrap, "group.id": "rdkafka-group",
              "auto.offset.reset": "earliest", "enable.auto.commit": False}})
c.subscribe(["{TOPIC}"])
seen = 0
deadline = __import__("time").time() + 30
while seen < {RECORDS} and __import__("time").time() < deadline:
    m = c.poll(0.5)
    if m is not None and not m.error() and m.value().startswith(b"rdkafka-"):
        seen += 1
c.commit(asynchronous=False)
c.close()
assert seen == {RECORDS}, seen
"""

KAFKA_PYTHON = f"""
import sys
from kafka import KafkaProducer, KafkaConsumer
bootstrap = sys.argv[1]
p = KafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip")
for i in range({RECORDS}):
    p.send("{TOPIC}", key=b"k%d" % i, value=b"kafka-python-%d" % i, headers=[("h", b"v")])
p.flush(30)
p.close()
c = KafkaConsumer("{TOPIC}", bootstrap_servers=bootstrap, group_id="kafka-python-group",
                  auto_offset_reset="earliest", enable_auto_commit=False,
                  consumer_timeout_ms=15000)
seen = 0
for m in c:
    if m.value.startswith(b"kafka-python-"):
        seen += 1
        if seen == {RECORDS}:
            break
c.commit()
c.close()
assert seen == {RECORDS}, seen
"""


def kafkajs(bootstrap, workdir):
    """kafkajs_client.js without its admin calls, which the mock does not serve; strict:
    a failed call fails the run."""
    def b64(text):
        return base64.b64encode(text.encode()).decode()
    records = [[i % 3, b64(f"k{i}"), b64(f"kafkajs-{i}"), [["h", b64("v")]],
                1_700_000_000_000 + i] for i in range(RECORDS)]
    spec = workdir / "kafkajs.spec.json"
    spec.write_text(json.dumps({
        "bootstrap": bootstrap, "topic": TOPIC, "batch": RECORDS, "strict": True,
        "produce": [["none", records], ["gzip", records]],
        "timestamps": [1_700_000_000_000 + RECORDS // 2]}))
    return ["node", str(NODE_DIR / "kafkajs_client.js"), str(spec)]


CLIENTS = {
    "confluent-kafka": lambda b, _: ["/usr/bin/python3", "-c", CONFLUENT_KAFKA, b],
    "kafka-python": lambda b, _: ["/usr/bin/python3", "-c", KAFKA_PYTHON, b],
    "kafkajs": kafkajs,
}


def start_capture(port, pcap):
    proc = subprocess.Popen(["tshark", "-i", "lo", "-f", f"tcp port {port}", "-w", str(pcap)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    # tshark says "Capturing on ..." once packets are being recorded.
    deadline = time.monotonic() + 15
    line = ""
    while "Capturing on" not in line:
        assert proc.poll() is None and time.monotonic() < deadline, "tshark did not start"
        line = proc.stderr.readline()
    # It prints that a moment before the first packet is really recorded.
    time.sleep(1.0)
    return proc


def streams_of(pcap, port):
    """{(stream, to_broker): bytes} of the TCP payloads, in order."""
    out = subprocess.run(["tshark", "-r", str(pcap), "-Y", "tcp.len > 0", "-T", "fields",
                          "-e", "tcp.stream", "-e", "tcp.dstport", "-e", "tcp.payload"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    streams = collections.defaultdict(bytearray)
    for line in out.splitlines():
        stream, dstport, payload = line.split("\t")
        streams[(int(stream), int(dstport) == port)] += bytes.fromhex(payload.replace(":", ""))
    return streams


def frames(data):
    pos, out = 0, []
    while pos + 4 <= len(data):
        (size,) = struct.unpack_from(">i", data, pos)
        if size < 0 or pos + 4 + size > len(data):
            break
        out.append(bytes(data[pos + 4:pos + 4 + size]))
        pos += 4 + size
    return out


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    for tool in ("tshark", "node"):
        assert shutil.which(tool), f"{tool} is not installed (tools/install-deps.sh)"
    assert MOCK.is_file(), f"{MOCK} not found: build it first (make build)"
    workdir = tmp_path_factory.mktemp("mock")
    mock = subprocess.Popen([str(MOCK), TOPIC, "3"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    bootstrap = mock.stdout.readline().strip().split(",")[0]
    port = int(bootstrap.rsplit(":", 1)[1])
    pcap = workdir / "traffic.pcap"
    capture = start_capture(port, pcap)
    results = {}
    try:
        for name, args in CLIENTS.items():
            done = subprocess.run(args(bootstrap, workdir), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S,
                                  cwd=workdir)
            results[name] = done
        time.sleep(0.5)  # the last packets reach the capture file
    finally:
        capture.send_signal(signal.SIGINT)  # by pid
        capture.wait(timeout=15)
        mock.stdin.close()
        mock.wait(timeout=15)
    return results, streams_of(pcap, port)


def test_every_client_ran_its_workload(captured):
    results, _ = captured
    for name, done in results.items():
        assert done.returncode == 0, f"{name}:\n{done.stdout}\n{done.stderr}"


def test_every_request_and_response_round_trips_exactly(codec, captured):
    _, streams = captured
    apis_seen = collections.Counter()
    for (stream, to_broker), data in sorted(streams.items()):
        if not to_broker:
            continue
        # Requests tell how to read the responses: by correlation id.
        pending = {}
        for frame in frames(data):
            key, version, correlation = struct.unpack_from(">hhi", frame)
            answer = codec.ask(f"frame {frame.hex()}")
            assert answer == f"OK {frame.hex()}", (
                f"request api {key} v{version}: {answer}\nframe: {frame.hex()}")
            pending[correlation] = (key, version)
            apis_seen[(key, "request")] += 1
        for frame in frames(streams.get((stream, False), b"")):
            (correlation,) = struct.unpack_from(">i", frame)
            key, version = pending.pop(correlation)
            if key == API_VERSIONS and frame[4:6] == UNSUPPORTED_VERSION:
                # The answer to a version the mock does not know: only its
                # error code is meant to be read (the mock's body after it
                # fits no version), and the client retries lower.
                apis_seen[(key, "unsupported")] += 1
                continue
            answer = codec.ask(f"response {key} {version} {frame.hex()}")
            assert answer == f"OK {frame.hex()}", (
                f"response api {key} v{version}: {answer}\nframe: {frame.hex()}")
            apis_seen[(key, "response")] += 1
    keys = {k for k, _ in apis_seen}
    # Produce, Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch,
    # FindCoordinator, JoinGroup, Heartbeat?, LeaveGroup, SyncGroup,
    # ApiVersions, InitProducerId.
    assert {0, 1, 2, 3, 8, 9, 10, 11, 14, 18, 22} <= keys, sorted(apis_seen.items())
