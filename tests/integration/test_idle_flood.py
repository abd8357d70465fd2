"""A flood of idle connections, below the broker's descriptor limit and up to it: a
client producing and fetching on another connection keeps its latency, and once the
flood goes away the broker lets go of every descriptor and serves new clients."""

from __future__ import annotations

import contextlib
import os
import random
import resource
import socket
import statistics
import time
from typing import Iterator

import pytest

import kafka_wire as kw
from conftest import without_ubsan_vptr_check
from expected import SUPPORTED_APIS

FLOOD = 2000  # idle connections
ROUNDS = 30  # produce-then-fetch round trips measured before, during and after
EDGE_FD_LIMIT = 256  # the descriptor limit of the broker flooded up to its limit
WAIT_S = 15.0  # for the broker to accept or release the flood
# A round trip during the flood may take this much longer than before it (the machine
# may be busy with other work: the bound is loose on purpose).
SLOWDOWN_MAX = 5.0
SLOW_FLOOR_S = 0.05
ROUND_MAX_S = 1.0
FD_SLACK = 2  # descriptors the broker may open or close meanwhile on its own
LOG_GROWTH_MAX = 256 * 1024  # bytes of log while at the descriptor limit, for a second
CPU_SHARE_MAX = 0.5  # of one core, while at the descriptor limit and idle otherwise
TOPIC = "busy"


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_for(condition, timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def allow_files(n: int) -> None:
    """Raises this process's soft descriptor limit to at least n (or fails the test)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        if hard != resource.RLIM_INFINITY and hard < n:
            pytest.fail(f"the flood needs {n} descriptors; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


class BusyClient:
    """A well-behaved client: produces a small batch, fetches it back, on one connection."""

    def __init__(self, broker) -> None:
        self.conn = broker.connect()
        created = self.conn.call(kw.CREATE_TOPICS, 7, {"topics": [{"name": TOPIC}]})
        assert created["topics"][0]["error_code"] == kw.NONE, created
        self.produced: list[kw.Record] = []

    def round_trip(self) -> float:
        start = time.monotonic()
        records = [kw.Record(f"k{len(self.produced) + i}".encode(), b"v" * 100)
                   for i in range(5)]
        resp = self.conn.call(kw.PRODUCE, 11, {"acks": 1, "topic_data": [
            {"name": TOPIC, "partition_data": [
                {"index": 0, "records": kw.encode_record_batch(records)}]}]})
        out = resp["responses"][0]["partition_responses"][0]
        assert (out["error_code"], out["base_offset"]) == (kw.NONE, len(self.produced)), out
        self.produced += records
        fetched = self.fetch(out["base_offset"])
        assert [r.key for r in fetched[:5]] == [r.key for r in records]
        return time.monotonic() - start

    def fetch(self, offset: int) -> list[kw.Record]:
        # A long poll: an acks=1 batch is readable once it commits (flushed).
        resp = self.conn.call(kw.FETCH, 12, {"max_wait_ms": 5000, "min_bytes": 1,
                                             "topics": [{"topic": TOPIC, "partitions": [
            {"partition": 0, "fetch_offset": offset, "partition_max_bytes": 1 << 20}]}]})
        p = resp["responses"][0]["partitions"][0]
        assert p["error_code"] == kw.NONE, p
        return [r for b in kw.decode_record_batches(p["records"]) for r in b.records
                if r.offset >= offset]

    def rounds(self, n: int = ROUNDS) -> list[float]:
        return [self.round_trip() for _ in range(n)]

    def check_everything_is_there(self) -> None:
        got = self.fetch(0)
        assert [(r.offset, r.key) for r in got] == \
            [(i, r.key) for i, r in enumerate(self.produced)]


@contextlib.contextmanager
def idle_connections(broker, n: int) -> Iterator[list[socket.socket]]:
    """n connections that send nothing; all closed on the way out."""
    socks: list[socket.socket] = []
    try:
        for _ in range(n):
            socks.append(socket.create_connection((broker.host, broker.port), timeout=5))
        yield socks
    finally:
        for sock in socks:
            sock.close()


def assert_latency_kept(before: list[float], during: list[float], what: str) -> None:
    limit = max(SLOWDOWN_MAX * statistics.median(before), SLOW_FLOOR_S)
    assert statistics.median(during) <= limit and max(during) <= ROUND_MAX_S, (
        f"{what}: round trips took median {statistics.median(during) * 1000:.1f} ms, "
        f"max {max(during) * 1000:.1f} ms; before: median "
        f"{statistics.median(before) * 1000:.1f} ms")


def test_idle_connections_do_not_slow_a_busy_client_and_are_released(launcher):
    allow_files(FLOOD + 1000)
    b = launcher.start()
    # Room for the whole flood whatever the limit this test was started with: this
    # test is about many idle connections, the next one about the limit.
    resource.prlimit(b.pid, resource.RLIMIT_NOFILE, (FLOOD + 1000, FLOOD + 1000))
    client = BusyClient(b)
    before = client.rounds()
    fds_before = fd_count(b.pid)

    with idle_connections(b, FLOOD) as idle:
        assert wait_for(lambda: fd_count(b.pid) >= fds_before + FLOOD - FD_SLACK), \
            f"atolld holds {fd_count(b.pid)} descriptors; {fds_before} + {FLOOD} expected"
        during = client.rounds()
        # Idle is not dead: a few of them are still served.
        for sock in random.Random(7).sample(idle, 20):
            assert kw.KafkaConnection.over(sock).api_versions(0).api_keys == SUPPORTED_APIS
    assert wait_for(lambda: fd_count(b.pid) <= fds_before + FD_SLACK), \
        f"atolld still holds {fd_count(b.pid)} descriptors, {fds_before} before the flood"
    after = client.rounds(5)
    client.check_everything_is_there()
    with b.connect() as fresh:
        assert fresh.api_versions(3).api_keys == SUPPORTED_APIS
    client.conn.close()
    assert_latency_kept(before, during, f"with {FLOOD} idle connections open")
    assert_latency_kept(before, after, "after the flood")


def compact_log(path, keep: int = 64 * 1024) -> None:
    """Cuts the middle out of a huge log, so a failed run leaves no huge file behind."""
    size = path.stat().st_size
    if size <= 4 * keep:
        return
    with open(path, "rb") as f:
        head = f.read(keep)
        f.seek(size - keep)
        tail = f.read()
    path.write_bytes(head + f"\n[... {size - 2 * keep} bytes cut by the test ...]\n".encode()
                     + tail)


def test_at_its_descriptor_limit_the_broker_keeps_serving_quietly_and_recovers(
        launcher, monkeypatch, tmp_path):
    allow_files(EDGE_FD_LIMIT * 2 + 500)
    without_ubsan_vptr_check(monkeypatch, tmp_path)
    b = launcher.start()
    try:
        client = BusyClient(b)
        before = client.rounds()
        fds_before = fd_count(b.pid)
        resource.prlimit(b.pid, resource.RLIMIT_NOFILE, (EDGE_FD_LIMIT, EDGE_FD_LIMIT))

        # More connections than the broker can take: the rest wait in the listen backlog.
        with idle_connections(b, EDGE_FD_LIMIT - fds_before + 50):
            assert wait_for(lambda: fd_count(b.pid) >= EDGE_FD_LIMIT - 1), \
                f"atolld holds {fd_count(b.pid)} descriptors, limit {EDGE_FD_LIMIT}"
            log_start, cpu_start = b.stderr_size(), cpu_seconds(b.pid)
            t_start = time.monotonic()
            at_limit = client.rounds(10)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t_start)))
            window = time.monotonic() - t_start
            log_growth = b.stderr_size() - log_start
            cpu_share = (cpu_seconds(b.pid) - cpu_start) / window
        assert wait_for(lambda: fd_count(b.pid) <= fds_before + FD_SLACK), \
            f"atolld still holds {fd_count(b.pid)} descriptors, {fds_before} before the flood"
        with b.connect() as fresh:
            assert fresh.api_versions(3).api_keys == SUPPORTED_APIS
        after = client.rounds(5)
        client.check_everything_is_there()
        client.conn.close()
        assert b.is_running()
    finally:
        # Stopped here, not by the fixture, to cut a flooded log down once it is whole.
        exit_code = b.stop()
        report = b.sanitizer_report()
        compact_log(b.stderr_path)
    assert (exit_code, report) == (0, None)

    assert_latency_kept(before, at_limit, "at the descriptor limit")
    assert_latency_kept(before, after, "after the flood")
    assert log_growth <= LOG_GROWTH_MAX and cpu_share <= CPU_SHARE_MAX, (
        f"for {window:.2f} s at its descriptor limit atolld wrote {log_growth} bytes of "
        f"log and used {cpu_share:.0%} of a core")
