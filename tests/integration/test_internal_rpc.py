"""The internal RPC listener (Raft between nodes, --rpc-addr): where it listens, a busy
port refused at start with a message naming the setting, and a peer that sends garbage
disconnected while the node goes on serving Kafka clients."""

import re
import socket
import time

from conftest import HOST, free_port
from expected import SUPPORTED_APIS


def rpc_port_of(broker) -> int:
    """The port the broker says its internal RPC bound."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = re.search(r"internal RPC listening on [^ ]+:(\d+)", broker.stderr_text())
        if found:
            return int(found.group(1))
        time.sleep(0.05)
    raise AssertionError(f"no 'internal RPC listening' line\n{broker.describe()}")


def test_the_rpc_listener_binds_the_address_given(launcher):
    port = free_port()
    b = launcher.start("--rpc-addr", f"{HOST}:{port}")
    assert rpc_port_of(b) == port, b.describe()
    socket.create_connection((HOST, port), timeout=2).close()


def test_a_busy_rpc_port_stops_the_start_with_a_message_naming_the_setting(launcher):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = launcher.run_to_exit("--rpc-addr", f"{HOST}:{port}")
    assert run.returncode != 0, run.describe()
    assert "rpc.listener" in run.stderr and str(port) in run.stderr, run.describe()


def test_garbage_on_the_rpc_port_is_disconnected_and_the_node_goes_on(launcher):
    b = launcher.start()
    port = rpc_port_of(b)
    garbage = [b"\x00" * 24, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
               bytes(range(256)) * 4,
               # Our magic and version, a payload size far over the limit.
               b"ATRP\x01\x00\x00\x01" + b"\x00" * 8 + b"\xff\xff\xff\xff" + b"\x00" * 4]
    for g in garbage:
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.sendall(g)
            s.settimeout(5)
            # The node closes the connection: recv sees the end, or a reset.
            try:
                assert s.recv(4096) == b"", f"an answer to garbage {g[:16]!r}"
            except ConnectionResetError:
                pass
    assert b.is_running(), b.describe()
    with b.connect() as conn:
        assert conn.api_versions(3).api_keys == SUPPORTED_APIS
