package dev.outpost.controlplane.configs;

import dev.outpost.config.fleet.ConfigVersion;
import dev.outpost.config.fleet.NodeView;
import dev.outpost.controlplane.registry.NodeRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Watches each new config version reach its nodes and records the time from push to the last
 * targeted healthy node's ack in {@code outpost_config_propagation_seconds}. A node that refused
 * the version, or was given a newer one meanwhile, no longer holds it up.
 */
public final class ConfigRollout {

    private final NodeRegistry registry;
    private final InstantSource clock;
    private final Timer propagation;
    private static final Duration[] BUCKETS = java.util.stream.LongStream.of(
                    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000)
            .mapToObj(Duration::ofMillis).toArray(Duration[]::new);
    private final ConcurrentSkipListMap<Long, Instant> pending = new ConcurrentSkipListMap<>();

    public ConfigRollout(ConfigVersions configs, NodeRegistry registry, InstantSource clock, MeterRegistry meters) {
        this.registry = registry;
        this.clock = clock;
        this.propagation = Timer.builder("outpost.config.propagation")
                .description("time from a config version being pushed to the last targeted healthy node's ack")
                .serviceLevelObjectives(BUCKETS)
                .register(meters);
        configs.onPush(this::pushed);
        registry.onChange(this::check);
    }

    private void pushed(ConfigVersion v) {
        pending.put(v.version(), v.createdAt());
        check();
    }

    /** Records versions that every targeted healthy node now runs. */
    public void check() {
        if (pending.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        var nodes = registry.nodes();
        for (Map.Entry<Long, Instant> e : pending.entrySet()) {
            long v = e.getKey();
            boolean targeted = false;
            boolean done = true;
            for (NodeView n : nodes) {
                if (n.desiredConfigVersion() != v) {
                    continue;
                }
                targeted = true;
                if (n.health() == NodeView.Health.HEALTHY && n.configVersion() < v
                        && registry.refusedVersion(n.nodeId()) != v) {
                    done = false;
                    break;
                }
            }
            if (done && pending.remove(v) != null && targeted) {
                propagation.record(Duration.between(e.getValue(), now));
            }
        }
    }
}
