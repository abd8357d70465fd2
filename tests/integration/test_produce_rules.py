"""What a topic's configs ask of produced batches, as Kafka's LogValidator
applies them: message.timestamp.type, the timestamp bounds with per-record
errors (KIP-467), compression.type with recompression, and the batch's max
timestamp taken from its records."""

import struct
import time

from confluent_kafka import Consumer, Producer, TIMESTAMP_LOG_APPEND_TIME

import kafka_wire as kw

INVALID_TIMESTAMP = 32
HOUR_MS = 3600 * 1000
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def create_topic(conn, name, configs=()):
    resp = conn.call(kw.CREATE_TOPICS, 7, {"topics": [{
        "name": name, "num_partitions": 1,
        "configs": [{"name": k, "value": v} for k, v in configs]}]})
    assert resp["topics"][0]["error_code"] == 0, resp


def batch_with_timestamps(timestamps, max_timestamp=None):
    """An uncompressed batch whose records carry these timestamps; the header's
    max timestamp is max(timestamps) unless given."""
    base = timestamps[0]
    records = b"".join(
        kw._encode_record(kw.Record(key=f"k{i}".encode(), value=f"v{i}".encode()), i, ts - base)
        for i, ts in enumerate(timestamps))
    after_crc = (kw.Writer().int16(0).int32(len(timestamps) - 1).int64(base)
                 .int64(max(timestamps) if max_timestamp is None else max_timestamp)
                 .int64(-1).int16(-1).int32(-1).int32(len(timestamps)).raw(records).bytes())
    return (kw.Writer().int64(0).int32(4 + 1 + 4 + len(after_crc)).int32(-1).int8(2)
            .raw(struct.pack(">I", kw.crc32c(after_crc))).raw(after_crc).bytes())


def produce(conn, topic, batch, version=9):
    resp = conn.call(kw.PRODUCE, version, {"acks": -1, "topic_data": [{
        "name": topic, "partition_data": [{"index": 0, "records": batch}]}]})
    return resp["responses"][0]["partition_responses"][0]


def stored_batches(conn, topic):
    resp = conn.call(kw.FETCH, 12, {"max_wait_ms": 0, "min_bytes": 0, "topics": [{
        "topic": topic, "partitions": [{"partition": 0, "fetch_offset": 0}]}]})
    part = resp["responses"][0]["partitions"][0]
    assert part["error_code"] == 0, part
    return kw.decode_record_batches(part["records"])


def stored_codecs(conn, topic):
    """The codec of every stored batch, read from the batch headers alone
    (kafka_wire does not decompress)."""
    resp = conn.call(kw.FETCH, 12, {"max_wait_ms": 0, "min_bytes": 0, "topics": [{
        "topic": topic, "partitions": [{"partition": 0, "fetch_offset": 0}]}]})
    data = resp["responses"][0]["partitions"][0]["records"]
    codecs, pos = [], 0
    while pos + kw.BATCH_HEADER_BYTES <= len(data):
        length = struct.unpack_from(">i", data, pos + kw.BATCH_LENGTH_OFFSET)[0]
        attributes = struct.unpack_from(">h", data, pos + kw.BATCH_ATTRIBUTES_OFFSET)[0]
        codecs.append(attributes & 0x07)
        pos += 12 + length
    assert pos == len(data)
    return codecs


def consume_all(broker, topic, count):
    from confluent_kafka import TopicPartition
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "unused",
                         "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        seen = []
        deadline = time.time() + 30
        while len(seen) < count and time.time() < deadline:
            msg = consumer.poll(1)
            if msg is not None:
                assert not msg.error(), msg.error()
                seen.append(msg)
        return seen
    finally:
        consumer.close()


def now_ms():
    return int(time.time() * 1000)


def test_records_outside_the_timestamp_bounds_are_named_and_nothing_is_stored(broker):
    with broker.connect() as conn:
        create_topic(conn, "ts-bounds", [("message.timestamp.before.max.ms", "60000")])
        now = now_ms()
        batch = batch_with_timestamps([now, now - 2 * HOUR_MS, now + 1000, now + 2 * HOUR_MS])
        part = produce(conn, "ts-bounds", batch)
        assert part["error_code"] == INVALID_TIMESTAMP
        assert part["base_offset"] == -1
        assert [e["batch_index"] for e in part["record_errors"]] == [1, 3]
        assert all("outside" in e["batch_index_error_message"] for e in part["record_errors"])
        assert "message.timestamp" in part["error_message"]
        assert stored_batches(conn, "ts-bounds") == []
        # Within the bounds, the same topic takes the batch.
        ok = produce(conn, "ts-bounds", batch_with_timestamps([now, now - 1000]))
        assert ok["error_code"] == 0 and ok["base_offset"] == 0
        assert ok["log_append_time_ms"] == -1


def test_the_default_refuses_timestamps_more_than_an_hour_ahead(broker):
    # Kafka 4.0's message.timestamp.after.max.ms default is one hour.
    with broker.connect() as conn:
        create_topic(conn, "ts-future")
        now = now_ms()
        part = produce(conn, "ts-future", batch_with_timestamps([now, now + 3 * HOUR_MS]))
        assert part["error_code"] == INVALID_TIMESTAMP
        assert [e["batch_index"] for e in part["record_errors"]] == [1]
        # A week-old record is fine: before.max.ms is unbounded by default.
        part = produce(conn, "ts-future", batch_with_timestamps([now - 7 * 24 * HOUR_MS]))
        assert part["error_code"] == 0


def test_log_append_time_stamps_the_brokers_clock(broker):
    with broker.connect() as conn:
        create_topic(conn, "ts-append", [("message.timestamp.type", "LogAppendTime")])
        before = now_ms()
        part = produce(conn, "ts-append", batch_with_timestamps([1000, 2000, 3000]))
        after = now_ms()
        assert part["error_code"] == 0
        assert before <= part["log_append_time_ms"] <= after
        [batch] = stored_batches(conn, "ts-append")
        assert batch.attributes & 0x08, "the timestamp type bit is set"
        assert batch.max_timestamp == part["log_append_time_ms"]
    seen = consume_all(broker, "ts-append", 3)
    assert [m.timestamp() for m in seen] \
        == [(TIMESTAMP_LOG_APPEND_TIME, part["log_append_time_ms"])] * 3


def test_the_stored_max_timestamp_is_the_records_own(broker):
    with broker.connect() as conn:
        create_topic(conn, "ts-max")
        now = now_ms()
        batch = batch_with_timestamps([now - 5000, now - 1000, now - 3000],
                                      max_timestamp=now - 4000)
        assert produce(conn, "ts-max", batch)["error_code"] == 0
        [stored] = stored_batches(conn, "ts-max")
        assert stored.max_timestamp == now - 1000
        assert [r.timestamp for r in stored.records] == [now - 5000, now - 1000, now - 3000]


def produce_with(broker, topic, codec, count=200):
    producer = Producer({"bootstrap.servers": broker.bootstrap, "compression.codec": codec,
                         "linger.ms": 50, "acks": "all"})
    for i in range(count):
        producer.produce(topic, key=f"key-{i}".encode(), value=(f"value-{i}-" * 20).encode(),
                         headers=[("h", f"{i}".encode())])
    assert producer.flush(30) == 0


def test_a_topic_compression_type_recompresses_what_producers_send(broker):
    with broker.connect() as conn:
        for target, sent in (("gzip", "none"), ("zstd", "lz4"), ("uncompressed", "snappy"),
                             ("lz4", "zstd")):
            topic = f"recompress-{target}"
            create_topic(conn, topic, [("compression.type", target)])
            produce_with(broker, topic, sent)
            codecs = stored_codecs(conn, topic)
            assert codecs
            expected_codec = CODECS["none" if target == "uncompressed" else target]
            assert set(codecs) == {expected_codec}, target
            seen = consume_all(broker, topic, 200)
            assert [m.offset() for m in seen] == list(range(200))
            assert [m.key() for m in seen] == [f"key-{i}".encode() for i in range(200)]
            assert [m.value() for m in seen] == [(f"value-{i}-" * 20).encode()
                                                 for i in range(200)]
            assert [m.headers() for m in seen] == [[("h", f"{i}".encode())]
                                                   for i in range(200)]


def test_compression_type_producer_keeps_the_producers_codec(broker):
    with broker.connect() as conn:
        create_topic(conn, "keep-codec")
        produce_with(broker, "keep-codec", "snappy")
        assert set(stored_codecs(conn, "keep-codec")) == {CODECS["snappy"]}
