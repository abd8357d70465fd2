package dev.atoll.compat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/** Shared helpers: outcomes, exceptions by class, bytes and records as JSON values, bounded waits. */
final class Support {
    private Support() {}

    /** How long one client call may take before the scenario gives up on it. */
    static final long CALL_TIMEOUT_S = 20;

    @FunctionalInterface
    interface Call<T> {
        T call() throws Exception;
    }

    /** The exception a user would look at: ExecutionException and CompletionException unwrapped. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static String errName(Throwable t) {
        return unwrap(t).getClass().getName();
    }

    /** The call's value, or {"error": class} when it threw. */
    static Object outcome(Call<?> c) {
        try {
            Object v = c.call();
            return v == null ? "ok" : v;
        } catch (Throwable t) {
            return Json.obj("error", errName(t));
        }
    }

    /** A KafkaFuture's value within the call timeout. */
    static <T> T get(KafkaFuture<T> f) throws Exception {
        return f.get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    }

    static <T> T get(java.util.concurrent.Future<T> f) throws Exception {
        return f.get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** Polls cond every 50 ms until it holds or timeoutMs passes; returns whether it held. */
    static boolean waitFor(long timeoutMs, Call<Boolean> cond) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            if (Boolean.TRUE.equals(cond.call())) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
    }

    /** Like waitFor, but a condition that never holds is the scenario's failure. */
    static void require(long timeoutMs, String what, Call<Boolean> cond) throws Exception {
        if (!waitFor(timeoutMs, cond)) {
            throw new IllegalStateException("timed out after " + timeoutMs + " ms waiting for " + what);
        }
    }

    static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Printable ASCII as itself, short binary as "hex:..", long values as their length and CRC-32. */
    static Object bytes(byte[] b) {
        if (b == null) {
            return null;
        }
        if (b.length > 64) {
            CRC32 crc = new CRC32();
            crc.update(b);
            return String.format("len:%d,crc32:%08x", b.length, crc.getValue());
        }
        boolean printable = true;
        for (byte x : b) {
            if (x < 0x20 || x > 0x7e) {
                printable = false;
                break;
            }
        }
        if (printable) {
            return new String(b, StandardCharsets.US_ASCII);
        }
        StringBuilder sb = new StringBuilder("hex:");
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    static List<Object> headers(Iterable<Header> hs) {
        List<Object> out = new ArrayList<>();
        for (Header h : hs) {
            out.add(Json.list(h.key(), bytes(h.value())));
        }
        return out;
    }

    static Object record(Ctx ctx, ConsumerRecord<byte[], byte[]> r) {
        return Json.obj(
            "partition", r.partition(),
            "offset", r.offset(),
            "key", bytes(r.key()),
            "value", bytes(r.value()),
            "headers", headers(r.headers()),
            "timestamp", ctx.timestamp(r.timestamp()),
            "timestampType", r.timestampType().name);
    }

    static List<Object> records(Ctx ctx, Collection<ConsumerRecord<byte[], byte[]>> rs) {
        List<ConsumerRecord<byte[], byte[]>> sorted = new ArrayList<>(rs);
        sorted.sort(Comparator.<ConsumerRecord<byte[], byte[]>, String>comparing(ConsumerRecord::topic)
            .thenComparingInt(ConsumerRecord::partition).thenComparingLong(ConsumerRecord::offset));
        List<Object> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : sorted) {
            out.add(record(ctx, r));
        }
        return out;
    }

    static int nodeId(Node n) {
        return n == null ? -1 : n.id();
    }

    static List<Integer> nodeIds(Collection<Node> ns) {
        List<Integer> out = new ArrayList<>();
        if (ns != null) {
            for (Node n : ns) {
                out.add(n.id());
            }
        }
        return out;
    }

    /** Topic partitions as sorted "topic-partition" strings, topics named without the run's prefix. */
    static List<String> tps(Ctx ctx, Collection<TopicPartition> tps) {
        List<TopicPartition> sorted = new ArrayList<>(tps);
        sorted.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        List<String> out = new ArrayList<>();
        for (TopicPartition tp : sorted) {
            out.add(ctx.tp(tp));
        }
        return out;
    }

    /** A map keyed by topic partition, as a sorted JSON object. */
    static <V> Map<String, Object> byTp(Ctx ctx, Map<TopicPartition, V> m, java.util.function.Function<V, Object> f) {
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<TopicPartition, V> e : m.entrySet()) {
            out.put(ctx.tp(e.getKey()), f.apply(e.getValue()));
        }
        return out;
    }
}
