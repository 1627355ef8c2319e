package dev.outpost.controlplane.registry;

import dev.outpost.config.fleet.FleetStats;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.NodeView;
import dev.outpost.config.fleet.TrafficSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fleet traffic per node, per region and in total, from the counters heartbeats carry. Group
 * ratios come from summed counters (a big node weighs more than a small one), never from an
 * average of ratios.
 */
public final class FleetStatsView {

    private FleetStatsView() {
    }

    /** Stats of every node with counters, or of one region's nodes when {@code region} is set. */
    public static FleetStats of(NodeRegistry registry, String region) {
        List<TrafficSummary> nodes = new ArrayList<>();
        Map<String, Acc> regions = new TreeMap<>();
        Acc fleet = new Acc("fleet");
        for (Map.Entry<NodeView, NodeStats> e : registry.stats().entrySet()) {
            NodeView v = e.getKey();
            if (region != null && !region.equals(v.region())) {
                continue;
            }
            Acc one = new Acc(v.nodeId());
            one.add(e.getValue(), v.requestsPerSecond());
            nodes.add(one.summary());
            regions.computeIfAbsent(v.region(), Acc::new).add(e.getValue(), v.requestsPerSecond());
            fleet.add(e.getValue(), v.requestsPerSecond());
        }
        return new FleetStats(nodes, regions.values().stream().map(Acc::summary).toList(), fleet.summary());
    }

    private static final class Acc {
        final String name;
        int nodes;
        long requests;
        long hits;
        long bypass;
        long responseBytes;
        long hitBytes;
        long originRequests;
        double rps;

        Acc(String name) {
            this.name = name;
        }

        void add(NodeStats s, double requestsPerSecond) {
            nodes++;
            requests += s.requests();
            hits += s.hits();
            bypass += s.bypass();
            responseBytes += s.responseBytes();
            hitBytes += s.hitBytes();
            originRequests += s.originRequests();
            rps += requestsPerSecond;
        }

        TrafficSummary summary() {
            long cacheable = requests - bypass;
            return new TrafficSummary(name, nodes, requests, hits, responseBytes, hitBytes, originRequests, rps,
                    cacheable <= 0 ? 0 : (double) hits / cacheable,
                    responseBytes <= 0 ? 0 : (double) hitBytes / responseBytes,
                    requests <= 0 ? 0 : Math.max(0, 1 - (double) originRequests / requests));
        }
    }
}
