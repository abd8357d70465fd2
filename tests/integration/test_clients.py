"""Real Kafka clients against atolld: kcat (librdkafka CLI), confluent-kafka (librdkafka),
kafka-python. Each client runs in a child process with a hard timeout, so a client that
hangs on a bad answer fails the test instead of hanging the suite."""

import json
import subprocess
import sys
import textwrap

import pytest
from kafka.conn import BrokerConnection

from expected import SUPPORTED_APIS

KCAT = "/usr/bin/kcat"
CLIENT_TIMEOUT_S = 30.0
UNKNOWN_TOPIC_OR_PARTITION = 3
# Metadata for an unknown topic must answer "unknown" here, not create it
# (auto-creation has tests of its own).
BROKER_ARGS = ("--set", "auto.create.topics.enable=false")


def run(args, timeout=CLIENT_TIMEOUT_S):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:  # run() has killed the child by pid
        pytest.fail(f"`{' '.join(args[:3])} ...` did not finish in {timeout} s\n"
                    f"--- stdout ---\n{e.stdout}\n--- stderr ---\n{e.stderr}")


def run_python_client(script, *args):
    """Runs `script` under this interpreter (Debian's, which has the client packages);
    the script prints one JSON object as its last line of stdout."""
    proc = run([sys.executable, "-c", textwrap.dedent(script), *args])
    assert proc.returncode == 0, f"client failed\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def kcat(*args):
    proc = run([KCAT, *args])
    assert proc.returncode == 0, f"kcat {' '.join(args)} failed\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


# --- kcat -------------------------------------------------------------------------------


def test_kcat_lists_the_single_broker_and_no_topics(broker):
    out = kcat("-L", "-b", broker.bootstrap, "-m", "10")
    assert " 1 brokers:" in out, out
    assert f"broker {broker.node_id} at {broker.host}:{broker.port}" in out, out
    assert " 0 topics:" in out, out


def test_kcat_json_metadata_names_the_broker_and_its_controller(broker):
    md = json.loads(kcat("-L", "-J", "-b", broker.bootstrap, "-m", "10"))
    assert md["brokers"] == [{"id": broker.node_id, "name": broker.bootstrap}]
    assert md["controllerid"] == broker.node_id
    assert md["topics"] == []


def test_kcat_reports_an_unknown_topic(broker):
    out = kcat("-L", "-b", broker.bootstrap, "-m", "10", "-t", "no-such-topic")
    assert 'topic "no-such-topic" with 0 partitions' in out, out
    assert "Unknown topic or partition" in out, out


def test_kcat_shows_the_configured_node_id_and_advertised_address(launcher):
    # The advertised host must resolve for librdkafka to use it, hence localhost.
    port = launcher.free_port()
    b = launcher.start(node_id=5, port=port, advertise=f"localhost:{port}")
    out = kcat("-L", "-b", b.bootstrap, "-m", "10")
    assert " 1 brokers:" in out, out
    assert f"broker 5 at localhost:{b.port}" in out, out


# --- confluent-kafka (librdkafka) ---------------------------------------------------------

CONFLUENT_SCRIPT = """
    import json, logging, sys
    from confluent_kafka.admin import AdminClient

    class Collect(logging.Handler):
        records = []
        def emit(self, record):
            self.records.append(record.getMessage())

    logger = logging.getLogger("librdkafka")
    logger.setLevel(logging.WARNING)
    handler = Collect()
    logger.addHandler(handler)
    errors = []
    admin = AdminClient({
        "bootstrap.servers": sys.argv[1],
        "socket.timeout.ms": 5000,
        "api.version.request.timeout.ms": 5000,
        "error_cb": lambda e: errors.append(str(e)),
        "logger": logger,
    })
    md = admin.list_topics(timeout=10)
    one = admin.list_topics(topic="no-such-topic", timeout=10)
    unknown = one.topics.get("no-such-topic")
    admin.poll(0.1)  # deliver pending error callbacks
    print(json.dumps({
        "brokers": {str(i): [b.host, b.port] for i, b in md.brokers.items()},
        "controller_id": md.controller_id,
        "orig_broker_id": md.orig_broker_id,
        "topics": sorted(md.topics),
        "unknown_topic_error": unknown.error.code() if unknown and unknown.error else None,
        "errors": errors,
        "log": handler.records,
    }))
"""


@pytest.fixture(scope="module")
def confluent_result(shared_broker):
    return run_python_client(CONFLUENT_SCRIPT, shared_broker.bootstrap)


def test_confluent_kafka_admin_client_lists_exactly_the_one_broker(confluent_result, broker):
    assert confluent_result["brokers"] == {str(broker.node_id): [broker.host, broker.port]}
    assert confluent_result["orig_broker_id"] == broker.node_id
    assert confluent_result["controller_id"] == broker.node_id


def test_confluent_kafka_admin_client_sees_no_topics(confluent_result):
    assert confluent_result["topics"] == []


def test_confluent_kafka_reports_an_unknown_topic_as_unknown_topic_or_partition(
        confluent_result):
    assert confluent_result["unknown_topic_error"] == UNKNOWN_TOPIC_OR_PARTITION


def test_confluent_kafka_logs_no_errors_or_warnings(confluent_result):
    assert confluent_result["errors"] == []
    assert confluent_result["log"] == []


# --- kafka-python ---------------------------------------------------------------------------

KAFKA_PYTHON_SCRIPT = """
    import json, logging, sys
    from kafka import KafkaAdminClient, KafkaConsumer

    class Collect(logging.Handler):
        records = []
        def emit(self, record):
            self.records.append(f"{record.levelname} {record.name}: {record.getMessage()}")

    logging.getLogger("kafka").setLevel(logging.ERROR)
    logging.getLogger("kafka").addHandler(Collect())
    timeouts = dict(api_version_auto_timeout_ms=5000, request_timeout_ms=8000)
    consumer = KafkaConsumer(bootstrap_servers=sys.argv[1], session_timeout_ms=6000,
                             heartbeat_interval_ms=2000, **timeouts)
    topics = consumer.topics()
    consumer_api_version = consumer.config["api_version"]
    consumer.close()

    admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], **timeouts)
    admin_api_version = admin.config["api_version"]
    cluster = admin.describe_cluster()
    listed = admin.list_topics()
    admin.close()
    print(json.dumps({
        "consumer_topics": sorted(topics),
        "consumer_api_version": consumer_api_version,
        "admin_api_version": admin_api_version,
        "cluster": cluster,
        "admin_topics": listed,
        "log": Collect.records,
    }))
"""


@pytest.fixture(scope="module")
def kafka_python_result(shared_broker):
    return run_python_client(KAFKA_PYTHON_SCRIPT, shared_broker.bootstrap)


def test_kafka_python_infers_the_broker_version_from_api_versions(kafka_python_result):
    # kafka-python maps the advertised API versions to a Kafka release; getting the same
    # answer as from the expected API list means it decoded ApiVersions correctly.
    expected = list(BrokerConnection._infer_broker_version_from_api_versions(
        None, SUPPORTED_APIS))
    assert kafka_python_result["consumer_api_version"] == expected
    assert kafka_python_result["admin_api_version"] == expected
    assert tuple(expected) >= (0, 10, 0)  # KafkaAdminClient needs at least this


def test_kafka_python_consumer_sees_no_topics(kafka_python_result):
    assert kafka_python_result["consumer_topics"] == []


def test_kafka_python_admin_client_describes_the_single_broker_cluster(kafka_python_result,
                                                                      broker):
    cluster = kafka_python_result["cluster"]
    assert cluster["brokers"] == [{"node_id": broker.node_id, "host": broker.host,
                                   "port": broker.port, "rack": None}]
    assert cluster["controller_id"] == broker.node_id
    assert kafka_python_result["admin_topics"] == []


def test_kafka_python_logs_no_errors(kafka_python_result):
    assert kafka_python_result["log"] == []
