package dev.outpost.config.fleet;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Traffic of one node, one region or the whole fleet, from the counters heartbeats carry.
 * Ratios of a group are computed from its summed counters, never averaged.
 *
 * @param name node id, region name, or {@code fleet}
 * @param nodes how many nodes are summed (healthy ones with stats)
 * @param requests client requests answered
 * @param hits answered from cache
 * @param responseBytes body bytes sent to clients
 * @param hitBytes body bytes sent from cache
 * @param originRequests requests sent upstream
 * @param requestsPerSecond client requests per second, from the last two heartbeats of each node
 * @param hitRatio hits / cacheable requests (requests less bypass)
 * @param byteHitRatio hitBytes / responseBytes
 * @param originOffload share of client requests that did not reach the origin:
 *     1 - originRequests / requests; also written as {@code origin-offload-ratio}, the name
 *     nodes use too ({@code origin-offload} stays for one release)
 */
@JsonIgnoreProperties(value = "origin-offload-ratio", allowGetters = true)
public record TrafficSummary(
        String name,
        int nodes,
        long requests,
        long hits,
        long responseBytes,
        long hitBytes,
        long originRequests,
        double requestsPerSecond,
        double hitRatio,
        double byteHitRatio,
        double originOffload) {

    /** {@link #originOffload()} under the name nodes use for it: a ratio 0..1. */
    @JsonProperty("origin-offload-ratio")
    public double originOffloadRatio() {
        return originOffload;
    }
}
