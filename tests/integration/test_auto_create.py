"""Metadata creates a topic it is asked about, as Kafka does with
auto.create.topics.enable (the default): always from v0-v3, from v4 only when the
request allows it, with num.partitions partitions, never with an invalid name."""

import pytest

import kafka_wire as kw

INVALID_TOPIC_EXCEPTION = 17


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_metadata_v0_to_v3_creates_an_unknown_topic(broker, version):
    name = f"auto-v{version}"
    with broker.connect() as conn:
        resp = conn.metadata(version, topics=[name])
    topic = resp.topics_by_name()[name]
    assert topic.error_code == kw.NONE
    assert [p.partition_index for p in topic.partitions] == [0]
    assert topic.partitions[0].leader_id == broker.node_id


@pytest.mark.parametrize("version", [4, 9, 12])
def test_metadata_v4_and_later_create_only_when_the_request_allows_it(broker, version):
    name = f"maybe-v{version}"
    with broker.connect() as conn:
        refused = conn.metadata(version, topics=[name], allow_auto_topic_creation=False)
        assert refused.topics_by_name()[name].error_code == kw.UNKNOWN_TOPIC_OR_PARTITION
        created = conn.metadata(version, topics=[name], allow_auto_topic_creation=True)
        assert created.topics_by_name()[name].error_code == kw.NONE
        # Known from now on, for every request and every version.
        again = conn.metadata(version, topics=[name], allow_auto_topic_creation=False)
        assert again.topics_by_name()[name].error_code == kw.NONE
        everything = conn.metadata(version, topics=None)
        assert name in everything.topics_by_name()


def test_auto_created_topics_get_num_partitions(launcher):
    b = launcher.start("--set", "num.partitions=3")
    with b.connect() as conn:
        resp = conn.metadata(12, topics=["three"], allow_auto_topic_creation=True)
    parts = resp.topics_by_name()["three"].partitions
    assert sorted(p.partition_index for p in parts) == [0, 1, 2]


def test_an_invalid_topic_name_is_refused_not_created(broker):
    with broker.connect() as conn:
        resp = conn.metadata(12, topics=["bad/name"], allow_auto_topic_creation=True)
        assert resp.topics_by_name()["bad/name"].error_code == INVALID_TOPIC_EXCEPTION
        assert "bad/name" not in conn.metadata(12, topics=None).topics_by_name()


def test_auto_creation_off_leaves_unknown_topics_unknown(launcher):
    b = launcher.start("--set", "auto.create.topics.enable=false")
    with b.connect() as conn:
        resp = conn.metadata(1, topics=["nope"])
    assert resp.topics_by_name()["nope"].error_code == kw.UNKNOWN_TOPIC_OR_PARTITION
