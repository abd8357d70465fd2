package dev.atoll.compat;

import static dev.atoll.compat.Json.obj;
import static dev.atoll.compat.Support.utf8;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;

/** A Kafka Streams application with exactly-once processing (exactly_once_v2). */
final class StreamsScenarios {
    private StreamsScenarios() {}

    static void register(JavaDriver.Registry r) {
        r.add("java.streams.exactly_once_v2", StreamsScenarios::exactlyOnce);
    }

    /**
     * Maps every record of an input topic to an output topic and counts them by key (a state
     * store with its changelog); the committed output holds each input record once, and the
     * last count of each key is its number of records.
     */
    static Object exactlyOnce(Ctx ctx) throws Exception {
        String in = ctx.name("in");
        String mapped = ctx.name("mapped");
        String counts = ctx.name("counts");
        ctx.createTopic(in, 2, Map.of());
        ctx.createTopic(mapped, 2, Map.of());
        ctx.createTopic(counts, 2, Map.of());
        KafkaProducer<byte[], byte[]> p = ctx.producer(Map.of());
        for (int i = 0; i < 40; i++) {
            p.send(new ProducerRecord<>(in, i % 2, ProducerScenarios.T0, utf8("k" + (i % 2 + 2 * (i % 5))),
                utf8("v" + i)));
        }
        p.flush();
        StreamsBuilder b = new StreamsBuilder();
        KStream<String, String> s = b.stream(in);
        s.mapValues(v -> "s-" + v).to(mapped);
        s.groupByKey().count().toStream().mapValues(String::valueOf)
            .to(counts, Produced.with(Serdes.String(), Serdes.String()));
        Path stateDir = Files.createTempDirectory("atoll-streams-");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, ctx.name("app"));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, ctx.bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_PROTOCOL_CONFIG), "classic");
        KafkaStreams streams = new KafkaStreams(b.build(), props);
        ctx.track(() -> {
            streams.close(Duration.ofSeconds(10));
            streams.cleanUp();
        });
        streams.start();
        Map<String, Object> committedOnly = Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = List.of();
        Map<String, String> lastCount = new TreeMap<>();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            out = ctx.readAll(TransactionScenarios.partitions(mapped, 2), 40, committedOnly);
            lastCount.clear();
            for (ConsumerRecord<byte[], byte[]> r : ctx.readAll(TransactionScenarios.partitions(counts, 2), 0,
                    committedOnly)) {
                lastCount.put(new String(r.key(), StandardCharsets.UTF_8), new String(r.value(), StandardCharsets.UTF_8));
            }
            int total = lastCount.values().stream().mapToInt(Integer::parseInt).sum();
            if (out.size() >= 40 && total >= 40) {
                break;
            }
        }
        return obj(
            "state", streams.state().toString(),
            "mapped", TransactionScenarios.values(out),
            "last_counts", lastCount);
    }
}
