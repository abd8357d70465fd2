"""Idempotent producers: InitProducerId hands out producer ids never given
before (a restart included); each partition keeps every producer's epoch and
last five batches, rebuilt from the log after a crash, so a retried batch is
answered with its original offsets and not stored twice, a gap in sequences
is OUT_OF_ORDER_SEQUENCE_NUMBER and an epoch from the past is
INVALID_PRODUCER_EPOCH, as Kafka answers; DescribeProducers shows them."""

import json
import signal
import subprocess
import textwrap
import time

import pytest

import kafka_wire as kw
from expected import versions_of

CLIENT_TIMEOUT_S = 60.0


def create_topic(conn, name, partitions=1, configs=()):
    resp = conn.call(kw.CREATE_TOPICS, 7, {"topics": [{
        "name": name, "num_partitions": partitions, "replication_factor": 1,
        "configs": [{"name": k, "value": v} for k, v in configs]}]})
    assert resp["topics"][0]["error_code"] == 0, resp


def init_producer_id(conn, version=5, **values):
    resp = conn.call(kw.INIT_PRODUCER_ID, version, values)
    assert resp["error_code"] == kw.NONE, resp
    assert resp["producer_epoch"] == 0, resp
    return resp["producer_id"]


def idempotent_batch(pid, epoch, seq, count=1, tag="v", attributes=0):
    records = [kw.Record(key=None, value=f"{tag}-{seq + i}".encode()) for i in range(count)]
    return kw.encode_record_batch(records, producer_id=pid, producer_epoch=epoch,
                                  base_sequence=seq, attributes=attributes)


def produce(conn, topic, batch, partition=0, version=11):
    resp = conn.call(kw.PRODUCE, version, {"acks": -1, "topic_data": [{
        "name": topic, "partition_data": [{"index": partition, "records": batch}]}]})
    return resp["responses"][0]["partition_responses"][0]


def stored_values(conn, topic, partition=0):
    resp = conn.call(kw.FETCH, 12, {"max_wait_ms": 0, "min_bytes": 0, "topics": [{
        "topic": topic, "partitions": [{"partition": partition, "fetch_offset": 0}]}]})
    part = resp["responses"][0]["partitions"][0]
    assert part["error_code"] == 0, part
    return [r.value.decode() for b in kw.decode_record_batches(part["records"])
            for r in b.records]


def describe_producers(conn, topic, partitions=(0,)):
    resp = conn.call(kw.DESCRIBE_PRODUCERS, 0, {"topics": [{
        "name": topic, "partition_indexes": list(partitions)}]})
    return resp["topics"][0]["partitions"]


@pytest.mark.parametrize("version", versions_of(kw.INIT_PRODUCER_ID))
def test_init_producer_id_gives_a_new_id_at_epoch_zero_at_every_version(broker, version):
    with broker.connect() as conn:
        first = init_producer_id(conn, version)
        second = init_producer_id(conn, version)
    assert first >= 0 and second >= 0 and first != second


def test_an_idempotent_producer_asking_again_with_its_id_gets_a_new_one(broker):
    """Kafka ignores the id and epoch of a producer without a transactional id."""
    with broker.connect() as conn:
        pid = init_producer_id(conn)
        again = init_producer_id(conn, producer_id=pid, producer_epoch=0)
    assert again != pid


def test_an_empty_transactional_id_is_an_invalid_request(broker):
    with broker.connect() as conn:
        resp = conn.call(kw.INIT_PRODUCER_ID, 5, {"transactional_id": ""})
    assert resp["error_code"] == kw.INVALID_REQUEST
    assert resp["producer_id"] == -1


def test_producer_ids_are_never_given_twice_across_restarts(launcher, tmp_path):
    data_dir = tmp_path / "kept"
    data_dir.mkdir()
    seen = set()
    port = None
    for stop_signal in (signal.SIGTERM, signal.SIGKILL, signal.SIGTERM):
        b = launcher.start(data_dir=data_dir, port=port)
        port = b.port
        with b.connect() as conn:
            ids = [init_producer_id(conn) for _ in range(3)]
        assert not seen & set(ids), (seen, ids)
        seen |= set(ids)
        b.stop(stop_signal)
    assert len(seen) == 9


def test_a_retried_batch_gets_its_original_offset_and_is_stored_once(broker):
    with broker.connect() as conn:
        create_topic(conn, "idem-retry")
        pid = init_producer_id(conn)
        first = produce(conn, "idem-retry", idempotent_batch(pid, 0, 0, 3))
        assert first["error_code"] == kw.NONE and first["base_offset"] == 0, first
        second = produce(conn, "idem-retry", idempotent_batch(pid, 0, 3, 2))
        assert second["error_code"] == kw.NONE and second["base_offset"] == 3, second
        # Both retried, in any order: answered as the first time.
        for seq, count, offset in ((0, 3, 0), (3, 2, 3), (0, 3, 0)):
            again = produce(conn, "idem-retry", idempotent_batch(pid, 0, seq, count))
            assert again["error_code"] == kw.NONE, again
            assert again["base_offset"] == offset, again
        assert stored_values(conn, "idem-retry") == [f"v-{i}" for i in range(5)]


def test_only_the_last_five_batches_are_recognised_as_retries(broker):
    with broker.connect() as conn:
        create_topic(conn, "idem-window")
        pid = init_producer_id(conn)
        for seq in range(6):
            assert produce(conn, "idem-window",
                           idempotent_batch(pid, 0, seq))["error_code"] == kw.NONE
        assert produce(conn, "idem-window",
                       idempotent_batch(pid, 0, 1))["base_offset"] == 1
        oldest = produce(conn, "idem-window", idempotent_batch(pid, 0, 0))
        assert oldest["error_code"] == kw.OUT_OF_ORDER_SEQUENCE_NUMBER, oldest
        assert len(stored_values(conn, "idem-window")) == 6


def test_a_gap_in_sequences_is_out_of_order_and_stores_nothing(broker):
    with broker.connect() as conn:
        create_topic(conn, "idem-gap")
        pid = init_producer_id(conn)
        assert produce(conn, "idem-gap", idempotent_batch(pid, 0, 0))["error_code"] == 0
        gap = produce(conn, "idem-gap", idempotent_batch(pid, 0, 2))
        assert gap["error_code"] == kw.OUT_OF_ORDER_SEQUENCE_NUMBER, gap
        assert gap["base_offset"] == -1
        # The producer carries on from where the partition is.
        assert produce(conn, "idem-gap", idempotent_batch(pid, 0, 1))["base_offset"] == 1
        assert stored_values(conn, "idem-gap") == ["v-0", "v-1"]


def test_an_epoch_from_the_past_is_refused_and_a_new_epoch_restarts_at_zero(broker):
    with broker.connect() as conn:
        create_topic(conn, "idem-epoch")
        pid = init_producer_id(conn)
        assert produce(conn, "idem-epoch", idempotent_batch(pid, 3, 0, 2))["error_code"] == 0
        old = produce(conn, "idem-epoch", idempotent_batch(pid, 2, 2))
        assert old["error_code"] == kw.INVALID_PRODUCER_EPOCH, old
        not_zero = produce(conn, "idem-epoch", idempotent_batch(pid, 4, 2))
        assert not_zero["error_code"] == kw.OUT_OF_ORDER_SEQUENCE_NUMBER, not_zero
        assert produce(conn, "idem-epoch", idempotent_batch(pid, 4, 0))["base_offset"] == 2
        assert stored_values(conn, "idem-epoch") == ["v-0", "v-1", "v-0"]


def test_an_unknown_producer_may_start_at_any_sequence(broker):
    """As Kafka since KIP-360: its state may have expired or been deleted."""
    with broker.connect() as conn:
        create_topic(conn, "idem-unknown")
        resp = produce(conn, "idem-unknown", idempotent_batch(123456, 0, 77))
        assert resp["error_code"] == kw.NONE, resp


def test_a_batch_with_a_producer_id_and_no_sequence_is_an_invalid_record(broker):
    with broker.connect() as conn:
        create_topic(conn, "idem-noseq")
        resp = produce(conn, "idem-noseq", idempotent_batch(5, 0, -1))
        assert resp["error_code"] == kw.INVALID_RECORD, resp


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGTERM])
def test_retries_are_recognised_after_a_restart(launcher, tmp_path, stop_signal):
    """SIGKILL leaves no snapshot: the state comes back from the log; SIGTERM
    leaves one, and nothing is replayed."""
    data_dir = tmp_path / "kept"
    data_dir.mkdir()
    b = launcher.start(data_dir=data_dir)
    with b.connect() as conn:
        create_topic(conn, "idem-restart", partitions=2)
        pid = init_producer_id(conn)
        for p in (0, 1):
            for seq in (0, 2):
                r = produce(conn, "idem-restart", idempotent_batch(pid, 0, seq, 2), p)
                assert r["error_code"] == 0, r
    b.stop(stop_signal)
    snapshots = list(data_dir.rglob("*.snapshot"))
    if stop_signal == signal.SIGTERM:
        assert len([s for s in snapshots if "idem-restart" in str(s)]) == 2, snapshots
    b = launcher.start(data_dir=data_dir, port=b.port)
    with b.connect() as conn:
        for p in (0, 1):
            retry = produce(conn, "idem-restart", idempotent_batch(pid, 0, 2, 2), p)
            assert retry["error_code"] == kw.NONE and retry["base_offset"] == 2, retry
            gap = produce(conn, "idem-restart", idempotent_batch(pid, 0, 5), p)
            assert gap["error_code"] == kw.OUT_OF_ORDER_SEQUENCE_NUMBER, gap
            assert produce(conn, "idem-restart",
                           idempotent_batch(pid, 0, 4), p)["base_offset"] == 4
            assert stored_values(conn, "idem-restart", p) == [f"v-{i}" for i in range(5)]
        [state] = describe_producers(conn, "idem-restart", [0])[0]["active_producers"]
        assert state["producer_id"] == pid and state["last_sequence"] == 4


def test_describe_producers_shows_each_partitions_producers(broker):
    with broker.connect() as conn:
        create_topic(conn, "idem-describe", partitions=2)
        pid = init_producer_id(conn)
        before = int(time.time() * 1000)
        assert produce(conn, "idem-describe", idempotent_batch(pid, 2, 0, 4))["error_code"] == 0
        parts = describe_producers(conn, "idem-describe", [0, 1, 7])
        missing = describe_producers(conn, "no-such-topic", [0])
    assert [p["partition_index"] for p in parts] == [0, 1, 7]
    [state] = parts[0]["active_producers"]
    assert state["producer_id"] == pid
    assert state["producer_epoch"] == 2
    assert state["last_sequence"] == 3
    assert state["last_timestamp"] >= before - 1000
    assert state["coordinator_epoch"] == -1
    assert state["current_txn_start_offset"] == -1
    assert parts[1]["error_code"] == 0 and parts[1]["active_producers"] == []
    assert parts[2]["error_code"] == kw.UNKNOWN_TOPIC_OR_PARTITION
    assert missing[0]["error_code"] == kw.UNKNOWN_TOPIC_OR_PARTITION


def test_idle_producers_expire_after_producer_id_expiration_ms(launcher):
    b = launcher.start("--set", "producer.id.expiration.ms=1500",
                       "--set", "producer.id.expiration.check.interval.ms=200")
    with b.connect() as conn:
        create_topic(conn, "idem-expiry")
        pid = init_producer_id(conn)
        assert produce(conn, "idem-expiry", idempotent_batch(pid, 0, 0))["error_code"] == 0
        assert describe_producers(conn, "idem-expiry")[0]["active_producers"]
        deadline = time.monotonic() + 10
        while describe_producers(conn, "idem-expiry")[0]["active_producers"]:
            assert time.monotonic() < deadline, "the producer never expired"
            time.sleep(0.2)
        # Forgotten: any sequence starts it again.
        assert produce(conn, "idem-expiry", idempotent_batch(pid, 0, 9))["error_code"] == 0


PRODUCE_IDEMPOTENTLY = textwrap.dedent("""
    import json, sys
    from confluent_kafka import Producer
    bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                  "linger.ms": 5, "batch.num.messages": 7})
    errors = []
    def done(err, msg):
        if err is not None:
            errors.append(str(err))
    for i in range(count):
        p.produce(topic, value=str(i).encode(), partition=i % 3, on_delivery=done)
        p.poll(0)
    left = p.flush(30)
    print(json.dumps({"left": left, "errors": errors}))
""")


def test_librdkafka_idempotent_producer_writes_each_record_exactly_once(broker):
    with broker.connect() as conn:
        create_topic(conn, "idem-rdkafka", partitions=3)
    done = subprocess.run(["/usr/bin/python3", "-c", PRODUCE_IDEMPOTENTLY, broker.bootstrap,
                           "idem-rdkafka", "600"], capture_output=True, text=True,
                          timeout=CLIENT_TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == {"left": 0, "errors": []}, outcome
    with broker.connect() as conn:
        values = []
        for p in range(3):
            values += stored_values(conn, "idem-rdkafka", p)
            [state] = describe_producers(conn, "idem-rdkafka", [p])[0]["active_producers"]
            assert state["last_sequence"] == 199, state
    assert sorted(values, key=int) == [str(i) for i in range(600)]


PRODUCE_THROUGH_A_CRASH = textwrap.dedent("""
    import json, sys, time
    from confluent_kafka import Producer
    bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                  "linger.ms": 2, "batch.num.messages": 50, "message.timeout.ms": 60000,
                  "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200})
    delivered, errors = [], []
    def done(err, msg):
        if err is None:
            delivered.append(int(msg.value()))
        else:
            errors.append(str(err))
    for i in range(count):
        while True:
            try:
                p.produce(topic, value=str(i).encode(), partition=0, on_delivery=done)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
        if i % 200 == 0:
            time.sleep(0.05)  # spread the sends over the crash
    left = p.flush(60)
    print(json.dumps({"left": left, "errors": errors, "delivered": delivered}))
""")


def test_an_idempotent_producer_writes_each_record_once_across_a_broker_crash(launcher,
                                                                           tmp_path):
    """SIGKILL of the broker while librdkafka has batches in flight: after
    the restart it retries them, and the partition (its producer state
    rebuilt from the log) stores each record once, in order."""
    data_dir = tmp_path / "kept"
    data_dir.mkdir()
    b = launcher.start(data_dir=data_dir)
    with b.connect() as conn:
        create_topic(conn, "idem-crash")
    client = subprocess.Popen(["/usr/bin/python3", "-c", PRODUCE_THROUGH_A_CRASH, b.bootstrap,
                               "idem-crash", "4000"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        # The crash lands mid-stream: some records stored, not all.
        with b.connect() as conn:
            high = 0
            deadline = time.monotonic() + CLIENT_TIMEOUT_S
            while high == 0 and time.monotonic() < deadline:
                resp = conn.call(kw.LIST_OFFSETS, 7, {"replica_id": -1, "topics": [{
                    "name": "idem-crash", "partitions": [{"partition_index": 0,
                                                          "timestamp": -1}]}]})
                high = resp["topics"][0]["partitions"][0]["offset"]
        assert 0 < high < 4000, high
        b.stop(signal.SIGKILL)
        time.sleep(0.5)
        b = launcher.start(data_dir=data_dir, port=b.port)
        out, err = client.communicate(timeout=CLIENT_TIMEOUT_S)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    assert client.returncode == 0, err[-3000:]
    outcome = json.loads(out.strip().splitlines()[-1])
    assert outcome["left"] == 0 and outcome["errors"] == [], outcome["errors"][:5]
    assert sorted(outcome["delivered"]) == list(range(4000))
    with b.connect() as conn:
        stored = []
        offset = 0
        while True:
            resp = conn.call(kw.FETCH, 12, {"max_wait_ms": 0, "min_bytes": 0, "topics": [{
                "topic": "idem-crash", "partitions": [{"partition": 0, "fetch_offset": offset,
                                                       "partition_max_bytes": 1 << 20}]}]})
            part = resp["responses"][0]["partitions"][0]
            batches = kw.decode_record_batches(part["records"])
            if not batches:
                break
            stored += [int(r.value) for bt in batches for r in bt.records]
            offset = batches[-1].base_offset + batches[-1].last_offset_delta + 1
    assert stored == list(range(4000))
