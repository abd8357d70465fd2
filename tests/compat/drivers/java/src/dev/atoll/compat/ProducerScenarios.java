package dev.atoll.compat;

import static dev.atoll.compat.Json.obj;
import static dev.atoll.compat.Support.utf8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Producer scenarios: acks, codecs, record shapes, and the errors a producer can meet. */
final class ProducerScenarios {
    private ProducerScenarios() {}

    /** Timestamps the scenarios set themselves (November 2023; topics keep them forever). */
    static final long T0 = 1_700_000_000_000L;

    static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};

    static void register(JavaDriver.Registry r) {
        r.add("java.producer.acks_0", c -> produceAndRead(c, "0", "none", Map.of()));
        r.add("java.producer.acks_1", c -> produceAndRead(c, "1", "none", Map.of()));
        for (String codec : CODECS) {
            r.add("java.producer.acks_all_" + codec, c -> produceAndRead(c, "all", codec, Map.of()));
        }
        r.add("java.producer.acks_1_lz4", c -> produceAndRead(c, "1", "lz4", Map.of()));
        r.add("java.producer.topic_compression_gzip",
            c -> produceAndRead(c, "all", "lz4", Map.of("compression.type", "gzip")));
        r.add("java.producer.log_append_time",
            c -> produceAndRead(c, "all", "none", Map.of("message.timestamp.type", "LogAppendTime")));
        r.add("java.producer.auto_create", ProducerScenarios::autoCreate);
        r.add("java.producer.keyed_partitioning", ProducerScenarios::keyedPartitioning);
        r.add("java.producer.record_too_large", ProducerScenarios::recordTooLarge);
        r.add("java.producer.invalid_timestamp", ProducerScenarios::invalidTimestamp);
        r.add("java.producer.unknown_partition", ProducerScenarios::unknownPartition);
        r.add("java.producer.not_enough_replicas", ProducerScenarios::notEnoughReplicas);
        r.add("java.producer.default_config", ProducerScenarios::defaultConfig);
    }

    /** Keys, a null key, a null value, empty key and value, headers, a large value, explicit and client timestamps. */
    static List<ProducerRecord<byte[], byte[]>> standardRecords(String topic, Integer partition) {
        List<Header> hs = List.of(
            new RecordHeader("h", utf8("a")),
            new RecordHeader("h", utf8("b")),
            new RecordHeader("bin", new byte[] {0, (byte) 0xff, 0x10, 0x7f}),
            new RecordHeader("empty", new byte[0]),
            new RecordHeader("nullv", (byte[]) null));
        StringBuilder big = new StringBuilder();
        for (int i = 0; big.length() < 10_000; i++) {
            big.append("record-").append(i).append(';');
        }
        List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
        rs.add(new ProducerRecord<>(topic, partition, T0, utf8("k0"), utf8("v0")));
        rs.add(new ProducerRecord<>(topic, partition, T0 + 1, null, utf8("v1-null-key")));
        rs.add(new ProducerRecord<>(topic, partition, T0 + 2, utf8("k2-null-value"), (byte[]) null));
        rs.add(new ProducerRecord<>(topic, partition, T0 + 3, utf8("k3"), utf8("v3-headers"), hs));
        rs.add(new ProducerRecord<>(topic, partition, T0 + 4, utf8(""), utf8("")));
        rs.add(new ProducerRecord<>(topic, partition, T0 + 5, utf8("k5"), utf8(big.toString())));
        rs.add(new ProducerRecord<>(topic, partition, null, utf8("k6"), utf8("v6-client-clock")));
        rs.add(new ProducerRecord<>(topic, partition, T0 - 1000, utf8("k7"), utf8("v7-older-timestamp")));
        return rs;
    }

    static Object metadata(Ctx ctx, RecordMetadata m) {
        return obj(
            "partition", m.partition(),
            "offset", m.offset(),
            "hasOffset", m.hasOffset(),
            "timestamp", ctx.timestamp(m.timestamp()),
            "serializedKeySize", m.serializedKeySize(),
            "serializedValueSize", m.serializedValueSize());
    }

    /** Sends all records, then reports each send's metadata or exception class, in send order. */
    static List<Object> sendAll(Ctx ctx, KafkaProducer<byte[], byte[]> p, List<ProducerRecord<byte[], byte[]>> rs) {
        List<Object> sends = new ArrayList<>();
        List<Future<RecordMetadata>> fs = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : rs) {
            try {
                fs.add(p.send(r));
            } catch (Exception e) {
                fs.add(null);
                sends.add(obj("thrownBySend", Support.errName(e)));
            }
        }
        p.flush();
        int i = 0;
        List<Object> out = new ArrayList<>();
        for (Future<RecordMetadata> f : fs) {
            if (f == null) {
                out.add(sends.get(i++));
                continue;
            }
            out.add(Support.outcome(() -> metadata(ctx, Support.get(f))));
        }
        return out;
    }

    static Object produceAndRead(Ctx ctx, String acks, String codec, Map<String, String> topicConfigs) throws Exception {
        String topic = ctx.name("t");
        Map<String, String> cfg = new HashMap<>(topicConfigs);
        cfg.put("retention.ms", "-1");
        ctx.createTopic(topic, 1, cfg);
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of(
            ProducerConfig.ACKS_CONFIG, acks,
            ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
            ProducerConfig.LINGER_MS_CONFIG, 50));
        List<ProducerRecord<byte[], byte[]>> rs = standardRecords(topic, 0);
        List<Object> sends = sendAll(ctx, p, rs);
        return obj(
            "sends", sends,
            "records", Support.records(ctx, ctx.readAll(topic, 1, rs.size())));
    }

    /** A topic that only a producer's metadata request creates (num.partitions=1 on both brokers). */
    static Object autoCreate(Ctx ctx) throws Exception {
        String topic = ctx.name("auto");
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of());
        List<Object> sends = sendAll(ctx, p, List.of(
            new ProducerRecord<>(topic, null, T0, utf8("a"), utf8("1")),
            new ProducerRecord<>(topic, null, T0 + 1, utf8("b"), utf8("2"))));
        return obj(
            "sends", sends,
            "partitionsFor", p.partitionsFor(topic).size(),
            "records", Support.records(ctx, ctx.readAll(topic, 1, 2)));
    }

    /** The default partitioner hashes keys (murmur2); the broker only has to keep the records. */
    static Object keyedPartitioning(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 4, Map.of("retention.ms", "-1"));
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of());
        List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            rs.add(new ProducerRecord<>(topic, null, T0 + i, utf8("key-" + i), utf8("value-" + i)));
        }
        List<Object> sends = sendAll(ctx, p, rs);
        return obj(
            "sends", sends,
            "records", Support.records(ctx, ctx.readAll(topic, 4, rs.size())));
    }

    static Object recordTooLarge(Ctx ctx) throws Exception {
        String small = ctx.name("small");
        String dflt = ctx.name("default");
        ctx.createTopic(small, 1, Map.of("max.message.bytes", "1024"));
        ctx.createTopic(dflt, 1, Map.of());
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of(
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024,
            ProducerConfig.BATCH_SIZE_CONFIG, 16384,
            ProducerConfig.LINGER_MS_CONFIG, 0));
        Map<String, Object> out = obj();
        out.put("over_topic_limit", sendAll(ctx, p, List.of(
            new ProducerRecord<>(small, 0, T0, utf8("big"), new byte[2000]))));
        out.put("under_topic_limit", sendAll(ctx, p, List.of(
            new ProducerRecord<>(small, 0, T0, utf8("ok"), new byte[100]))));
        out.put("over_broker_default", sendAll(ctx, p, List.of(
            new ProducerRecord<>(dflt, 0, T0, utf8("big"), new byte[1_100_000]))));
        out.put("under_broker_default", sendAll(ctx, p, List.of(
            new ProducerRecord<>(dflt, 0, T0, utf8("ok"), new byte[900_000]))));
        KafkaProducer<byte[], byte[]> strict = ctx.producer(Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1000));
        out.put("over_max_request_size", sendAll(ctx, strict, List.of(
            new ProducerRecord<>(small, 0, T0, utf8("big"), new byte[2000]))));
        out.put("small_topic_records", Support.records(ctx, ctx.readAll(small, 1, 1)));
        return out;
    }

    static Object invalidTimestamp(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of(
            "message.timestamp.after.max.ms", "60000",
            "message.timestamp.before.max.ms", "3600000"));
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 0));
        long now = System.currentTimeMillis();
        Map<String, Object> out = obj();
        out.put("two_hours_ahead", sendAll(ctx, p, List.of(
            new ProducerRecord<>(topic, 0, now + 7_200_000L, utf8("future"), utf8("x")))));
        out.put("two_hours_behind", sendAll(ctx, p, List.of(
            new ProducerRecord<>(topic, 0, now - 7_200_000L, utf8("past"), utf8("x")))));
        out.put("client_clock", sendAll(ctx, p, List.of(
            new ProducerRecord<>(topic, 0, null, utf8("now"), utf8("x")))));
        out.put("records", Support.records(ctx, ctx.readAll(topic, 1, 1)));
        return out;
    }

    static Object unknownPartition(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of());
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1500));
        return obj(
            "partition_3_of_1", sendAll(ctx, p, List.of(new ProducerRecord<>(topic, 3, T0, utf8("k"), utf8("v")))),
            "partition_0_of_1", sendAll(ctx, p, List.of(new ProducerRecord<>(topic, 0, T0, utf8("k"), utf8("v")))));
    }

    /** min.insync.replicas=2 on a one-replica topic: acks=all is refused, acks=1 is not. */
    static Object notEnoughReplicas(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        Object created = Support.outcome(() -> {
            ctx.createTopic(topic, 1, Map.of("min.insync.replicas", "2"));
            return null;
        });
        if (!"ok".equals(created)) {
            return obj("create_topic", created);
        }
        KafkaProducer<byte[], byte[]> all = ctx.producer(Map.of(ProducerConfig.RETRIES_CONFIG, 0));
        KafkaProducer<byte[], byte[]> one = ctx.producer(Map.of(ProducerConfig.RETRIES_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "1"));
        return obj(
            "create_topic", created,
            "acks_all", sendAll(ctx, all, List.of(new ProducerRecord<>(topic, 0, T0, utf8("k"), utf8("all")))),
            "acks_1", sendAll(ctx, one, List.of(new ProducerRecord<>(topic, 0, T0, utf8("k"), utf8("one")))),
            "records", Support.records(ctx, ctx.readAll(topic, 1, 1)));
    }

    /** The producer's defaults: idempotence (InitProducerId) and acks=all. */
    static Object defaultConfig(Ctx ctx) throws Exception {
        String topic = ctx.name("t");
        ctx.createTopic(topic, 1, Map.of());
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ctx.bootstrap);
        KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        ctx.track(() -> p.close(Duration.ofSeconds(2)));
        List<Object> sends = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, 0, T0 + i, utf8("k" + i), utf8("v" + i));
            sends.add(Support.outcome(() -> metadata(ctx, p.send(r).get(10, TimeUnit.SECONDS))));
        }
        int delivered = 0;
        for (Object o : sends) {
            delivered += o instanceof Map && ((Map<?, ?>) o).containsKey("error") ? 0 : 1;
        }
        return obj(
            "sends", sends,
            "records", Support.records(ctx, ctx.readAll(topic, 1, delivered)));
    }
}
