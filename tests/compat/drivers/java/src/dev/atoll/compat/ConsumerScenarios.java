package dev.atoll.compat;

import static dev.atoll.compat.Json.obj;
import static dev.atoll.compat.Support.utf8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** Consumer scenarios (classic group protocol): groups, static membership, positions, resets. */
final class ConsumerScenarios {
    private ConsumerScenarios() {}

    static final long T0 = ProducerScenarios.T0;

    static void register(JavaDriver.Registry r) {
        r.add("java.consumer.group_range", c -> groupOfTwo(c, RangeAssignor.class.getName()));
        r.add("java.consumer.group_cooperative_sticky", c -> groupOfTwo(c, CooperativeStickyAssignor.class.getName()));
        r.add("java.consumer.static_membership", ConsumerScenarios::staticMembership);
        r.add("java.consumer.seek_and_positions", ConsumerScenarios::seekAndPositions);
        r.add("java.consumer.offsets_for_times", ConsumerScenarios::offsetsForTimes);
        r.add("java.consumer.reset_none_without_offsets", ConsumerScenarios::resetNoneWithoutOffsets);
        r.add("java.consumer.out_of_range", ConsumerScenarios::outOfRange);
        r.add("java.consumer.small_fetch_limits", ConsumerScenarios::smallFetchLimits);
        r.add("java.consumer.auto_commit_on_close", ConsumerScenarios::autoCommitOnClose);
        r.add("java.consumer.stale_generation_commit", ConsumerScenarios::staleGenerationCommit);
    }

    /** Produces n records to each partition (offsets 0..n-1, timestamps T0 + i) and waits for them. */
    static void produce(Ctx ctx, String topic, int partitions, int n, String codec) throws Exception {
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of(
            ProducerConfig.COMPRESSION_TYPE_CONFIG, codec, ProducerConfig.LINGER_MS_CONFIG, 20));
        List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
        for (int part = 0; part < partitions; part++) {
            for (int i = 0; i < n; i++) {
                fs.add(p.send(new ProducerRecord<>(topic, part, T0 + i * 1000L, utf8("k" + i), utf8("p" + part + "-v" + i))));
            }
        }
        p.flush();
        for (java.util.concurrent.Future<?> f : fs) {
            Support.get(f);
        }
    }

    static TopicPartition tp(String topic, int p) {
        return new TopicPartition(topic, p);
    }

    /** The assignments of several members, each sorted, the list sorted: which member is which may vary. */
    static List<List<String>> assignments(Ctx ctx, List<Set<TopicPartition>> sets) {
        List<List<String>> out = new ArrayList<>();
        for (Set<TopicPartition> s : sets) {
            out.add(Support.tps(ctx, s));
        }
        out.sort(Comparator.comparing(Object::toString));
        return out;
    }

    /** A group as admin describes it: state, protocol, the members' assignments (not their ids or hosts). */
    static Object describeGroup(Ctx ctx, String group) throws Exception {
        return describeGroup(ctx, group, true);
    }

    /**
     * pairMembers=false lists the members' client ids and their assignments apart, each sorted:
     * for dynamic members which one gets which partitions depends on the random member ids.
     */
    static Object describeGroup(Ctx ctx, String group, boolean pairMembers) throws Exception {
        ConsumerGroupDescription d = Support.get(ctx.admin().describeConsumerGroups(List.of(group)).all()).get(group);
        List<Object> members = new ArrayList<>();
        List<String> clientIds = new ArrayList<>();
        for (MemberDescription m : d.members()) {
            List<String> assignment = Support.tps(ctx, m.assignment().topicPartitions());
            if (pairMembers) {
                members.add(obj(
                    "clientId", m.clientId(),
                    "groupInstanceId", m.groupInstanceId().orElse(null),
                    "assignment", assignment));
            } else {
                members.add(assignment);
                clientIds.add(m.clientId());
            }
        }
        members.sort(Comparator.comparing(Object::toString));
        Map<String, Object> out = obj(
            "state", d.groupState().toString(),
            "type", d.type().toString(),
            "isSimpleConsumerGroup", d.isSimpleConsumerGroup(),
            "partitionAssignor", d.partitionAssignor());
        if (pairMembers) {
            out.put("members", members);
        } else {
            clientIds.sort(null);
            out.put("memberClientIds", clientIds);
            out.put("memberAssignments", members);
        }
        return out;
    }

    static Map<String, Object> groupOffsets(Ctx ctx, String group) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> m = Support.get(ctx.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
        return Support.byTp(ctx, m, o -> o == null ? null : obj("offset", o.offset(), "metadata", o.metadata()));
    }

    static Object groupOfTwo(Ctx ctx, String assignor) throws Exception {
        String topic = ctx.name("t");
        String group = ctx.name("g");
        ctx.createTopic(topic, 4, Map.of("retention.ms", "-1"));
        Map<String, Object> props = Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor);
        GroupMember a = ctx.member(group, "member-a", props);
        a.subscribe(List.of(topic), true);
        Support.require(20_000, "the first member's assignment", () -> a.assignment().size() == 4);
        Object alone = assignments(ctx, List.of(a.assignment()));
        GroupMember b = ctx.member(group, "member-b", props);
        b.subscribe(List.of(topic), true);
        Support.require(25_000, "two members with two partitions each", () -> {
            Set<TopicPartition> all = new HashSet<>(a.assignment());
            all.addAll(b.assignment());
            return a.assignment().size() == 2 && b.assignment().size() == 2 && all.size() == 4;
        });
        produce(ctx, topic, 4, 5, "none");
        Support.require(20_000, "all 20 records consumed", () -> a.received().size() + b.received().size() >= 20);
        Support.require(10_000, "offsets 5 committed on every partition", () -> {
            Map<TopicPartition, OffsetAndMetadata> m = Support.get(ctx.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
            if (m.size() != 4) {
                return false;
            }
            for (OffsetAndMetadata o : m.values()) {
                if (o == null || o.offset() != 5) {
                    return false;
                }
            }
            return true;
        });
        Map<String, List<Long>> consumed = new TreeMap<>();
        boolean byOwner = true;
        int total = 0;
        for (GroupMember m : List.of(a, b)) {
            for (ConsumerRecord<byte[], byte[]> r : m.received()) {
                consumed.computeIfAbsent(ctx.tp(tp(r.topic(), r.partition())), k -> new ArrayList<>()).add(r.offset());
                byOwner &= m.assignment().contains(tp(r.topic(), r.partition()));
                total++;
            }
        }
        consumed.values().forEach(l -> l.sort(null));
        Object described = describeGroup(ctx, group, false);
        Object offsets = groupOffsets(ctx, group);
        List<Object> finalAssignments = new ArrayList<>(assignments(ctx, List.of(a.assignment(), b.assignment())));
        a.close();
        b.close();
        Object afterClose = Support.outcome(() -> describeGroup(ctx, group));
        return obj(
            "first_member_alone", alone,
            "final_assignments", finalAssignments,
            "records_consumed", total,
            "offsets_consumed", consumed,
            "each_record_consumed_by_its_partition_owner", byOwner,
            "described", described,
            "committed", offsets,
            "after_both_closed", afterClose);
    }

    static Object staticMembership(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        String group = ctx.name("g");
        ctx.createTopic(topic, 2, Map.of());
        Map<String, Object> pa = Map.of(
            ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName(),
            ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-a");
        Map<String, Object> pb = Map.of(
            ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName(),
            ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-b");
        GroupMember a = ctx.member(group, "static-a", pa);
        a.subscribe(List.of(topic), false);
        Support.require(20_000, "the first member's assignment", () -> a.assignment().size() == 2);
        GroupMember b = ctx.member(group, "static-b", pb);
        b.subscribe(List.of(topic), false);
        Support.require(25_000, "one partition each", () -> a.assignment().size() == 1 && b.assignment().size() == 1);
        Map<String, Object> out = obj();
        out.put("a", Support.tps(ctx, a.assignment()));
        out.put("b", Support.tps(ctx, b.assignment()));
        out.put("described", describeGroup(ctx, group));
        int bCallbacks = b.assignedCallbacks();
        a.close(); // a static member closes without leaving the group
        Object afterClose = describeGroup(ctx, group);
        GroupMember a2 = ctx.member(group, "static-a", pa); // the same process, restarted
        a2.subscribe(List.of(topic), false);
        Support.require(20_000, "the returning member's assignment", () -> !a2.assignment().isEmpty());
        // b would see a rebalance within a few heartbeats (500 ms); there should be none.
        Thread.sleep(1500);
        out.put("described_after_a_closed", afterClose);
        out.put("a_returned", Support.tps(ctx, a2.assignment()));
        out.put("b_after_a_returned", Support.tps(ctx, b.assignment()));
        out.put("b_rebalanced_when_a_returned", b.assignedCallbacks() != bCallbacks);
        out.put("described_after_a_returned", describeGroup(ctx, group));
        return out;
    }

    static Object seekAndPositions(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of("retention.ms", "-1"));
        produce(ctx, topic, 1, 6, "lz4"); // one compressed batch: seeks land inside it
        TopicPartition tp = tp(topic, 0);
        KafkaConsumer<byte[], byte[]> c = ctx.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, ctx.name("g")));
        c.assign(List.of(tp));
        Map<String, Object> out = obj();
        out.put("beginningOffsets", Support.byTp(ctx, c.beginningOffsets(List.of(tp)), v -> v));
        out.put("endOffsets", Support.byTp(ctx, c.endOffsets(List.of(tp)), v -> v));
        out.put("committed_before_any_commit", Support.byTp(ctx, c.committed(Set.of(tp)), ConsumerScenarios::oam));
        c.seek(tp, 2);
        out.put("position_after_seek_2", c.position(tp));
        out.put("read_after_seek_2", offsets(pollUntil(c, tp, 6)));
        out.put("position_after_reading", c.position(tp));
        c.commitSync(Map.of(tp, new OffsetAndMetadata(3, "meta-3")));
        out.put("committed_explicit", Support.byTp(ctx, c.committed(Set.of(tp)), ConsumerScenarios::oam));
        c.commitSync();
        out.put("committed_position", Support.byTp(ctx, c.committed(Set.of(tp)), ConsumerScenarios::oam));
        c.seekToBeginning(List.of(tp));
        out.put("position_after_seekToBeginning", c.position(tp));
        c.seekToEnd(List.of(tp));
        out.put("position_after_seekToEnd", c.position(tp));
        c.seek(tp, new OffsetAndMetadata(4));
        out.put("read_after_seek_4", offsets(pollUntil(c, tp, 6)));
        // A new consumer in the same group starts at the committed offset.
        KafkaConsumer<byte[], byte[]> c2 = ctx.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, ctx.name("g")));
        c2.assign(List.of(tp));
        out.put("new_consumer_position", c2.position(tp));
        return out;
    }

    static Object oam(OffsetAndMetadata o) {
        return o == null ? null : obj("offset", o.offset(), "metadata", o.metadata());
    }

    static List<Long> offsets(List<ConsumerRecord<byte[], byte[]>> rs) {
        List<Long> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : rs) {
            out.add(r.offset());
        }
        return out;
    }

    /** Polls until the position reaches `end` (bounded). */
    static List<ConsumerRecord<byte[], byte[]>> pollUntil(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long end) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                out.add(r);
            }
            if (c.position(tp) >= end) {
                break;
            }
        }
        return out;
    }

    static Object offsetsForTimes(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 2, Map.of("retention.ms", "-1"));
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of());
        // Partition 0: T0, T0+1000, T0+2000, T0+1500 (not in order); partition 1 stays empty.
        long[] ts = {T0, T0 + 1000, T0 + 2000, T0 + 1500};
        for (int i = 0; i < ts.length; i++) {
            Support.get(p.send(new ProducerRecord<>(topic, 0, ts[i], utf8("k" + i), utf8("v" + i))));
        }
        KafkaConsumer<byte[], byte[]> c = ctx.consumer(Map.of());
        Map<String, Object> out = obj();
        long[][] queries = {{0, T0 - 5000}, {0, T0}, {0, T0 + 500}, {0, T0 + 1200}, {0, T0 + 2000}, {0, T0 + 2001}, {1, T0}};
        for (long[] q : queries) {
            TopicPartition tp = tp(topic, (int) q[0]);
            String key = "p" + q[0] + "@T0" + (q[1] >= T0 ? "+" : "") + (q[1] - T0);
            out.put(key, Support.outcome(() -> {
                Map<TopicPartition, OffsetAndTimestamp> m = c.offsetsForTimes(Map.of(tp, q[1]));
                OffsetAndTimestamp o = m.get(tp);
                return o == null ? "null" : obj("offset", o.offset(), "timestamp", o.timestamp());
            }));
        }
        return out;
    }

    /** Polls until poll throws (bounded); the exception's class, or "no exception". */
    static Object pollForError(KafkaConsumer<byte[], byte[]> c, long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        int records = 0;
        while (System.nanoTime() < deadline) {
            try {
                records += c.poll(Duration.ofMillis(100)).count();
            } catch (RuntimeException e) {
                return obj("error", Support.errName(e), "recordsBefore", records);
            }
        }
        return obj("error", null, "recordsBefore", records);
    }

    static Object resetNoneWithoutOffsets(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of());
        produce(ctx, topic, 1, 2, "none");
        TopicPartition tp = tp(topic, 0);
        Map<String, Object> out = obj();
        KafkaConsumer<byte[], byte[]> assigned = ctx.consumer(Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, ctx.name("assigned"), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"));
        assigned.assign(List.of(tp));
        out.put("assigned_with_group", pollForError(assigned, 10_000));
        KafkaConsumer<byte[], byte[]> noGroup = ctx.consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"));
        noGroup.assign(List.of(tp));
        out.put("assigned_without_group", pollForError(noGroup, 10_000));
        KafkaConsumer<byte[], byte[]> subscribed = ctx.consumer(Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, ctx.name("subscribed"), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"));
        subscribed.subscribe(List.of(topic));
        out.put("subscribed", pollForError(subscribed, 15_000));
        // With an offset committed, the same settings read from it.
        KafkaConsumer<byte[], byte[]> committer = ctx.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, ctx.name("committed")));
        committer.commitSync(Map.of(tp, new OffsetAndMetadata(1)));
        KafkaConsumer<byte[], byte[]> withOffset = ctx.consumer(Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, ctx.name("committed"), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"));
        withOffset.assign(List.of(tp));
        out.put("assigned_with_committed_offset", offsets(pollUntil(withOffset, tp, 2)));
        return out;
    }

    static Object outOfRange(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of());
        produce(ctx, topic, 1, 5, "none");
        TopicPartition tp = tp(topic, 0);
        Map<String, Object> out = obj();
        for (String reset : List.of("none", "earliest", "latest")) {
            KafkaConsumer<byte[], byte[]> c = ctx.consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, reset));
            c.assign(List.of(tp));
            c.seek(tp, 100);
            Map<String, Object> o = obj();
            if (reset.equals("none")) {
                o.put("poll", pollForError(c, 10_000));
                o.put("position", c.position(tp));
            } else {
                List<Long> read = new ArrayList<>();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (System.nanoTime() < deadline) {
                    ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<byte[], byte[]> r : rs) {
                        read.add(r.offset());
                    }
                    long pos = c.position(tp);
                    if (pos != 100 && pos >= 5) {
                        break;
                    }
                }
                o.put("read", read);
                o.put("position", c.position(tp));
            }
            out.put("seek_100_reset_" + reset, o);
        }
        // Seeking to the end offset itself is not out of range: polls return nothing, and no error.
        KafkaConsumer<byte[], byte[]> atEnd = ctx.consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"));
        atEnd.assign(List.of(tp));
        atEnd.seek(tp, 5);
        out.put("seek_to_end_offset_reset_none", pollForError(atEnd, 1000));
        return out;
    }

    /** Fetch limits below one record's size: the broker still returns the first batch (KIP-74). */
    static Object smallFetchLimits(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of("retention.ms", "-1"));
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 0));
        for (int i = 0; i < 4; i++) {
            Support.get(p.send(new ProducerRecord<>(topic, 0, T0 + i, utf8("k" + i), new byte[1000])));
        }
        KafkaConsumer<byte[], byte[]> c = ctx.consumer(Map.of(
            ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64,
            ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64));
        TopicPartition tp = tp(topic, 0);
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        return obj("read", offsets(pollUntil(c, tp, 4)), "position", c.position(tp));
    }

    static Object autoCommitOnClose(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        String group = ctx.name("g");
        ctx.createTopic(topic, 1, Map.of());
        produce(ctx, topic, 1, 3, "none");
        KafkaConsumer<byte[], byte[]> c = ctx.consumer(Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, group,
            ConsumerConfig.CLIENT_ID_CONFIG, "auto-committer",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true,
            ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, 600_000));
        c.subscribe(List.of(topic));
        int n = 0;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (n < 3 && System.nanoTime() < deadline) {
            n += c.poll(Duration.ofMillis(100)).count();
        }
        Object described = describeGroup(ctx, group);
        c.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        return obj(
            "records", n,
            "described_while_member", described,
            "committed_after_close", groupOffsets(ctx, group),
            "described_after_close", describeGroup(ctx, group));
    }

    /**
     * A member that stops polling past max.poll.interval.ms loses its partitions to a newcomer;
     * its commit afterwards fails.
     */
    static Object staleGenerationCommit(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        String group = ctx.name("g");
        ctx.createTopic(topic, 1, Map.of());
        produce(ctx, topic, 1, 3, "none");
        Map<String, Object> props = Map.of(
            ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 2000,
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000,
            ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        GroupMember a = ctx.member(group, "stale-a", props);
        a.subscribe(List.of(topic), false);
        Support.require(20_000, "the first member's records", () -> a.received().size() >= 3);
        a.setPolling(false);
        GroupMember b = ctx.member(group, "stale-b", props);
        b.subscribe(List.of(topic), false);
        Support.require(25_000, "the newcomer's assignment", () -> b.assignment().size() == 1);
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        commit.put(tp(topic, 0), new OffsetAndMetadata(3));
        Object staleCommit = Support.outcome(() -> a.withConsumer(c -> {
            c.commitSync(commit);
            return "ok";
        }));
        Object freshCommit = Support.outcome(() -> b.withConsumer(c -> {
            c.commitSync(Map.of(tp(topic, 0), new OffsetAndMetadata(2)));
            return "ok";
        }));
        return obj(
            "newcomer_assignment", Support.tps(ctx, b.assignment()),
            "stale_member_commit", staleCommit,
            "newcomer_commit", freshCommit,
            "committed", groupOffsets(ctx, group),
            "described", describeGroup(ctx, group));
    }
}
