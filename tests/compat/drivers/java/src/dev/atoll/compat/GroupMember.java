package dev.atoll.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A group member on its own thread (KafkaConsumer is single-threaded): it subscribes, polls
 * while polling is on, keeps what it received, and runs other calls on its thread on request.
 */
final class GroupMember implements AutoCloseable {
    final String name;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final BlockingQueue<FutureTask<?>> tasks = new LinkedBlockingQueue<>();
    private final List<ConsumerRecord<byte[], byte[]>> received = new ArrayList<>();
    private final AtomicInteger assignedCallbacks = new AtomicInteger();
    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile boolean polling;
    private volatile boolean commitAfterPoll;
    private volatile boolean stop;
    private volatile Throwable pollError;
    private volatile boolean leaveOnClose = true;
    private Thread thread;

    private GroupMember(String name, Map<String, Object> props) {
        this.name = name;
        this.consumer = new KafkaConsumer<>(new HashMap<>(props), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    static GroupMember start(String name, Map<String, Object> props) {
        GroupMember m = new GroupMember(name, props);
        m.thread = new Thread(m::loop, "member-" + name);
        m.thread.setDaemon(true);
        m.thread.start();
        return m;
    }

    /** Subscribes and starts polling; commitAfterPoll commits what each poll returned. */
    void subscribe(Collection<String> topics, boolean commitAfterPoll) throws Exception {
        this.commitAfterPoll = commitAfterPoll;
        call(() -> {
            consumer.subscribe(topics, new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (GroupMember.this.commitAfterPoll && !partitions.isEmpty()) {
                        try {
                            consumer.commitSync();
                        } catch (RuntimeException e) {
                            System.err.println(name + ": commit on revocation: " + e);
                        }
                    }
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    assignedCallbacks.incrementAndGet();
                }
            });
            return null;
        });
        polling = true;
    }

    void setPolling(boolean on) {
        polling = on;
    }

    /** Static members stay in the group when they close, as a crashed process would. */
    void setLeaveOnClose(boolean leave) {
        leaveOnClose = leave;
    }

    Set<TopicPartition> assignment() {
        return assignment;
    }

    int assignedCallbacks() {
        return assignedCallbacks.get();
    }

    Throwable pollError() {
        return pollError;
    }

    List<ConsumerRecord<byte[], byte[]>> received() {
        synchronized (received) {
            return new ArrayList<>(received);
        }
    }

    /** Runs f on the member's thread and returns its result (bounded). */
    <T> T call(Support.Call<T> f) throws Exception {
        FutureTask<T> t = new FutureTask<>(f::call);
        tasks.add(t);
        return Support.get(t);
    }

    <T> T withConsumer(java.util.function.Function<KafkaConsumer<byte[], byte[]>, T> f) throws Exception {
        return call(() -> f.apply(consumer));
    }

    private void loop() {
        try {
            while (!stop) {
                FutureTask<?> t = tasks.poll(polling ? 0 : 50, TimeUnit.MILLISECONDS);
                if (t != null) {
                    t.run();
                    continue;
                }
                if (!polling || stop) {
                    continue;
                }
                try {
                    ConsumerRecords<byte[], byte[]> rs = consumer.poll(Duration.ofMillis(100));
                    synchronized (received) {
                        for (ConsumerRecord<byte[], byte[]> r : rs) {
                            received.add(r);
                        }
                    }
                    assignment = Set.copyOf(consumer.assignment());
                    if (commitAfterPoll && !rs.isEmpty()) {
                        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                        for (TopicPartition tp : rs.partitions()) {
                            List<ConsumerRecord<byte[], byte[]>> prs = rs.records(tp);
                            offsets.put(tp, new OffsetAndMetadata(prs.get(prs.size() - 1).offset() + 1));
                        }
                        try {
                            consumer.commitSync(offsets);
                        } catch (RuntimeException e) {
                            System.err.println(name + ": commit after poll: " + e);
                        }
                    }
                } catch (RuntimeException e) {
                    pollError = e;
                    polling = false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                CloseOptions opts = CloseOptions.timeout(Duration.ofSeconds(5));
                if (!leaveOnClose) {
                    opts = opts.withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP);
                }
                consumer.close(opts);
            } catch (RuntimeException e) {
                System.err.println(name + ": close: " + e);
            }
        }
    }

    /** Stops polling and closes the consumer on its thread (bounded). */
    @Override
    public void close() {
        if (stop) {
            return;
        }
        stop = true;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
