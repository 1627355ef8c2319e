package dev.outpost.edge.origin;

import dev.outpost.config.OriginConfig;

/**
 * Chooses one server of a pool for a request, among those still eligible (up, not tried yet
 * for this request, below their connection limit). One instance per pool and config version;
 * called concurrently.
 */
interface Balancer {

    /**
     * @param eligible which servers (by index) may be chosen; at least one is true
     * @return the index of the chosen server
     */
    int pick(UpstreamRequest request, boolean[] eligible);

    static Balancer of(OriginConfig.Algorithm algorithm, OriginConfig.HashOn hashOn, int[] weights, String[] labels,
                       Server[] servers) {
        return switch (algorithm) {
            case ROUND_ROBIN -> new SmoothWeighted(ones(weights.length));
            case WEIGHTED_ROUND_ROBIN -> new SmoothWeighted(weights);
            case LEAST_CONNECTIONS -> new LeastConnections(weights, servers);
            case CONSISTENT_HASH -> new RendezvousHash(weights, labels, hashOn);
        };
    }

    private static int[] ones(int n) {
        int[] w = new int[n];
        java.util.Arrays.fill(w, 1);
        return w;
    }
}
