package dev.outpost.edge.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.outpost.config.RateLimit;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;

/**
 * Token buckets per rule and client (or per value of a configured header): a client may send
 * {@code burst} requests at once and {@code requests-per-second} after that. Buckets live in
 * a bounded cache and are forgotten after ten idle minutes, so a flood of distinct addresses
 * costs bounded memory.
 */
final class RateLimiter {

    private final InstantSource clock;
    private final Cache<String, Bucket> buckets;

    RateLimiter(InstantSource clock) {
        this.clock = clock;
        this.buckets = Caffeine.newBuilder()
                .maximumSize(1_000_000)
                .expireAfterAccess(Duration.ofMinutes(10))
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .build();
    }

    /** Milliseconds until a request would be allowed: 0 means allowed now (a token is taken). */
    long acquire(String ruleName, RateLimit limit, String key) {
        Bucket b = buckets.get(ruleName + '\u0000' + key, k -> new Bucket(limit.burst(), clock.millis()));
        return b.take(limit, clock.millis());
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.last = now;
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
