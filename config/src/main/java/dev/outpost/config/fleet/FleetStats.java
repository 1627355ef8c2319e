package dev.outpost.config.fleet;

import java.util.List;

/**
 * Fleet traffic per node, per region and in total, as {@code GET /v1/stats} returns it.
 *
 * @param nodes one summary per node that has sent stats
 * @param regions one summary per region
 * @param fleet every node together
 */
public record FleetStats(List<TrafficSummary> nodes, List<TrafficSummary> regions, TrafficSummary fleet) {

    public FleetStats {
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        regions = regions == null ? List.of() : List.copyOf(regions);
    }
}
