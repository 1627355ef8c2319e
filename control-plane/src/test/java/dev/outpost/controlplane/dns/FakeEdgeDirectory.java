package dev.outpost.controlplane.dns;

import dev.outpost.config.Coordinates;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/** A registry stand-in: edges the test sets, a version bumped on every change. */
final class FakeEdgeDirectory implements EdgeDirectory {

    private final Map<String, EdgeCandidate> edges = new ConcurrentSkipListMap<>();
    private final AtomicLong version = new AtomicLong(1);

    @Override
    public List<EdgeCandidate> edges() {
        return new ArrayList<>(edges.values());
    }

    @Override
    public long version() {
        return version.get();
    }

    FakeEdgeDirectory put(EdgeCandidate e) {
        edges.put(e.nodeId(), e);
        version.incrementAndGet();
        return this;
    }

    FakeEdgeDirectory remove(String id) {
        edges.remove(id);
        version.incrementAndGet();
        return this;
    }

    FakeEdgeDirectory update(String id, UnaryOperator<EdgeCandidate> change) {
        edges.computeIfPresent(id, (k, e) -> change.apply(e));
        version.incrementAndGet();
        return this;
    }

    FakeEdgeDirectory healthy(String id, boolean healthy) {
        return update(id, e -> new EdgeCandidate(e.nodeId(), e.region(), e.coordinates(), e.addresses(), healthy,
                e.drained(), e.weight(), e.pools()));
    }

    FakeEdgeDirectory drained(String id, boolean drained) {
        return update(id, e -> new EdgeCandidate(e.nodeId(), e.region(), e.coordinates(), e.addresses(), e.healthy(),
                drained, e.weight(), e.pools()));
    }

    static EdgeCandidate edge(String id, String region, String latLon, String... addresses) {
        return edge(id, region, latLon, 1.0, List.of(), addresses);
    }

    static EdgeCandidate edge(String id, String region, String latLon, double weight, List<String> pools,
                              String... addresses) {
        List<InetAddress> addrs = new ArrayList<>();
        for (String a : addresses) {
            try {
                addrs.add(InetAddress.getByName(a));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(a);
            }
        }
        return new EdgeCandidate(id, region, Coordinates.parse(latLon), addrs, true, false, weight, pools);
    }

    /** Six edges, one per inhabited continent, each with one IPv4 and one IPv6 address. */
    static FakeEdgeDirectory world() {
        return new FakeEdgeDirectory()
                .put(edge("nyc-1", "us-east", "40.71,-74.01", "10.1.0.1", "fd00:1::1"))
                .put(edge("fra-1", "eu-central", "50.11,8.68", "10.2.0.1", "fd00:2::1"))
                .put(edge("tyo-1", "ap-northeast", "35.68,139.69", "10.3.0.1", "fd00:3::1"))
                .put(edge("gru-1", "sa-east", "-23.55,-46.63", "10.4.0.1", "fd00:4::1"))
                .put(edge("jnb-1", "af-south", "-26.20,28.05", "10.5.0.1", "fd00:5::1"))
                .put(edge("syd-1", "ap-southeast", "-33.87,151.21", "10.6.0.1", "fd00:6::1"));
    }
}
