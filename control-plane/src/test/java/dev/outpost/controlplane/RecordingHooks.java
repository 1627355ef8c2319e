package dev.outpost.controlplane;

import dev.outpost.config.ConfigException;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.Purge;
import dev.outpost.edge.fleet.FleetHooks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** FleetHooks that record every call in order, optionally refusing configs or holding purges. */
final class RecordingHooks implements FleetHooks {

    private final List<String> calls = new ArrayList<>();
    volatile boolean hits = true;
    volatile long configVersion;
    volatile String refuseHost;
    volatile CountDownLatch holdPurges;
    volatile NodeStats stats = new NodeStats(100, 80, 20, 0, 0, 0, 0, 10_000, 8_000, 20, 2_000, 0.8, 0.8, 0.8, Map.of());

    @Override
    public synchronized void applyConfig(long version, DeliveryConfig config) {
        if (refuseHost != null && config.hosts().contains(refuseHost)) {
            throw new ConfigException("hosts[0]: this node refuses " + refuseHost);
        }
        configVersion = version;
        calls.add("config:" + version);
    }

    @Override
    public void applyPurge(Purge purge) {
        CountDownLatch hold = holdPurges;
        if (hold != null) {
            try {
                hold.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        synchronized (this) {
            calls.add("purge:" + purge.kind().name().toLowerCase() + ":" + String.join(",", purge.values())
                    + (purge.soft() ? ":soft" : ""));
        }
    }

    @Override
    public NodeStats stats() {
        return stats;
    }

    @Override
    public synchronized void hitsAllowed(boolean allowed) {
        hits = allowed;
        calls.add("hits:" + allowed);
    }

    @Override
    public synchronized void refused(String reason) {
        calls.add("refused:" + reason);
    }

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    synchronized List<String> purges() {
        return calls.stream().filter(c -> c.startsWith("purge:")).toList();
    }
}
