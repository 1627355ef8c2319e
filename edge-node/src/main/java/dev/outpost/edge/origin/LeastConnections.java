package dev.outpost.edge.origin;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Least connections, weighted: the server with the fewest requests in flight per unit of
 * weight. Ties go round the pool, so an idle pool still spreads its load.
 */
final class LeastConnections implements Balancer {

    private final int[] weights;
    private final Server[] servers;
    private final AtomicInteger rotation = new AtomicInteger();

    LeastConnections(int[] weights, Server[] servers) {
        this.weights = weights.clone();
        this.servers = servers.clone();
    }

    @Override
    public int pick(UpstreamRequest request, boolean[] eligible) {
        int n = servers.length;
        int start = Math.floorMod(rotation.getAndIncrement(), n);
        int best = -1;
        long bestActive = 0;
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (!eligible[i]) {
                continue;
            }
            long active = servers[i].active.get();
            // active[i] / w[i] < active[best] / w[best], without division
            if (best < 0 || active * weights[best] < bestActive * weights[i]) {
                best = i;
                bestActive = active;
            }
        }
        return best;
    }
}
