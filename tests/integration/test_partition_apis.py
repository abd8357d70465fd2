"""OffsetForLeaderEpoch, DeleteRecords and DescribeCluster over the raw protocol
(the Debian clients here cannot send them), against records real clients wrote."""

import subprocess

import kafka_wire as kw
from test_clients import KCAT, kcat

OFFSET_OUT_OF_RANGE = 1
UNKNOWN_TOPIC_OR_PARTITION = 3
POLICY_VIOLATION = 44
UNKNOWN_LEADER_EPOCH = 75


def produce(broker, topic, count):
    data = "".join(f"k{i}:v{i}\n" for i in range(count))
    proc = subprocess.run([KCAT, "-P", "-b", broker.bootstrap, "-t", topic, "-K:", "-p", "0",
                           "-X", "topic.request.required.acks=-1"],
                          input=data, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


def offset_for_leader_epoch(conn, topic, partition, epoch, current=-1):
    body = (kw.Writer().int32(-1)
            .array([topic], lambda w, t: w.string(t).array(
                [partition], lambda w2, p: w2.int32(p).int32(current).int32(epoch)))
            .bytes())
    cid = conn.send_request(kw.OFFSET_FOR_LEADER_EPOCH, 3, body)
    r = conn.recv_response(kw.OFFSET_FOR_LEADER_EPOCH, 3, cid)
    r.int32()  # throttle
    topics = r.array(lambda r: (r.string(), r.array(
        lambda r2: (r2.int16(), r2.int32(), r2.int32(), r2.int64()))))
    r.expect_end()
    (_, [(error, _, leader_epoch, end_offset)]), = topics
    return error, leader_epoch, end_offset


def delete_records(conn, topic, partition, offset):
    body = (kw.Writer()
            .array([topic], lambda w, t: w.string(t).array(
                [partition], lambda w2, p: w2.int32(p).int64(offset)))
            .int32(5000).bytes())
    cid = conn.send_request(kw.DELETE_RECORDS, 1, body)
    r = conn.recv_response(kw.DELETE_RECORDS, 1, cid)
    r.int32()
    topics = r.array(lambda r: (r.string(), r.array(
        lambda r2: (r2.int32(), r2.int64(), r2.int16()))))
    r.expect_end()
    (_, [(_, low_watermark, error)]), = topics
    return error, low_watermark


def earliest_offset(conn, topic):
    # ListOffsets v1, timestamp -2 (earliest).
    body = (kw.Writer().int32(-1)
            .array([topic], lambda w, t: w.string(t).array(
                [0], lambda w2, p: w2.int32(p).int64(-2)))
            .bytes())
    cid = conn.send_request(kw.LIST_OFFSETS, 1, body)
    r = conn.recv_response(kw.LIST_OFFSETS, 1, cid)
    topics = r.array(lambda r: (r.string(), r.array(
        lambda r2: (r2.int32(), r2.int16(), r2.int64(), r2.int64()))))
    r.expect_end()
    (_, [(_, error, _, offset)]), = topics
    assert error == 0
    return offset


def test_offset_for_leader_epoch_answers_as_kafka_does(broker):
    produce(broker, "epochs", 20)
    with broker.connect() as conn:
        # The only epoch so far (0) ends at the log end.
        assert offset_for_leader_epoch(conn, "epochs", 0, 0) == (0, 0, 20)
        # Newer than any epoch: undefined, as Kafka answers.
        assert offset_for_leader_epoch(conn, "epochs", 0, 7) == (0, -1, -1)
        # A client that knows a newer leader epoch than this broker's.
        assert offset_for_leader_epoch(conn, "epochs", 0, 0, current=3)[0] == \
            UNKNOWN_LEADER_EPOCH
        assert offset_for_leader_epoch(conn, "no-such", 0, 0)[0] == \
            UNKNOWN_TOPIC_OR_PARTITION


def test_delete_records_moves_the_log_start_durably(launcher):
    b = launcher.start()
    produce(b, "trim", 50)
    with b.connect() as conn:
        assert delete_records(conn, "trim", 0, 20) == (0, 20)
        assert earliest_offset(conn, "trim") == 20
        assert delete_records(conn, "trim", 0, 51)[0] == OFFSET_OUT_OF_RANGE
        assert delete_records(conn, "no-such", 0, 1)[0] == UNKNOWN_TOPIC_OR_PARTITION
    b.stop()
    again = launcher.start(data_dir=b.workdir / "data")
    with again.connect() as conn:
        assert earliest_offset(conn, "trim") == 20
        # -1: everything up to the high watermark.
        assert delete_records(conn, "trim", 0, -1) == (0, 50)
    out = kcat("-C", "-b", again.bootstrap, "-t", "trim", "-o", "beginning", "-e", "-q",
               "-f", "%o\n")
    assert out.split() == []


def test_delete_records_on_a_compact_only_topic_is_a_policy_violation(broker):
    """As in Kafka: a log that only compacts keeps its records (found by kafkajs
    in the differential suite); compact,delete may be trimmed."""
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for name, policy in (("compacted", "compact"), ("both", "compact,delete")):
        admin.create_topics([NewTopic(name, 1, 1, config={"cleanup.policy": policy})])[name] \
            .result(10)
        produce(broker, name, 10)
    with broker.connect() as conn:
        assert delete_records(conn, "compacted", 0, 5) == (POLICY_VIOLATION, -1)
        assert earliest_offset(conn, "compacted") == 0
        assert delete_records(conn, "both", 0, 5) == (0, 5)


def test_describe_cluster_names_the_single_node(broker):
    body = kw.Writer().bool(False).tagged_fields().bytes()
    with broker.connect() as conn:
        cid = conn.send_request(kw.DESCRIBE_CLUSTER, 0, body)
        r = conn.recv_response(kw.DESCRIBE_CLUSTER, 0, cid)
    r.int32()
    assert r.int16() == 0
    assert r.nullable_string(compact=True) is None
    cluster_id = r.string(compact=True)
    controller = r.int32()
    brokers = r.array(lambda r: (r.int32(), r.string(compact=True), r.int32(),
                                 r.nullable_string(compact=True), r.tagged_fields()),
                      compact=True)
    r.int32()
    r.tagged_fields()
    r.expect_end()
    assert len(cluster_id) == 22
    assert controller == broker.node_id
    assert [(i, h, p) for i, h, p, _, _ in brokers] == [(broker.node_id, broker.host,
                                                         broker.port)]
