package dev.outpost.edge.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.outpost.config.RateLimit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;

/**
 * Token buckets per rule and client (or per value of a configured header): a client may send
 * {@code burst} requests at once and {@code requests-per-second} after that. Keys come from
 * requests, so buckets are bounded in bytes ({@code limits.rate-limit-memory}; values longer
 * than 64 characters kept as digests, see {@link StateKeys}) and forgotten once idle long
 * enough to have refilled, when a new bucket would be the same. Buckets evicted past the bound
 * are counted in {@code outpost_state_evictions_total{map="rate-limit"}}.
 */
final class RateLimiter {

    private final InstantSource clock;
    private final Cache<String, Bucket> buckets;

    RateLimiter(InstantSource clock, long maxBytes, MeterRegistry registry) {
        this.clock = clock;
        Counter evictions = StateMetrics.evictions(registry, "rate-limit");
        this.buckets = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String k, Bucket b) -> StateKeys.weight(k))
                .expireAfter(new RefillExpiry())
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .removalListener((String k, Bucket b, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                })
                .build();
        StateMetrics.bytes(registry, "rate-limit", buckets);
    }

    /** Milliseconds until a request would be allowed: 0 means allowed now (a token is taken). */
    long acquire(String ruleName, RateLimit limit, String key) {
        Bucket b = buckets.get(StateKeys.compact(ruleName + '\u0000' + key), k -> new Bucket(limit, clock.millis()));
        return b.take(limit, clock.millis());
    }

    /** A bucket idle for as long as it takes to refill is forgotten (plus a second of slack). */
    private static final class RefillExpiry implements Expiry<String, Bucket> {
        @Override
        public long expireAfterCreate(String key, Bucket b, long currentTime) {
            return b.refillNanos;
        }

        @Override
        public long expireAfterUpdate(String key, Bucket b, long currentTime, long currentDuration) {
            return b.refillNanos;
        }

        @Override
        public long expireAfterRead(String key, Bucket b, long currentTime, long currentDuration) {
            return b.refillNanos;
        }
    }

    private static final class Bucket {
        private final long refillNanos;
        private double tokens;
        private long last;

        Bucket(RateLimit limit, long now) {
            this.tokens = limit.burst();
            this.last = now;
            double seconds = limit.burst() / Math.max(1e-9, limit.requestsPerSecond()) + 1;
            this.refillNanos = (long) Math.min(TimeUnit.DAYS.toNanos(1), seconds * 1e9);
        }

        synchronized long take(RateLimit limit, long now) {
            double rate = limit.requestsPerSecond();
            tokens = Math.min(limit.burst(), tokens + Math.max(0, now - last) * rate / 1000.0);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) * 1000.0 / rate);
        }
    }
}
