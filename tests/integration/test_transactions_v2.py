"""Transaction version 2 (KIP-890 part 2), as Kafka 4.x serves it: the
cluster finalizes the transaction.version feature at 2 in ApiVersions; a
Produce v12 batch or TxnOffsetCommit v5 offsets add their partition to the
transaction; EndTxn v5 bumps the producer's epoch at every commit or abort
and answers with it, a retry with the epoch before is recognised, and the
markers carry the new epoch so the old one's writes are refused. The
expected answers are those Apache Kafka 4.4 gives to the same requests."""

import signal

import pytest

import kafka_wire as kw
from test_transactions import (create_topic, data_values, describe, fetch,
                               find_group_coordinator, init_txn_producer, produce, txn_batch,
                               wait_for)

READ_COMMITTED = 1


def end_txn_v5(conn, txn_id, pid, epoch, commit):
    """EndTxn v5's answer: (error code, producer id, producer epoch)."""
    resp = conn.call(kw.END_TXN, 5, {"transactional_id": txn_id, "producer_id": pid,
                                     "producer_epoch": epoch, "committed": commit})
    return resp["error_code"], resp["producer_id"], resp["producer_epoch"]


def produce_v12(conn, topic, batch, txn_id, partition=0):
    return produce(conn, topic, batch, txn_id, partition, version=12)["error_code"]


def settled(conn, txn_id, state):
    return wait_for(lambda: (lambda d: d if d["transaction_state"] == state else None)(
        describe(conn, txn_id)), f"{txn_id} in {state}")


def txn_offset_commit(conn, version, txn_id, group, pid, epoch, topic, offset):
    resp = conn.call(kw.TXN_OFFSET_COMMIT, version, {
        "transactional_id": txn_id, "group_id": group, "producer_id": pid,
        "producer_epoch": epoch, "generation_id": -1, "member_id": "",
        "group_instance_id": None, "topics": [{"name": topic, "partitions": [{
            "partition_index": 0, "committed_offset": offset, "committed_leader_epoch": -1,
            "committed_metadata": ""}]}]})
    return resp["topics"][0]["partitions"][0]["error_code"]


@pytest.mark.parametrize("version", [3, 4])
def test_api_versions_finalizes_transaction_version_2(broker, version):
    with broker.connect() as conn:
        cid = conn.send_request(kw.API_VERSIONS, version, kw.encode_api_versions_request(version))
        r = conn.recv_response(kw.API_VERSIONS, version, cid)
        resp = kw.decode_fields(r, kw.MESSAGES[kw.API_VERSIONS].response, version, True)
    assert {"name": "transaction.version", "max_version_level": 2,
            "min_version_level": 2} in resp["finalized_features"]
    assert resp["finalized_features_epoch"] >= 0
    supported = {f["name"]: (f["min_version"], f["max_version"])
                 for f in resp.get("supported_features") or []}
    # A range starting at 0 is only expressible from v4 (KAFKA-17011).
    assert supported.get("transaction.version") == ((0, 2) if version >= 4 else None)


def test_a_v12_write_adds_its_partition_and_end_txn_v5_bumps_the_epoch(broker):
    topic, txn_id = "tv2-basic", "tv2-basic-id"
    with broker.connect() as conn:
        create_topic(conn, topic, partitions=2)
        pid, epoch = init_txn_producer(conn, txn_id)
        # No AddPartitionsToTxn: the write itself adds the partition.
        assert produce_v12(conn, topic, txn_batch(pid, epoch, 0, ["a"]), txn_id) == kw.NONE
        ongoing = describe(conn, txn_id)
        assert ongoing["transaction_state"] == "Ongoing"
        assert ongoing["topics"] == [{"topic": topic, "partitions": [0]}]
        assert fetch(conn, topic, READ_COMMITTED)["last_stable_offset"] == 0
        assert end_txn_v5(conn, txn_id, pid, epoch, True) == (kw.NONE, pid, epoch + 1)
        done = settled(conn, txn_id, "CompleteCommit")
        assert done["producer_epoch"] == epoch + 1 and done["topics"] == []
        part = fetch(conn, topic, READ_COMMITTED)
        assert data_values(part) == ["a"] and part["last_stable_offset"] == 2
        # The marker carries the new epoch: the old one can no longer write.
        marker = kw.decode_record_batches(part["records"])[-1]
        assert marker.attributes & 0x20 and marker.producer_epoch == epoch + 1
        assert produce_v12(conn, topic, txn_batch(pid, epoch, 1, ["stale"]), txn_id) == \
            kw.INVALID_PRODUCER_EPOCH
        # The next transaction starts its sequences over at the new epoch,
        # in the partition it used before and in a new one.
        assert produce_v12(conn, topic, txn_batch(pid, epoch + 1, 0, ["b"]), txn_id) == kw.NONE
        assert produce_v12(conn, topic, txn_batch(pid, epoch + 1, 0, ["c"]), txn_id,
                           partition=1) == kw.NONE
        assert end_txn_v5(conn, txn_id, pid, epoch + 1, False) == (kw.NONE, pid, epoch + 2)
        settled(conn, txn_id, "CompleteAbort")
        assert data_values(fetch(conn, topic, READ_COMMITTED)) == ["a"]
        assert data_values(fetch(conn, topic, READ_COMMITTED, partition=1)) == []


def test_end_txn_v5_recognises_retries_and_refuses_wrong_states(broker):
    topic, txn_id = "tv2-retry", "tv2-retry-id"
    with broker.connect() as conn:
        create_topic(conn, topic)
        pid, epoch = init_txn_producer(conn, txn_id)
        # Nothing open: a commit is wrong, an abort still moves the epoch on.
        assert end_txn_v5(conn, txn_id, pid, epoch, True)[0] == kw.INVALID_TXN_STATE
        assert end_txn_v5(conn, txn_id, pid, epoch, False) == (kw.NONE, pid, epoch + 1)
        settled(conn, txn_id, "CompleteAbort")
        epoch += 1
        assert produce_v12(conn, topic, txn_batch(pid, epoch, 0, ["x"]), txn_id) == kw.NONE
        assert end_txn_v5(conn, txn_id, pid, epoch, True) == (kw.NONE, pid, epoch + 1)
        settled(conn, txn_id, "CompleteCommit")
        # The same EndTxn again, with the epoch it was sent with: a retry.
        assert end_txn_v5(conn, txn_id, pid, epoch, True) == (kw.NONE, pid, epoch + 1)
        assert end_txn_v5(conn, txn_id, pid, epoch, False)[0] == kw.INVALID_TXN_STATE
        # At the new epoch nothing is open: commit refused, abort bumps again.
        assert end_txn_v5(conn, txn_id, pid, epoch + 1, True)[0] == kw.INVALID_TXN_STATE
        assert end_txn_v5(conn, txn_id, pid, epoch + 1, False) == (kw.NONE, pid, epoch + 2)
        settled(conn, txn_id, "CompleteAbort")
        # Older epochs and other ids are fenced or unknown; v4 knows no retry.
        assert end_txn_v5(conn, txn_id, pid, epoch, False)[0] == kw.PRODUCER_FENCED
        assert end_txn_v5(conn, txn_id, pid, epoch + 7, False)[0] == kw.PRODUCER_FENCED
        assert end_txn_v5(conn, txn_id, pid + 1000, epoch + 2, False)[0] == \
            kw.INVALID_PRODUCER_ID_MAPPING
        assert conn.call(kw.END_TXN, 4, {"transactional_id": txn_id, "producer_id": pid,
                                         "producer_epoch": epoch + 1, "committed": False}
                         )["error_code"] == kw.PRODUCER_FENCED


def test_end_txn_v4_keeps_the_epoch_of_a_transaction_begun_by_a_v12_write(broker):
    topic, txn_id = "tv2-mixed", "tv2-mixed-id"
    with broker.connect() as conn:
        create_topic(conn, topic)
        pid, epoch = init_txn_producer(conn, txn_id)
        assert produce_v12(conn, topic, txn_batch(pid, epoch, 0, ["m"]), txn_id) == kw.NONE
        assert conn.call(kw.END_TXN, 4, {"transactional_id": txn_id, "producer_id": pid,
                                         "producer_epoch": epoch, "committed": True}
                         )["error_code"] == kw.NONE
        assert settled(conn, txn_id, "CompleteCommit")["producer_epoch"] == epoch
        assert data_values(fetch(conn, topic, READ_COMMITTED)) == ["m"]


def test_v12_writes_are_refused_for_wrong_epochs_ids_and_a_missing_transactional_id(broker):
    topic, txn_id = "tv2-refused", "tv2-refused-id"
    with broker.connect() as conn:
        create_topic(conn, topic)
        pid, epoch = init_txn_producer(conn, txn_id)
        assert produce_v12(conn, topic, txn_batch(pid, epoch + 5, 0, ["x"]), txn_id) == \
            kw.INVALID_PRODUCER_EPOCH
        assert produce_v12(conn, topic, txn_batch(pid + 999, 0, 0, ["x"]), txn_id) == \
            kw.INVALID_PRODUCER_ID_MAPPING
        assert produce_v12(conn, topic, txn_batch(pid, epoch, 0, ["x"]), None) == \
            kw.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        assert describe(conn, txn_id)["transaction_state"] == "Empty"
        assert fetch(conn, topic, 0)["high_watermark"] == 0
        # Not even once its transaction is open in the partition.
        assert produce_v12(conn, topic, txn_batch(pid, epoch, 0, ["x"]), txn_id) == kw.NONE
        assert produce_v12(conn, topic, txn_batch(pid, epoch, 1, ["y"]), None) == \
            kw.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        assert fetch(conn, topic, 0)["high_watermark"] == 1


def test_txn_offset_commit_v5_adds_the_group_partition(broker):
    topic, txn_id, group = "tv2-offsets", "tv2-offsets-id", "tv2-offsets-group"
    with broker.connect() as conn:
        create_topic(conn, topic)
        find_group_coordinator(conn, group)
        pid, epoch = init_txn_producer(conn, txn_id)
        # Without AddOffsetsToTxn, older versions are refused (v4 says abortable).
        assert txn_offset_commit(conn, 3, txn_id, group, pid, epoch, topic, 5) == \
            kw.INVALID_TXN_STATE
        assert txn_offset_commit(conn, 4, txn_id, group, pid, epoch, topic, 5) == \
            kw.TRANSACTION_ABORTABLE
        assert txn_offset_commit(conn, 5, txn_id, group, pid, epoch + 3, topic, 5) == \
            kw.INVALID_PRODUCER_EPOCH
        assert txn_offset_commit(conn, 5, txn_id, group, pid + 100, epoch, topic, 5) == \
            kw.INVALID_PRODUCER_ID_MAPPING
        assert txn_offset_commit(conn, 5, txn_id, group, pid, epoch, topic, 5) == kw.NONE
        [added] = describe(conn, txn_id)["topics"]
        assert added["topic"] == "__consumer_offsets" and len(added["partitions"]) == 1

        def stable_offset():
            resp = conn.call(kw.OFFSET_FETCH, 7, {"group_id": group, "require_stable": True,
                                                  "topics": [{"name": topic,
                                                              "partition_indexes": [0]}]})
            p = resp["topics"][0]["partitions"][0]
            return p["error_code"], p["committed_offset"]
        assert stable_offset()[0] == kw.UNSTABLE_OFFSET_COMMIT
        assert end_txn_v5(conn, txn_id, pid, epoch, True) == (kw.NONE, pid, epoch + 1)
        wait_for(lambda: stable_offset() == (kw.NONE, 5), "the committed offset")


def test_back_to_back_transactions_each_write_adding_partitions_at_once(broker):
    """The next transaction's writes arrive while the last one's markers are
    still being written, several partitions of one request adding
    themselves at once: all are taken, none answered with an error."""
    topic, txn_id, rounds = "tv2-loop", "tv2-loop-id", 20
    with broker.connect() as conn:
        create_topic(conn, topic, partitions=3)
        pid, epoch = init_txn_producer(conn, txn_id)
        for i in range(rounds):
            resp = conn.call(kw.PRODUCE, 12, {"transactional_id": txn_id, "acks": -1,
                                              "topic_data": [{"name": topic, "partition_data": [
                                                  {"index": p, "records": txn_batch(
                                                      pid, epoch, 0, [f"{i}-{p}"])}
                                                  for p in range(3)]}]})
            errors = [p["error_code"] for p in resp["responses"][0]["partition_responses"]]
            assert errors == [kw.NONE] * 3, (i, resp)
            error, _, next_epoch = end_txn_v5(conn, txn_id, pid, epoch, i % 2 == 0)
            assert (error, next_epoch) == (kw.NONE, epoch + 1)
            epoch = next_epoch
        settled(conn, txn_id, "CompleteAbort")
        for p in range(3):
            assert data_values(fetch(conn, topic, READ_COMMITTED, partition=p)) == [
                f"{i}-{p}" for i in range(0, rounds, 2)]


def test_a_bumped_epoch_and_its_retries_survive_a_crash(launcher, tmp_path):
    data_dir = tmp_path / "kept"
    data_dir.mkdir()
    b = launcher.start(data_dir=data_dir)
    topic, txn_id = "tv2-crash", "tv2-crash-id"
    with b.connect() as conn:
        create_topic(conn, topic)
        pid, epoch = init_txn_producer(conn, txn_id)
        assert produce_v12(conn, topic, txn_batch(pid, epoch, 0, ["kept"]), txn_id) == kw.NONE
        assert end_txn_v5(conn, txn_id, pid, epoch, True) == (kw.NONE, pid, epoch + 1)
        settled(conn, txn_id, "CompleteCommit")
    b.stop(signal.SIGKILL)
    b = launcher.start(data_dir=data_dir, port=b.port)
    with b.connect() as conn:
        assert describe(conn, txn_id)["producer_epoch"] == epoch + 1
        assert end_txn_v5(conn, txn_id, pid, epoch, True) == (kw.NONE, pid, epoch + 1)
        assert produce_v12(conn, topic, txn_batch(pid, epoch, 1, ["zombie"]), txn_id) == \
            kw.INVALID_PRODUCER_EPOCH
        assert produce_v12(conn, topic, txn_batch(pid, epoch + 1, 0, ["next"]), txn_id) == \
            kw.NONE
        assert end_txn_v5(conn, txn_id, pid, epoch + 1, True) == (kw.NONE, pid, epoch + 2)
        part = wait_for(lambda: (lambda f: f if f["last_stable_offset"] == f["high_watermark"]
                                 else None)(fetch(conn, topic, READ_COMMITTED)), "the commit")
        assert data_values(part) == ["kept", "next"]


def test_transactional_offsets_need_no_member_of_a_live_group(broker):
    """As Kafka: a TxnOffsetCommit is checked against the group only for
    what it names (member, generation), and a group mid-rebalance takes it;
    Java's sendOffsetsToTransaction(offsets, groupId) sends no member."""
    topic, txn_id, group = "tv2-live-group", "tv2-live-group-id", "tv2-live-group-g"
    with broker.connect() as conn:
        create_topic(conn, topic)
        find_group_coordinator(conn, group)
        joined = conn.call(kw.JOIN_GROUP, 3, {
            "group_id": group, "session_timeout_ms": 30000, "rebalance_timeout_ms": 30000,
            "member_id": "", "protocol_type": "consumer",
            "protocols": [{"name": "range", "metadata": b""}]})
        assert joined["error_code"] == kw.NONE, joined
        pid, epoch = init_txn_producer(conn, txn_id)

        def commit(generation, member):
            return conn.call(kw.TXN_OFFSET_COMMIT, 3, {
                "transactional_id": txn_id, "group_id": group, "producer_id": pid,
                "producer_epoch": epoch, "generation_id": generation, "member_id": member,
                "group_instance_id": None, "topics": [{"name": topic, "partitions": [{
                    "partition_index": 0, "committed_offset": 3, "committed_leader_epoch": -1,
                    "committed_metadata": ""}]}]})["topics"][0]["partitions"][0]["error_code"]
        assert conn.call(kw.ADD_OFFSETS_TO_TXN, 3, {
            "transactional_id": txn_id, "producer_id": pid, "producer_epoch": epoch,
            "group_id": group})["error_code"] == kw.NONE
        assert commit(-1, "") == kw.NONE
        assert commit(joined["generation_id"], joined["member_id"]) == kw.NONE
        assert commit(joined["generation_id"] + 1, joined["member_id"]) == 22  # ILLEGAL_GENERATION
        assert commit(-1, "nobody") == 25  # UNKNOWN_MEMBER_ID
