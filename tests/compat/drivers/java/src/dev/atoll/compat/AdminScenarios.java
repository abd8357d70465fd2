package dev.atoll.compat;

import static dev.atoll.compat.Json.obj;
import static dev.atoll.compat.Support.outcome;
import static dev.atoll.compat.Support.utf8;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreatePartitionsOptions;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DeleteConsumerGroupOffsetsResult;
import org.apache.kafka.clients.admin.DeleteConsumerGroupsResult;
import org.apache.kafka.clients.admin.DeleteTopicsResult;
import org.apache.kafka.clients.admin.DescribeTopicsResult;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupResult;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TopicListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;

/** AdminClient scenarios: every call atolld serves, with its error paths. */
final class AdminScenarios {
    private AdminScenarios() {}

    static final long T0 = ProducerScenarios.T0;

    /** The topic configs the scenarios look at. */
    static final List<String> TOPIC_KEYS = List.of(
        "cleanup.policy", "retention.ms", "segment.bytes", "max.message.bytes", "compression.type",
        "message.timestamp.type", "min.insync.replicas");

    static void register(JavaDriver.Registry r) {
        r.add("java.admin.create_topics", AdminScenarios::createTopics);
        r.add("java.admin.list_topics", AdminScenarios::listTopics);
        r.add("java.admin.describe_topics", AdminScenarios::describeTopics);
        r.add("java.admin.delete_topics", AdminScenarios::deleteTopics);
        r.add("java.admin.create_partitions", AdminScenarios::createPartitions);
        r.add("java.admin.describe_configs", AdminScenarios::describeConfigs);
        r.add("java.admin.describe_broker_configs", AdminScenarios::describeBrokerConfigs);
        r.add("java.admin.incremental_alter_configs", AdminScenarios::incrementalAlterConfigs);
        r.add("java.admin.delete_records", AdminScenarios::deleteRecords);
        r.add("java.admin.list_offsets", AdminScenarios::listOffsets);
        r.add("java.admin.describe_cluster", AdminScenarios::describeCluster);
        r.add("java.admin.describe_log_dirs", AdminScenarios::describeLogDirs);
        r.add("java.admin.elect_leaders", AdminScenarios::electLeaders);
        r.add("java.admin.groups_list_describe", AdminScenarios::groupsListDescribe);
        r.add("java.admin.group_offsets", AdminScenarios::groupOffsets);
        r.add("java.admin.delete_groups", AdminScenarios::deleteGroups);
        r.add("java.admin.remove_members", AdminScenarios::removeMembers);
    }

    // ---- topics ----

    static Object entry(ConfigEntry e) {
        if (e == null) {
            return null;
        }
        return obj(
            "value", e.value(),
            "source", e.source(),
            "isReadOnly", e.isReadOnly(),
            "isSensitive", e.isSensitive(),
            "type", e.type());
    }

    static Map<String, Object> entries(Config c, Collection<String> keys) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : keys) {
            out.put(k, entry(c.get(k)));
        }
        return out;
    }

    /** One createTopics request; per topic its partitions, replication factor and a few configs, or its error. */
    static Map<String, Object> create(Ctx ctx, List<NewTopic> topics, boolean validateOnly) {
        CreateTopicsResult res = ctx.admin().createTopics(topics, new CreateTopicsOptions().validateOnly(validateOnly));
        Map<String, Object> out = new LinkedHashMap<>();
        for (NewTopic t : topics) {
            out.put(ctx.rel(t.name()), outcome(() -> {
                Support.get(res.values().get(t.name()));
                return obj(
                    "numPartitions", Support.get(res.numPartitions(t.name())),
                    "replicationFactor", Support.get(res.replicationFactor(t.name())),
                    "configs", outcome(() -> entries(Support.get(res.config(t.name())),
                        List.of("cleanup.policy", "retention.ms", "max.message.bytes"))));
            }));
        }
        return out;
    }

    static Object createTopics(Ctx ctx) throws Exception {
        Map<String, Object> out = obj();
        out.put("plain", create(ctx, List.of(new NewTopic(ctx.name("plain"), 3, (short) 1)), false));
        out.put("broker_defaults", create(ctx, List.of(new NewTopic(ctx.name("defaults"), Optional.empty(), Optional.empty())), false));
        out.put("with_configs", create(ctx, List.of(new NewTopic(ctx.name("configs"), 2, (short) 1)
            .configs(Map.of("cleanup.policy", "compact", "retention.ms", "1000", "max.message.bytes", "2048"))), false));
        out.put("replica_assignment", create(ctx, List.of(new NewTopic(ctx.name("assigned"),
            Map.of(0, List.of(1), 1, List.of(1)))), false));
        out.put("replica_assignment_unknown_broker", create(ctx, List.of(new NewTopic(ctx.name("assigned-bad"),
            Map.of(0, List.of(2)))), false));
        out.put("validate_only", create(ctx, List.of(new NewTopic(ctx.name("validate"), 2, (short) 1)), true));
        out.put("already_exists", create(ctx, List.of(new NewTopic(ctx.name("plain"), 3, (short) 1)), false));
        out.put("already_exists_validate_only", create(ctx, List.of(new NewTopic(ctx.name("plain"), 3, (short) 1)), true));
        out.put("zero_partitions", create(ctx, List.of(new NewTopic(ctx.name("zero"), 0, (short) 1)), false));
        out.put("minus_2_partitions", create(ctx, List.of(new NewTopic(ctx.name("minus2"), -2, (short) 1)), false));
        out.put("replication_factor_3", create(ctx, List.of(new NewTopic(ctx.name("rf3"), 1, (short) 3)), false));
        out.put("replication_factor_0", create(ctx, List.of(new NewTopic(ctx.name("rf0"), 1, (short) 0)), false));
        out.put("invalid_config_value", create(ctx, List.of(new NewTopic(ctx.name("badvalue"), 1, (short) 1)
            .configs(Map.of("cleanup.policy", "bogus"))), false));
        out.put("invalid_config_number", create(ctx, List.of(new NewTopic(ctx.name("badnumber"), 1, (short) 1)
            .configs(Map.of("retention.ms", "soon"))), false));
        out.put("unknown_config_name", create(ctx, List.of(new NewTopic(ctx.name("unknowncfg"), 1, (short) 1)
            .configs(Map.of("no.such.config", "1"))), false));
        out.put("invalid_name", create(ctx, List.of(new NewTopic(ctx.name("bad name!"), 1, (short) 1)), false));
        out.put("name_too_long", create(ctx, List.of(new NewTopic(ctx.name("x".repeat(250)), 1, (short) 1)), false));
        out.put("mixed_batch", create(ctx, List.of(
            new NewTopic(ctx.name("batch-ok"), 1, (short) 1),
            new NewTopic(ctx.name("batch-bad"), 0, (short) 1),
            new NewTopic(ctx.name("plain"), 1, (short) 1)), false));
        out.put("topics_now", listOurs(ctx));
        return out;
    }

    /** Our scenario's topics as listTopics shows them, sorted. */
    static List<String> listOurs(Ctx ctx) throws Exception {
        List<String> out = new ArrayList<>();
        for (TopicListing l : Support.get(ctx.admin().listTopics().listings())) {
            if (l.name().startsWith(ctx.name(""))) {
                out.add(ctx.rel(l.name()) + (l.isInternal() ? " (internal)" : ""));
            }
        }
        out.sort(null);
        return out;
    }

    static Object listTopics(Ctx ctx) throws Exception {
        for (String s : List.of("a", "b", "c")) {
            ctx.createTopic(ctx.name(s), 1, Map.of());
        }
        return obj("topics", listOurs(ctx));
    }

    static Object describe(Ctx ctx, TopicDescription d) {
        List<Object> parts = new ArrayList<>();
        for (TopicPartitionInfo p : d.partitions()) {
            parts.add(obj(
                "partition", p.partition(),
                "leader", Support.nodeId(p.leader()),
                "replicas", Support.nodeIds(p.replicas()),
                "isr", Support.nodeIds(p.isr())));
        }
        return obj(
            "name", ctx.rel(d.name()),
            "isInternal", d.isInternal(),
            "hasTopicId", d.topicId() != null && !Uuid.ZERO_UUID.equals(d.topicId()),
            "partitions", parts);
    }

    static Object describeTopics(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        String missing = ctx.name("missing");
        ctx.createTopic(topic, 3, Map.of());
        Admin a = ctx.admin();
        Map<String, Object> out = obj();
        DescribeTopicsResult r = a.describeTopics(List.of(topic, missing));
        Map<String, Object> byName = new LinkedHashMap<>();
        for (String t : List.of(topic, missing)) {
            byName.put(ctx.rel(t), outcome(() -> describe(ctx, Support.get(r.topicNameValues().get(t)))));
        }
        out.put("by_name", byName);
        out.put("all_with_missing", outcome(() -> Support.get(r.allTopicNames()).size()));
        Uuid id = Support.get(a.describeTopics(List.of(topic)).allTopicNames()).get(topic).topicId();
        out.put("by_id", outcome(() -> describe(ctx,
            Support.get(a.describeTopics(TopicCollection.ofTopicIds(List.of(id))).allTopicIds()).get(id))));
        Uuid unknown = new Uuid(0x1234567812345678L, 0x1234567812345678L);
        out.put("unknown_id", outcome(() ->
            Support.get(a.describeTopics(TopicCollection.ofTopicIds(List.of(unknown))).allTopicIds()).size()));
        return out;
    }

    static Object deleteTopics(Ctx ctx) throws Exception {
        String byName = ctx.name("by-name");
        String byId = ctx.name("by-id");
        String keep = ctx.name("keep");
        for (String t : List.of(byName, byId, keep)) {
            ctx.createTopic(t, 1, Map.of());
        }
        Admin a = ctx.admin();
        Map<String, Object> out = obj();
        out.put("topics_before", listOurs(ctx));
        DeleteTopicsResult r = a.deleteTopics(List.of(byName, ctx.name("missing")));
        Map<String, Object> res = new LinkedHashMap<>();
        for (String t : List.of(byName, ctx.name("missing"))) {
            res.put(ctx.rel(t), outcome(() -> Support.get(r.topicNameValues().get(t))));
        }
        out.put("delete_by_name", res);
        Uuid id = Support.get(a.describeTopics(List.of(byId)).allTopicNames()).get(byId).topicId();
        out.put("delete_by_id", outcome(() -> Support.get(a.deleteTopics(TopicCollection.ofTopicIds(List.of(id))).all())));
        Uuid unknown = new Uuid(0x1234567812345678L, 0x1234567812345678L);
        out.put("delete_unknown_id", outcome(() -> Support.get(a.deleteTopics(TopicCollection.ofTopicIds(List.of(unknown))).all())));
        Support.waitFor(15_000, () -> listOurs(ctx).size() == 1);
        out.put("topics_after", listOurs(ctx));
        Support.waitFor(15_000, () -> outcome(() -> Support.get(a.describeTopics(List.of(byName)).allTopicNames())) instanceof Map
            && ((Map<?, ?>) outcome(() -> Support.get(a.describeTopics(List.of(byName)).allTopicNames()))).containsKey("error"));
        out.put("describe_deleted", outcome(() -> describe(ctx, Support.get(a.describeTopics(List.of(byName)).allTopicNames()).get(byName))));
        return out;
    }

    static int partitionCount(Ctx ctx, String topic) throws Exception {
        return Support.get(ctx.admin().describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().size();
    }

    static Object createPartitions(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of());
        Admin a = ctx.admin();
        Map<String, Object> out = obj();
        out.put("validate_only_grow_to_4", outcome(() -> Support.get(a.createPartitions(
            Map.of(topic, NewPartitions.increaseTo(4)), new CreatePartitionsOptions().validateOnly(true)).all())));
        out.put("count_after_validate_only", partitionCount(ctx, topic));
        out.put("grow_to_3", outcome(() -> Support.get(a.createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all())));
        ctx.awaitTopic(topic, 3);
        out.put("count_after_grow", partitionCount(ctx, topic));
        out.put("shrink_to_2", outcome(() -> Support.get(a.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all())));
        out.put("same_count_3", outcome(() -> Support.get(a.createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all())));
        Object grow4 = outcome(() -> Support.get(a.createPartitions(
            Map.of(topic, NewPartitions.increaseTo(4, List.of(List.of(1))))).all()));
        out.put("grow_to_4_with_assignment", grow4);
        out.put("grow_to_5_assigned_to_unknown_broker", outcome(() -> Support.get(a.createPartitions(
            Map.of(topic, NewPartitions.increaseTo(5, List.of(List.of(2))))).all())));
        out.put("unknown_topic", outcome(() -> Support.get(a.createPartitions(
            Map.of(ctx.name("missing"), NewPartitions.increaseTo(2))).all())));
        int expected = "ok".equals(grow4) ? 4 : 3;
        Support.waitFor(10_000, () -> partitionCount(ctx, topic) == expected);
        out.put("count_at_end", partitionCount(ctx, topic));
        // The new partitions take records.
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of());
        out.put("produce_to_partition_2", outcome(() ->
            Support.get(p.send(new ProducerRecord<>(topic, 2, T0, utf8("k"), utf8("v")))).offset()));
        return out;
    }

    static Object describeConfigs(Ctx ctx) throws Exception {
        String plain = ctx.name("plain");
        String custom = ctx.name("custom");
        ctx.createTopic(plain, 1, Map.of());
        ctx.createTopic(custom, 1, Map.of(
            "cleanup.policy", "compact", "retention.ms", "3600000", "max.message.bytes", "2048",
            "compression.type", "gzip", "message.timestamp.type", "LogAppendTime"));
        String minIsr = ctx.name("min-isr");
        Map<String, Object> out = obj();
        out.put("create_with_min.insync.replicas=1", outcome(() -> {
            ctx.createTopic(minIsr, 1, Map.of("min.insync.replicas", "1"));
            return null;
        }));
        Admin a = ctx.admin();
        for (String t : List.of(plain, custom, minIsr, ctx.name("missing"))) {
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, t);
            out.put(ctx.rel(t), outcome(() -> entries(Support.get(a.describeConfigs(List.of(res)).all()).get(res), TOPIC_KEYS)));
        }
        return out;
    }

    static Object describeBrokerConfigs(Ctx ctx) throws Exception {
        ConfigResource res = new ConfigResource(ConfigResource.Type.BROKER, "1");
        Config c = Support.get(ctx.admin().describeConfigs(List.of(res)).all()).get(res);
        return obj("broker_1", entries(c, List.of(
            "num.partitions", "auto.create.topics.enable", "message.max.bytes", "default.replication.factor",
            "group.initial.rebalance.delay.ms", "log.retention.ms", "log.retention.hours")));
    }

    static Object alter(Ctx ctx, String topic, boolean validateOnly, AlterConfigOp... ops) {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return outcome(() -> Support.get(ctx.admin().incrementalAlterConfigs(Map.of(res, List.of(ops)),
            new AlterConfigsOptions().validateOnly(validateOnly)).all()));
    }

    static AlterConfigOp op(String key, String value, AlterConfigOp.OpType type) {
        return new AlterConfigOp(new ConfigEntry(key, value), type);
    }

    static Object incrementalAlterConfigs(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of());
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        List<String> keys = List.of("cleanup.policy", "retention.ms", "segment.bytes");
        List<Object> steps = new ArrayList<>();
        String dflt = "@" + ConfigEntry.ConfigSource.DEFAULT_CONFIG;
        String dyn = "@" + ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG;
        // step, validateOnly, ops, what the topic's configs read afterwards ("value@source"):
        // the scenario waits (bounded) for that, as a broker may apply a change a moment after it answers.
        Object[][] script = {
            {"set cleanup.policy=compact", false, new AlterConfigOp[] {op("cleanup.policy", "compact", AlterConfigOp.OpType.SET)},
                Map.of("cleanup.policy", "compact" + dyn)},
            {"append cleanup.policy delete", false, new AlterConfigOp[] {op("cleanup.policy", "delete", AlterConfigOp.OpType.APPEND)},
                Map.of("cleanup.policy", "compact,delete" + dyn)},
            {"append cleanup.policy delete again", false, new AlterConfigOp[] {op("cleanup.policy", "delete", AlterConfigOp.OpType.APPEND)},
                Map.of("cleanup.policy", "compact,delete" + dyn)},
            {"subtract cleanup.policy compact", false, new AlterConfigOp[] {op("cleanup.policy", "compact", AlterConfigOp.OpType.SUBTRACT)},
                Map.of("cleanup.policy", "delete" + dyn)},
            {"delete cleanup.policy", false, new AlterConfigOp[] {op("cleanup.policy", null, AlterConfigOp.OpType.DELETE)},
                Map.of("cleanup.policy", "delete" + dflt)},
            {"set retention.ms and segment.bytes", false, new AlterConfigOp[] {
                op("retention.ms", "1000", AlterConfigOp.OpType.SET), op("segment.bytes", "1048576", AlterConfigOp.OpType.SET)},
                Map.of("retention.ms", "1000" + dyn, "segment.bytes", "1048576" + dyn)},
            {"delete retention.ms", false, new AlterConfigOp[] {op("retention.ms", null, AlterConfigOp.OpType.DELETE)},
                Map.of("retention.ms", "604800000" + dflt)},
            {"delete retention.ms again (not set)", false, new AlterConfigOp[] {op("retention.ms", null, AlterConfigOp.OpType.DELETE)},
                Map.of()},
            {"validate only set cleanup.policy=compact", true, new AlterConfigOp[] {op("cleanup.policy", "compact", AlterConfigOp.OpType.SET)},
                Map.of()},
            {"set cleanup.policy=bogus", false, new AlterConfigOp[] {op("cleanup.policy", "bogus", AlterConfigOp.OpType.SET)},
                Map.of()},
            {"set retention.ms=soon", false, new AlterConfigOp[] {op("retention.ms", "soon", AlterConfigOp.OpType.SET)},
                Map.of()},
            {"set no.such.config=1", false, new AlterConfigOp[] {op("no.such.config", "1", AlterConfigOp.OpType.SET)},
                Map.of()},
            {"append to retention.ms (not a list)", false, new AlterConfigOp[] {op("retention.ms", "5", AlterConfigOp.OpType.APPEND)},
                Map.of()},
            {"set and delete the same key", false, new AlterConfigOp[] {
                op("retention.ms", "1000", AlterConfigOp.OpType.SET), op("retention.ms", null, AlterConfigOp.OpType.DELETE)},
                Map.of()},
        };
        for (Object[] s : script) {
            Object result = alter(ctx, topic, (Boolean) s[1], (AlterConfigOp[]) s[2]);
            @SuppressWarnings("unchecked")
            Map<String, String> expect = (Map<String, String>) s[3];
            Support.waitFor(3000, () -> {
                Config c = Support.get(ctx.admin().describeConfigs(List.of(res)).all()).get(res);
                for (Map.Entry<String, String> e : expect.entrySet()) {
                    ConfigEntry ce = c.get(e.getKey());
                    if (ce == null || !e.getValue().equals(ce.value() + "@" + ce.source())) {
                        return false;
                    }
                }
                return true;
            });
            Object after = outcome(() -> entries(Support.get(ctx.admin().describeConfigs(List.of(res)).all()).get(res), keys));
            steps.add(obj("step", s[0], "result", result, "after", after));
        }
        return obj(
            "steps", steps,
            "unknown_topic", alter(ctx, ctx.name("missing"), false, op("cleanup.policy", "compact", AlterConfigOp.OpType.SET)));
    }

    // ---- records and offsets ----

    static Object offsetInfo(ListOffsetsResult.ListOffsetsResultInfo i) {
        return obj("offset", i.offset(), "timestamp", i.timestamp());
    }

    static Object deleteRecords(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 2, Map.of("retention.ms", "-1"));
        ConsumerScenarios.produce(ctx, topic, 1, 10, "none");
        Admin a = ctx.admin();
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        Map<String, Object> out = obj();
        String[] names = {"delete_before_4", "delete_before_2 (below low watermark)", "delete_before_20 (beyond high watermark)",
            "delete_before_high_watermark (-1)", "empty_partition_before_0"};
        TopicPartition[] tps = {p0, p0, p0, p0, p1};
        long[] offsets = {4, 2, 20, -1, 0};
        for (int i = 0; i < names.length; i++) {
            TopicPartition tp = tps[i];
            long off = offsets[i];
            out.put(names[i], outcome(() -> Support.get(a.deleteRecords(
                Map.of(tp, RecordsToDelete.beforeOffset(off))).lowWatermarks().get(tp)).lowWatermark()));
            if (i == 0) {
                out.put("earliest_after_delete_before_4", offsetInfo(Support.get(a.listOffsets(Map.of(p0, OffsetSpec.earliest())).partitionResult(p0))));
                KafkaConsumer<byte[], byte[]> c = ctx.consumer(Map.of());
                out.put("consumer_beginningOffsets", c.beginningOffsets(List.of(p0)).get(p0));
                out.put("read_from_beginning", ConsumerScenarios.offsets(ctx.readAll(List.of(p0), 6)));
            }
        }
        out.put("offsets_at_end", obj(
            "earliest", offsetInfo(Support.get(a.listOffsets(Map.of(p0, OffsetSpec.earliest())).partitionResult(p0))),
            "latest", offsetInfo(Support.get(a.listOffsets(Map.of(p0, OffsetSpec.latest())).partitionResult(p0)))));
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of());
        out.put("produce_after", outcome(() -> Support.get(p.send(new ProducerRecord<>(topic, 0, T0, utf8("k"), utf8("v")))).offset()));
        out.put("read_after", ConsumerScenarios.offsets(ctx.readAll(List.of(p0), 1)));
        return out;
    }

    static Object listOffsets(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 2, Map.of("retention.ms", "-1"));
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 100));
        long[] ts = {T0, T0 + 5000, T0 + 3000, T0 + 4000, T0 + 2000};
        for (int i = 0; i < ts.length; i++) {
            p.send(new ProducerRecord<>(topic, 0, ts[i], utf8("k" + i), utf8("v" + i)));
            if (i == 2) {
                p.flush(); // two batches: offsets 0-2 and 3-4
            }
        }
        p.flush();
        Admin a = ctx.admin();
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        Map<String, OffsetSpec> specs = new LinkedHashMap<>();
        specs.put("earliest", OffsetSpec.earliest());
        specs.put("latest", OffsetSpec.latest());
        specs.put("maxTimestamp", OffsetSpec.maxTimestamp());
        specs.put("forTimestamp T0-1", OffsetSpec.forTimestamp(T0 - 1));
        specs.put("forTimestamp T0", OffsetSpec.forTimestamp(T0));
        specs.put("forTimestamp T0+2500", OffsetSpec.forTimestamp(T0 + 2500));
        specs.put("forTimestamp T0+4500", OffsetSpec.forTimestamp(T0 + 4500));
        specs.put("forTimestamp T0+5000", OffsetSpec.forTimestamp(T0 + 5000));
        specs.put("forTimestamp T0+5001", OffsetSpec.forTimestamp(T0 + 5001));
        Map<String, Object> out = obj();
        for (TopicPartition tp : List.of(p0, p1)) {
            Map<String, Object> per = new LinkedHashMap<>();
            for (Map.Entry<String, OffsetSpec> e : specs.entrySet()) {
                per.put(e.getKey(), outcome(() -> offsetInfo(Support.get(a.listOffsets(Map.of(tp, e.getValue())).partitionResult(tp)))));
            }
            out.put(ctx.tp(tp), per);
        }
        out.put("latest_read_committed", outcome(() -> offsetInfo(Support.get(a.listOffsets(Map.of(p0, OffsetSpec.latest()),
            new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).partitionResult(p0)))));
        Map<TopicPartition, OffsetSpec> both = new HashMap<>();
        both.put(p0, OffsetSpec.latest());
        both.put(p1, OffsetSpec.latest());
        out.put("latest_both_in_one_request", outcome(() -> Support.byTp(ctx, Support.get(a.listOffsets(both).all()), AdminScenarios::offsetInfo)));
        TopicPartition missing = new TopicPartition(ctx.name("missing"), 0);
        out.put("unknown_topic", outcome(() -> offsetInfo(Support.get(a.listOffsets(Map.of(missing, OffsetSpec.latest())).partitionResult(missing)))));
        return out;
    }

    // ---- cluster ----

    static Object describeCluster(Ctx ctx) throws Exception {
        var r = ctx.admin().describeCluster();
        List<Integer> ids = Support.nodeIds(Support.get(r.nodes()));
        ids.sort(null);
        return obj("nodes", ids, "controller", Support.nodeId(Support.get(r.controller())));
    }

    static Object describeLogDirs(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 2, Map.of());
        ConsumerScenarios.produce(ctx, topic, 1, 3, "none");
        Map<Integer, Map<String, LogDirDescription>> all = Support.get(ctx.admin().describeLogDirs(List.of(1)).allDescriptions());
        Map<String, Object> out = obj();
        out.put("brokers", new ArrayList<>(new TreeMap<>(all).keySet()));
        Map<String, LogDirDescription> dirs = all.getOrDefault(1, Map.of());
        List<Object> errors = new ArrayList<>();
        Map<String, Object> partitions = new TreeMap<>();
        int dirsWithOurs = 0;
        boolean totals = true;
        for (LogDirDescription d : dirs.values()) {
            errors.add(d.error() == null ? null : d.error().getClass().getName());
            totals &= d.totalBytes().isPresent() && d.usableBytes().isPresent();
            boolean ours = false;
            for (Map.Entry<TopicPartition, ReplicaInfo> e : d.replicaInfos().entrySet()) {
                if (e.getKey().topic().equals(topic)) {
                    ours = true;
                    ReplicaInfo ri = e.getValue();
                    partitions.put(ctx.tp(e.getKey()), obj("sizePositive", ri.size() > 0, "offsetLag", ri.offsetLag(), "isFuture", ri.isFuture()));
                }
            }
            dirsWithOurs += ours ? 1 : 0;
        }
        errors.sort(java.util.Comparator.nullsFirst(java.util.Comparator.comparing(Object::toString)));
        out.put("dir_errors", errors);
        out.put("dirs_with_our_partitions", dirsWithOurs);
        out.put("total_and_usable_bytes_reported", totals);
        out.put("partitions", partitions);
        return out;
    }

    static Object electLeaders(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 2, Map.of());
        Admin a = ctx.admin();
        Map<String, Object> out = obj();
        Set<TopicPartition> tps = Set.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
        for (ElectionType type : List.of(ElectionType.PREFERRED, ElectionType.UNCLEAN)) {
            out.put(type.name().toLowerCase(java.util.Locale.ROOT), outcome(() -> Support.byTp(ctx,
                Support.get(a.electLeaders(type, tps).partitions()),
                o -> o.isPresent() ? Support.errName(o.get()) : "ok")));
        }
        TopicPartition missing = new TopicPartition(ctx.name("missing"), 0);
        out.put("unknown_topic", outcome(() -> Support.byTp(ctx,
            Support.get(a.electLeaders(ElectionType.PREFERRED, Set.of(missing)).partitions()),
            o -> o.isPresent() ? Support.errName(o.get()) : "ok")));
        out.put("all_partitions_ours", outcome(() -> {
            Map<TopicPartition, Optional<Throwable>> m = new HashMap<>(Support.get(a.electLeaders(ElectionType.PREFERRED, null).partitions()));
            m.keySet().removeIf(tp -> !tp.topic().startsWith(ctx.name("")));
            return Support.byTp(ctx, m, o -> o.isPresent() ? Support.errName(o.get()) : "ok");
        }));
        return out;
    }

    // ---- consumer groups ----

    /** A group with committed offsets and no members (offsets committed by a consumer outside the group). */
    static void emptyGroupWithOffsets(Ctx ctx, String group, Map<TopicPartition, OffsetAndMetadata> offsets) throws Exception {
        KafkaConsumer<byte[], byte[]> c = ctx.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group));
        c.commitSync(offsets);
        c.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(java.time.Duration.ofSeconds(5)));
    }

    /** A group with one running member (range assignor) that holds every partition of the topic. */
    static GroupMember activeGroup(Ctx ctx, String group, String topic, int partitions, String instanceId) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        if (instanceId != null) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        GroupMember m = ctx.member(group, "client-" + ctx.rel(group), props);
        m.subscribe(List.of(topic), false);
        Support.require(20_000, "group " + group + " to assign", () -> m.assignment().size() == partitions);
        return m;
    }

    /** The deprecated (KIP-1043) listConsumerGroups, still what many applications call. */
    @SuppressWarnings({"deprecation", "removal"})
    static List<Object> listConsumerGroups(Ctx ctx, boolean onlyStable) throws Exception {
        org.apache.kafka.clients.admin.ListConsumerGroupsOptions opts = new org.apache.kafka.clients.admin.ListConsumerGroupsOptions();
        if (onlyStable) {
            opts = opts.inGroupStates(Set.of(GroupState.STABLE));
        }
        List<Object> out = new ArrayList<>();
        for (org.apache.kafka.clients.admin.ConsumerGroupListing l : Support.get(ctx.admin().listConsumerGroups(opts).all())) {
            if (l.groupId().startsWith(ctx.name(""))) {
                out.add(obj("groupId", ctx.rel(l.groupId()),
                    "state", l.groupState().map(Object::toString).orElse(null),
                    "type", l.type().map(Object::toString).orElse(null),
                    "isSimpleConsumerGroup", l.isSimpleConsumerGroup()));
            }
        }
        out.sort(java.util.Comparator.comparing(Object::toString));
        return out;
    }

    static List<Object> listGroups(Ctx ctx, ListGroupsOptions opts) throws Exception {
        List<Object> out = new ArrayList<>();
        for (GroupListing l : Support.get(ctx.admin().listGroups(opts).all())) {
            if (l.groupId().startsWith(ctx.name(""))) {
                out.add(obj("groupId", ctx.rel(l.groupId()), "protocol", l.protocol(),
                    "state", l.groupState().map(Object::toString).orElse(null),
                    "type", l.type().map(Object::toString).orElse(null)));
            }
        }
        out.sort(java.util.Comparator.comparing(Object::toString));
        return out;
    }

    static Object groupsListDescribe(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 2, Map.of());
        String empty = ctx.name("empty");
        String active = ctx.name("active");
        emptyGroupWithOffsets(ctx, empty, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(2)));
        activeGroup(ctx, active, topic, 2, null);
        Support.waitFor(10_000, () -> "Stable".equals(((Map<?, ?>) ConsumerScenarios.describeGroup(ctx, active)).get("state")));
        Map<String, Object> out = obj();
        out.put("listConsumerGroups", listConsumerGroups(ctx, false));
        out.put("listConsumerGroups_stable", listConsumerGroups(ctx, true));
        // listGroups(forConsumerGroups()) replaces the deprecated listConsumerGroups (KIP-1043).
        out.put("listGroups", listGroups(ctx, new ListGroupsOptions()));
        out.put("listGroups_consumer", listGroups(ctx, ListGroupsOptions.forConsumerGroups()));
        out.put("listGroups_consumer_stable", listGroups(ctx, ListGroupsOptions.forConsumerGroups().inGroupStates(Set.of(GroupState.STABLE))));
        out.put("listGroups_consumer_empty", listGroups(ctx, ListGroupsOptions.forConsumerGroups().inGroupStates(Set.of(GroupState.EMPTY))));
        Map<String, Object> described = new LinkedHashMap<>();
        for (String g : List.of(empty, active, ctx.name("missing"))) {
            described.put(ctx.rel(g), outcome(() -> ConsumerScenarios.describeGroup(ctx, g)));
        }
        out.put("describeConsumerGroups", described);
        return out;
    }

    static Object groupOffsets(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 2, Map.of());
        String empty = ctx.name("empty");
        String active = ctx.name("active");
        String fresh = ctx.name("fresh");
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        TopicPartition p7 = new TopicPartition(topic, 7);
        emptyGroupWithOffsets(ctx, empty, Map.of(p0, new OffsetAndMetadata(2, "m"), p1, new OffsetAndMetadata(3)));
        GroupMember m = activeGroup(ctx, active, topic, 2, null);
        m.withConsumer(c -> {
            c.commitSync(Map.of(p0, new OffsetAndMetadata(1)));
            return null;
        });
        Admin a = ctx.admin();
        Map<String, Object> out = obj();
        out.put("list_empty_group", outcome(() -> ConsumerScenarios.groupOffsets(ctx, empty)));
        out.put("list_active_group", outcome(() -> ConsumerScenarios.groupOffsets(ctx, active)));
        out.put("list_unknown_group", outcome(() -> ConsumerScenarios.groupOffsets(ctx, ctx.name("missing"))));
        out.put("list_given_partitions", outcome(() -> Support.byTp(ctx, Support.get(a.listConsumerGroupOffsets(
            Map.of(empty, new ListConsumerGroupOffsetsSpec().topicPartitions(List.of(p0, p7)))).partitionsToOffsetAndMetadata(empty)),
            ConsumerScenarios::oam)));
        out.put("alter_empty_group", outcome(() -> Support.get(a.alterConsumerGroupOffsets(empty,
            Map.of(p0, new OffsetAndMetadata(1, "altered"))).all())));
        out.put("alter_active_group", outcome(() -> Support.get(a.alterConsumerGroupOffsets(active,
            Map.of(p0, new OffsetAndMetadata(0))).all())));
        out.put("alter_new_group", outcome(() -> Support.get(a.alterConsumerGroupOffsets(fresh,
            Map.of(p1, new OffsetAndMetadata(0))).all())));
        out.put("after_alter", obj(
            "empty", outcome(() -> ConsumerScenarios.groupOffsets(ctx, empty)),
            "active", outcome(() -> ConsumerScenarios.groupOffsets(ctx, active)),
            "fresh", outcome(() -> ConsumerScenarios.groupOffsets(ctx, fresh))));
        out.put("delete_empty_group_p1", deleteOffsets(ctx, empty, Set.of(p1)));
        out.put("delete_active_group_p0", deleteOffsets(ctx, active, Set.of(p0)));
        out.put("delete_unknown_group", deleteOffsets(ctx, ctx.name("missing"), Set.of(p0)));
        out.put("after_delete", obj(
            "empty", outcome(() -> ConsumerScenarios.groupOffsets(ctx, empty)),
            "active", outcome(() -> ConsumerScenarios.groupOffsets(ctx, active))));
        return out;
    }

    static Object deleteOffsets(Ctx ctx, String group, Set<TopicPartition> tps) {
        DeleteConsumerGroupOffsetsResult r = ctx.admin().deleteConsumerGroupOffsets(group, tps);
        Map<String, Object> per = new TreeMap<>();
        for (TopicPartition tp : tps) {
            per.put(ctx.tp(tp), outcome(() -> Support.get(r.partitionResult(tp))));
        }
        return obj("all", outcome(() -> Support.get(r.all())), "partitions", per);
    }

    static Object deleteGroups(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of());
        String empty = ctx.name("empty");
        String active = ctx.name("active");
        String missing = ctx.name("missing");
        emptyGroupWithOffsets(ctx, empty, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(1)));
        activeGroup(ctx, active, topic, 1, null);
        DeleteConsumerGroupsResult r = ctx.admin().deleteConsumerGroups(List.of(empty, active, missing));
        Map<String, Object> out = obj();
        Map<String, Object> per = new LinkedHashMap<>();
        for (String g : List.of(empty, active, missing)) {
            per.put(ctx.rel(g), outcome(() -> Support.get(r.deletedGroups().get(g))));
        }
        out.put("delete", per);
        out.put("groups_after", listGroups(ctx, new ListGroupsOptions()));
        out.put("offsets_of_deleted_group", outcome(() -> ConsumerScenarios.groupOffsets(ctx, empty)));
        out.put("delete_again", outcome(() -> Support.get(ctx.admin().deleteConsumerGroups(List.of(empty)).all())));
        return out;
    }

    static Object removeMembers(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of());
        String group = ctx.name("g");
        GroupMember m = activeGroup(ctx, group, topic, 1, "static-1");
        m.close(); // a static member stays in the group when it closes
        Map<String, Object> out = obj();
        out.put("described_after_close", ConsumerScenarios.describeGroup(ctx, group));
        MemberToRemove known = new MemberToRemove("static-1");
        MemberToRemove unknown = new MemberToRemove("static-unknown");
        RemoveMembersFromConsumerGroupResult r = ctx.admin().removeMembersFromConsumerGroup(group,
            new RemoveMembersFromConsumerGroupOptions(List.of(known, unknown)));
        out.put("remove", obj(
            "static-1", outcome(() -> Support.get(r.memberResult(known))),
            "static-unknown", outcome(() -> Support.get(r.memberResult(unknown))),
            "all", outcome(() -> Support.get(r.all()))));
        out.put("described_after_remove", ConsumerScenarios.describeGroup(ctx, group));
        out.put("remove_all_from_empty_group", outcome(() -> Support.get(ctx.admin().removeMembersFromConsumerGroup(group,
            new RemoveMembersFromConsumerGroupOptions()).all())));
        out.put("remove_from_unknown_group", outcome(() -> Support.get(ctx.admin().removeMembersFromConsumerGroup(ctx.name("missing"),
            new RemoveMembersFromConsumerGroupOptions(List.of(known))).all())));
        return out;
    }
}
