"""Command line, configuration and process lifecycle: bad values fail fast and name the
property; signals stop the broker cleanly; properties from flags, --set and --config
take effect."""

import os
import signal
import socket
import struct
import time

import pytest

from expected import SUPPORTED_APIS

FLAGS = ["--config", "--data-dir", "--kafka-addr", "--advertise-kafka-addr", "--rpc-addr",
         "--advertise-rpc-addr", "--node-id",
         "--smp", "--no-pin", "--set", "--log-level", "--version"]


def test_help_lists_every_command_line_flag(launcher):
    run = launcher.run_to_exit("--help", bare=True)
    assert run.returncode == 0, run.describe()
    text = run.stdout + run.stderr
    missing = [flag for flag in FLAGS if flag not in text]
    assert missing == [], run.describe()


def test_version_prints_a_version_and_exits_zero(launcher):
    run = launcher.run_to_exit("--version", bare=True)
    assert run.returncode == 0, run.describe()
    text = (run.stdout + run.stderr).strip()
    assert text and any(c.isdigit() for c in text), run.describe()


# Each case: extra args and launcher options, and the text the error must contain.
# The rest of the command line is valid, so the named problem is the only one.
BAD_COMMAND_LINES = {
    "node-id-not-a-number": ((), {"node_id": "abc"}, "node.id"),
    "smp-negative": ((), {"smp": -1}, "smp"),
    "smp-not-a-number": ((), {"smp": "two"}, "smp"),
    "set-negative-max-bytes": (("--set", "socket.request.max.bytes=-5"), {},
                               "socket.request.max.bytes"),
    "set-max-bytes-not-a-number": (("--set", "socket.request.max.bytes=lots"), {},
                                   "socket.request.max.bytes"),
    "set-unknown-property": (("--set", "no.such.property=1"), {}, "no.such.property"),
    # A node sets a topic default by Kafka's broker name (log.segment.bytes).
    "set-topic-name-on-a-node": (("--set", "segment.bytes=2000000"), {}, "segment.bytes"),
    # --kafka-addr sets the `listeners` property.
    "kafka-addr-without-port": ((), {"kafka_addr": "127.0.0.1"}, "listeners"),
    "kafka-addr-port-out-of-range": ((), {"kafka_addr": "127.0.0.1:70000"}, "listeners"),
    # --rpc-addr sets `rpc.listener`.
    "rpc-addr-without-port": (("--rpc-addr", "127.0.0.1"), {}, "rpc.listener"),
    "advertise-rpc-addr-bad-port": (("--advertise-rpc-addr", "peer1:99999"), {},
                                    "advertised.rpc.listener"),
    "log-level-unknown": (("--log-level", "loud"), {}, "log"),
    "unknown-flag": (("--no-such-flag",), {}, "--no-such-flag"),
}


@pytest.mark.parametrize("extra,options,needle", BAD_COMMAND_LINES.values(),
                         ids=BAD_COMMAND_LINES.keys())
def test_a_bad_command_line_exits_non_zero_naming_the_property(launcher, extra, options,
                                                               needle):
    run = launcher.run_to_exit(*extra, **options)
    assert run.returncode != 0, run.describe()
    assert needle in run.stderr, run.describe()


BAD_CONFIG_FILES = {
    "negative-max-bytes": ("socket.request.max.bytes: -5\n", "socket.request.max.bytes"),
    "max-bytes-not-a-number": ("socket.request.max.bytes: lots\n",
                               "socket.request.max.bytes"),
    "unknown-property": ("no.such.property: 1\n", "no.such.property"),
    "node-id-not-a-number": ("node.id: abc\n", "node.id"),
}


@pytest.mark.parametrize("text,needle", BAD_CONFIG_FILES.values(), ids=BAD_CONFIG_FILES.keys())
def test_a_bad_config_file_exits_non_zero_naming_the_property(launcher, text, needle):
    path = launcher.write_file("atolld.yaml", text)
    run = launcher.run_to_exit("--config", str(path))
    assert run.returncode != 0, run.describe()
    assert needle in run.stderr, run.describe()


def test_a_config_file_that_is_not_yaml_exits_non_zero_with_a_message(launcher):
    path = launcher.write_file("broken.yaml", "node.id: [1, 2\n")
    run = launcher.run_to_exit("--config", str(path))
    assert run.returncode != 0, run.describe()
    assert run.stderr.strip(), run.describe()


def test_a_missing_config_file_exits_non_zero_naming_it(launcher, tmp_path):
    missing = tmp_path / "no-such-file.yaml"
    run = launcher.run_to_exit("--config", str(missing))
    assert run.returncode != 0, run.describe()
    assert "no-such-file.yaml" in run.stderr, run.describe()


def test_a_second_broker_on_a_busy_port_exits_non_zero(launcher):
    first = launcher.start()
    run = launcher.run_to_exit(kafka_addr=first.bootstrap)
    assert run.returncode != 0, run.describe()
    with first.connect() as conn:  # the first one is unaffected
        assert conn.api_versions(3).api_keys == SUPPORTED_APIS


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_broker_cleanly_even_with_clients_connected(launcher, sig):
    b = launcher.start()
    idle = b.connect()
    busy = b.connect()
    busy.api_versions(3)
    time.sleep(0.05)
    started = time.monotonic()
    assert b.stop(sig) == 0, b.describe()
    assert time.monotonic() - started < 5
    for conn in (idle, busy):
        assert conn.wait_for_eof(timeout=2) == b""
        conn.close()


def test_a_client_stuck_in_the_middle_of_a_request_does_not_delay_shutdown(launcher):
    """A half-sent request is not work in flight: a slow or hostile client must not
    hold the broker's shutdown (the contract: exit within a few seconds)."""
    b = launcher.start()
    stuck = b.connect()
    stuck.send_raw(struct.pack(">i", 100) + b"\x00\x12")  # 2 of 100 bytes, never finished
    time.sleep(0.05)
    assert b.stop(signal.SIGTERM) == 0, b.describe()
    assert stuck.wait_for_eof(timeout=2) == b""
    stuck.close()


def test_a_signal_right_after_startup_stops_the_broker_cleanly(launcher):
    b = launcher.start()
    assert b.stop(signal.SIGTERM) == 0, b.describe()


def test_the_broker_logs_listening_on_stderr_when_ready(launcher):
    b = launcher.start()
    deadline = time.monotonic() + 2
    while "listening" not in b.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "listening" in b.stderr_text()


def test_the_broker_restarts_on_the_same_data_dir(launcher, tmp_path):
    data_dir = tmp_path / "kept-data"
    data_dir.mkdir()
    first = launcher.start(node_id=3, data_dir=data_dir)
    with first.connect() as conn:
        assert conn.metadata(12).brokers[0].node_id == 3
    assert first.stop() == 0, first.describe()
    second = launcher.start(node_id=3, data_dir=data_dir, port=first.port)
    with second.connect() as conn:
        assert conn.metadata(12).brokers[0].node_id == 3


def test_smp_two_runs_at_least_two_threads(launcher):
    b = launcher.start(smp=2)
    threads = os.listdir(f"/proc/{b.pid}/task")
    assert len(threads) >= 2, threads


@pytest.mark.parametrize("smp", [1, 3])
def test_the_broker_serves_with_other_shard_counts(launcher, smp):
    b = launcher.start(smp=smp)
    conns = [b.connect() for _ in range(2 * smp)]
    for conn in conns:
        assert conn.api_versions(3).api_keys == SUPPORTED_APIS
        assert conn.metadata(12).brokers[0].port == b.port
        conn.close()


def test_a_config_file_sets_node_id_and_socket_request_max_bytes(launcher):
    path = launcher.write_file("atolld.yaml", "node.id: 9\nsocket.request.max.bytes: 1024\n")
    b = launcher.start("--config", str(path), expected_node_id=9)
    with b.connect() as conn:
        assert conn.metadata(12).brokers[0].node_id == 9
    with b.connect() as conn:
        conn.send_raw(struct.pack(">i", 1025))
        assert conn.wait_for_eof() == b""


def test_set_sets_any_property(launcher):
    b = launcher.start("--set", "node.id=11", "--set", "socket.request.max.bytes=1024",
                       expected_node_id=11)
    with b.connect() as conn:
        assert conn.metadata(12).brokers[0].node_id == 11
    with b.connect() as conn:
        conn.send_raw(struct.pack(">i", 1025))
        assert conn.wait_for_eof() == b""


def test_debug_log_level_serves_and_logs(launcher):
    b = launcher.start("--log-level", "debug")
    with b.connect() as conn:
        assert conn.api_versions(3).api_keys == SUPPORTED_APIS
    assert b.stderr_text().strip()


def test_the_kafka_port_is_released_after_a_clean_stop(launcher):
    b = launcher.start()
    assert b.stop() == 0, b.describe()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((b.host, b.port), timeout=1).close()


def test_smp_zero_runs_one_shard_per_available_core(launcher):
    b = launcher.start(smp=0)
    cores = len(os.sched_getaffinity(0))
    deadline = time.monotonic() + 2
    while "listening" not in b.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert f"{cores} shards" in b.stderr_text(), b.describe()
