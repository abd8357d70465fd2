"""Metadata (key 3): the single broker, no topics yet, every served version."""

import pytest

import kafka_wire as kw
from expected import first_unsupported_version, versions_of

# Unknown topics are answered as unknown here: auto-creation is off.
BROKER_ARGS = ("--set", "auto.create.topics.enable=false")

METADATA_VERSIONS = versions_of(kw.METADATA)


def expected_brokers(node_id, host, port):
    # Rack is null from v1 (and absent in v0, which the decoder reports as None).
    return [kw.MetadataBroker(node_id=node_id, host=host, port=port, rack=None)]


def assert_single_broker(resp, version, node_id, host, port):
    assert resp.brokers == expected_brokers(node_id, host, port)
    if version >= 1:
        # A single node is its own controller. Admin clients send controller requests
        # (CreateTopics...) to this id; kafka-python's admin client fails on -1.
        assert resp.controller_id == node_id
    if version >= 3:
        assert resp.throttle_time_ms == 0


@pytest.mark.parametrize("version", METADATA_VERSIONS)
def test_metadata_for_all_topics_lists_the_single_broker_and_no_topics(broker, version):
    with broker.connect() as conn:
        resp = conn.metadata(version, topics=None)  # v0: an empty list means all topics
    assert_single_broker(resp, version, broker.node_id, broker.host, broker.port)
    assert resp.topics == []


@pytest.mark.parametrize("version", METADATA_VERSIONS)
def test_metadata_for_an_unknown_topic_answers_unknown_topic_or_partition(broker, version):
    with broker.connect() as conn:
        resp = conn.metadata(version, topics=["no-such-topic"],
                             allow_auto_topic_creation=False)
    assert_single_broker(resp, version, broker.node_id, broker.host, broker.port)
    assert len(resp.topics) == 1
    topic = resp.topics[0]
    assert topic.error_code == kw.UNKNOWN_TOPIC_OR_PARTITION
    assert topic.name == "no-such-topic"
    assert topic.partitions == []
    if version >= 1:
        assert topic.is_internal is False
    if version >= 10:
        assert topic.topic_id == kw.ZERO_UUID


@pytest.mark.parametrize("version", [0, 1, 4, 8, 9, 10, 12])
def test_metadata_answers_every_unknown_topic_of_a_request(broker, version):
    names = ["alpha", "beta.with.dots", "gamma_under-score", "x" * 249]
    with broker.connect() as conn:
        resp = conn.metadata(version, topics=names, allow_auto_topic_creation=False)
    by_name = resp.topics_by_name()
    assert sorted(by_name) == sorted(names)
    assert len(resp.topics) == len(names)
    for name in names:
        assert by_name[name].error_code == kw.UNKNOWN_TOPIC_OR_PARTITION, name
        assert by_name[name].partitions == [], name


@pytest.mark.parametrize("version", [v for v in METADATA_VERSIONS if v >= 1])
def test_metadata_with_an_empty_topic_list_returns_no_topics(broker, version):
    with broker.connect() as conn:
        resp = conn.metadata(version, topics=[])  # v1+: empty means none, null means all
    assert_single_broker(resp, version, broker.node_id, broker.host, broker.port)
    assert resp.topics == []


def test_metadata_cluster_id_is_the_same_for_every_version_and_connection(broker):
    cluster_ids = set()
    for version in [v for v in METADATA_VERSIONS if v >= 2]:
        with broker.connect() as conn:
            cluster_ids.add(conn.metadata(version).cluster_id)
            cluster_ids.add(conn.metadata(version, topics=["other"]).cluster_id)
    assert len(cluster_ids) == 1, cluster_ids


def test_metadata_answers_pipelined_requests_of_mixed_versions_in_order(broker):
    with broker.connect() as conn:
        sent = []
        for version in METADATA_VERSIONS:
            body = kw.encode_metadata_request(version, None)
            sent.append((version, conn.send_request(kw.METADATA, version, body)))
        for version, cid in sent:
            r = conn.recv_response(kw.METADATA, version, cid)
            resp = kw.decode_metadata_response(r, version)
            r.expect_end()
            assert_single_broker(resp, version, broker.node_id, broker.host, broker.port)


@pytest.mark.parametrize("version", [first_unsupported_version(kw.METADATA), 32767, -1])
def test_metadata_at_an_unsupported_version_closes_only_that_connection(broker, version):
    with broker.connect() as bystander, broker.connect() as conn:
        body = kw.encode_metadata_request(max(METADATA_VERSIONS), None)
        conn.send_request(kw.METADATA, version, body)
        assert conn.wait_for_eof() == b""
        assert bystander.metadata(max(METADATA_VERSIONS)).brokers == expected_brokers(
            broker.node_id, broker.host, broker.port)


def test_metadata_reports_the_configured_node_id_and_advertised_address(launcher):
    b = launcher.start(node_id=7, advertise="kafka-7.example.internal:19092")
    with b.connect() as conn:
        for version in METADATA_VERSIONS:
            resp = conn.metadata(version, topics=None)
            assert_single_broker(resp, version, 7, "kafka-7.example.internal", 19092)
            assert resp.topics == []


def test_metadata_advertises_the_kafka_address_by_default(launcher):
    b = launcher.start(node_id=42)
    with b.connect() as conn:
        for version in METADATA_VERSIONS:
            assert_single_broker(conn.metadata(version), version, 42, b.host, b.port)
