package dev.outpost.edge.origin;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Rendezvous (highest random weight) hashing: the score of a key on a server, and the ranking
 * of servers for a key. The hash is fixed (FNV-1a over the UTF-16 code units, then the
 * MurmurHash3 finaliser), so every node of a fleet, on any JVM, ranks a key the same way.
 */
final class Rendezvous {

    private Rendezvous() {
    }

    /** A 64-bit hash of a string, the same on every node. */
    static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** The MurmurHash3 64-bit finaliser: every input bit affects every output bit. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /**
     * The score of a key on a server: {@code weight / -ln(u)} with {@code u} uniform in (0, 1)
     * from both hashes, so a server's share of keys is proportional to its weight.
     */
    static double score(long keyHash, long serverHash, int weight) {
        long h = mix(keyHash ^ serverHash);
        double u = ((h >>> 11) + 0.5) * 0x1.0p-53;
        return weight / -Math.log(u);
    }

    /** The servers' indexes for a key, best first (equal weights). */
    static int[] rank(String key, String... servers) {
        long k = hash(key);
        Integer[] order = new Integer[servers.length];
        double[] scores = new double[servers.length];
        for (int i = 0; i < servers.length; i++) {
            order[i] = i;
            scores[i] = score(k, hash(servers[i]), 1);
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }
}
