package dev.atoll.compat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One scenario's run: its names (all under PREFIX + the scenario's name), its clients, which
 * it closes when the scenario ends, and the normalisation of what comes from clocks.
 */
final class Ctx implements AutoCloseable {
    final String bootstrap;
    final String prefix;
    final String scenario;
    /** Wall-clock time the scenario started, to recognise timestamps the clients' clock set. */
    final long startMillis = System.currentTimeMillis();
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private Admin admin;

    Ctx(String bootstrap, String prefix, String scenario) {
        this.bootstrap = bootstrap;
        this.prefix = prefix;
        this.scenario = scenario;
    }

    /** PREFIX + scenario name with dots as dashes, then "-suffix" when there is one. */
    String name(String suffix) {
        String base = prefix + scenario.replace('.', '-');
        return suffix.isEmpty() ? base : base + "-" + suffix;
    }

    /** A topic or group name as observed: without the run's prefix, which may differ between runs. */
    String rel(String name) {
        return name != null && name.startsWith(prefix) ? name.substring(prefix.length()) : name;
    }

    String tp(TopicPartition tp) {
        return rel(tp.topic()) + "-" + tp.partition();
    }

    /** Timestamps from a clock (the client's or the broker's) read "now"; those the scenario set stay. */
    Object timestamp(long ts) {
        if (ts >= startMillis - 120_000 && ts <= System.currentTimeMillis() + 120_000) {
            return "now";
        }
        return ts;
    }

    synchronized <T extends AutoCloseable> T track(T c) {
        closeables.push(c);
        return c;
    }

    synchronized Admin admin() {
        if (admin == null) {
            Map<String, Object> p = new HashMap<>();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
            Admin a = Admin.create(p);
            track(() -> a.close(Duration.ofSeconds(5)));
            admin = a;
        }
        return admin;
    }

    /** Producer settings the scenarios start from: the client's own defaults otherwise (idempotent with acks=all). */
    Map<String, Object> producerProps() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        return p;
    }

    KafkaProducer<byte[], byte[]> producer(Map<String, Object> overrides) {
        Map<String, Object> p = producerProps();
        p.putAll(overrides);
        return rawProducer(p);
    }

    KafkaProducer<byte[], byte[]> rawProducer(Map<String, Object> props) {
        KafkaProducer<byte[], byte[]> pr = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        track(() -> pr.close(Duration.ofSeconds(5)));
        return pr;
    }

    Map<String, Object> consumerProps() {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 20_000);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        return p;
    }

    /** A consumer; overrides whose value is null remove the setting. */
    KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> overrides) {
        Map<String, Object> p = consumerProps();
        for (Map.Entry<String, Object> e : overrides.entrySet()) {
            if (e.getValue() == null) {
                p.remove(e.getKey());
            } else {
                p.put(e.getKey(), e.getValue());
            }
        }
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        track(() -> c.close(CloseOptions.timeout(Duration.ofSeconds(5))));
        return c;
    }

    GroupMember member(String group, String clientId, Map<String, Object> overrides) {
        Map<String, Object> p = consumerProps();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.putAll(overrides);
        return track(GroupMember.start(clientId, p));
    }

    /** Creates a topic (1 replica) and waits until every partition has a leader. */
    void createTopic(String topic, int partitions, Map<String, String> configs) throws Exception {
        NewTopic nt = new NewTopic(topic, partitions, (short) 1).configs(configs);
        Support.get(admin().createTopics(List.of(nt)).all());
        awaitTopic(topic, partitions);
    }

    void awaitTopic(String topic, int partitions) throws Exception {
        Support.require(15_000, "topic " + topic + " to have leaders", () -> {
            try {
                TopicDescription d = Support.get(admin().describeTopics(List.of(topic)).allTopicNames()).get(topic);
                if (d.partitions().size() != partitions) {
                    return false;
                }
                for (TopicPartitionInfo p : d.partitions()) {
                    if (p.leader() == null || p.leader().id() < 0) {
                        return false;
                    }
                }
                return true;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /**
     * Reads partitions 0..n-1 of a topic from the beginning, without a group, until at least
     * `expected` records arrived and the consumer stands at the end offsets.
     */
    List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int partitions, int expected) throws Exception {
        List<TopicPartition> tps = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            tps.add(new TopicPartition(topic, i));
        }
        return readAll(tps, expected);
    }

    List<ConsumerRecord<byte[], byte[]>> readAll(Collection<TopicPartition> tps, int expected) throws Exception {
        return readAll(tps, expected, Map.of());
    }

    /** The same with consumer settings of the caller's (isolation.level=read_committed). */
    List<ConsumerRecord<byte[], byte[]>> readAll(Collection<TopicPartition> tps, int expected,
                                                 Map<String, Object> overrides) throws Exception {
        KafkaConsumer<byte[], byte[]> c = consumer(overrides);
        c.assign(tps);
        c.seekToBeginning(tps);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long start = System.nanoTime();
        long deadline = start + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(100));
            for (ConsumerRecord<byte[], byte[]> r : rs) {
                out.add(r);
            }
            if (rs.isEmpty() && atEnd(c, Set.copyOf(tps))) {
                // Fewer than expected at the end: records sent with acks=0 may still be on their
                // way; after 3 s what is there is what there is.
                if (out.size() >= expected || System.nanoTime() - start > 3_000_000_000L) {
                    break;
                }
            }
        }
        c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        return out;
    }

    private static boolean atEnd(KafkaConsumer<byte[], byte[]> c, Set<TopicPartition> tps) {
        Map<TopicPartition, Long> end = c.endOffsets(tps);
        for (TopicPartition tp : tps) {
            if (c.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }

    /** Closes the scenario's clients, newest first; a client that fails to close is skipped. */
    @Override
    public synchronized void close() {
        while (!closeables.isEmpty()) {
            AutoCloseable c = closeables.pop();
            try {
                c.close();
            } catch (Throwable t) {
                System.err.println(scenario + ": closing a client: " + t);
            }
        }
        admin = null;
    }
}
