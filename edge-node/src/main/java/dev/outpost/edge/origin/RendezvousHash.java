package dev.outpost.edge.origin;

import dev.outpost.config.OriginConfig;

/**
 * Consistent hashing by rendezvous (highest random weight): every server scores the request's
 * key and the highest score wins. Every node ranks the same key the same way, and a server
 * leaving moves only the keys it had (each to its own next-ranked server). Weights use the
 * logarithmic method, so shares follow weights and the remapping stays minimal.
 */
final class RendezvousHash implements Balancer {

    private final int[] weights;
    private final long[] serverHashes;
    private final OriginConfig.HashOn hashOn;

    RendezvousHash(int[] weights, String[] labels, OriginConfig.HashOn hashOn) {
        this.weights = weights.clone();
        this.serverHashes = new long[labels.length];
        for (int i = 0; i < labels.length; i++) {
            serverHashes[i] = Rendezvous.hash(labels[i]);
        }
        this.hashOn = hashOn;
    }

    @Override
    public int pick(UpstreamRequest request, boolean[] eligible) {
        String key = hashOn == OriginConfig.HashOn.CLIENT_IP ? request.clientIp() : request.cacheKey();
        long k = Rendezvous.hash(key == null ? "" : key);
        int best = -1;
        double bestScore = 0;
        for (int i = 0; i < weights.length; i++) {
            if (!eligible[i]) {
                continue;
            }
            double s = Rendezvous.score(k, serverHashes[i], weights[i]);
            if (best < 0 || s > bestScore) {
                best = i;
                bestScore = s;
            }
        }
        return best;
    }
}
