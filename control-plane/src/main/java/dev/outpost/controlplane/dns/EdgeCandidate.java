package dev.outpost.controlplane.dns;

import dev.outpost.config.Coordinates;
import java.net.InetAddress;
import java.util.List;

/**
 * An edge as DNS steering sees it: where it is, how to reach it, and whether it may be
 * answered now. Built from the node registry; steering never reads the registry directly.
 *
 * @param nodeId the node's id
 * @param region the node's region
 * @param coordinates where the node is
 * @param addresses the node's public IPv4 and IPv6 addresses (A and AAAA answers)
 * @param healthy whether its heartbeats are current
 * @param drained whether an operator has drained it (no new clients)
 * @param weight relative share when several edges are about as near; 1 by default
 * @param pools the DNS names (pools) the edge serves; empty means every name of the zone
 */
public record EdgeCandidate(
        String nodeId,
        String region,
        Coordinates coordinates,
        List<InetAddress> addresses,
        boolean healthy,
        boolean drained,
        double weight,
        List<String> pools) {

    public EdgeCandidate {
        addresses = List.copyOf(addresses);
        pools = pools == null ? List.of() : List.copyOf(pools);
    }
}
