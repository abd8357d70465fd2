"""Topic administration through real admin clients: adding partitions, deleting
topics, and describing topic and broker configs, with Kafka's names, values,
sources and errors."""

from test_clients import run_python_client

CONFLUENT_ADMIN = """
    import json, sys
    from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions,
                                       NewTopic)
    from confluent_kafka import KafkaException

    admin = AdminClient({"bootstrap.servers": sys.argv[1]})
    def outcome(futures):
        out = {}
        for name, f in futures.items():
            try:
                f.result()
                out[str(name)] = None
            except KafkaException as e:
                out[str(name)] = [e.args[0].code(), e.args[0].str()]
        return out

    created = outcome(admin.create_topics([
        NewTopic("grow", 2, 1),
        NewTopic("tuned", 1, 1, config={"retention.ms": "12345", "cleanup.policy": "compact"}),
    ]))
    grown = outcome(admin.create_partitions([NewPartitions("grow", 5)]))
    shrink = outcome(admin.create_partitions([NewPartitions("grow", 3)]))
    missing = outcome(admin.create_partitions([NewPartitions("no-such", 3)]))
    dry = outcome(admin.create_partitions([NewPartitions("grow", 9)], validate_only=True))
    partitions = len(admin.list_topics(topic="grow", timeout=10).topics["grow"].partitions)

    topic_res = ConfigResource(ConfigResource.Type.TOPIC, "tuned")
    broker_res = ConfigResource(ConfigResource.Type.BROKER, sys.argv[2])
    described = {}
    for res, f in admin.describe_configs([topic_res, broker_res]).items():
        described[str(res.restype)] = {
            name: [c.value, int(c.source), c.is_default, c.is_read_only]
            for name, c in f.result().items()}
    try:
        admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, "no-such")])[
            ConfigResource(ConfigResource.Type.TOPIC, "no-such")].result()
        unknown = None
    except KafkaException as e:
        unknown = e.args[0].code()
    deleted = outcome(admin.delete_topics(["grow"]))
    after = sorted(admin.list_topics(timeout=10).topics)
    print(json.dumps({"created": created, "grown": grown, "shrink": shrink,
                      "missing": missing, "dry": dry, "partitions": partitions,
                      "described": described, "unknown": unknown, "deleted": deleted,
                      "after": after}))
"""

KAFKA_PYTHON_ADMIN = """
    import json, sys
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=10000)
    admin.create_topics([NewTopic("kp-tuned", 3, 1, topic_configs={"segment.bytes": "1048576"})])
    resp = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-tuned")])
    result = resp[0].resources[0]
    error_code, configs = result[0], result[4]
    print(json.dumps({"error": error_code,
                      "configs": {c[0]: [c[1], c[2]] for c in configs}}))
"""


def test_confluent_admin_adds_partitions_describes_configs_and_deletes_topics(broker):
    r = run_python_client(CONFLUENT_ADMIN, broker.bootstrap, str(broker.node_id))
    assert r["created"] == {"grow": None, "tuned": None}
    assert r["grown"] == {"grow": None}
    assert r["shrink"]["grow"][0] == 37  # INVALID_PARTITIONS
    assert "5 partitions" in r["shrink"]["grow"][1]
    assert r["missing"]["no-such"][0] == 3  # UNKNOWN_TOPIC_OR_PARTITION
    assert r["dry"] == {"grow": None}
    assert r["partitions"] == 5  # grown, and the dry run changed nothing

    topic = r["described"][next(k for k in r["described"] if "TOPIC" in k)]
    # Set explicitly: DYNAMIC_TOPIC_CONFIG (1); otherwise the broker's default (5).
    assert topic["retention.ms"][:2] == ["12345", 1]
    assert topic["cleanup.policy"][:2] == ["compact", 1]
    assert topic["segment.bytes"][:2] == ["1073741824", 5]
    assert topic["segment.bytes"][2] is True
    broker_cfg = r["described"][next(k for k in r["described"] if "BROKER" in k)]
    assert broker_cfg["num.partitions"][0] == "1"
    assert broker_cfg["node.id"][0] == str(broker.node_id)
    assert r["unknown"] == 3
    assert r["deleted"] == {"grow": None}
    assert "grow" not in r["after"] and "tuned" in r["after"]


def test_kafka_python_admin_describes_a_topics_configs(broker):
    r = run_python_client(KAFKA_PYTHON_ADMIN, broker.bootstrap)
    assert r["error"] == 0
    assert r["configs"]["segment.bytes"][0] == "1048576"
    assert r["configs"]["retention.ms"][0] == "604800000"
    assert "compression.type" in r["configs"]
