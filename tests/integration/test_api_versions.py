"""ApiVersions (key 18): every served version, unsupported versions, connection reuse."""

import struct

import pytest

import kafka_wire as kw
from expected import SUPPORTED_APIS, first_unsupported_version, versions_of


@pytest.mark.parametrize("version", versions_of(kw.API_VERSIONS))
def test_api_versions_lists_exactly_the_supported_apis(broker, version):
    with broker.connect() as conn:
        resp = conn.api_versions(version)  # decodes strictly: no missing or trailing bytes
    assert resp.error_code == kw.NONE
    keys = [key for key, _, _ in resp.api_key_list]
    assert len(keys) == len(set(keys)), f"duplicate api keys: {resp.api_key_list}"
    assert resp.api_keys == SUPPORTED_APIS


@pytest.mark.parametrize("version", versions_of(kw.API_VERSIONS))
def test_api_versions_reports_no_throttling_from_v1(broker, version):
    with broker.connect() as conn:
        resp = conn.api_versions(version)
    if version == 0:
        assert resp.throttle_time_ms is None  # the field does not exist in v0
    else:
        assert resp.throttle_time_ms == 0


@pytest.mark.parametrize("version", [3, 4])
def test_flexible_api_versions_response_uses_header_v0(broker, version):
    """The byte after the correlation id is the error code, not a tagged-field count."""
    with broker.connect() as conn:
        cid = conn.send_request(kw.API_VERSIONS, version,
                                kw.encode_api_versions_request(version),
                                correlation_id=0x01020304)
        payload = conn.recv_frame()
    assert payload[:4] == struct.pack(">i", cid)
    r = kw.Reader(payload[4:])
    resp = kw.decode_api_versions_response(r, version)
    r.expect_end()
    assert resp.api_keys == SUPPORTED_APIS


@pytest.mark.parametrize("correlation_id", [0, 1, -1, 2**31 - 1, -(2**31), 0x7A7B7C7D])
def test_api_versions_echoes_the_correlation_id(broker, correlation_id):
    with broker.connect() as conn:
        resp = conn.api_versions(3, correlation_id=correlation_id)  # checks the echo
    assert resp.error_code == kw.NONE


@pytest.mark.parametrize("version", [first_unsupported_version(kw.API_VERSIONS), 127, 32767])
def test_api_versions_at_an_unsupported_version_answers_unsupported_version_in_v0_format(
        broker, version):
    with broker.connect() as conn:
        # A newer client sends the flexible header and a v3-style body; the broker must
        # not parse the body, and answers in the v0 format so any client can read it.
        cid = conn.send_request(kw.API_VERSIONS, version, kw.encode_api_versions_request(3),
                                header_version=2)
        r = conn.recv_response(kw.API_VERSIONS, 0, cid)
        resp = kw.decode_api_versions_response(r, 0)
        r.expect_end()
        assert resp.error_code == kw.UNSUPPORTED_VERSION
        assert resp.api_keys == SUPPORTED_APIS
        # The connection stays usable: the client retries at a version it now knows.
        assert conn.api_versions(3).error_code == kw.NONE


def test_api_versions_accepts_a_null_client_id(broker):
    with kw.KafkaConnection(broker.host, broker.port, client_id=None) as conn:
        for version in versions_of(kw.API_VERSIONS):
            assert conn.api_versions(version).api_keys == SUPPORTED_APIS


def test_api_versions_accepts_an_empty_client_id_and_software_name(broker):
    with kw.KafkaConnection(broker.host, broker.port, client_id="") as conn:
        cid = conn.send_request(kw.API_VERSIONS, 3, kw.encode_api_versions_request(3, "", ""))
        r = conn.recv_response(kw.API_VERSIONS, 3, cid)
        resp = kw.decode_api_versions_response(r, 3)
        r.expect_end()
    # Kafka validates the software name and answers INVALID_REQUEST (42) with no API
    # list; not validating is fine too. Either way: a well-formed answer, not a close.
    assert resp.error_code in (kw.NONE, kw.INVALID_REQUEST)
    if resp.error_code == kw.NONE:
        assert resp.api_keys == SUPPORTED_APIS


def test_api_versions_answers_every_request_on_one_connection(broker):
    with broker.connect() as conn:
        for i in range(200):
            version = versions_of(kw.API_VERSIONS)[i % len(versions_of(kw.API_VERSIONS))]
            assert conn.api_versions(version).api_keys == SUPPORTED_APIS


def test_api_versions_answers_many_concurrent_connections(broker):
    conns = [broker.connect() for _ in range(16)]
    try:
        # Send on all connections before reading any, so they are in flight together
        # (with --smp 2 they are spread over both shards).
        sent = [(conn, conn.send_request(kw.API_VERSIONS, 3, kw.encode_api_versions_request(3)))
                for conn in conns]
        for conn, cid in sent:
            r = conn.recv_response(kw.API_VERSIONS, 3, cid)
            resp = kw.decode_api_versions_response(r, 3)
            r.expect_end()
            assert resp.api_keys == SUPPORTED_APIS
    finally:
        for conn in conns:
            conn.close()
