"""Topic administration through real admin clients: adding partitions, deleting
topics, and describing topic and broker configs, with Kafka's names, values,
sources and errors."""

from confluent_kafka.admin import AdminClient, NewTopic

import kafka_wire as kw
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


CONFLUENT_ALTER = """
    import json, sys
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
    from confluent_kafka import KafkaException

    admin = AdminClient({"bootstrap.servers": sys.argv[1]})
    for f in admin.create_topics([NewTopic("altered", 1, 1,
                                           config={"retention.ms": "1000"})]).values():
        f.result()
    res = ConfigResource(ConfigResource.Type.TOPIC, "altered",
                         set_config={"segment.ms": "3600000", "cleanup.policy": "compact"})
    for f in admin.alter_configs([res]).values():
        f.result()
    def describe():
        r = ConfigResource(ConfigResource.Type.TOPIC, "altered")
        return {n: [c.value, int(c.source)]
                for n, c in admin.describe_configs([r])[r].result().items()}
    after = describe()
    bad = ConfigResource(ConfigResource.Type.TOPIC, "altered",
                         set_config={"retention.ms": "soon"})
    try:
        for f in admin.alter_configs([bad]).values():
            f.result()
        refused = None
    except KafkaException as e:
        refused = e.args[0].code()
    print(json.dumps({"after": after, "refused": refused, "unchanged": describe()}))
"""


def test_confluent_admin_alters_topic_configs_whole(broker):
    r = run_python_client(CONFLUENT_ALTER, broker.bootstrap)
    # AlterConfigs replaces the explicit configs: retention.ms goes back to default.
    assert r["after"]["segment.ms"] == ["3600000", 1]
    assert r["after"]["cleanup.policy"] == ["compact", 1]
    assert r["after"]["retention.ms"] == ["604800000", 5]
    assert r["refused"] == 40  # INVALID_CONFIG
    assert r["unchanged"] == r["after"]


def incremental_alter(conn, topic, ops):
    body = (kw.Writer()
            .array([topic], lambda w, t: w.int8(2).string(t).array(
                ops, lambda w2, op: w2.string(op[0]).int8(op[1]).nullable_string(op[2])))
            .bool(False).bytes())
    cid = conn.send_request(kw.INCREMENTAL_ALTER_CONFIGS, 0, body)
    r = conn.recv_response(kw.INCREMENTAL_ALTER_CONFIGS, 0, cid)
    r.int32()
    results = r.array(lambda r: (r.int16(), r.nullable_string(), r.int8(), r.string()))
    r.expect_end()
    return results[0][0], results[0][1]


def test_incremental_alter_configs_sets_appends_subtracts_and_deletes(broker):
    created = run_python_client("""
        import json, sys
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": sys.argv[1]})
        for f in admin.create_topics([NewTopic("inc", 1, 1,
                                               config={"retention.ms": "1000"})]).values():
            f.result()
        print(json.dumps({}))
    """, broker.bootstrap)
    assert created == {}
    SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
    with broker.connect() as conn:
        assert incremental_alter(conn, "inc", [("segment.ms", SET, "60000"),
                                               ("cleanup.policy", APPEND, "compact"),
                                               ("retention.ms", DELETE, None)]) == (0, None)
        assert incremental_alter(conn, "inc", [("cleanup.policy", APPEND, "delete")])[0] == 0
        assert incremental_alter(conn, "inc", [("cleanup.policy", SUBTRACT, "compact")])[0] == 0
        error, message = incremental_alter(conn, "inc", [("no.such.config", SET, "1")])
        assert error == 40 and "no.such.config" in message
        assert incremental_alter(conn, "missing", [("segment.ms", SET, "1")])[0] == 3
    described = run_python_client("""
        import json, sys
        from confluent_kafka.admin import AdminClient, ConfigResource
        admin = AdminClient({"bootstrap.servers": sys.argv[1]})
        r = ConfigResource(ConfigResource.Type.TOPIC, "inc")
        print(json.dumps({n: [c.value, int(c.source)]
                          for n, c in admin.describe_configs([r])[r].result().items()}))
    """, broker.bootstrap)
    assert described["segment.ms"] == ["60000", 1]
    assert described["cleanup.policy"] == ["delete", 1]
    assert described["retention.ms"] == ["604800000", 5]



STATIC_BROKER, DEFAULT_SOURCE, DYNAMIC_TOPIC = 4, 5, 1


def topic_configs_with_synonyms(conn, topic, keys):
    """DescribeConfigs v4 with synonyms: {name: [value, source, [synonyms...]]}."""
    r = conn.call(kw.DESCRIBE_CONFIGS, 4, {
        "resources": [{"resource_type": 2, "resource_name": topic, "configuration_keys": keys}],
        "include_synonyms": True, "include_documentation": False})
    (result,) = r["results"]
    assert result["error_code"] == 0, result
    return {c["name"]: [c["value"], c["config_source"],
                        [[s["name"], s["value"], s["source"]] for s in c["synonyms"]]]
            for c in result["configs"]}


def test_topic_defaults_set_by_kafkas_broker_names_show_with_their_synonyms(launcher):
    """A node's config sets topic defaults as server.properties does
    (log.segment.bytes); DescribeConfigs shows them as STATIC_BROKER_CONFIG,
    with Kafka's synonyms: the topic's own value, the broker's setting, the
    broker's default."""
    b = launcher.start("--set", "log.segment.bytes=2000000",
                       "--set", "log.cleaner.delete.retention.ms=5000",
                       "--set", "message.max.bytes=2000000")
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    for f in admin.create_topics([
            NewTopic("plain", 1, 1),
            NewTopic("own", 1, 1, config={"segment.bytes": "3000000"})]).values():
        f.result(10)
    keys = ["segment.bytes", "delete.retention.ms", "max.message.bytes", "retention.ms"]
    with b.connect() as conn:
        plain = topic_configs_with_synonyms(conn, "plain", keys)
        own = topic_configs_with_synonyms(conn, "own", ["segment.bytes"])
    assert plain == {
        "segment.bytes": ["2000000", STATIC_BROKER,
                          [["log.segment.bytes", "2000000", STATIC_BROKER],
                           ["log.segment.bytes", "1073741824", DEFAULT_SOURCE]]],
        "delete.retention.ms": ["5000", STATIC_BROKER,
                                [["log.cleaner.delete.retention.ms", "5000", STATIC_BROKER],
                                 ["log.cleaner.delete.retention.ms", "86400000",
                                  DEFAULT_SOURCE]]],
        "max.message.bytes": ["2000000", STATIC_BROKER,
                              [["message.max.bytes", "2000000", STATIC_BROKER],
                               ["message.max.bytes", "1048588", DEFAULT_SOURCE]]],
        # Kafka keeps this default in log.retention.hours and lists no synonym.
        "retention.ms": ["604800000", DEFAULT_SOURCE, []],
    }
    assert own == {"segment.bytes": ["3000000", DYNAMIC_TOPIC,
                                     [["segment.bytes", "3000000", DYNAMIC_TOPIC],
                                      ["log.segment.bytes", "2000000", STATIC_BROKER],
                                      ["log.segment.bytes", "1073741824", DEFAULT_SOURCE]]]}
