"""The 3-node Apache Kafka peer (for the Raft issue's comparisons) forms and replicates."""

from __future__ import annotations

import kafka_peer
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def test_three_node_kraft_cluster_elects_and_replicates(tmp_path) -> None:
    cluster = kafka_peer.start_three(tmp_path, heap="384m")
    try:
        assert [n.host for n in cluster.nodes] == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        md = admin.list_topics(timeout=30)
        assert sorted(md.brokers) == [1, 2, 3]
        admin.create_topics([NewTopic("replicated", 3, 3,
                                      config={"min.insync.replicas": "2"})])["replicated"].result(30)
        producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
        errors = []
        for i in range(30):
            producer.produce("replicated", f"v{i}".encode(), partition=i % 3,
                             on_delivery=lambda err, _msg: errors.append(err))
        assert producer.flush(30) == 0
        assert errors == [None] * 30
        topic = admin.list_topics("replicated", timeout=30).topics["replicated"]
        for p in topic.partitions.values():
            assert sorted(p.replicas) == [1, 2, 3] and sorted(p.isrs) == [1, 2, 3]
        consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "check"})
        for p in range(3):
            assert consumer.get_watermark_offsets(TopicPartition("replicated", p), 30) == (0, 10)
        consumer.close()
        # One node stopped by its pid: the others keep the partitions writable.
        assert cluster.nodes[2].stop() is not None
        delivered = []
        producer.produce("replicated", b"after", partition=0,
                         on_delivery=lambda err, msg: delivered.append(err))
        assert producer.flush(60) == 0
        assert delivered == [None]
    finally:
        codes = cluster.stop()
    assert all(code is not None for code in codes)
