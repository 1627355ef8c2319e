package dev.outpost.controlplane.dns;

import dev.outpost.config.Cidr;
import dev.outpost.config.Coordinates;
import dev.outpost.config.DnsSettings;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Chooses the edges a client gets. The choice depends only on the pool, the address family and
 * the client's location (or the override it falls under), so it is computed once per location
 * and kept until the directory's version changes: a query costs a GeoIP lookup and a map read,
 * not a pass over every edge (gdnsd does the same per network). When the version changes, the
 * answers of every location seen so far are precomputed for the new edges on a background
 * thread, while queries that arrive first compute their own.
 *
 * <p>Rules, in order: an override (network, then country, then continent) sends the client to a
 * region or a point; otherwise the nearest healthy, undrained edges by great-circle distance,
 * edges within {@code near-km} of the nearest sharing clients by weight (rendezvous hashing on
 * the location, so one location always gets the same edge); a client with no location follows
 * the configured fallback. With no healthy edge left the answer is a bounded list of the
 * nearest remaining edges (or the static fallback addresses) with the degraded TTL: never empty.
 */
final class Steering {

    /** One edge as steering uses it: addresses split by family, weight with the region's. */
    record Edge(EdgeCandidate candidate, List<InetAddress> v4, List<InetAddress> v6, double weight) {
        boolean eligible() {
            return candidate.healthy() && !candidate.drained() && weight > 0;
        }

        List<InetAddress> addresses(boolean ipv6) {
            return ipv6 ? v6 : v4;
        }

        /** Edges with no pools serve every name; the others only the pools they list. */
        boolean inPool(String pool) {
            return candidate.pools().isEmpty() || pool != null && candidate.pools().contains(pool);
        }
    }

    /** A parsed override. */
    record Rule(int index, Cidr network, String country, String continent, String region, Coordinates point,
                String description) {
    }

    /** What steering decided for one location. */
    record Choice(List<Edge> edges, List<InetAddress> addresses, String policy, Rule override, boolean degraded,
                  boolean clientIndependent, boolean poolHasEdges) {
    }

    /** The location a choice depends on: coordinates and codes, and the override in force. */
    record LocationKey(Coordinates point, String country, String continent, int override) {
    }

    private record MemoKey(String pool, boolean ipv6, int answers, LocationKey location) {
    }

    private record Snapshot(long version, List<Edge> edges, Map<MemoKey, Choice> memo) {
    }

    private static final int MEMO_LIMIT = 200_000;

    private final DnsSettings settings;
    private final EdgeDirectory directory;
    private final List<Rule> rules;
    private final List<Rule> networkRules;
    private final List<InetAddress> staticV4;
    private final List<InetAddress> staticV6;
    private volatile Snapshot snapshot;
    private final ExecutorService warmer = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("dns-answer-precompute").daemon().unstarted(r));

    /** Whether the directory's view of edge health can be answered from (see {@link EdgeDirectory#current()}). */
    boolean directoryCurrent() {
        return directory.current();
    }

    Steering(DnsSettings settings, EdgeDirectory directory) {
        this.settings = settings;
        this.directory = directory;
        List<Rule> parsed = new ArrayList<>();
        for (int i = 0; i < settings.overrides().size(); i++) {
            DnsSettings.Override o = settings.overrides().get(i);
            String match = o.network() != null ? "network " + o.network()
                    : o.country() != null ? "country " + o.country() : "continent " + o.continent();
            String target = o.region() != null ? "region " + o.region() : "point " + o.coordinates();
            parsed.add(new Rule(i, o.network() == null ? null : Cidr.parse(o.network()), o.country(), o.continent(),
                    o.region(), o.coordinates(), match + " -> " + target));
        }
        this.rules = List.copyOf(parsed);
        this.networkRules = parsed.stream().filter(r -> r.network() != null).toList();
        List<InetAddress> v4 = new ArrayList<>();
        List<InetAddress> v6 = new ArrayList<>();
        for (String a : settings.staticFallback()) {
            InetAddress addr = toAddress(Cidr.parse(a).network());
            (addr instanceof Inet4Address ? v4 : v6).add(addr);
        }
        this.staticV4 = List.copyOf(v4);
        this.staticV6 = List.copyOf(v6);
    }

    /** The edges as of the directory's current version (rebuilt when it changed). */
    private Snapshot current() {
        long version = directory.version();
        Snapshot s = snapshot;
        if (s != null && s.version() == version) {
            return s;
        }
        synchronized (this) {
            s = snapshot;
            if (s != null && s.version() == version) {
                return s;
            }
            List<Edge> edges = new ArrayList<>();
            for (EdgeCandidate c : directory.edges()) {
                List<InetAddress> v4 = new ArrayList<>();
                List<InetAddress> v6 = new ArrayList<>();
                for (InetAddress a : c.addresses()) {
                    if (a instanceof Inet4Address) {
                        v4.add(a);
                    } else if (a instanceof Inet6Address) {
                        v6.add(a);
                    }
                }
                double w = c.weight() * settings.regionWeights().getOrDefault(c.region(), 1.0);
                edges.add(new Edge(c, List.copyOf(v4), List.copyOf(v6), Double.isFinite(w) ? w : 0));
            }
            edges.sort(Comparator.comparing(e -> e.candidate().nodeId()));
            Snapshot old = snapshot;
            s = new Snapshot(version, List.copyOf(edges), new ConcurrentHashMap<>());
            snapshot = s;
            if (old != null && !old.memo().isEmpty()) {
                // precompute the answers of every location seen so far for the new edges, off the query path
                Snapshot target = s;
                List<MemoKey> seen = List.copyOf(old.memo().keySet());
                warmer.execute(() -> warm(target, seen));
            }
            return s;
        }
    }

    /** Every edge as of now. */
    List<Edge> edges() {
        return current().edges();
    }

    /** The directory version the current answers were computed for. */
    long version() {
        return current().version();
    }

    /** The override that applies to a client, or null. Network rules win, the longest prefix first. */
    Rule overrideFor(ClientLocation client) {
        Rule best = null;
        for (Rule r : networkRules) {
            if (r.network().contains(client.address()) && (best == null || r.network().prefix() > best.network().prefix())) {
                best = r;
            }
        }
        if (best != null) {
            return best;
        }
        for (Rule r : rules) {
            if (r.country() != null && r.country().equalsIgnoreCase(client.country())) {
                return r;
            }
        }
        for (Rule r : rules) {
            if (r.continent() != null && r.continent().equalsIgnoreCase(client.continent())) {
                return r;
            }
        }
        return null;
    }

    LocationKey keyOf(ClientLocation client) {
        Rule r = overrideFor(client);
        return new LocationKey(client.coordinates(), client.country(), client.continent(), r == null ? -1 : r.index());
    }

    /** The edges for {@code pool} and family, for a client at {@code client}. */
    Choice choose(String pool, boolean ipv6, int answers, ClientLocation client) {
        return choose(pool, ipv6, answers, keyOf(client));
    }

    Choice choose(String pool, boolean ipv6, int answers, LocationKey key) {
        Snapshot s = current();
        MemoKey mk = new MemoKey(pool, ipv6, answers, key);
        Choice c = s.memo().get(mk);
        if (c == null) {
            c = compute(s.edges(), pool, ipv6, answers, key);
            if (s.memo().size() >= MEMO_LIMIT) {
                s.memo().clear();
            }
            Choice raced = s.memo().putIfAbsent(mk, c);
            c = raced == null ? c : raced;
        }
        return c;
    }

    private void warm(Snapshot target, List<MemoKey> keys) {
        for (MemoKey k : keys) {
            if (snapshot != target) {
                return;   // superseded: the next version warms itself
            }
            target.memo().computeIfAbsent(k, x -> compute(target.edges(), x.pool(), x.ipv6(), x.answers(), x.location()));
        }
    }

    /** How many answers the current version holds (computed or precomputed). */
    int precomputed() {
        return current().memo().size();
    }

    /** Stops the precomputing thread. */
    void close() {
        warmer.shutdownNow();
    }

    /**
     * The ECS scope prefix for an answer to {@code client}: the database network, narrowed so
     * that no network override it doesn't fall under lies inside it, widened to /0 when the
     * answer is the same for every client.
     */
    int scope(ClientLocation client, Choice choice) {
        if (choice.clientIndependent()) {
            return 0;
        }
        int scope = client.prefix();
        byte[] a = client.address().getAddress();
        for (Rule r : networkRules) {
            byte[] n = r.network().network();
            if (n.length != a.length) {
                continue;
            }
            if (r.network().contains(client.address())) {
                scope = Math.max(scope, r.network().prefix());
            } else if (r.network().prefix() > scope && commonPrefix(a, n) >= scope) {
                // the override lies inside the client's network: exclude it from the scope
                scope = Math.max(scope, Math.min(r.network().prefix(), commonPrefix(a, n) + 1));
            }
        }
        return Math.min(scope, a.length * 8);
    }

    private Choice compute(List<Edge> all, String pool, boolean ipv6, int answers, LocationKey key) {
        List<Edge> inPool = new ArrayList<>();
        List<Edge> eligible = new ArrayList<>();
        boolean poolHasEdges = false;
        for (Edge e : all) {
            poolHasEdges |= e.inPool(pool);
            if (e.inPool(pool) && !e.addresses(ipv6).isEmpty()) {
                inPool.add(e);
                if (e.eligible()) {
                    eligible.add(e);
                }
            }
        }
        Rule override = key.override() >= 0 ? rules.get(key.override()) : null;
        Coordinates point;
        String region;
        String policy;
        if (override != null) {
            policy = "override";
            region = override.region();
            point = override.point() != null ? override.point() : key.point();
        } else if (key.point() != null) {
            policy = "nearest";
            region = null;
            point = key.point();
        } else {
            policy = "fallback";
            region = settings.fallback().region();
            point = settings.fallback().coordinates();
        }
        long hash = hash(key);
        List<Edge> ordered = order(eligible, point, region, hash);
        boolean degraded = ordered.size() < answers;
        List<Edge> chosen;
        boolean independent;
        if (!ordered.isEmpty()) {
            chosen = ordered.subList(0, Math.min(answers, ordered.size()));
            independent = eligible.size() <= 1;
        } else {
            // no healthy edge: the nearest undrained ones, then drained ones; bounded
            List<Edge> undrained = inPool.stream().filter(e -> !e.candidate().drained()).toList();
            List<Edge> drained = inPool.stream().filter(e -> e.candidate().drained()).toList();
            List<Edge> last = new ArrayList<>(order(undrained, point, region, hash));
            last.addAll(order(drained, point, region, hash));
            chosen = last.subList(0, Math.min(Math.min(answers, settings.fallbackAnswers()), last.size()));
            independent = inPool.size() <= 1;
            policy = policy + "+degraded";
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (Edge e : chosen) {
            addresses.addAll(e.addresses(ipv6));
        }
        if (addresses.isEmpty()) {
            addresses.addAll(ipv6 ? staticV6 : staticV4);
            independent = true;
            if (!addresses.isEmpty()) {
                policy = "static-fallback";
            }
        }
        return new Choice(List.copyOf(chosen), List.copyOf(addresses), policy, override, degraded, independent,
                poolHasEdges || !addresses.isEmpty());
    }

    /**
     * Edges in answer order: those of {@code region} first; within each group, with a point,
     * the edges within near-km of the nearest ordered by weighted rendezvous hash, then the
     * rest by distance; without a point, all by weighted rendezvous hash.
     */
    private List<Edge> order(List<Edge> edges, Coordinates point, String region, long hash) {
        if (region == null) {
            return arrange(edges, point, hash);
        }
        List<Edge> preferred = edges.stream().filter(e -> region.equals(e.candidate().region())).toList();
        List<Edge> rest = edges.stream().filter(e -> !region.equals(e.candidate().region())).toList();
        Coordinates from = point;
        if (from == null && !preferred.isEmpty()) {
            from = preferred.getFirst().candidate().coordinates();
        }
        List<Edge> out = new ArrayList<>(arrange(preferred, point, hash));
        out.addAll(arrange(rest, from, hash));
        return out;
    }

    private List<Edge> arrange(List<Edge> edges, Coordinates point, long hash) {
        if (edges.size() <= 1) {
            return edges;
        }
        if (point == null) {
            return edges.stream().sorted(Comparator.comparingDouble(e -> rendezvous(hash, e))).toList();
        }
        double nearest = Double.MAX_VALUE;
        double[] d = new double[edges.size()];
        for (int i = 0; i < d.length; i++) {
            Coordinates c = edges.get(i).candidate().coordinates();
            d[i] = c == null ? Double.MAX_VALUE / 2 : c.distanceKm(point);
            nearest = Math.min(nearest, d[i]);
        }
        double limit = nearest + settings.nearKm();
        List<Edge> near = new ArrayList<>();
        List<Integer> far = new ArrayList<>();
        for (int i = 0; i < d.length; i++) {
            if (d[i] <= limit) {
                near.add(edges.get(i));
            } else {
                far.add(i);
            }
        }
        near.sort(Comparator.comparingDouble(e -> rendezvous(hash, e)));
        far.sort(Comparator.comparingDouble(i -> d[i]));
        List<Edge> out = new ArrayList<>(near);
        far.forEach(i -> out.add(edges.get(i)));
        return out;
    }

    /** Weighted rendezvous score: the smallest wins; a weight w wins w times as often. */
    private static double rendezvous(long hash, Edge e) {
        long h = mix(hash ^ e.candidate().nodeId().hashCode() * 0x9E3779B97F4A7C15L);
        double u = ((h >>> 11) + 1.0) / ((1L << 53) + 1.0);
        return -Math.log(u) / e.weight();
    }

    private static long hash(LocationKey key) {
        long h = key.override();
        if (key.point() != null) {
            h = h * 31 + Double.hashCode(key.point().latitude());
            h = h * 31 + Double.hashCode(key.point().longitude());
        }
        h = h * 31 + (key.country() == null ? 0 : key.country().hashCode());
        return mix(h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int commonPrefix(byte[] a, byte[] b) {
        int bits = 0;
        for (int i = 0; i < a.length; i++) {
            int x = (a[i] ^ b[i]) & 0xff;
            if (x == 0) {
                bits += 8;
            } else {
                return bits + Integer.numberOfLeadingZeros(x) - 24;
            }
        }
        return bits;
    }

    private static InetAddress toAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
