"""queued.max.request.bytes: the memory requests may hold at once. Clients that
send more than the budget allows are slowed down (their connections are not
read until memory frees up), not refused, and the broker's resident memory
stays within the bound."""

import os
import socket
import threading
import time

import pytest

import kafka_wire as kw

BUDGET = 16 << 20  # 8 MiB per shard on the two-shard broker
PARTITIONS = 8
BATCH_VALUE_BYTES = 1000 * 1000  # one record per batch, under max.message.bytes
CLIENTS = 20  # 20 requests of ~8 MB: ten times the budget
# What the broker may grow by beyond the budget: allocator slack, the log's
# buffers, the connections themselves.
SLACK = 40 << 20


def resident_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def big_produce_frame(topic, correlation_id):
    """A Produce v9 request of about 8 MB: one 1 MB batch per partition."""
    value = os.urandom(BATCH_VALUE_BYTES)
    batch = kw.encode_record_batch([kw.Record(key=None, value=value)])
    body = kw.encode_body(kw.PRODUCE, 9, {"acks": -1, "timeout_ms": 30000, "topic_data": [{
        "name": topic,
        "partition_data": [{"index": p, "records": batch} for p in range(PARTITIONS)]}]})
    return kw.frame(kw.encode_request(kw.PRODUCE, 9, correlation_id, body.bytes()))


@pytest.fixture
def budget_broker(launcher, monkeypatch):
    # Under AddressSanitizer freed memory sits in a quarantine (256 MiB by
    # default) and stays resident; without it, resident memory means what it
    # means in a release build. A release broker ignores the variable.
    options = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", f"{options}:quarantine_size_mb=0".lstrip(":"))
    return launcher.start("--set", f"queued.max.request.bytes={BUDGET}")


def test_requests_beyond_the_budget_wait_and_resident_memory_stays_bounded(budget_broker):
    broker = budget_broker
    with broker.connect() as conn:
        resp = conn.call(kw.CREATE_TOPICS, 7, {"topics": [
            {"name": "budget", "num_partitions": PARTITIONS}]})
        assert resp["topics"][0]["error_code"] == 0
    frame = big_produce_frame("budget", 7)
    baseline = resident_bytes(broker.pid)

    # Every client sends its whole request but the last byte, so that a
    # broker reading them all would hold all of them at once; then waits.
    release = threading.Event()
    answers = [None] * CLIENTS
    failures = []

    def client(i):
        try:
            with socket.create_connection(("127.0.0.1", broker.port), timeout=120) as s:
                s.sendall(frame[:-1])
                release.wait(120)
                s.sendall(frame[-1:])
                conn = kw.KafkaConnection.over(s)
                answers[i] = kw.decode_body(kw.PRODUCE, 9,
                                            conn.recv_response(kw.PRODUCE, 9, 7))
        except Exception as e:  # reported below with the client's number
            failures.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    peak = baseline
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        peak = max(peak, resident_bytes(broker.pid))
        time.sleep(0.02)
    release.set()
    while any(t.is_alive() for t in threads):
        peak = max(peak, resident_bytes(broker.pid))
        time.sleep(0.02)
    for t in threads:
        t.join()

    assert failures == []
    growth = peak - baseline
    assert growth <= BUDGET + SLACK, (
        f"resident memory grew by {growth >> 20} MiB with a budget of {BUDGET >> 20} MiB "
        f"against {CLIENTS} requests of {len(frame) >> 20} MiB")
    # Slowed down, not refused: every request was served in full.
    for answer in answers:
        parts = answer["responses"][0]["partition_responses"]
        assert [p["error_code"] for p in parts] == [0] * PARTITIONS
    with broker.connect() as conn:
        resp = conn.call(kw.LIST_OFFSETS, 7, {"topics": [{"name": "budget", "partitions": [
            {"partition_index": p, "timestamp": -1} for p in range(PARTITIONS)]}]})
        ends = [p["offset"] for p in resp["topics"][0]["partitions"]]
        assert ends == [CLIENTS] * PARTITIONS
