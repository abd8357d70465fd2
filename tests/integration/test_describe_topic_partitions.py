"""DescribeTopicPartitions (75, KIP-966) over the raw protocol: Metadata's partitions in
pages, topics in name order, a cursor where the next page starts. No Debian client
sends it (librdkafka 2.0.2 and kafka-python 2.0.2 describe topics with Metadata)."""

import pytest

import kafka_wire as kw
from test_log_dirs_and_elections import create_topics

BROKER_ARGS = ("--set", "auto.create.topics.enable=false")

# Kafka's answer when topic authorized operations were not computed.
NO_AUTHORIZED_OPERATIONS = -2**31


def pages(conn, topics, limit, cursor=None, most=50):
    """Follows next_cursor from `cursor` to the end; every page's response."""
    out = []
    for _ in range(most):
        resp = conn.describe_topic_partitions(topics, limit, cursor)
        assert resp.throttle_time_ms == 0
        out.append(resp)
        cursor = resp.next_cursor
        if cursor is None:
            return out
    pytest.fail(f"still paging after {most} pages")


def listed(resp):
    """[(topic, [partition indexes])] of one page."""
    return [(t.name, [p.partition_index for p in t.partitions]) for t in resp.topics]


def topic_ids(conn, names):
    md = conn.metadata(12, topics=names, allow_auto_topic_creation=False)
    return {t.name: t.topic_id for t in md.topics}


def assert_described(topic, node_id, topic_id):
    assert topic.error_code == kw.NONE
    assert topic.topic_id == topic_id != kw.ZERO_UUID
    assert topic.is_internal is False
    assert topic.topic_authorized_operations == NO_AUTHORIZED_OPERATIONS
    for p in topic.partitions:
        assert p == kw.TopicPartitionsPartition(
            error_code=kw.NONE, partition_index=p.partition_index, leader_id=node_id,
            leader_epoch=0, replica_nodes=[node_id], isr_nodes=[node_id],
            eligible_leader_replicas=[], last_known_elr=[], offline_replicas=[])


def test_a_topic_with_many_partitions_comes_in_pages(broker):
    create_topics(broker, {"paged": 25})
    with broker.connect() as conn:
        got = pages(conn, ["paged"], 10)
        ids = topic_ids(conn, ["paged"])
    assert [listed(r) for r in got] == [[("paged", list(range(0, 10)))],
                                        [("paged", list(range(10, 20)))],
                                        [("paged", list(range(20, 25)))]]
    assert [r.next_cursor for r in got] == [("paged", 10), ("paged", 20), None]
    for r in got:
        assert_described(r.topics[0], broker.node_id, ids["paged"])


def test_pages_run_across_topics_in_name_order(launcher):
    broker = launcher.start("--set", "auto.create.topics.enable=false")
    create_topics(broker, {"b-four": 4, "a-three": 3, "c-two": 2, "d-one": 1})
    with broker.connect() as conn:
        # Every topic (an empty list), five partitions a page.
        every = pages(conn, [], 5)
        # Named topics: in name order whatever the request's, each once, unknown ones said.
        named = pages(conn, ["c-two", "zz-missing", "a-three", "c-two", "bad name!"], 2)
        ids = topic_ids(conn, ["a-three", "b-four", "c-two", "d-one"])
    assert [listed(r) for r in every] == [
        [("a-three", [0, 1, 2]), ("b-four", [0, 1])],
        [("b-four", [2, 3]), ("c-two", [0, 1]), ("d-one", [0])],
    ]
    assert [r.next_cursor for r in every] == [("b-four", 2), None]
    assert [listed(r) for r in named] == [
        [("a-three", [0, 1])],
        [("a-three", [2]), ("bad name!", []), ("c-two", [0])],
        [("c-two", [1]), ("zz-missing", [])],
    ]
    assert [r.next_cursor for r in named] == [("a-three", 2), ("c-two", 1), None]
    for r in every + named:
        for t in r.topics:
            if t.name in ids:
                assert_described(t, broker.node_id, ids[t.name])
    unknown = {t.name: t for r in named for t in r.topics if t.name not in ids}
    assert unknown["zz-missing"].error_code == kw.UNKNOWN_TOPIC_OR_PARTITION
    assert unknown["bad name!"].error_code == kw.INVALID_TOPIC_EXCEPTION
    for t in unknown.values():
        assert (t.topic_id, t.is_internal, t.partitions) == (kw.ZERO_UUID, False, [])


def test_a_page_that_ends_with_a_topic_points_at_the_next_topic(launcher):
    """As Kafka: a cursor at partition 0 of the next topic, even one that turns out to
    have nothing left to describe."""
    broker = launcher.start("--set", "auto.create.topics.enable=false")
    create_topics(broker, {"first": 3, "second": 2})
    with broker.connect() as conn:
        exact = conn.describe_topic_partitions([], 3)
        assert listed(exact) == [("first", [0, 1, 2])]
        assert exact.next_cursor == ("second", 0)
        # Named topics: the next one is named even when it does not exist.
        named = conn.describe_topic_partitions(["first", "nope"], 3)
        assert listed(named) == [("first", [0, 1, 2])]
        assert named.next_cursor == ("nope", 0)
        rest = conn.describe_topic_partitions(["first", "nope"], 3, named.next_cursor)
        assert [(t.name, t.error_code) for t in rest.topics] == \
            [("nope", kw.UNKNOWN_TOPIC_OR_PARTITION)]
        assert rest.next_cursor is None
        # Listing every topic from a cursor on a topic that is gone skips it.
        gone = conn.describe_topic_partitions([], 10, ("rst-gone", 4))
        assert listed(gone) == [("second", [0, 1])]
        assert gone.next_cursor is None


def test_cursor_rules(broker):
    create_topics(broker, {"cur-a": 3, "cur-b": 2})
    with broker.connect() as conn:
        # Past the topic's last partition: the topic, with nothing left of it.
        past = conn.describe_topic_partitions(["cur-a", "cur-b"], 10, ("cur-a", 7))
        assert listed(past) == [("cur-a", []), ("cur-b", [0, 1])]
        assert past.next_cursor is None
        # Topics named before the cursor's are not described again.
        later = conn.describe_topic_partitions(["cur-b", "cur-a"], 10, ("cur-b", 1))
        assert listed(later) == [("cur-b", [1])]
        # A cursor on a topic the request does not name, or a negative partition, makes
        # the request invalid: every topic named says so.
        for cursor in [("cur-c", 0), ("cur-a", -1)]:
            bad = conn.describe_topic_partitions(["cur-b", "cur-a"], 10, cursor)
            assert [(t.name, t.error_code, t.partitions) for t in bad.topics] == \
                [("cur-b", kw.INVALID_REQUEST, []), ("cur-a", kw.INVALID_REQUEST, [])]
            assert bad.next_cursor is None
        # The connection is still in use.
        assert listed(conn.describe_topic_partitions(["cur-b"])) == [("cur-b", [0, 1])]


@pytest.mark.parametrize("limit", [0, -5])
def test_a_limit_below_one_counts_as_one(broker, limit):
    create_topics(broker, {f"lim{-limit}": 2})
    with broker.connect() as conn:
        resp = conn.describe_topic_partitions([f"lim{-limit}"], limit)
    assert listed(resp) == [(f"lim{-limit}", [0])]
    assert resp.next_cursor == (f"lim{-limit}", 1)


def test_partitions_match_metadata(broker):
    create_topics(broker, {"same-as-md": 6})
    with broker.connect() as conn:
        (dtp,) = conn.describe_topic_partitions(["same-as-md"]).topics
        (md,) = conn.metadata(12, topics=["same-as-md"],
                              allow_auto_topic_creation=False).topics
    assert dtp.topic_id == md.topic_id
    assert [(p.partition_index, p.leader_id, p.leader_epoch, p.replica_nodes, p.isr_nodes,
             p.offline_replicas) for p in dtp.partitions] == \
        [(p.partition_index, p.leader_id, p.leader_epoch, p.replica_nodes, p.isr_nodes,
          p.offline_replicas) for p in md.partitions]
