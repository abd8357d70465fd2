"""Raft on a single node: every start elects the node leader of each partition in a new
term, and that leader's first entry sits in the log among the records. It must leave no
trace a client can see: Kafka offsets skip it, the high watermark is the last record's
end (lag 0), kcat -e reaches the end and exits, kafka-python 2.0.2 (which hands control
records to the application) sees none, and the leader epoch Kafka reports grows by one
per term, from 0 as in Kafka. Checked over real restarts of atolld on one data dir."""

import signal
import subprocess

import kafka_wire as kw
from test_clients import KCAT, run, run_python_client
from test_data_path import restart

TOPIC = "elections"

KAFKA_PYTHON_READ = """
    import json, sys
    from kafka import KafkaConsumer, TopicPartition
    tp = TopicPartition(sys.argv[2], 0)
    c = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False,
                      consumer_timeout_ms=1500, auto_offset_reset="earliest")
    c.assign([tp])
    c.seek_to_beginning(tp)
    seen = [[m.offset, m.value.decode()] for m in c]
    end = c.end_offsets([tp])[tp]
    c.close()
    print(json.dumps({"seen": seen, "end": end}))
"""

CONFLUENT_LAG = """
    import json, sys
    from confluent_kafka import Consumer, TopicPartition, KafkaError
    c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[3],
                  "enable.partition.eof": True, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.assign([TopicPartition(sys.argv[2], 0)])
    got, eof = 0, False
    while not eof:
        m = c.poll(10)
        if m is None:
            break
        if m.error():
            eof = m.error().code() == KafkaError._PARTITION_EOF
            continue
        got += 1
        c.commit(message=m, asynchronous=False)
    committed = c.committed([TopicPartition(sys.argv[2], 0)], timeout=10)[0].offset
    low, high = c.get_watermark_offsets(TopicPartition(sys.argv[2], 0), timeout=10)
    c.close()
    print(json.dumps({"got": got, "eof": eof, "lag": high - committed, "high": high}))
"""


def produce(broker, values):
    proc = subprocess.run(
        [KCAT, "-P", "-b", broker.bootstrap, "-t", TOPIC, "-p", "0",
         "-X", "topic.request.required.acks=-1"],
        input="".join(v + "\n" for v in values), capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


def leader_epoch(broker) -> int:
    with broker.connect() as conn:
        (topic,) = conn.metadata(12, [TOPIC]).topics
    (p,) = topic.partitions
    assert (p.error_code, p.leader_id) == (kw.NONE, broker.node_id), p
    return p.leader_epoch


def check_clients_see_only_records(broker, values, group):
    # kcat -e stops at the end of the partition: the high watermark is the records' end.
    proc = run([KCAT, "-C", "-b", broker.bootstrap, "-t", TOPIC, "-p", "0", "-o",
                "beginning", "-e", "-f", "%o %s\\n"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"{i} {v}" for i, v in enumerate(values)]
    # kafka-python hands control records to the application: none may be there.
    out = run_python_client(KAFKA_PYTHON_READ, broker.bootstrap, TOPIC)
    assert out["seen"] == [[i, v] for i, v in enumerate(values)]
    assert out["end"] == len(values)
    # A consumer that read everything has lag 0 and gets the end-of-partition event.
    lag = run_python_client(CONFLUENT_LAG, broker.bootstrap, TOPIC, group)
    assert lag == {"got": len(values), "eof": True, "lag": 0, "high": len(values)}


def test_each_restart_is_a_new_term_that_clients_never_see(launcher, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    broker = launcher.start("--set", "auto.create.topics.enable=true", data_dir=data_dir)
    values = [f"v{i}" for i in range(10)]
    produce(broker, values)
    assert leader_epoch(broker) == 0
    check_clients_see_only_records(broker, values, "g0")
    for term in (1, 2):
        assert broker.stop(signal.SIGTERM) == 0, broker.describe()
        broker = restart(launcher, broker, data_dir)
        # An election on an idle partition: nothing new to read, nothing to lag behind.
        assert leader_epoch(broker) == term
        check_clients_see_only_records(broker, values, f"idle{term}")
        more = [f"t{term}-{i}" for i in range(5)]
        produce(broker, more)
        values += more
        check_clients_see_only_records(broker, values, f"g{term}")
    # The batches carry their term's epoch, as Kafka's do: 0 for the first ten records.
    with broker.connect() as conn:
        resp = conn.call(kw.FETCH, 12, {"topics": [{"topic": TOPIC, "partitions": [
            {"partition": 0, "fetch_offset": 0, "partition_max_bytes": 1 << 20}]}]})
    batches = kw.decode_record_batches(resp["responses"][0]["partitions"][0]["records"])
    epochs = {b.base_offset: b.partition_leader_epoch for b in batches}
    assert sum(len(b.records) for b in batches) == 20
    assert {o: (0 if o < 10 else 1 if o < 15 else 2) for o in epochs} == epochs
