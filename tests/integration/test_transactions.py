"""Transactions (Kafka's version 1 protocol): a coordinator per transactional
id on __transaction_state, AddPartitionsToTxn before a partition takes a
transactional batch, EndTxn with markers written to every partition of the
transaction, read_committed fetches below the last stable offset with the
aborted transactions listed, offsets committed in a transaction counted
only on commit, timeouts that abort and fence, DescribeTransactions and
ListTransactions. Driven by librdkafka (Debian's confluent-kafka) and by
raw requests for the errors a client should never provoke."""

import json
import signal
import subprocess
import textwrap
import time

import pytest

import kafka_wire as kw

CLIENT_TIMEOUT_S = 90.0
TRANSACTION_KEY = 1


def create_topic(conn, name, partitions=1):
    resp = conn.call(kw.CREATE_TOPICS, 7, {"topics": [{
        "name": name, "num_partitions": partitions, "replication_factor": 1}]})
    assert resp["topics"][0]["error_code"] == 0, resp


def find_txn_coordinator(conn, txn_id):
    resp = conn.call(kw.FIND_COORDINATOR, 3, {"key": txn_id, "key_type": TRANSACTION_KEY})
    assert resp["error_code"] == kw.NONE, resp
    return resp


def find_group_coordinator(conn, group):
    wait_for(lambda: conn.call(kw.FIND_COORDINATOR, 3, {"key": group, "key_type": 0})[
        "error_code"] == kw.NONE, "the group coordinator")


def init_txn_producer(conn, txn_id, timeout_ms=60000, version=5):
    find_txn_coordinator(conn, txn_id)
    resp = conn.call(kw.INIT_PRODUCER_ID, version, {
        "transactional_id": txn_id, "transaction_timeout_ms": timeout_ms})
    assert resp["error_code"] == kw.NONE, resp
    return resp["producer_id"], resp["producer_epoch"]


def add_partitions(conn, txn_id, pid, epoch, topic, partitions, version=3):
    resp = conn.call(kw.ADD_PARTITIONS_TO_TXN, version, {
        "v3_and_below_transactional_id": txn_id, "v3_and_below_producer_id": pid,
        "v3_and_below_producer_epoch": epoch,
        "v3_and_below_topics": [{"name": topic, "partitions": list(partitions)}]})
    return {(t["name"], p["partition_index"]): p["partition_error_code"]
            for t in resp["results_by_topic_v3_and_below"] for p in t["results_by_partition"]}


def end_txn(conn, txn_id, pid, epoch, commit, version=3):
    return conn.call(kw.END_TXN, version, {"transactional_id": txn_id, "producer_id": pid,
                                           "producer_epoch": epoch,
                                           "committed": commit})["error_code"]


def txn_batch(pid, epoch, seq, values):
    records = [kw.Record(key=None, value=v.encode()) for v in values]
    return kw.encode_record_batch(records, producer_id=pid, producer_epoch=epoch,
                                  base_sequence=seq, attributes=0x10)


def produce(conn, topic, batch, txn_id=None, partition=0, version=9):
    resp = conn.call(kw.PRODUCE, version, {"transactional_id": txn_id, "acks": -1, "topic_data": [{
        "name": topic, "partition_data": [{"index": partition, "records": batch}]}]})
    return resp["responses"][0]["partition_responses"][0]


def fetch(conn, topic, isolation, partition=0):
    resp = conn.call(kw.FETCH, 12, {"max_wait_ms": 0, "min_bytes": 0,
                                    "isolation_level": isolation, "topics": [{
                                        "topic": topic, "partitions": [{
                                            "partition": partition, "fetch_offset": 0}]}]})
    part = resp["responses"][0]["partitions"][0]
    assert part["error_code"] == 0, part
    return part


def data_values(part):
    """The values a consumer hands to the application: control batches
    never, and at read_committed not those of the aborted transactions the
    response lists (from each one's first offset to its producer's next
    control batch), as clients filter them."""
    aborted = sorted((a["first_offset"], a["producer_id"])
                     for a in part.get("aborted_transactions") or [])
    skipping, out = set(), []
    for b in kw.decode_record_batches(part["records"]):
        while aborted and aborted[0][0] <= b.base_offset:
            skipping.add(aborted.pop(0)[1])
        if b.attributes & 0x20:
            skipping.discard(b.producer_id)
            continue
        if b.attributes & 0x10 and b.producer_id in skipping:
            continue
        out += [r.value.decode() for r in b.records]
    return out


def describe(conn, txn_id):
    resp = conn.call(kw.DESCRIBE_TRANSACTIONS, 0, {"transactional_ids": [txn_id]})
    return resp["transaction_states"][0]


def wait_for(check, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_transaction_is_invisible_to_read_committed_until_it_commits(broker):
    with broker.connect() as conn:
        create_topic(conn, "txn-lso")
        pid, epoch = init_txn_producer(conn, "txn-lso-id")
        assert add_partitions(conn, "txn-lso-id", pid, epoch, "txn-lso", [0]) == {
            ("txn-lso", 0): kw.NONE}
        assert produce(conn, "txn-lso", txn_batch(pid, epoch, 0, ["a", "b"]),
                       "txn-lso-id")["error_code"] == 0
        open_ = fetch(conn, "txn-lso", 1)
        assert open_["high_watermark"] == 2 and open_["last_stable_offset"] == 0
        assert data_values(open_) == []
        assert data_values(fetch(conn, "txn-lso", 0)) == ["a", "b"]
        offsets = conn.call(kw.LIST_OFFSETS, 7, {"isolation_level": 1, "topics": [{
            "name": "txn-lso", "partitions": [{"partition_index": 0, "timestamp": -1}]}]})
        assert offsets["topics"][0]["partitions"][0]["offset"] == 0
        state = conn.call(kw.DESCRIBE_PRODUCERS, 0, {"topics": [{
            "name": "txn-lso", "partition_indexes": [0]}]})
        [p] = state["topics"][0]["partitions"][0]["active_producers"]
        assert p["current_txn_start_offset"] == 0
        assert end_txn(conn, "txn-lso-id", pid, epoch, True) == kw.NONE
        done = wait_for(lambda: (lambda f: f if f["last_stable_offset"] == 3 else None)(
            fetch(conn, "txn-lso", 1)), "the commit marker")
        assert data_values(done) == ["a", "b"]
        assert done["aborted_transactions"] == []


def test_an_aborted_transaction_is_listed_for_read_committed_fetchers(broker):
    with broker.connect() as conn:
        create_topic(conn, "txn-abort")
        pid, epoch = init_txn_producer(conn, "txn-abort-id")
        add_partitions(conn, "txn-abort-id", pid, epoch, "txn-abort", [0])
        produce(conn, "txn-abort", txn_batch(pid, epoch, 0, ["x", "y"]), "txn-abort-id")
        assert end_txn(conn, "txn-abort-id", pid, epoch, False) == kw.NONE
        part = wait_for(lambda: (lambda f: f if f["last_stable_offset"] == 3 else None)(
            fetch(conn, "txn-abort", 1)), "the abort marker")
        assert part["aborted_transactions"] == [{"producer_id": pid, "first_offset": 0}]
        wait_for(lambda: describe(conn, "txn-abort-id")["transaction_state"]
                 == "CompleteAbort", "the abort to complete")


@pytest.mark.parametrize("version, refusal", [(9, kw.INVALID_TXN_STATE),
                                              (11, kw.TRANSACTION_ABORTABLE)])
def test_a_transactional_write_to_a_partition_never_added_is_refused(broker, version,
                                                                     refusal):
    """Below v12 a partition takes a transactional batch only once added
    (KIP-890 part 1); v11 says so with TRANSACTION_ABORTABLE, as Kafka 4.x."""
    topic, txn_id = f"txn-unadded-{version}", f"txn-unadded-{version}-id"
    with broker.connect() as conn:
        create_topic(conn, topic, partitions=2)
        pid, epoch = init_txn_producer(conn, txn_id)
        add_partitions(conn, txn_id, pid, epoch, topic, [0])
        resp = produce(conn, topic, txn_batch(pid, epoch, 0, ["z"]), txn_id, partition=1,
                       version=version)
        assert resp["error_code"] == refusal, resp
        # An unknown transactional id is refused the same way; none at all is
        # refused as an id the client may not use.
        assert produce(conn, topic, txn_batch(pid, epoch, 0, ["z"]), "nobody", partition=1,
                       version=version)["error_code"] == refusal
        assert produce(conn, topic, txn_batch(pid, epoch, 0, ["z"]), None, partition=1,
                       version=version)["error_code"] == \
            kw.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        assert fetch(conn, topic, 0, partition=1)["high_watermark"] == 0


def test_coordinator_errors_for_wrong_ids_epochs_and_states(broker):
    with broker.connect() as conn:
        create_topic(conn, "txn-errors")
        pid, epoch = init_txn_producer(conn, "txn-errors-id")
        assert end_txn(conn, "txn-errors-id", pid + 1000, epoch, True) == \
            kw.INVALID_PRODUCER_ID_MAPPING
        assert end_txn(conn, "no-such-txn-id", pid, epoch, True) == \
            kw.INVALID_PRODUCER_ID_MAPPING
        # Nothing begun: there is nothing to end.
        assert end_txn(conn, "txn-errors-id", pid, epoch, True) == kw.INVALID_TXN_STATE
        missing = add_partitions(conn, "txn-errors-id", pid, epoch, "txn-errors", [0, 9])
        assert missing == {("txn-errors", 0): kw.OPERATION_NOT_ATTEMPTED,
                           ("txn-errors", 9): kw.UNKNOWN_TOPIC_OR_PARTITION}
        too_long = conn.call(kw.INIT_PRODUCER_ID, 5, {"transactional_id": "txn-errors-id",
                                                      "transaction_timeout_ms": 10**9})
        assert too_long["error_code"] == kw.INVALID_TRANSACTION_TIMEOUT
        # A second instance fences the first: a new epoch, and the old one's
        # calls fail, with the error its version knows.
        _, newer = init_txn_producer(conn, "txn-errors-id")
        assert newer == epoch + 1
        assert add_partitions(conn, "txn-errors-id", pid, epoch, "txn-errors", [0]) == {
            ("txn-errors", 0): kw.PRODUCER_FENCED}
        assert add_partitions(conn, "txn-errors-id", pid, epoch, "txn-errors", [0],
                              version=1) == {("txn-errors", 0): kw.INVALID_PRODUCER_EPOCH}
        assert end_txn(conn, "txn-errors-id", pid, epoch, False) == kw.PRODUCER_FENCED
        assert end_txn(conn, "txn-errors-id", pid, epoch, False, version=1) == \
            kw.INVALID_PRODUCER_EPOCH
        missing = describe(conn, "no-such-txn-id")
        assert missing["error_code"] == kw.TRANSACTIONAL_ID_NOT_FOUND


def test_a_new_instance_aborts_the_open_transaction_of_the_old_one(broker):
    with broker.connect() as conn:
        create_topic(conn, "txn-fence")
        pid, epoch = init_txn_producer(conn, "txn-fence-id")
        add_partitions(conn, "txn-fence-id", pid, epoch, "txn-fence", [0])
        produce(conn, "txn-fence", txn_batch(pid, epoch, 0, ["old"]), "txn-fence-id")
        resp = conn.call(kw.INIT_PRODUCER_ID, 5, {"transactional_id": "txn-fence-id",
                                                  "transaction_timeout_ms": 60000})
        assert resp["error_code"] == kw.CONCURRENT_TRANSACTIONS, resp
        resp = wait_for(lambda: (lambda r: r if r["error_code"] == 0 else None)(
            conn.call(kw.INIT_PRODUCER_ID, 5, {"transactional_id": "txn-fence-id",
                                               "transaction_timeout_ms": 60000})),
            "the fenced transaction's abort")
        assert resp["producer_id"] == pid and resp["producer_epoch"] == epoch + 2
        old = produce(conn, "txn-fence", txn_batch(pid, epoch, 1, ["zombie"]), "txn-fence-id")
        assert old["error_code"] == kw.INVALID_PRODUCER_EPOCH, old
        part = fetch(conn, "txn-fence", 1)
        assert data_values(part) == [] and part["last_stable_offset"] == 2


def test_describe_and_list_transactions(broker):
    with broker.connect() as conn:
        create_topic(conn, "txn-list", partitions=2)
        pid, epoch = init_txn_producer(conn, "txn-list-id", timeout_ms=45000)
        add_partitions(conn, "txn-list-id", pid, epoch, "txn-list", [1, 0])
        d = describe(conn, "txn-list-id")
        assert d["error_code"] == 0 and d["transaction_state"] == "Ongoing"
        assert d["producer_id"] == pid and d["producer_epoch"] == epoch
        assert d["transaction_timeout_ms"] == 45000 and d["transaction_start_time_ms"] > 0
        assert d["topics"] == [{"topic": "txn-list", "partitions": [0, 1]}]
        listed = conn.call(kw.LIST_TRANSACTIONS, 1, {"state_filters": ["Ongoing", "Bogus"],
                                                     "producer_id_filters": [pid]})
        assert listed["unknown_state_filters"] == ["Bogus"]
        assert listed["transaction_states"] == [{"transactional_id": "txn-list-id",
                                                 "producer_id": pid,
                                                 "transaction_state": "Ongoing"}]
        none = conn.call(kw.LIST_TRANSACTIONS, 0, {"state_filters": ["CompleteCommit"],
                                                   "producer_id_filters": [pid]})
        assert none["transaction_states"] == []
        assert end_txn(conn, "txn-list-id", pid, epoch, True) == kw.NONE
        wait_for(lambda: describe(conn, "txn-list-id")["transaction_state"] == "CompleteCommit",
                 "the commit to complete")
        assert describe(conn, "txn-list-id")["topics"] == []


def test_a_transaction_past_its_timeout_is_aborted_and_its_producer_fenced(launcher):
    b = launcher.start("--set",
                       "transaction.abort.timed.out.transaction.cleanup.interval.ms=200")
    with b.connect() as conn:
        create_topic(conn, "txn-timeout")
        pid, epoch = init_txn_producer(conn, "txn-timeout-id", timeout_ms=1000)
        assert add_partitions(conn, "txn-timeout-id", pid, epoch, "txn-timeout", [0]) == {
            ("txn-timeout", 0): kw.NONE}
        assert produce(conn, "txn-timeout", txn_batch(pid, epoch, 0, ["late"]),
                       "txn-timeout-id")["error_code"] == kw.NONE
        # One within its timeout, to show only the late one is aborted.
        long_pid, long_epoch = init_txn_producer(conn, "txn-timeout-long")
        assert add_partitions(conn, "txn-timeout-long", long_pid, long_epoch, "txn-timeout",
                              [0]) == {("txn-timeout", 0): kw.NONE}
        wait_for(lambda: describe(conn, "txn-timeout-id")["transaction_state"]
                 == "CompleteAbort", "the timeout's abort")
        assert describe(conn, "txn-timeout-long")["transaction_state"] == "Ongoing"
        assert describe(conn, "txn-timeout-id")["producer_epoch"] == epoch + 1
        assert end_txn(conn, "txn-timeout-id", pid, epoch, True) == kw.PRODUCER_FENCED
        part = fetch(conn, "txn-timeout", 1)
        assert data_values(part) == [] and part["last_stable_offset"] == 2


def test_an_open_transaction_survives_a_crash_and_times_out_after_it(launcher, tmp_path):
    data_dir = tmp_path / "kept"
    data_dir.mkdir()
    args = ("--set", "transaction.abort.timed.out.transaction.cleanup.interval.ms=200")
    b = launcher.start(*args, data_dir=data_dir)
    with b.connect() as conn:
        create_topic(conn, "txn-crash")
        pid, epoch = init_txn_producer(conn, "txn-crash-id", timeout_ms=6000)
        assert add_partitions(conn, "txn-crash-id", pid, epoch, "txn-crash", [0]) == {
            ("txn-crash", 0): kw.NONE}
        assert produce(conn, "txn-crash", txn_batch(pid, epoch, 0, ["lost"]),
                       "txn-crash-id")["error_code"] == kw.NONE
        committed_pid, committed_epoch = init_txn_producer(conn, "txn-crash-done")
        add_partitions(conn, "txn-crash-done", committed_pid, committed_epoch, "txn-crash", [0])
        produce(conn, "txn-crash", txn_batch(committed_pid, committed_epoch, 0, ["kept"]),
                "txn-crash-done")
        assert end_txn(conn, "txn-crash-done", committed_pid, committed_epoch, True) == 0
    b.stop(signal.SIGKILL)
    b = launcher.start(*args, data_dir=data_dir, port=b.port)
    with b.connect() as conn:
        # The open transaction holds the stable offset until it times out.
        open_ = describe(conn, "txn-crash-id")
        assert open_["transaction_state"] == "Ongoing", open_
        assert fetch(conn, "txn-crash", 1)["last_stable_offset"] == 0
        part = wait_for(lambda: (lambda f: f if f["last_stable_offset"] == f["high_watermark"]
                                 else None)(fetch(conn, "txn-crash", 1)), "the abort")
        assert data_values(part) == ["kept"]
        assert [(a["producer_id"], a["first_offset"])
                for a in part["aborted_transactions"]] == [(pid, 0)]
        aborted = describe(conn, "txn-crash-id")
        assert aborted["transaction_state"] == "CompleteAbort"
        assert aborted["producer_epoch"] == epoch + 1
        assert describe(conn, "txn-crash-done")["transaction_state"] == "CompleteCommit"


CONSUME_TRANSFORM_PRODUCE = textwrap.dedent("""
    import json, sys
    from confluent_kafka import Consumer, Producer, TopicPartition
    bootstrap, src, dst, txn_id, fail_after = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "ctp-group",
                  "isolation.level": "read_committed", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.subscribe([src])
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id})
    p.init_transactions(30)
    done, batches, idle = 0, 0, 0
    # Until three empty polls in a row once partitions are assigned.
    while idle < 3:
        msgs = c.consume(10, 1.0)
        if not msgs:
            idle += 1 if c.assignment() else 0
            continue
        idle = 0
        p.begin_transaction()
        for m in msgs:
            p.produce(dst, value=b"out-" + m.value(), partition=m.partition())
        p.send_offsets_to_transaction(c.position(c.assignment()),
                                      c.consumer_group_metadata(), 30)
        batches += 1
        if batches == fail_after:
            p.flush(30)  # so that the aborted records are in the log
            p.abort_transaction(30)
            c.close()
            print(json.dumps({"aborted_at": batches, "done": done}))
            sys.exit(0)
        p.commit_transaction(30)
        done += len(msgs)
    c.close()
    print(json.dumps({"done": done}))
""")


def run_client(script, *args):
    done = subprocess.run(["/usr/bin/python3", "-c", script, *map(str, args)],
                          capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def read_all(conn, topic, partitions, isolation):
    return [v for p in range(partitions) for v in data_values(fetch(conn, topic, isolation, p))]


def test_consume_transform_produce_yields_exactly_one_copy_of_its_input(broker):
    with broker.connect() as conn:
        create_topic(conn, "ctp-in", partitions=2)
        create_topic(conn, "ctp-out", partitions=2)
        for p in range(2):
            for chunk in range(4):
                records = [kw.Record(key=None, value=f"{p}-{chunk * 10 + i}".encode())
                           for i in range(10)]
                r = conn.call(kw.PRODUCE, 9, {"acks": -1, "topic_data": [{
                    "name": "ctp-in", "partition_data": [{
                        "index": p, "records": kw.encode_record_batch(records)}]}]})
                assert r["responses"][0]["partition_responses"][0]["error_code"] == 0
    # A first run aborts its third transaction and stops; a second run
    # resumes from the offsets committed with the first two.
    first = run_client(CONSUME_TRANSFORM_PRODUCE, broker.bootstrap, "ctp-in", "ctp-out",
                       "ctp-txn", 3)
    assert first["aborted_at"] == 3 and 0 < first["done"] < 80, first
    second = run_client(CONSUME_TRANSFORM_PRODUCE, broker.bootstrap, "ctp-in", "ctp-out",
                        "ctp-txn", 0)
    # The second run copies exactly what the first did not commit.
    assert second["done"] == 80 - first["done"], (first, second)
    expected = sorted(f"out-{p}-{i}" for p in range(2) for i in range(40))
    with broker.connect() as conn:
        # The last commit's markers may still be on their way.
        committed = wait_for(lambda: (lambda c: c if sorted(c) == expected else None)(
            read_all(conn, "ctp-out", 2, 1)), "the last commit's records")
        everything = read_all(conn, "ctp-out", 2, 0)
        assert len(everything) > len(committed), "the aborted transaction left no records"

        def stable_offsets():
            offsets = conn.call(kw.OFFSET_FETCH, 7, {
                "group_id": "ctp-group", "require_stable": True,
                "topics": [{"name": "ctp-in", "partition_indexes": [0, 1]}]})
            return {p["partition_index"]: p["committed_offset"]
                    for t in offsets["topics"] for p in t["partitions"]}
        wait_for(lambda: stable_offsets() == {0: 40, 1: 40}, "the committed offsets")


def test_offsets_in_an_open_transaction_are_unstable_until_it_commits(broker):
    with broker.connect() as conn:
        create_topic(conn, "txn-offsets")
        find_group_coordinator(conn, "txn-offsets-group")
        pid, epoch = init_txn_producer(conn, "txn-offsets-id")
        refused = conn.call(kw.TXN_OFFSET_COMMIT, 3, {
            "transactional_id": "txn-offsets-id", "group_id": "txn-offsets-group",
            "producer_id": pid, "producer_epoch": epoch, "topics": [{
                "name": "txn-offsets", "partitions": [{"partition_index": 0,
                                                       "committed_offset": 5}]}]})
        assert refused["topics"][0]["partitions"][0]["error_code"] == kw.INVALID_TXN_STATE
        added = conn.call(kw.ADD_OFFSETS_TO_TXN, 3, {
            "transactional_id": "txn-offsets-id", "producer_id": pid, "producer_epoch": epoch,
            "group_id": "txn-offsets-group"})
        assert added["error_code"] == kw.NONE
        resp = conn.call(kw.TXN_OFFSET_COMMIT, 3, {
            "transactional_id": "txn-offsets-id", "group_id": "txn-offsets-group",
            "producer_id": pid, "producer_epoch": epoch, "topics": [{
                "name": "txn-offsets", "partitions": [{"partition_index": 0,
                                                       "committed_offset": 5}]}]})
        assert resp["topics"][0]["partitions"][0]["error_code"] == kw.NONE

        def offset_fetch(stable):
            r = conn.call(kw.OFFSET_FETCH, 7, {
                "group_id": "txn-offsets-group", "require_stable": stable,
                "topics": [{"name": "txn-offsets", "partition_indexes": [0]}]})
            return r["topics"][0]["partitions"][0]

        assert offset_fetch(True)["error_code"] == kw.UNSTABLE_OFFSET_COMMIT
        assert offset_fetch(False)["committed_offset"] == -1
        assert end_txn(conn, "txn-offsets-id", pid, epoch, True) == kw.NONE
        wait_for(lambda: offset_fetch(True)["committed_offset"] == 5, "the commit")
