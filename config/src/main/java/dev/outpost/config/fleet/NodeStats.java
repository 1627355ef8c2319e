package dev.outpost.config.fleet;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * A node's traffic and cache counters since it started: what its admin {@code GET /stats}
 * returns and what heartbeats carry to the control plane. Ratios are precomputed for people;
 * sums across nodes should use the counters.
 *
 * @param requests client requests answered
 * @param hits answered from cache without contacting the origin (fresh, or stale by policy)
 * @param misses fetched from the origin (or a shield) because nothing usable was stored
 * @param stale served stale (stale-while-revalidate, stale-if-error)
 * @param revalidated answered from cache after the origin confirmed it with a 304
 * @param bypass not looked up by rule, method or hit-for-pass
 * @param errors answered with a 5xx made by the node itself
 * @param responseBytes body bytes sent to clients
 * @param hitBytes body bytes sent to clients from cache
 * @param originRequests requests sent upstream (origin or shield)
 * @param originBytes body bytes received from upstream
 * @param hitRatio hits / (requests that could be cached)
 * @param byteHitRatio hitBytes / responseBytes
 * @param originOffload requests / originRequests: deprecated, kept for one release for scripts
 *     that read it; use {@link #originOffloadRatio()} (0..1), which the fleet and Prometheus use too
 * @param tiers per-tier counters, keyed {@code memory} and {@code disk}
 */
@JsonIgnoreProperties(value = "origin-offload-ratio", allowGetters = true)
public record NodeStats(
        long requests,
        long hits,
        long misses,
        long stale,
        long revalidated,
        long bypass,
        long errors,
        long responseBytes,
        long hitBytes,
        long originRequests,
        long originBytes,
        double hitRatio,
        double byteHitRatio,
        double originOffload,
        Map<String, TierStats> tiers) {

    public NodeStats {
        tiers = tiers == null ? Map.of() : Map.copyOf(tiers);
    }

    /**
     * Share of client requests that did not go upstream, 0..1: 1 - originRequests / requests
     * (0 with no requests), as the fleet's {@code /v1/stats} and the Prometheus rule
     * {@code outpost:origin_offload:rate5m} compute it. Written as {@code origin-offload-ratio}.
     */
    @JsonProperty("origin-offload-ratio")
    public double originOffloadRatio() {
        return OffloadRatio.of(requests, originRequests);
    }
}
