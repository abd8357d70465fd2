package dev.atoll.compat;

import static dev.atoll.compat.Json.obj;
import static dev.atoll.compat.Support.utf8;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** Transactions as Java applications use them: commit and abort, consume-transform-produce, fencing, admin. */
final class TransactionScenarios {
    private TransactionScenarios() {}

    static void register(JavaDriver.Registry r) {
        r.add("java.txn.commit_and_abort", TransactionScenarios::commitAndAbort);
        r.add("java.txn.consume_transform_produce", TransactionScenarios::consumeTransformProduce);
        r.add("java.txn.fencing", TransactionScenarios::fencing);
        r.add("java.admin.producers_and_transactions", TransactionScenarios::admin);
    }

    static KafkaProducer<byte[], byte[]> transactional(Ctx ctx, String id) {
        return ctx.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id));
    }

    static List<TopicPartition> partitions(String topic, int n) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tps.add(new TopicPartition(topic, i));
        }
        return tps;
    }

    static List<String> values(List<ConsumerRecord<byte[], byte[]>> rs) {
        List<String> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : rs) {
            out.add(new String(r.value(), StandardCharsets.UTF_8));
        }
        out.sort(null);
        return out;
    }

    static List<ConsumerRecord<byte[], byte[]>> readCommitted(Ctx ctx, String topic, int n, int expected) throws Exception {
        return ctx.readAll(partitions(topic, n), expected, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    }

    /** A committed, an aborted and a committed transaction over two partitions. */
    static Object commitAndAbort(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 2, Map.of());
        KafkaProducer<byte[], byte[]> p = transactional(ctx, ctx.name("id"));
        p.initTransactions();
        String[][] txns = {{"c0", "c1", "c2"}, {"a0", "a1"}, {"d0"}};
        for (int t = 0; t < txns.length; t++) {
            p.beginTransaction();
            for (int i = 0; i < txns[t].length; i++) {
                p.send(new ProducerRecord<>(topic, i % 2, ProducerScenarios.T0 + i, utf8("k"), utf8(txns[t][i])));
            }
            p.flush();
            if (t == 1) {
                p.abortTransaction();
            } else {
                p.commitTransaction();
            }
        }
        return obj(
            "read_committed", Support.records(ctx, readCommitted(ctx, topic, 2, 4)),
            "read_uncommitted", Support.records(ctx, ctx.readAll(topic, 2, 6)));
    }

    /**
     * Copies an input topic to an output topic in transactions that carry the consumer's
     * offsets; the second one is aborted and the copy resumes from the committed offsets.
     * The output must hold exactly one copy of the input.
     */
    static Object consumeTransformProduce(Ctx ctx) throws Exception {
        String in = ctx.name("in");
        String outTopic = ctx.name("out");
        String group = ctx.name("g");
        ctx.createTopic(in, 2, Map.of());
        ctx.createTopic(outTopic, 2, Map.of());
        KafkaProducer<byte[], byte[]> plain = ctx.producer(Map.of());
        for (int i = 0; i < 40; i++) {
            plain.send(new ProducerRecord<>(in, i % 2, ProducerScenarios.T0, null, utf8("v" + i)));
        }
        plain.flush();
        KafkaConsumer<byte[], byte[]> c = ctx.consumer(Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, group,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 7));
        c.subscribe(List.of(in));
        KafkaProducer<byte[], byte[]> p = transactional(ctx, ctx.name("id"));
        p.initTransactions();
        int copied = 0;
        int transactions = 0;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (copied < 40 && System.nanoTime() < deadline) {
            ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(200));
            if (rs.isEmpty()) {
                continue;
            }
            p.beginTransaction();
            Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : rs) {
                p.send(new ProducerRecord<>(outTopic, r.partition(), ProducerScenarios.T0, null,
                    utf8("out-" + new String(r.value(), StandardCharsets.UTF_8))));
                next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
            p.sendOffsetsToTransaction(next, c.groupMetadata());
            if (++transactions == 2) {
                p.flush();
                p.abortTransaction();
                // As an application does after an abort: back to what was committed.
                Map<TopicPartition, OffsetAndMetadata> committed = c.committed(c.assignment());
                for (TopicPartition tp : c.assignment()) {
                    OffsetAndMetadata o = committed.get(tp);
                    c.seek(tp, o == null ? 0 : o.offset());
                }
                continue;
            }
            p.commitTransaction();
            copied += rs.count();
        }
        return obj(
            "copied", copied,
            "output", values(readCommitted(ctx, outTopic, 2, 40)),
            "committed_offsets", stableOffsets(ctx, group, 2));
    }

    /**
     * The group's committed offsets once every one of the n partitions has a stable one.
     * The last commit's markers may still be on their way (on either broker); with
     * requireStable the broker answers UNSTABLE_OFFSET_COMMIT for such a partition, and
     * the admin client leaves it out of the listing rather than retrying, so ask again.
     */
    static Map<String, Object> stableOffsets(Ctx ctx, String group, int n) throws Exception {
        Map<String, Object> offsets = new TreeMap<>();
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            offsets.clear();
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : Support.get(
                    ctx.admin().listConsumerGroupOffsets(group,
                        new ListConsumerGroupOffsetsOptions().requireStable(true))
                    .partitionsToOffsetAndMetadata()).entrySet()) {
                offsets.put(ctx.tp(e.getKey()), e.getValue() == null ? null : e.getValue().offset());
            }
            if (offsets.size() >= n || System.nanoTime() > deadline) {
                return offsets;
            }
            Thread.sleep(100);
        }
    }

    /** A second producer with the same transactional id fences the first and aborts its transaction. */
    static Object fencing(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of());
        String id = ctx.name("id");
        KafkaProducer<byte[], byte[]> first = transactional(ctx, id);
        first.initTransactions();
        first.beginTransaction();
        first.send(new ProducerRecord<>(topic, 0, ProducerScenarios.T0, null, utf8("zombie")));
        first.flush();
        KafkaProducer<byte[], byte[]> second = transactional(ctx, id);
        second.initTransactions();
        Object zombieCommit = Support.outcome(() -> {
            first.commitTransaction();
            return null;
        });
        second.beginTransaction();
        second.send(new ProducerRecord<>(topic, 0, ProducerScenarios.T0, null, utf8("live")));
        second.commitTransaction();
        return obj(
            "zombie_commit", zombieCommit,
            "read_committed", values(readCommitted(ctx, topic, 1, 1)));
    }

    /** DescribeProducers, DescribeTransactions and ListTransactions around an open, then committed, transaction. */
    static Object admin(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 2, Map.of());
        String id = ctx.name("id");
        Admin a = ctx.admin();
        KafkaProducer<byte[], byte[]> p = transactional(ctx, id);
        p.initTransactions();
        p.beginTransaction();
        p.send(new ProducerRecord<>(topic, 1, ProducerScenarios.T0, null, utf8("x")));
        p.send(new ProducerRecord<>(topic, 1, ProducerScenarios.T0, null, utf8("y")));
        p.flush();
        TopicPartition tp = new TopicPartition(topic, 1);
        List<ProducerState> producers = Support.get(a.describeProducers(List.of(tp)).partitionResult(tp)).activeProducers();
        List<Object> shown = producerStates(producers);
        TransactionDescription open = Support.get(a.describeTransactions(List.of(id)).description(id));
        List<String> ongoing = new ArrayList<>();
        for (TransactionListing l : Support.get(a.listTransactions(new ListTransactionsOptions()
                .filterStates(Set.of(TransactionState.ONGOING))).all())) {
            if (l.transactionalId().equals(id)) {
                ongoing.add(ctx.rel(l.transactionalId()) + ":" + l.state());
            }
        }
        p.commitTransaction();
        Support.require(10_000, "the commit to complete", () ->
            Support.get(a.describeTransactions(List.of(id)).description(id)).state() == TransactionState.COMPLETE_COMMIT);
        TransactionDescription done = Support.get(a.describeTransactions(List.of(id)).description(id));
        // Transaction version 2 (Kafka 4.x, KIP-890) bumps the epoch at the
        // end: the coordinator and the partition's marker both show it.
        List<Object> shownDone = producerStates(
            Support.get(a.describeProducers(List.of(tp)).partitionResult(tp)).activeProducers());
        Object unknown = Support.outcome(() -> Support.get(a.describeTransactions(List.of(ctx.name("nobody")))
            .description(ctx.name("nobody"))).state().toString());
        return obj(
            "producers_open", shown,
            "open", describe(ctx, open),
            "listed_ongoing", ongoing,
            "done", describe(ctx, done),
            "producers_done", shownDone,
            "unknown", unknown);
    }

    static List<Object> producerStates(List<ProducerState> producers) {
        List<Object> shown = new ArrayList<>();
        for (ProducerState s : producers) {
            shown.add(obj(
                "epoch", s.producerEpoch(),
                "lastSequence", s.lastSequence(),
                "currentTransactionStartOffset", s.currentTransactionStartOffset().isPresent()
                    ? s.currentTransactionStartOffset().getAsLong() : null));
        }
        return shown;
    }

    static Object describe(Ctx ctx, TransactionDescription d) {
        List<String> tps = Support.tps(ctx, d.topicPartitions());
        return obj(
            "state", d.state().toString(),
            "producerEpoch", d.producerEpoch(),
            "timeoutMs", d.transactionTimeoutMs(),
            "hasStart", d.transactionStartTimeMs().isPresent(),
            "partitions", tps);
    }
}
