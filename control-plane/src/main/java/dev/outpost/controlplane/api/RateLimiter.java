package dev.outpost.controlplane.api;

import dev.outpost.config.RateLimit;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A token bucket per key (client address), on the injected clock. */
final class RateLimiter {

    private final double perMilli;
    private final double burst;
    private final InstantSource clock;
    private final Map<String, double[]> buckets = new ConcurrentHashMap<>(); // {tokens, lastMillis}

    RateLimiter(RateLimit limit, InstantSource clock) {
        this.perMilli = limit.requestsPerSecond() / 1000.0;
        this.burst = limit.burst();
        this.clock = clock;
    }

    /** 0 when the request may go ahead (a token is taken); otherwise the milliseconds until one is free. */
    long acquire(String key) {
        long now = clock.millis();
        if (buckets.size() > 10_000) {
            buckets.values().removeIf(b -> b[0] + (now - b[1]) * perMilli >= burst);
        }
        double[] b = buckets.computeIfAbsent(key, k -> new double[] {burst, now});
        synchronized (b) {
            b[0] = Math.min(burst, b[0] + Math.max(0, now - (long) b[1]) * perMilli);
            b[1] = now;
            if (b[0] >= 1) {
                b[0] -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - b[0]) / perMilli);
        }
    }
}
