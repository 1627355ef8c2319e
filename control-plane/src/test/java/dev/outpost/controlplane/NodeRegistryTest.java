package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.config.Coordinates;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.fleet.Ack;
import dev.outpost.config.fleet.Heartbeat;
import dev.outpost.config.fleet.NodeRegistration;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.NodeView;
import dev.outpost.controlplane.dns.EdgeCandidate;
import dev.outpost.controlplane.registry.NodeRegistry;
import dev.outpost.controlplane.store.Store;
import dev.outpost.testing.ManualClock;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node health on a manual clock, drain, the DNS view, and what survives a restart. */
class NodeRegistryTest {

    @TempDir
    Path dir;
    ManualClock clock = new ManualClock();
    Store store;
    NodeRegistry registry;

    @BeforeEach
    void open() {
        store = Store.rocksdb(dir);
        registry = new NodeRegistry(store, clock, Duration.ofSeconds(15), (id, region) -> 0);
    }

    @AfterEach
    void close() {
        store.close();
    }

    static NodeRegistration reg(String id, String region, NodeConfig.Role role, String address) {
        return new NodeRegistration(id, region, role, new Coordinates(48.85, 2.35), List.of(address),
                "http://10.0.0.1:9080", 0L, 0L);
    }

    static NodeRegistration withInstance(NodeRegistration r, String instance) {
        return new NodeRegistration(r.nodeId(), r.region(), r.role(), r.coordinates(), r.publicAddresses(), r.adminUrl(),
                r.configVersion(), r.purgeSequence(), instance);
    }

    @Test
    void anotherNodeUnderALiveNodesIdIsRefusedUntilTheFirstFallsSilent() {
        NodeRegistration first = withInstance(reg("e1", "eu", NodeConfig.Role.EDGE, "192.0.2.1"), "instance-a");
        NodeRegistration other = withInstance(reg("e1", "eu", NodeConfig.Role.SHIELD, "192.0.2.9"), "instance-b");
        registry.register(first);
        assertThatThrownBy(() -> registry.register(other))
                .isInstanceOf(NodeRegistry.NodeIdCollision.class)
                .hasMessageContaining("node id 'e1' is taken by another live node")
                .hasMessageContaining("--node-id");
        assertThat(registry.node("e1").orElseThrow().role()).as("the first keeps its registration").isEqualTo(NodeConfig.Role.EDGE);
        // the same node again (a restart keeps its instance name), or one that sends none: no collision
        registry.register(first);
        registry.register(reg("e1", "eu", NodeConfig.Role.EDGE, "192.0.2.1"));
        registry.register(first);
        clock.advanceSeconds(10);
        assertThatThrownBy(() -> registry.register(other)).isInstanceOf(NodeRegistry.NodeIdCollision.class);
        // the first fell silent for longer than the heartbeat timeout: the id is free
        clock.advanceSeconds(6);
        registry.register(other);
        assertThat(registry.node("e1").orElseThrow().role()).isEqualTo(NodeConfig.Role.SHIELD);
    }

    static NodeStats stats(long requests) {
        return new NodeStats(requests, requests / 2, requests / 2, 0, 0, 0, 0, 0, 0, requests / 2, 0, 0.5, 0, 2, Map.of());
    }

    NodeView.Health health(String id) {
        return registry.node(id).orElseThrow().health();
    }

    @Test
    void aNodeTurnsUnhealthyAfterMissedHeartbeatsAndHealthyOnTheNext() {
        registry.register(reg("e1", "eu", NodeConfig.Role.EDGE, "192.0.2.1"));
        long v0 = registry.version();
        clock.advanceSeconds(10);
        registry.heartbeat("e1", new Heartbeat(null, 0L, 0L));
        clock.advanceSeconds(15);
        assertThat(registry.sweep()).isFalse();
        assertThat(health("e1")).isEqualTo(NodeView.Health.HEALTHY);
        clock.advance(Duration.ofMillis(1));
        assertThat(health("e1")).as("judged at read time too").isEqualTo(NodeView.Health.UNHEALTHY);
        assertThat(registry.sweep()).isTrue();
        assertThat(registry.version()).isGreaterThan(v0);
        assertThat(registry.edges()).singleElement().extracting(EdgeCandidate::healthy).isEqualTo(false);

        long v1 = registry.version();
        registry.heartbeat("e1", new Heartbeat(null, 0L, 0L));
        assertThat(health("e1")).isEqualTo(NodeView.Health.HEALTHY);
        assertThat(registry.version()).isGreaterThan(v1);
        assertThat(registry.heartbeat("nobody", new Heartbeat(null, 0L, 0L))).isFalse();
    }

    @Test
    void drainShowsInTheDnsViewAndOnlyEdgesAreListed() throws Exception {
        registry.register(reg("e1", "eu", NodeConfig.Role.EDGE, "192.0.2.1"));
        registry.register(reg("s1", "eu", NodeConfig.Role.SHIELD, "192.0.2.9"));
        registry.register(new NodeRegistration("e2", "us", NodeConfig.Role.EDGE, new Coordinates(40.7, -74.0),
                List.of("2001:db8::2", "edge2.example.test"), null, 0L, 0L));
        assertThat(registry.edges()).extracting(EdgeCandidate::nodeId).containsExactlyInAnyOrder("e1", "e2");
        EdgeCandidate e2 = registry.edges().stream().filter(e -> e.nodeId().equals("e2")).findFirst().orElseThrow();
        assertThat(e2.addresses()).containsExactly(InetAddress.getByName("2001:db8::2"));
        assertThat(e2.coordinates()).isEqualTo(new Coordinates(40.7, -74.0));

        long v = registry.version();
        registry.setDrained("e1", true);
        assertThat(registry.version()).isGreaterThan(v);
        assertThat(registry.edges()).filteredOn(EdgeCandidate::drained).extracting(EdgeCandidate::nodeId).containsExactly("e1");
        assertThat(registry.setDrained("ghost", true)).isEmpty();
    }

    @Test
    void progressAndRequestRatesComeFromHeartbeatsAndAcks() {
        registry.register(reg("e1", "eu", NodeConfig.Role.EDGE, "192.0.2.1"));
        registry.heartbeat("e1", new Heartbeat(stats(1000), 0L, 0L));
        clock.advanceSeconds(5);
        registry.heartbeat("e1", new Heartbeat(stats(1500), 0L, 0L));
        assertThat(registry.node("e1").orElseThrow().requestsPerSecond()).isEqualTo(100.0);
        registry.ack("e1", Ack.purge(7));
        registry.ack("e1", Ack.purge(5)); // acks are cumulative: an old one never moves progress back
        registry.ack("e1", Ack.config(3));
        NodeView n = registry.node("e1").orElseThrow();
        assertThat(n.purgeSequence()).isEqualTo(7);
        assertThat(n.configVersion()).isEqualTo(3);
        assertThat(registry.minPurgeSequenceOverHealthy()).isEqualTo(7);
        clock.advanceSeconds(16);
        assertThat(registry.minPurgeSequenceOverHealthy()).as("no healthy node").isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void registrationsDrainAndProgressSurviveARestartWithOneTimeoutOfGrace() {
        registry.register(reg("e1", "eu", NodeConfig.Role.EDGE, "192.0.2.1"));
        registry.setDrained("e1", true);
        registry.ack("e1", Ack.config(2));
        registry.heartbeat("e1", new Heartbeat(null, 2L, 9L));
        store.close();

        clock.advanceSeconds(600);
        store = Store.rocksdb(dir);
        registry = new NodeRegistry(store, clock, Duration.ofSeconds(15), (id, region) -> 2);
        NodeView n = registry.node("e1").orElseThrow();
        assertThat(n.drained()).isTrue();
        assertThat(n.configVersion()).isEqualTo(2);
        assertThat(n.desiredConfigVersion()).isEqualTo(2);
        assertThat(n.purgeSequence()).isEqualTo(9);
        assertThat(n.health()).isEqualTo(NodeView.Health.HEALTHY);
        clock.advanceSeconds(16);
        registry.sweep();
        assertThat(health("e1")).isEqualTo(NodeView.Health.UNHEALTHY);
        assertThat(registry.remove("e1")).isTrue();
        store.close();
        store = Store.rocksdb(dir);
        registry = new NodeRegistry(store, clock, Duration.ofSeconds(15), (id, region) -> 0);
        assertThat(registry.nodes()).isEmpty();
    }

    /**
     * A replica on a shared store registers a node while its sweeper's refresh is between reading
     * the store and dropping the nodes the read did not find: the new node is not one another
     * replica removed, and stays (it was dropped, and its subscription answered 404).
     */
    @Test
    void aNodeRegisteredWhileASharedStoreIsReadIsNotTakenForRemovedByAnotherReplica() {
        SharedStore shared = new SharedStore(store);
        NodeRegistry replica = new NodeRegistry(shared, clock, Duration.ofSeconds(15), (id, region) -> 0);
        replica.register(reg("e1", "eu", NodeConfig.Role.EDGE, "192.0.2.1"));
        shared.afterNodesScan = () -> replica.register(reg("e2", "eu", NodeConfig.Role.EDGE, "192.0.2.2"));
        replica.sweep();
        assertThat(replica.node("e2")).as("registered during the refresh").isPresent();
        assertThat(replica.node("e1")).isPresent();
        replica.sweep();
        assertThat(replica.nodes()).extracting(NodeView::nodeId).containsExactly("e1", "e2");
        // a node another replica removed (its record gone from the store) is still dropped
        assertThat(store.compareAndDelete("nodes/e1", store.get("nodes/e1").orElseThrow().version())).isTrue();
        replica.sweep();
        assertThat(replica.nodes()).extracting(NodeView::nodeId).containsExactly("e2");
    }

    /** The embedded store presented as shared, running something right after a scan of the node records. */
    static final class SharedStore implements Store {
        final Store delegate;
        volatile Runnable afterNodesScan;

        SharedStore(Store delegate) {
            this.delegate = delegate;
        }

        @Override
        public boolean shared() {
            return true;
        }

        @Override
        public List<KeyValue> scan(String prefix) {
            List<KeyValue> out = delegate.scan(prefix);
            Runnable hook = afterNodesScan;
            if (hook != null && prefix.equals("nodes/")) {
                afterNodesScan = null;
                hook.run();
            }
            return out;
        }

        @Override
        public long append(String log, java.util.function.LongFunction<byte[]> valueForSequence) {
            return delegate.append(log, valueForSequence);
        }

        @Override
        public long appendAt(String log, long expectedHead, java.util.function.LongFunction<byte[]> valueForSequence) {
            return delegate.appendAt(log, expectedHead, valueForSequence);
        }

        @Override
        public List<Entry> read(String log, long after, int limit) {
            return delegate.read(log, after, limit);
        }

        @Override
        public long head(String log) {
            return delegate.head(log);
        }

        @Override
        public AutoCloseable watch(String log, java.util.function.Consumer<Entry> listener) {
            return delegate.watch(log, listener);
        }

        @Override
        public java.util.Optional<Versioned> get(String key) {
            return delegate.get(key);
        }

        @Override
        public long compareAndSet(String key, long expectedVersion, byte[] value) {
            return delegate.compareAndSet(key, expectedVersion, value);
        }

        @Override
        public boolean compareAndDelete(String key, long expectedVersion) {
            return delegate.compareAndDelete(key, expectedVersion);
        }

        @Override
        public void close() {
            // the test closes the delegate
        }
    }
}
