package dev.outpost.edge.origin;

import dev.outpost.config.OriginConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One server's runtime state, kept across config versions while the server stays in its
 * pool: requests in flight, active health (fall/rise), passive ejection (consecutive failures
 * and error rate over a window of recent requests, ejection time doubling per ejection) and
 * its meters.
 *
 * <p>Ejection decays: a server that stayed in for {@code max-time} since its last readmission
 * starts again at {@code base-time}.
 */
final class Server {

    final String key;
    /** {@code scheme://host:port}, the server label in meters, logs and responses. */
    final String label;
    final AtomicInteger active = new AtomicInteger();

    private final InstantSource clock;
    private final MeterRegistry registry;
    private final PoolKind kind;
    private final String pool;
    private final List<Meter> meters = new CopyOnWriteArrayList<>();
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Counter ejections;
    private final Counter checksPassed;
    private final Counter checksFailed;
    private final Timer latency;

    // active health checks
    private volatile boolean healthy = true;
    private boolean checksEnabled;
    private int passesInRow;
    private int failuresInRow;
    private long nextCheckAt;
    private boolean checkInFlight;

    // passive ejection
    private volatile long ejectedUntil;
    private long readmittedAt = Long.MIN_VALUE;
    private int level;
    private int consecutive;
    private boolean[] window = new boolean[0];
    private int windowNext;
    private int windowCount;
    private int windowErrors;

    Server(String key, String label, PoolKind kind, String pool, InstantSource clock, MeterRegistry registry) {
        this.key = key;
        this.label = label;
        this.kind = kind;
        this.pool = pool;
        this.clock = clock;
        this.registry = registry;
        Tags tags = kind.tags(pool, label);
        meters.add(Gauge.builder(kind.meter("up"), this, s -> s.up(s.clock.millis()) ? 1 : 0).tags(tags)
                .description("1 when the server takes requests (healthy and not ejected), else 0").register(registry));
        ejections = register(Counter.builder(kind.meter("ejections")).tags(tags)
                .description("Times the server was ejected for failing live requests").register(registry));
        checksPassed = register(Counter.builder(kind.meter("health.checks")).tags(tags).tag("result", "pass")
                .description("Active health checks by result").register(registry));
        checksFailed = register(Counter.builder(kind.meter("health.checks")).tags(tags).tag("result", "fail")
                .description("Active health checks by result").register(registry));
        latency = register(Timer.builder(kind.meter("duration")).tags(tags)
                .description("Time from request to response head, per server")
                .publishPercentiles(0.5, 0.9, 0.99)
                .register(registry));
    }

    private <M extends Meter> M register(M meter) {
        meters.add(meter);
        return meter;
    }

    String pool() {
        return pool;
    }

    /** Takes requests: healthy by its checks and not ejected. */
    boolean up(long now) {
        return healthy && !ejected(now);
    }

    boolean healthy() {
        return healthy;
    }

    boolean ejected(long now) {
        long until = ejectedUntil;
        return until != 0 && now < until;
    }

    /** Takes a connection slot unless the server is at its limit (0: no limit). */
    boolean acquire(int maxConnections) {
        if (maxConnections <= 0) {
            active.incrementAndGet();
            return true;
        }
        while (true) {
            int n = active.get();
            if (n >= maxConnections) {
                return false;
            }
            if (active.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        active.decrementAndGet();
    }

    // ---------------------------------------------------------------- live traffic

    /** Records one exchange's head: status (or -1 for no response) and its latency. */
    void recordResponse(int status, long nanos) {
        requests.computeIfAbsent(status < 0 ? "error" : Integer.toString(status), s -> register(
                Counter.builder(kind.meter("requests")).tags(kind.tags(pool, label)).tag("status", s)
                        .description("Requests sent to the server, by response status (error: no response)")
                        .register(registry))).increment();
        if (nanos >= 0) {
            latency.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Counts one outcome of live traffic against the server and ejects it when a threshold is
     * crossed, unless {@code mayEject} is false (it is the last server of its pool that is up:
     * a pool never ejects all its servers). Outcomes arriving while it is ejected are ignored.
     *
     * @return true when this outcome ejected the server
     */
    synchronized boolean recordOutcome(boolean failure, long now, OriginConfig.Ejection e, boolean mayEject) {
        readmitIfDue(now);
        if (ejected(now)) {
            return false;
        }
        consecutive = failure ? consecutive + 1 : 0;
        int size = e.minRequests();
        if (window.length != size) {
            window = new boolean[size];
            windowNext = 0;
            windowCount = 0;
            windowErrors = 0;
        }
        if (windowCount == size && window[windowNext]) {
            windowErrors--;
        }
        window[windowNext] = failure;
        windowNext = (windowNext + 1) % size;
        windowCount = Math.min(size, windowCount + 1);
        if (failure) {
            windowErrors++;
        }
        boolean byRate = windowCount == size && (double) windowErrors / size > e.errorRate();
        if (failure && mayEject && (consecutive >= e.consecutiveFailures() || byRate)) {
            eject(now, e);
            return true;
        }
        return false;
    }

    private void eject(long now, OriginConfig.Ejection e) {
        if (level > 0 && readmittedAt != Long.MIN_VALUE && now - readmittedAt >= e.maxTime().toMillis()) {
            level = 0;
        }
        long millis = e.baseTime().toMillis() << Math.min(level, 30);
        millis = Math.min(millis <= 0 ? Long.MAX_VALUE : millis, e.maxTime().toMillis());
        level++;
        ejectedUntil = now + Math.max(1, millis);
        ejections.increment();
        resetCounts();
    }

    /** How long the current (or last) ejection lasts from now; zero when not ejected. */
    Duration ejectedFor(long now) {
        return ejected(now) ? Duration.ofMillis(ejectedUntil - now) : Duration.ZERO;
    }

    private void readmitIfDue(long now) {
        if (ejectedUntil != 0 && now >= ejectedUntil) {
            ejectedUntil = 0;
            readmittedAt = now;
            resetCounts();
        }
    }

    private void resetCounts() {
        consecutive = 0;
        windowNext = 0;
        windowCount = 0;
        windowErrors = 0;
    }

    // ---------------------------------------------------------------- active health checks

    /** Claims the next check if one is due (none in flight, interval passed). */
    synchronized boolean checkDue(long now, Duration interval) {
        if (checkInFlight || now < nextCheckAt) {
            return false;
        }
        checkInFlight = true;
        nextCheckAt = now + interval.toMillis();
        return true;
    }

    /** Counts a finished check: down after {@code fall} failures in a row, up after {@code rise} passes. */
    synchronized void checked(boolean passed, int fall, int rise) {
        checkInFlight = false;
        if (!checksEnabled) {
            return; // checks were turned off while this one ran
        }
        if (passed) {
            checksPassed.increment();
            failuresInRow = 0;
            passesInRow++;
            if (!healthy && passesInRow >= rise) {
                healthy = true;
            }
        } else {
            checksFailed.increment();
            passesInRow = 0;
            failuresInRow++;
            if (healthy && failuresInRow >= fall) {
                healthy = false;
            }
        }
    }

    /** Health checks were turned off for the server's pool: it is healthy again. */
    synchronized void checksOff() {
        checksEnabled = false;
        healthy = true;
        passesInRow = 0;
        failuresInRow = 0;
        nextCheckAt = 0;
    }

    /** Health checks apply to the server (its pool has them). */
    synchronized void checksOn() {
        checksEnabled = true;
    }

    /** Removes the server's meters (it left its pool). */
    void unregister() {
        for (Meter m : meters) {
            registry.remove(m);
        }
    }
}
