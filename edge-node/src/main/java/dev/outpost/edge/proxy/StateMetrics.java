package dev.outpost.edge.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** The meters every bounded map of per-key state has: bytes held and entries evicted by its bound. */
final class StateMetrics {

    private StateMetrics() {
    }

    static Counter evictions(MeterRegistry registry, String map) {
        return Counter.builder("outpost.state.evictions").tag("map", map)
                .description("Entries of per-key state evicted to keep the map within its byte bound").register(registry);
    }

    static void bytes(MeterRegistry registry, String map, Cache<String, ?> cache) {
        Gauge.builder("outpost.state.bytes", cache, c -> c.policy().eviction().orElseThrow().weightedSize().orElse(0))
                .tag("map", map).description("Bytes charged to a map of per-key state").register(registry);
    }
}
