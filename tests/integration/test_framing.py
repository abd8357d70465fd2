"""Framing and hostile input: bad sizes, garbage, truncation, unknown APIs, byte-by-byte
delivery, pipelining. The broker must drop only the offending connection and keep
serving everyone else."""

import random
import socket
import struct
import time

import pytest

import kafka_wire as kw
from expected import SUPPORTED_APIS, versions_of

# Unknown topics are answered as unknown here: auto-creation is off.
BROKER_ARGS = ("--set", "auto.create.topics.enable=false")

MAX_BYTES = 1024  # socket.request.max.bytes for the brokers that test the limit
SEED = 20240601


def open_bystanders(broker, n=4):
    """Connections opened before the abuse; with --smp 2 they likely land on both shards."""
    conns = [broker.connect() for _ in range(n)]
    for conn in conns:
        assert conn.api_versions(3).api_keys == SUPPORTED_APIS
    return conns


def assert_still_served(broker, bystanders=()):
    for conn in bystanders:
        assert conn.api_versions(3).api_keys == SUPPORTED_APIS
        conn.close()
    with broker.connect() as fresh:
        assert fresh.api_versions(0).api_keys == SUPPORTED_APIS
        assert fresh.metadata(12).brokers[0].node_id == broker.node_id
    assert broker.is_running()


def reset_close(sock):
    """Closes with a TCP RST instead of a FIN (SO_LINGER with a zero timeout)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def api_versions_request_of_exact_size(size, correlation_id=1):
    """A valid ApiVersions v3 request whose payload (after the size prefix) is `size` bytes."""
    name_len = 1
    for _ in range(3):  # the varint length prefix may grow by a byte
        body = kw.encode_api_versions_request(3, client_software_name="a" * name_len)
        payload = kw.encode_request(kw.API_VERSIONS, 3, correlation_id, body)
        name_len += size - len(payload)
    assert len(payload) == size, len(payload)
    return payload


@pytest.mark.parametrize("size", [-1, -2, -(2**31)])
def test_a_negative_frame_size_closes_only_that_connection(broker, size):
    bystanders = open_bystanders(broker)
    with broker.connect() as conn:
        conn.send_raw(struct.pack(">i", size))
        assert conn.wait_for_eof() == b""
    assert_still_served(broker, bystanders)


def test_a_huge_frame_size_closes_the_connection_without_waiting_for_the_body(broker):
    bystanders = open_bystanders(broker)
    with broker.connect() as conn:
        conn.send_raw(struct.pack(">i", 2**31 - 1))
        assert conn.wait_for_eof() == b""
    assert_still_served(broker, bystanders)


@pytest.fixture
def limited_broker(launcher):
    return launcher.start("--set", f"socket.request.max.bytes={MAX_BYTES}")


def test_a_frame_one_byte_over_socket_request_max_bytes_closes_the_connection(limited_broker):
    bystanders = open_bystanders(limited_broker)
    with limited_broker.connect() as conn:
        conn.send_raw(struct.pack(">i", MAX_BYTES + 1))
        assert conn.wait_for_eof() == b""
    with limited_broker.connect() as conn:
        # The whole oversized request, valid otherwise: still refused.
        conn.send_raw(kw.frame(api_versions_request_of_exact_size(MAX_BYTES + 1)))
        assert conn.wait_for_eof() == b""
    assert_still_served(limited_broker, bystanders)


def test_a_frame_of_exactly_socket_request_max_bytes_is_served(limited_broker):
    with limited_broker.connect() as conn:
        conn.send_raw(kw.frame(api_versions_request_of_exact_size(MAX_BYTES, correlation_id=77)))
        r = conn.recv_response(kw.API_VERSIONS, 3, 77)
        resp = kw.decode_api_versions_response(r, 3)
        r.expect_end()
    assert resp.error_code == kw.NONE
    assert resp.api_keys == SUPPORTED_APIS


UNSUPPORTED_KEYS = [k for k in (kw.PRODUCE, kw.FETCH, kw.LIST_OFFSETS, kw.FIND_COORDINATOR,
                                kw.CREATE_TOPICS, 74, 1000, 32767, -1)
                    if k not in SUPPORTED_APIS]


@pytest.mark.parametrize("api_key", UNSUPPORTED_KEYS)
def test_a_request_for_an_unsupported_api_closes_only_that_connection(broker, api_key):
    bystanders = open_bystanders(broker)
    with broker.connect() as conn:
        conn.send_request(api_key, 0, b"")
        assert conn.wait_for_eof() == b""
    assert_still_served(broker, bystanders)


@pytest.mark.parametrize("payload", [
    b"",  # no header at all
    b"\x00\x12",  # api key only
    b"\x00\x12\x00\x00\x00\x00",  # truncated correlation id
    b"\x00\x12\x00\x00\x00\x00\x00\x01",  # no client id length
    b"\x00\x12\x00\x00\x00\x00\x00\x01\x00\x64abcde",  # client id of 100 bytes, 5 present
    b"\x00\x12\x00\x00\x00\x00\x00\x01\xff\xfe",  # client id length -2
    b"\x00\x03\x00\x0c\x00\x00\x00\x01\x00\x00",  # flexible header without tagged fields
    b"\x00\x03\x00\x0c\x00\x00\x00\x01\x00\x00\xff\xff\xff\xff\x7f",  # tag count overflow
], ids=["empty", "api-key-only", "short-correlation-id", "no-client-id",
        "client-id-too-long", "client-id-length-minus-2", "no-tagged-fields",
        "tag-count-overflow"])
def test_a_frame_with_a_malformed_header_closes_only_that_connection(broker, payload):
    bystanders = open_bystanders(broker)
    with broker.connect() as conn:
        conn.send_raw(kw.frame(payload))
        assert conn.wait_for_eof() == b""
    assert_still_served(broker, bystanders)


def read_answer_or_eof(conn, correlation_id, api_key, version):
    """A complete frame must be answered or make the broker close; it must never hang."""
    try:
        r = conn.recv_response(api_key, version, correlation_id)
    except kw.ConnectionClosed:
        return None
    return r


@pytest.mark.parametrize("body", [
    # Metadata v12: compact array of 2**32-2 topics, then nothing.
    b"\xff\xff\xff\xff\x0f",
    # Metadata v12: one topic whose name claims 1000 bytes.
    b"\x02" + bytes(16) + b"\xe9\x07abc",
    # Metadata v12: topics array then end of frame (no flags, no tags).
    b"\x01",
    # Metadata v12: varint that never ends.
    b"\xff" * 20,
], ids=["huge-topic-count", "topic-name-too-long", "missing-flags", "endless-varint"])
def test_a_metadata_request_with_a_malformed_body_never_hangs_or_kills_the_broker(broker, body):
    bystanders = open_bystanders(broker)
    with broker.connect() as conn:
        cid = conn.send_request(kw.METADATA, 12, body)
        r = read_answer_or_eof(conn, cid, kw.METADATA, 12)
        if r is not None:  # answering with an error is fine; it must be well formed
            resp = kw.decode_metadata_response(r, 12)
            r.expect_end()
            assert resp.brokers  # a well-formed answer, not stale bytes
    assert_still_served(broker, bystanders)


def test_random_garbage_on_many_connections_leaves_the_broker_serving(broker):
    rng = random.Random(SEED)
    bystanders = open_bystanders(broker)
    for i in range(40):
        sock = socket.create_connection((broker.host, broker.port), timeout=2)
        garbage = rng.randbytes(rng.randint(1, 4096))
        try:
            sock.sendall(garbage)
        except OSError:
            pass  # the broker may already have dropped us: that is allowed
        if i % 2:
            reset_close(sock)
        else:
            sock.close()
    assert_still_served(broker, bystanders)


def test_random_bodies_behind_valid_headers_are_answered_or_dropped(broker):
    """Random bodies reach the decoders of the served APIs; nothing may hang or crash."""
    rng = random.Random(SEED + 1)
    bystanders = open_bystanders(broker)
    for _ in range(60):
        api_key = rng.choice(sorted(SUPPORTED_APIS))
        lo, hi = SUPPORTED_APIS[api_key]
        version = rng.randint(lo, hi)
        body = rng.randbytes(rng.randint(0, 300))
        with broker.connect(timeout=3) as conn:
            cid = conn.send_request(api_key, version, body)
            r = read_answer_or_eof(conn, cid, api_key, version)
            if r is not None:  # an answer must be a whole, well-formed response
                kw.decode_body(api_key, version, r)
    assert_still_served(broker, bystanders)


@pytest.mark.parametrize("sent_fraction", [0.0, 0.5, 0.99])
def test_a_truncated_frame_then_disconnect_leaves_the_broker_serving(broker, sent_fraction):
    bystanders = open_bystanders(broker)
    for close in (socket.socket.close, reset_close):
        payload = kw.encode_request(kw.METADATA, 12, 1, kw.encode_metadata_request(12, ["t"]))
        data = kw.frame(payload)
        cut = 4 + int(len(payload) * sent_fraction)
        sock = socket.create_connection((broker.host, broker.port), timeout=2)
        sock.sendall(data[:cut])
        time.sleep(0.05)  # let the broker read the partial frame before we go away
        close(sock)
    assert_still_served(broker, bystanders)


def test_a_truncated_frame_is_not_answered_until_it_is_complete(broker):
    payload = kw.encode_request(kw.API_VERSIONS, 0, 9, b"")
    with broker.connect(timeout=0.3) as conn:
        conn.send_raw(kw.frame(payload)[:-1])
        with pytest.raises(TimeoutError):
            conn.recv_frame()
        conn.send_raw(kw.frame(payload)[-1:])
        conn.timeout = 5
        r = conn.recv_response(kw.API_VERSIONS, 0, 9)
        assert kw.decode_api_versions_response(r, 0).api_keys == SUPPORTED_APIS
        r.expect_end()


def test_a_request_delivered_one_byte_at_a_time_is_answered(broker):
    with broker.connect() as conn:
        payload = kw.encode_request(kw.METADATA, 9, 4242, kw.encode_metadata_request(9, ["t1"]))
        for byte in kw.frame(payload):
            conn.send_raw(bytes([byte]))
            time.sleep(0.001)  # separate TCP segments (TCP_NODELAY is on)
        r = conn.recv_response(kw.METADATA, 9, 4242)
        resp = kw.decode_metadata_response(r, 9)
        r.expect_end()
    assert [t.error_code for t in resp.topics] == [kw.UNKNOWN_TOPIC_OR_PARTITION]


def test_pipelined_requests_in_one_write_are_answered_in_order(broker):
    versions = versions_of(kw.API_VERSIONS)
    requests = []
    data = b""
    for i in range(100):
        version = versions[i % len(versions)]
        cid = 1000 + i
        data += kw.frame(kw.encode_request(kw.API_VERSIONS, version, cid,
                                           kw.encode_api_versions_request(version)))
        requests.append((version, cid))
    with broker.connect() as conn:
        conn.send_raw(data)
        for version, cid in requests:
            r = conn.recv_response(kw.API_VERSIONS, version, cid)  # checks the order
            assert kw.decode_api_versions_response(r, version).api_keys == SUPPORTED_APIS
            r.expect_end()


def test_clients_that_vanish_with_unread_responses_do_not_kill_the_broker(broker):
    """The broker writes into connections the peer has reset: no SIGPIPE, no crash."""
    request = kw.frame(kw.encode_request(kw.METADATA, 12, 1, kw.encode_metadata_request(
        12, ["topic-%03d" % i for i in range(50)], allow_auto_topic_creation=False)))
    bystanders = open_bystanders(broker)
    for _ in range(10):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A small receive window, so responses back up in the broker while it writes.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(2)
        sock.connect((broker.host, broker.port))
        sock.sendall(request * 200)
        time.sleep(0.02)
        reset_close(sock)
    time.sleep(0.1)
    assert_still_served(broker, bystanders)


def test_a_connection_idle_past_connections_max_idle_ms_is_closed(launcher):
    b = launcher.start("--set", "connections.max.idle.ms=300")
    idle = b.connect()
    busy = b.connect()
    assert idle.api_versions(3).api_keys == SUPPORTED_APIS
    # A connection that keeps sending requests stays open past the limit.
    deadline = time.monotonic() + 0.9
    while time.monotonic() < deadline:
        assert busy.api_versions(0).api_keys == SUPPORTED_APIS
        time.sleep(0.1)
    assert idle.wait_for_eof(timeout=2) == b""
    assert busy.api_versions(3).api_keys == SUPPORTED_APIS
    idle.close()
    busy.close()
    assert "connections.max.idle.ms" in b.stderr_text()
