package dev.outpost.edge.hardening;

import dev.outpost.edge.EdgeProcess;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Another client asking a node in its own JVM for a small cached object and /healthz in a loop
 * while an attack runs: the proof that the node kept serving others.
 */
final class OtherClient implements AutoCloseable {
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger failures = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    /** Starts asking {@code edge} for {@code path}, which must answer 200 with {@code length} bytes. */
    OtherClient(EdgeProcess edge, String path, int length) {
        thread = Thread.ofPlatform().daemon().start(() -> {
            while (running.get()) {
                try {
                    EdgeProcess.Checked r = edge.get(path);
                    boolean healthy = edge.admin("/healthz") != null;
                    if (r.status() == 200 && r.length() == length && healthy) {
                        ok.incrementAndGet();
                    } else {
                        failures.incrementAndGet();
                    }
                    Thread.sleep(50);
                } catch (IOException | RuntimeException e) {
                    failures.incrementAndGet();
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** Stops the loop and says how it went. */
    String stop() {
        running.set(false);
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ok.get() + " requests answered whole, " + failures.get() + " failed";
    }

    @Override
    public void close() {
        stop();
    }
}
