"""Fetch over the raw protocol: incremental fetch sessions (KIP-227), the long
poll, and the per-partition checks no client here exercises (librdkafka and
kafka-python fetch without sessions)."""

import threading
import time

import pytest

import kafka_wire as kw

FETCH_SESSION_ID_NOT_FOUND = 70
INVALID_FETCH_SESSION_EPOCH = 71
FETCH_SESSION_TOPIC_ID_ERROR = 106
UNKNOWN_TOPIC_ID = 100
UNKNOWN_LEADER_EPOCH = 75
FENCED_LEADER_EPOCH = 74
UNSUPPORTED_COMPRESSION_TYPE = 76
OFFSET_OUT_OF_RANGE = 1

BY_NAME = 12  # the last Fetch version that names topics
BY_ID = 13


def create_topic(conn, name, partitions=3, configs=()):
    resp = conn.call(kw.CREATE_TOPICS, 7, {"topics": [{
        "name": name, "num_partitions": partitions,
        "configs": [{"name": k, "value": v} for k, v in configs]}]})
    topic = resp["topics"][0]
    assert topic["error_code"] == 0, topic
    return topic["topic_id"]


def produce(conn, topic, partition, values):
    batch = kw.encode_record_batch([kw.Record(key=None, value=v) for v in values])
    resp = conn.call(kw.PRODUCE, 9, {"acks": -1, "topic_data": [{
        "name": topic, "partition_data": [{"index": partition, "records": batch}]}]})
    part = resp["responses"][0]["partition_responses"][0]
    assert part["error_code"] == 0, part
    return part["base_offset"]


def wanted(topic, partitions, topic_id=kw.ZERO_UUID, offsets=None, epoch=-1):
    """One topic of a fetch request; offsets default to 0."""
    offsets = offsets or {}
    return {"topic": topic, "topic_id": topic_id, "partitions": [
        {"partition": p, "fetch_offset": offsets.get(p, 0), "current_leader_epoch": epoch}
        for p in partitions]}


def fetch(conn, topics, session_id=0, epoch=-1, forgotten=(), version=BY_NAME,
          max_wait_ms=0, min_bytes=0):
    return conn.call(kw.FETCH, version, {
        "max_wait_ms": max_wait_ms, "min_bytes": min_bytes, "session_id": session_id,
        "session_epoch": epoch, "topics": topics, "forgotten_topics_data": list(forgotten)})


def answered(resp):
    """{(topic or id, partition): partition data} of a fetch response."""
    out = {}
    for t in resp["responses"]:
        for p in t["partitions"]:
            out[(t.get("topic") or t.get("topic_id"), p["partition_index"])] = p
    return out


def values(part):
    return [r.value for b in kw.decode_record_batches(part["records"]) for r in b.records]


@pytest.fixture
def topic(broker, request):
    name = "fs-" + request.node.name.replace("[", "-").replace("]", "")[:40]
    with broker.connect() as conn:
        create_topic(conn, name)
        for p in range(3):
            produce(conn, name, p, [f"{p}-first".encode()])
    return name


def open_session(conn, topic):
    resp = fetch(conn, [wanted(topic, [0, 1, 2])], epoch=0)
    assert resp["error_code"] == 0
    assert resp["session_id"] > 0
    return resp


def test_epoch_zero_opens_a_session_and_answers_every_partition(broker, topic):
    with broker.connect() as conn:
        resp = open_session(conn, topic)
        parts = answered(resp)
        assert sorted(parts) == [(topic, 0), (topic, 1), (topic, 2)]
        for p in range(3):
            assert parts[(topic, p)]["error_code"] == 0
            assert parts[(topic, p)]["high_watermark"] == 1
            assert values(parts[(topic, p)]) == [f"{p}-first".encode()]


def test_a_sessionless_fetch_gets_session_id_zero(broker, topic):
    with broker.connect() as conn:
        resp = fetch(conn, [wanted(topic, [0])], epoch=-1)
        assert resp["error_code"] == 0 and resp["session_id"] == 0
        assert values(answered(resp)[(topic, 0)]) == [b"0-first"]


def test_incremental_fetches_answer_only_partitions_with_news(broker, topic):
    with broker.connect() as conn:
        sid = open_session(conn, topic)["session_id"]
        # The client moves its offsets past what it read: nothing new anywhere.
        resp = fetch(conn, [wanted(topic, [0, 1, 2], offsets={0: 1, 1: 1, 2: 1})],
                     session_id=sid, epoch=1)
        assert resp["error_code"] == 0 and resp["session_id"] == sid
        assert answered(resp) == {}
        produce(conn, topic, 1, [b"1-second", b"1-third"])
        # Unchanged partitions are not sent again: the session remembers offset 1.
        resp = fetch(conn, [], session_id=sid, epoch=2)
        parts = answered(resp)
        assert list(parts) == [(topic, 1)]
        assert parts[(topic, 1)]["high_watermark"] == 3
        assert values(parts[(topic, 1)]) == [b"1-second", b"1-third"]
        # Its new offset is at the end: the high watermark was already told.
        resp = fetch(conn, [wanted(topic, [1], offsets={1: 3})], session_id=sid, epoch=3)
        assert answered(resp) == {}


def test_partitions_are_added_and_forgotten_incrementally(broker, topic):
    with broker.connect() as conn:
        resp = fetch(conn, [wanted(topic, [0])], epoch=0)
        sid = resp["session_id"]
        # Adding partition 2 (and moving 0 past what was read): only 2 is
        # answered, at once, with its data.
        resp = fetch(conn, [wanted(topic, [0, 2], offsets={0: 1})], session_id=sid, epoch=1)
        parts = answered(resp)
        assert list(parts) == [(topic, 2)]
        assert values(parts[(topic, 2)]) == [b"2-first"]
        # Forgetting partition 0: new data there is no longer sent.
        resp = fetch(conn, [wanted(topic, [2], offsets={2: 1})], session_id=sid, epoch=2,
                     forgotten=[{"topic": topic, "partitions": [0]}])
        assert answered(resp) == {}
        produce(conn, topic, 0, [b"0-second"])
        produce(conn, topic, 2, [b"2-second"])
        resp = fetch(conn, [], session_id=sid, epoch=3)
        parts = answered(resp)
        assert list(parts) == [(topic, 2)]
        assert values(parts[(topic, 2)]) == [b"2-second"]


def test_a_wrong_epoch_is_refused_and_the_session_survives(broker, topic):
    with broker.connect() as conn:
        sid = open_session(conn, topic)["session_id"]
        for bad in (0x7FFFFFFF, 2, 5):
            resp = fetch(conn, [], session_id=sid, epoch=bad)
            assert resp["error_code"] == INVALID_FETCH_SESSION_EPOCH
            assert resp["session_id"] == 0 and resp["responses"] == []
        produce(conn, topic, 0, [b"0-second"])
        resp = fetch(conn, [wanted(topic, [0, 1, 2], offsets={0: 1, 1: 1, 2: 1})],
                     session_id=sid, epoch=1)
        assert resp["error_code"] == 0
        assert values(answered(resp)[(topic, 0)]) == [b"0-second"]
        # A replay of an epoch already used is stale.
        assert fetch(conn, [], session_id=sid, epoch=1)["error_code"] \
            == INVALID_FETCH_SESSION_EPOCH


def test_an_unknown_session_id_is_not_found(broker, topic):
    with broker.connect() as conn:
        resp = fetch(conn, [wanted(topic, [0])], session_id=987654, epoch=1)
        assert resp["error_code"] == FETCH_SESSION_ID_NOT_FOUND
        assert resp["responses"] == []


def test_the_final_epoch_closes_the_session(broker, topic):
    with broker.connect() as conn:
        sid = open_session(conn, topic)["session_id"]
        resp = fetch(conn, [wanted(topic, [0])], session_id=sid, epoch=-1)
        assert resp["error_code"] == 0 and resp["session_id"] == 0
        assert values(answered(resp)[(topic, 0)]) == [b"0-first"]
        assert fetch(conn, [], session_id=sid, epoch=1)["error_code"] \
            == FETCH_SESSION_ID_NOT_FOUND


def test_a_new_full_fetch_replaces_the_session_it_names(broker, topic):
    with broker.connect() as conn:
        old = open_session(conn, topic)["session_id"]
        new = fetch(conn, [wanted(topic, [1])], session_id=old, epoch=0)["session_id"]
        assert new > 0 and new != old
        assert fetch(conn, [], session_id=old, epoch=1)["error_code"] \
            == FETCH_SESSION_ID_NOT_FOUND
        assert fetch(conn, [], session_id=new, epoch=1)["error_code"] == 0


def test_sessions_by_topic_id_from_v13(broker, topic):
    with broker.connect() as conn:
        topic_id = conn.metadata(12, [topic]).topics_by_name()[topic].topic_id
        resp = fetch(conn, [wanted("", [0, 1], topic_id=topic_id)], epoch=0, version=BY_ID)
        sid = resp["session_id"]
        assert sorted(answered(resp)) == [(topic_id, 0), (topic_id, 1)]
        produce(conn, topic, 1, [b"1-second"])
        resp = fetch(conn, [wanted("", [0, 1], topic_id=topic_id, offsets={0: 1, 1: 1})],
                     session_id=sid, epoch=1, version=BY_ID)
        parts = answered(resp)
        assert list(parts) == [(topic_id, 1)]
        assert values(parts[(topic_id, 1)]) == [b"1-second"]
        # A session begun with ids cannot go on by name.
        assert fetch(conn, [], session_id=sid, epoch=2)["error_code"] \
            == FETCH_SESSION_TOPIC_ID_ERROR


def test_an_unknown_topic_id_is_answered_per_partition(broker, topic):
    with broker.connect() as conn:
        resp = fetch(conn, [wanted("", [0], topic_id=b"\x01" * 16)], version=BY_ID)
        assert resp["error_code"] == 0
        assert answered(resp)[(b"\x01" * 16, 0)]["error_code"] == UNKNOWN_TOPIC_ID


@pytest.fixture
def small_cache_broker(launcher):
    # One shard, so that every connection's session lands in the same cache.
    return launcher.start("--set", "max.incremental.fetch.session.cache.slots=2",
                          "--set", "min.incremental.fetch.session.eviction.ms=500", smp=1)


def test_a_full_cache_evicts_the_session_idle_past_the_eviction_time(small_cache_broker):
    broker = small_cache_broker
    with broker.connect() as conn:
        create_topic(conn, "evict")
        first = fetch(conn, [wanted("evict", [0])], epoch=0)["session_id"]
        second = fetch(conn, [wanted("evict", [1])], epoch=0)["session_id"]
        assert first > 0 and second > 0
        # Both slots are taken and neither session is idle long enough.
        assert fetch(conn, [wanted("evict", [2])], epoch=0)["session_id"] == 0
        time.sleep(0.7)
        assert fetch(conn, [], session_id=second, epoch=1)["error_code"] == 0
        third = fetch(conn, [wanted("evict", [2])], epoch=0)["session_id"]
        assert third > 0
        assert fetch(conn, [], session_id=first, epoch=1)["error_code"] \
            == FETCH_SESSION_ID_NOT_FOUND
        assert fetch(conn, [], session_id=second, epoch=2)["error_code"] == 0
        assert fetch(conn, [], session_id=third, epoch=1)["error_code"] == 0


def test_a_waiting_fetch_returns_when_data_arrives(broker, topic):
    with broker.connect() as reader, broker.connect() as writer:
        result = {}

        def long_poll():
            start = time.monotonic()
            # Under the connection's own timeout, so that a fetch nobody
            # wakes comes back empty instead of failing the read.
            result["resp"] = fetch(reader, [wanted(topic, [2], offsets={2: 1})],
                                   max_wait_ms=4500, min_bytes=1)
            result["elapsed"] = time.monotonic() - start

        t = threading.Thread(target=long_poll)
        t.start()
        time.sleep(0.3)
        assert t.is_alive(), "the fetch did not wait for data"
        produce(writer, topic, 2, [b"2-late"])
        t.join(10)
        assert not t.is_alive(), "the fetch outlived its max_wait_ms"
        # Woken by the append, not by max_wait_ms running out.
        assert result["elapsed"] < 2, f"answered after {result['elapsed']:.1f} s"
        assert values(answered(result["resp"])[(topic, 2)]) == [b"2-late"]


def test_a_fetch_short_of_min_bytes_waits_max_wait_ms_then_answers(broker, topic):
    with broker.connect() as conn:
        start = time.monotonic()
        resp = fetch(conn, [wanted(topic, [0])], max_wait_ms=400, min_bytes=1 << 20)
        elapsed = time.monotonic() - start
        assert elapsed >= 0.35
        assert values(answered(resp)[(topic, 0)]) == [b"0-first"]


def test_leader_epochs_and_offsets_are_checked_per_partition(broker, topic):
    with broker.connect() as conn:
        resp = fetch(conn, [wanted(topic, [0], epoch=3), wanted(topic, [1], offsets={1: 50})])
        parts = answered(resp)
        assert parts[(topic, 0)]["error_code"] == UNKNOWN_LEADER_EPOCH
        assert parts[(topic, 1)]["error_code"] == OFFSET_OUT_OF_RANGE
        assert parts[(topic, 1)]["high_watermark"] == 1
        resp = fetch(conn, [wanted(topic, [0], epoch=0)])
        assert answered(resp)[(topic, 0)]["error_code"] == 0


def test_a_zstd_topic_is_refused_to_fetch_below_v10(broker):
    with broker.connect() as conn:
        create_topic(conn, "zstd-topic", 1, [("compression.type", "zstd")])
        for version, error in ((9, UNSUPPORTED_COMPRESSION_TYPE), (10, 0)):
            resp = fetch(conn, [wanted("zstd-topic", [0])], version=version)
            assert answered(resp)[("zstd-topic", 0)]["error_code"] == error, version
