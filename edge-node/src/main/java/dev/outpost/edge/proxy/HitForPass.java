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
 * Keys whose last response was not storable: requests for them skip collapsing and go
 * straight upstream for a while. Keys come from requests, so the marks are bounded in bytes
 * (long keys kept as digests, see {@link StateKeys}) and in age; marks evicted past the bound
 * are counted in {@code outpost_state_evictions_total{map="hit-for-pass"}}. Losing a mark
 * only costs a request that waits on a fetch it could have skipped.
 */
final class HitForPass {

    private final Cache<String, Boolean> marks;

    HitForPass(Duration ttl, long maxBytes, InstantSource clock, MeterRegistry registry) {
        Counter evictions = StateMetrics.evictions(registry, "hit-for-pass");
        this.marks = Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .maximumWeight(maxBytes)
                .weigher((String k, Boolean v) -> StateKeys.weight(k))
                .removalListener((String k, Boolean v, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                })
                .build();
        StateMetrics.bytes(registry, "hit-for-pass", marks);
    }

    void mark(String key) {
        marks.put(StateKeys.compact(key), Boolean.TRUE);
    }

    boolean marked(String key) {
        return marks.getIfPresent(StateKeys.compact(key)) != null;
    }

    void clear() {
        marks.invalidateAll();
    }
}
