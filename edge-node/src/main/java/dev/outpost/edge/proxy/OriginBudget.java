package dev.outpost.edge.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;

/**
 * Body bytes pulled from upstream on behalf of each client address, counted over a fixed window
 * ({@code limits.origin-bytes-per-client} per {@code limits.origin-bytes-window}). A request is
 * cheap for a client and a miss can be costly for the origin (a HEAD or a one-byte range that
 * makes the node fetch a whole object, each with a new query string): once a client's bytes in
 * the window pass the cap, its requests that need upstream are refused with 429 until the window
 * ends, while its hits are still served. The bytes of a fill are charged to the client whose
 * request started it; clients that wait on that fill are charged nothing.
 *
 * <p>Counters are keyed by client address, so they are bounded in bytes
 * ({@code limits.origin-bytes-memory}) like the node's other per-client maps; one evicted past
 * the bound is counted in {@code outpost_state_evictions_total{map="origin-bytes"}} and its
 * client starts again from zero. Refusals: {@code outpost_origin_bytes_refused_total}.
 */
final class OriginBudget {

    private final long perClient;
    private final long windowMillis;
    private final InstantSource clock;
    private final Cache<String, Account> accounts;
    private final Counter refused;

    OriginBudget(long perClient, Duration window, long maxBytes, InstantSource clock, MeterRegistry registry) {
        this.perClient = perClient;
        this.windowMillis = Math.max(1, window.toMillis());
        this.clock = clock;
        Counter evictions = StateMetrics.evictions(registry, "origin-bytes");
        this.accounts = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String k, Account a) -> StateKeys.weight(k))
                .expireAfterAccess(windowMillis, TimeUnit.MILLISECONDS)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .removalListener((String k, Account a, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                })
                .build();
        StateMetrics.bytes(registry, "origin-bytes", accounts);
        this.refused = Counter.builder("outpost.origin.bytes.refused")
                .description("Requests refused (429) because their client pulled more than limits.origin-bytes-per-client"
                        + " from upstream in the window")
                .register(registry);
    }

    /** Whether the cap is on at all. */
    boolean enabled() {
        return perClient > 0;
    }

    /**
     * Milliseconds until {@code clientIp} may cause upstream fetches again; 0 when it may now.
     * A refusal is counted.
     */
    long refusedFor(String clientIp) {
        if (perClient <= 0) {
            return 0;
        }
        Account a = accounts.getIfPresent(StateKeys.compact(clientIp));
        if (a == null) {
            return 0;
        }
        long wait = a.overFor(perClient, clock.millis());
        if (wait > 0) {
            refused.increment();
        }
        return wait;
    }

    /** The account that upstream bytes fetched for {@code clientIp} are charged to; null when the cap is off. */
    Account account(String clientIp) {
        if (perClient <= 0) {
            return null;
        }
        return accounts.get(StateKeys.compact(clientIp), k -> new Account(clock, windowMillis));
    }

    /** One client's bytes in its current window. */
    /** Counts {@code n} bytes read from upstream: in the node's metric, and against the client's account when it has one. */
    static void read(dev.outpost.edge.metrics.EdgeMetrics metrics, Account account, int n) {
        metrics.originBytes(n);
        if (account != null) {
            account.charge(n);
        }
    }

    static final class Account {
        private final InstantSource clock;
        private final long windowMillis;
        private long windowStart;
        private long bytes;

        Account(InstantSource clock, long windowMillis) {
            this.clock = clock;
            this.windowMillis = windowMillis;
            this.windowStart = clock.millis();
        }

        /** Adds {@code n} bytes pulled from upstream for this client. */
        synchronized void charge(long n) {
            roll(clock.millis());
            bytes += n;
        }

        /** Milliseconds left in the window when past {@code cap}, else 0. */
        synchronized long overFor(long cap, long now) {
            roll(now);
            return bytes > cap ? windowStart + windowMillis - now : 0;
        }

        private void roll(long now) {
            if (now - windowStart >= windowMillis) {
                windowStart = now;
                bytes = 0;
            }
        }
    }
}
