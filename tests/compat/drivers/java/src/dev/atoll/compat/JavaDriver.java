package dev.atoll.compat;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Java driver of the differential suite (tests/compat/README.md, "The driver contract"):
 *
 *   JavaDriver --bootstrap HOST:PORT --prefix PREFIX [--list] [SCENARIO ...]
 *
 * prints one JSON line per scenario on stdout; everything else goes to stderr.
 */
public final class JavaDriver {
    /** A scenario: returns its observations, or throws what it did not expect. */
    @FunctionalInterface
    interface Scenario {
        Object run(Ctx ctx) throws Exception;
    }

    /** Scenario names in the order they run. */
    static final class Registry {
        final Map<String, Scenario> scenarios = new LinkedHashMap<>();

        void add(String name, Scenario s) {
            if (scenarios.put(name, s) != null) {
                throw new IllegalStateException("duplicate scenario " + name);
            }
        }
    }

    /** A scenario that runs longer than this is reported failed and left behind. */
    private static final long SCENARIO_TIMEOUT_S = 45;

    private JavaDriver() {}

    static Registry registry() {
        Registry r = new Registry();
        ProducerScenarios.register(r);
        ConsumerScenarios.register(r);
        AdminScenarios.register(r);
        TransactionScenarios.register(r);
        StreamsScenarios.register(r);
        return r;
    }

    public static void main(String[] args) throws Exception {
        // Before any logger exists: the clients' INFO chatter is not wanted, even on stderr.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
            StandardCharsets.UTF_8);
        // Nothing but scenario lines may reach stdout.
        System.setOut(System.err);

        String bootstrap = null;
        String prefix = null;
        boolean list = false;
        List<String> names = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--bootstrap": bootstrap = ++i < args.length ? args[i] : null; break;
                case "--prefix": prefix = ++i < args.length ? args[i] : null; break;
                case "--list": list = true; break;
                default:
                    if (args[i].startsWith("--")) {
                        usage("unknown option " + args[i]);
                    }
                    names.add(args[i]);
            }
        }
        Registry reg = registry();
        if (list) {
            for (String n : reg.scenarios.keySet()) {
                out.println(n);
            }
            out.flush();
            System.exit(0);
        }
        if (bootstrap == null || prefix == null) {
            usage("--bootstrap and --prefix are required");
        }
        if (names.isEmpty()) {
            names.addAll(reg.scenarios.keySet());
        }
        for (String n : names) {
            if (!reg.scenarios.containsKey(n)) {
                usage("unknown scenario " + n);
            }
        }
        long runStart = System.nanoTime();
        for (String n : names) {
            long t0 = System.nanoTime();
            out.println(run(n, reg.scenarios.get(n), bootstrap, prefix));
            out.flush();
            System.err.printf("%s: %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
        }
        System.err.printf("all scenarios: %.1f s%n", (System.nanoTime() - runStart) / 1e9);
        // A client left behind by a timed-out scenario must not keep the JVM alive.
        System.exit(0);
    }

    private static String run(String name, Scenario s, String bootstrap, String prefix) {
        Ctx ctx = new Ctx(bootstrap, prefix, name);
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "scenario-" + name);
            t.setDaemon(true);
            return t;
        });
        Map<String, Object> line = Json.obj("scenario", name);
        try {
            Future<Object> f = ex.submit(() -> {
                try {
                    return s.run(ctx);
                } finally {
                    ctx.close();
                }
            });
            line.put("observations", f.get(SCENARIO_TIMEOUT_S, TimeUnit.SECONDS));
        } catch (TimeoutException e) {
            line.put("failed", "java.util.concurrent.TimeoutException: scenario did not finish in "
                + SCENARIO_TIMEOUT_S + " s");
            Thread closer = new Thread(ctx::close, "close-" + name);
            closer.setDaemon(true);
            closer.start();
        } catch (Throwable t) {
            Throwable u = Support.unwrap(t);
            System.err.println(name + " failed:");
            u.printStackTrace(System.err);
            line.put("failed", u.getClass().getName() + ": " + u.getMessage());
        } finally {
            ex.shutdownNow();
        }
        return Json.write(line);
    }

    private static void usage(String why) {
        System.err.println("JavaDriver: " + why);
        System.err.println("usage: JavaDriver --bootstrap HOST:PORT --prefix PREFIX [--list] [SCENARIO ...]");
        System.exit(2);
    }
}
