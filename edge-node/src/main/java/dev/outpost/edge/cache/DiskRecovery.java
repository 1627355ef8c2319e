package dev.outpost.edge.cache;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a disk tier that failed a write tries again, and whether the filesystem takes writes.
 * A failure pauses disk writes; when the pause is over an attempt is due: the filesystem must
 * take a real write (a probe file of {@link #PROBE_BYTES}, synced, then deleted) before the
 * database is tried, so a full or read-only disk costs one small file per attempt, not a
 * database reopen. Each failed attempt doubles the pause, from {@link #BASE_MS} up to
 * {@link #MAX_MS}; a success ends it. Time is the node's clock.
 *
 * <p>Counts {@code outpost_cache_disk_recoveries_total} and shows {@code outpost_cache_disk_up}
 * (0 while failing).
 *
 * <p>Lock discipline: its state is guarded by this object's monitor, which every method but the
 * probe holds and under which no other lock is taken; the tier asks from request threads
 * ({@link #failing}) while the evictor's thread runs the attempts.
 */
final class DiskRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(DiskRecovery.class);
    static final long BASE_MS = 5_000;
    static final long MAX_MS = 60_000;
    static final int PROBE_BYTES = 64 * 1024;

    private final Path dir;
    private final InstantSource clock;
    private final Counter recoveries;
    @GuardedBy("this")
    private boolean failing;
    @GuardedBy("this")
    private int attempts;
    @GuardedBy("this")
    private long nextAttemptAt;
    @GuardedBy("this")
    private String lastError;

    DiskRecovery(Path dir, InstantSource clock, MeterRegistry registry) {
        this.dir = dir;
        this.clock = clock;
        this.recoveries = Counter.builder("outpost.cache.disk.recoveries")
                .description("Times the disk tier took writes again after failing").register(registry);
    }

    /** Registers {@code outpost_cache_disk_up}; once the tier is open (a tier that failed to open must not hold it). */
    void registerGauge(MeterRegistry registry) {
        Gauge.builder("outpost.cache.disk.up", this, r -> r.failing() ? 0 : 1)
                .description("1 while the disk tier takes writes, 0 while it is failing and retrying").register(registry);
    }

    synchronized boolean failing() {
        return failing;
    }

    /** A write failed: the tier is failing until an attempt succeeds; returns the pause before the next one. */
    synchronized long failed(String error) {
        lastError = error;
        if (!failing) {
            failing = true;
            attempts = 0;
            nextAttemptAt = clock.millis() + BASE_MS;
        }
        return Math.max(0, nextAttemptAt - clock.millis());
    }

    /** Whether a recovery attempt is due now. */
    synchronized boolean due() {
        return failing && clock.millis() >= nextAttemptAt;
    }

    /** An attempt failed: the next one waits twice as long (up to the maximum); returns that wait. */
    synchronized long stillFailing(String error) {
        lastError = error;
        attempts++;
        long wait = Math.min(MAX_MS, BASE_MS << Math.min(attempts, 16));
        nextAttemptAt = clock.millis() + wait;
        LOG.warn("disk tier still failing ({}); next attempt in {} ms", error, wait);
        return wait;
    }

    /** An attempt succeeded: disk writes resume. */
    synchronized void recovered() {
        failing = false;
        attempts = 0;
        recoveries.increment();
        LOG.info("disk tier takes writes again (last error: {})", lastError);
    }

    /** State for /healthz. */
    synchronized void describe(Map<String, Object> into) {
        if (lastError != null) {
            into.put("last-error", lastError);
        }
        if (failing) {
            into.put("next-attempt-in-ms", Math.max(0, nextAttemptAt - clock.millis()));
        }
        into.put("recoveries", (long) recoveries.count());
    }

    /** Writes, syncs and deletes a probe file in the tier's directory; null when that worked, else why not. */
    String probeFilesystem() {
        Path probe = dir.resolve("write-probe.tmp");
        try {
            try (FileChannel c = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.allocate(PROBE_BYTES);
                while (b.hasRemaining()) {
                    c.write(b);
                }
                c.force(true);
            }
            Files.delete(probe);
            return null;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // the filesystem refuses that too
            }
            return "filesystem refuses writes: " + e;
        }
    }
}
