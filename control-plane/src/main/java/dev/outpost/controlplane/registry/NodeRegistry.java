package dev.outpost.controlplane.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.Ack;
import dev.outpost.config.fleet.Heartbeat;
import dev.outpost.config.fleet.NodeRegistration;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.NodeView;
import dev.outpost.controlplane.dns.EdgeCandidate;
import dev.outpost.controlplane.dns.EdgeDirectory;
import dev.outpost.controlplane.store.Store;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongBiFunction;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet's nodes: what each registered, whether it is healthy (heartbeats no older than the
 * timeout, judged on the injected clock), drained, connected, and how far it has got with
 * config and purges. Registrations, drain state and progress are kept in the {@link Store}, so
 * a restarted control plane still knows its fleet; heartbeat times are not, and every known
 * node gets one heartbeat timeout after a restart to come back.
 *
 * <p>It is also the {@link EdgeDirectory} DNS steering reads: {@link #version()} moves whenever
 * an edge's health, drain state or addresses change.
 */
public final class NodeRegistry implements EdgeDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(NodeRegistry.class);
    private static final String PREFIX = "nodes/";
    private static final String HEARTBEATS = "heartbeats/";

    private final Store store;
    private final InstantSource clock;
    private final Duration heartbeatTimeout;
    private final Map<String, NodeState> nodes = new ConcurrentHashMap<>();
    private final AtomicLong version = new AtomicLong(1);
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final ToLongBiFunction<String, String> desiredVersion;
    private volatile Instant refreshedAt;

    /**
     * @param desiredVersion the config version meant for a node, by node id and region (0: none)
     */
    public NodeRegistry(Store store, InstantSource clock, Duration heartbeatTimeout,
                        ToLongBiFunction<String, String> desiredVersion) {
        this.store = store;
        this.clock = clock;
        this.heartbeatTimeout = heartbeatTimeout;
        this.desiredVersion = desiredVersion;
        Instant now = clock.instant();
        if (store.shared()) {
            // replicas on one store: heartbeat times are in the store, so no grace is needed
            refresh();
            judge(clock.instant());
            return;
        }
        for (Store.KeyValue kv : store.scan(PREFIX)) {
            StoredNode s = decode(kv.value());
            NodeState n = new NodeState(s, kv.version());
            n.lastHeartbeat = now; // grace: one timeout to reconnect after a restart
            n.healthy = true;
            nodes.put(s.registration().nodeId(), n);
        }
        if (!nodes.isEmpty()) {
            LOG.info("registry loaded {} nodes", nodes.size());
        }
    }

    /** Runs {@code listener} after any change of health, drain state, registration or progress. */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** Registers a node, or refreshes the registration of a known one (a reconnect). Counts as a heartbeat. */
    public NodeView register(NodeRegistration r) {
        Instant now = clock.instant();
        NodeState n = nodes.compute(r.nodeId(), (id, old) -> {
            NodeState s = old != null ? old
                    : new NodeState(new StoredNode(r, now.toEpochMilli(), false, 0, null, 0), 0);
            synchronized (s) {
                if (old != null) {
                    refuseCollision(old, r, now);
                }
                boolean addressChanged = old != null && !old.stored.registration().equals(r);
                s.stored = new StoredNode(r, old == null ? now.toEpochMilli() : s.stored.registeredAtMillis(),
                        s.stored.drained(), r.configVersion(), s.stored.configError(),
                        r.purgeSequence());
                s.lastHeartbeat = now;
                if (old == null || addressChanged || !s.healthy) {
                    version.incrementAndGet();
                }
                s.healthy = true;
            }
            return s;
        });
        persist(n, false);
        shareHeartbeat(n, now);
        LOG.info("node registered: {} region {} role {} config v{} purge #{}", r.nodeId(), r.region(),
                OutpostJson.kebab(r.role()), r.configVersion(), r.purgeSequence());
        changed();
        return view(n, now);
    }

    /**
     * Refuses a registration under the id of another node that is still live: both name an
     * instance and the names differ (a restart of the same node keeps its instance name, so it
     * may always register again). Once the other node has missed its heartbeats for the
     * timeout, the id is free for whoever registers next.
     */
    private void refuseCollision(NodeState old, NodeRegistration r, Instant now) {
        NodeRegistration known = old.stored.registration();
        if (known.instance() == null || r.instance() == null || known.instance().equals(r.instance()) || !isFresh(old, now)) {
            return;
        }
        throw new NodeIdCollision("node id '" + r.nodeId() + "' is taken by another live node (admin "
                + known.adminUrl() + ", last heartbeat " + Duration.between(old.lastHeartbeat, now).toSeconds()
                + "s ago): give each node its own --node-id");
    }

    /** A registration under an id that another live node holds. */
    public static final class NodeIdCollision extends RuntimeException {
        NodeIdCollision(String message) {
            super(message);
        }
    }

    /** Records a heartbeat; false when the node is unknown (it must register again). */
    public boolean heartbeat(String nodeId, Heartbeat hb) {
        NodeState n = nodes.get(nodeId);
        if (n == null) {
            return false;
        }
        Instant now = clock.instant();
        boolean becameHealthy;
        synchronized (n) {
            if (hb.stats() != null) {
                if (n.stats != null && n.statsAt != null && now.isAfter(n.statsAt)) {
                    double secs = Duration.between(n.statsAt, now).toNanos() / 1e9;
                    n.requestsPerSecond = Math.max(0, hb.stats().requests() - n.stats.requests()) / secs;
                }
                n.stats = hb.stats();
                n.statsAt = now;
            }
            n.lastHeartbeat = now;
            becameHealthy = !n.healthy;
            n.healthy = true;
        }
        boolean progressed = progress(n, hb.configVersion(), hb.purgeSequence(), null, false);
        if (becameHealthy) {
            version.incrementAndGet();
            LOG.info("node healthy again: {}", nodeId);
        }
        boolean dirty;
        synchronized (n) {
            dirty = n.dirty;
            n.dirty = false;
        }
        if (progressed || dirty) {
            persist(n, false); // purge progress acked since the last write
        }
        shareHeartbeat(n, now);
        if (becameHealthy || progressed) {
            changed();
        }
        return true;
    }

    /** Records an ack; false when the node is unknown. */
    public boolean ack(String nodeId, Ack ack) {
        NodeState n = nodes.get(nodeId);
        if (n == null) {
            return false;
        }
        boolean configChanged = ack.configVersion() != null;
        boolean progressed = progress(n, ack.configVersion() == null ? 0 : ack.configVersion(),
                ack.purgeSequence() == null ? 0 : ack.purgeSequence(), ack.configError(), ack.configError() != null);
        if (configChanged) {
            persist(n, false);
        } else if (progressed) {
            synchronized (n) {
                n.dirty = true; // purge acks are written with the next heartbeat; nodes resend them on reconnect
            }
        }
        if (progressed) {
            changed();
        }
        return true;
    }

    private boolean progress(NodeState n, long configVersion, long purgeSequence, String error, boolean refused) {
        synchronized (n) {
            StoredNode s = n.stored;
            long cfg = s.configVersion();
            String err = s.configError();
            if (refused) {
                err = "v" + configVersion + ": " + error;
                n.refusedVersion = configVersion;
            } else if (configVersion > 0 && configVersion != cfg) {
                cfg = configVersion;
                err = null;
            }
            long seq = Math.max(s.purgeSequence(), purgeSequence);
            if (cfg == s.configVersion() && seq == s.purgeSequence() && java.util.Objects.equals(err, s.configError())) {
                return false;
            }
            n.stored = new StoredNode(s.registration(), s.registeredAtMillis(), s.drained(), cfg, err, seq);
            return true;
        }
    }

    /** Drains or undrains a node; empty when it is unknown. */
    public Optional<NodeView> setDrained(String nodeId, boolean drained) {
        NodeState n = nodes.get(nodeId);
        if (n == null) {
            return Optional.empty();
        }
        synchronized (n) {
            StoredNode s = n.stored;
            n.stored = new StoredNode(s.registration(), s.registeredAtMillis(), drained, s.configVersion(),
                    s.configError(), s.purgeSequence());
        }
        persist(n, true);
        version.incrementAndGet();
        LOG.info("node {}: {}", nodeId, drained ? "drained" : "undrained");
        changed();
        return Optional.of(view(n, clock.instant()));
    }

    /** Forgets a node (decommissioned); false when it is unknown. */
    public boolean remove(String nodeId) {
        NodeState n = nodes.remove(nodeId);
        if (n == null) {
            return false;
        }
        synchronized (n) {
            store.compareAndDelete(PREFIX + nodeId, n.storeVersion);
            if (store.shared()) {
                store.get(HEARTBEATS + nodeId).ifPresent(h -> store.compareAndDelete(HEARTBEATS + nodeId, h.version()));
            }
        }
        version.incrementAndGet();
        LOG.info("node removed: {}", nodeId);
        changed();
        return true;
    }

    /** Counts a node's open subscriptions. */
    public void connected(String nodeId, boolean open) {
        NodeState n = nodes.get(nodeId);
        if (n != null) {
            synchronized (n) {
                n.connections += open ? 1 : -1;
            }
        }
    }

    /**
     * Judges every node's health on the clock; returns whether any changed. The control plane
     * calls it periodically; tests call it after advancing their clock.
     */
    public boolean sweep() {
        boolean any = false;
        if (store.shared()) {
            try {
                any = refresh();
            } catch (RuntimeException e) {
                LOG.warn("cannot refresh the fleet view from the store (view from {}): {}", refreshedAt, e.getMessage());
            }
        }
        Instant now = clock.instant();
        any |= judge(now);
        if (any) {
            version.incrementAndGet();
            changed();
        }
        return any;
    }

    /** Judges every node's health at {@code now}; true when any changed. */
    private boolean judge(Instant now) {
        boolean any = false;
        for (NodeState n : nodes.values()) {
            synchronized (n) {
                boolean healthy = isFresh(n, now);
                if (healthy != n.healthy) {
                    n.healthy = healthy;
                    any = true;
                    LOG.warn("node {} is {}", n.stored.registration().nodeId(), healthy ? "healthy" : "unhealthy: missed heartbeats");
                }
            }
        }
        return any;
    }

    /**
     * Reads every node's record and last heartbeat from a shared store (other replicas write
     * them), so each replica judges the same health; true when registrations, drain state or
     * addresses changed. The control plane's sweeper calls it (via {@link #sweep()}) every
     * sweep period.
     */
    boolean refresh() {
        // what each known node's record was before the scan: a node registered or written while
        // the scan ran is missing from it without having been removed
        Map<NodeState, Long> before = new java.util.IdentityHashMap<>();
        for (NodeState n : nodes.values()) {
            synchronized (n) {
                before.put(n, n.storeVersion);
            }
        }
        List<Store.KeyValue> records = store.scan(PREFIX);
        List<Store.KeyValue> beats = store.scan(HEARTBEATS);
        Instant read = clock.instant();
        boolean any = false;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Store.KeyValue kv : records) {
            StoredNode s = decode(kv.value());
            String id = s.registration().nodeId();
            seen.add(id);
            NodeState fresh = new NodeState(s, kv.version());
            NodeState n = nodes.putIfAbsent(id, fresh);
            if (n == null) {
                any = true;
                continue;
            }
            synchronized (n) {
                if (kv.version() > n.storeVersion) {
                    StoredNode mine = n.stored;
                    any |= !mine.registration().equals(s.registration()) || mine.drained() != s.drained();
                    n.stored = new StoredNode(s.registration(), s.registeredAtMillis(), s.drained(),
                            Math.max(mine.configVersion(), s.configVersion()),
                            s.configVersion() >= mine.configVersion() ? s.configError() : mine.configError(),
                            Math.max(mine.purgeSequence(), s.purgeSequence()));
                    n.storeVersion = kv.version();
                }
            }
        }
        for (Map.Entry<String, NodeState> e : nodes.entrySet()) {
            boolean persistedBeforeTheScan;
            synchronized (e.getValue()) {
                Long was = before.get(e.getValue());
                persistedBeforeTheScan = was != null && was > 0 && e.getValue().storeVersion == was;
            }
            if (!seen.contains(e.getKey()) && persistedBeforeTheScan && nodes.remove(e.getKey(), e.getValue())) {
                any = true; // removed through another replica
            }
        }
        for (Store.KeyValue kv : beats) {
            NodeState n = nodes.get(kv.key().substring(HEARTBEATS.length()));
            if (n == null) {
                continue;
            }
            StoredHeartbeat h = decodeHeartbeat(kv.value());
            Instant at = Instant.ofEpochMilli(h.atMillis());
            synchronized (n) {
                n.heartbeatVersion = Math.max(n.heartbeatVersion, kv.version());
                if (n.lastHeartbeat == null || at.isAfter(n.lastHeartbeat)) {
                    n.lastHeartbeat = at;
                    if (h.stats() != null) {
                        n.stats = h.stats();
                        n.statsAt = at;
                    }
                }
            }
        }
        refreshedAt = read;
        return any;
    }

    /**
     * Whether this replica's view of edge health is recent enough to answer DNS from: always
     * with the embedded store; with a shared store, when the last successful refresh is no older
     * than one heartbeat timeout (a replica cut off from etcd cannot know who is up, and answers
     * SERVFAIL so resolvers ask a replica that can).
     */
    @Override
    public boolean current() {
        if (!store.shared()) {
            return true;
        }
        Instant at = refreshedAt;
        return at != null && !Duration.between(at, clock.instant()).minus(heartbeatTimeout).isPositive();
    }

    /** When the view of a shared store was last read; null with the embedded store or before the first read. */
    public Instant refreshedAt() {
        return refreshedAt;
    }

    private void shareHeartbeat(NodeState n, Instant at) {
        if (!store.shared()) {
            return;
        }
        String id;
        byte[] bytes;
        long expected;
        synchronized (n) {
            id = n.stored.registration().nodeId();
            bytes = encodeAny(new StoredHeartbeat(at.toEpochMilli(), n.stats));
            expected = n.heartbeatVersion;
        }
        long v = store.compareAndSet(HEARTBEATS + id, expected, bytes);
        if (v < 0) {
            long current = store.get(HEARTBEATS + id).map(Store.Versioned::version).orElse(0L);
            v = store.compareAndSet(HEARTBEATS + id, current, bytes);
        }
        if (v > 0) {
            synchronized (n) {
                n.heartbeatVersion = Math.max(n.heartbeatVersion, v);
            }
        }
    }

    private boolean isFresh(NodeState n, Instant now) {
        return n.lastHeartbeat != null && !Duration.between(n.lastHeartbeat, now).minus(heartbeatTimeout).isPositive();
    }

    /** Every node, by id. */
    public List<NodeView> nodes() {
        Instant now = clock.instant();
        return nodes.values().stream().map(n -> view(n, now))
                .sorted(Comparator.comparing(NodeView::nodeId)).toList();
    }

    public Optional<NodeView> node(String nodeId) {
        NodeState n = nodes.get(nodeId);
        return n == null ? Optional.empty() : Optional.of(view(n, clock.instant()));
    }

    /** The smallest of {@code progress} over healthy nodes; {@code Long.MAX_VALUE} when there are none. */
    public long minOverHealthy(ToLongFunction<NodeView> progress) {
        long min = Long.MAX_VALUE;
        for (NodeView v : nodes()) {
            if (v.health() == NodeView.Health.HEALTHY) {
                min = Math.min(min, progress.applyAsLong(v));
            }
        }
        return min;
    }

    /**
     * The smallest purge sequence acked by a healthy node; {@code Long.MAX_VALUE} when no node
     * is healthy. Cheap: called on every ack.
     */
    public long minPurgeSequenceOverHealthy() {
        Instant now = clock.instant();
        long min = Long.MAX_VALUE;
        for (NodeState n : nodes.values()) {
            synchronized (n) {
                if (n.healthy && isFresh(n, now)) {
                    min = Math.min(min, n.stored.purgeSequence());
                }
            }
        }
        return min;
    }

    /** The stats each node last sent, with its requests per second. */
    public Map<NodeView, NodeStats> stats() {
        Map<NodeView, NodeStats> out = new java.util.LinkedHashMap<>();
        for (NodeView v : nodes()) {
            if (v.stats() != null) {
                out.put(v, v.stats());
            }
        }
        return out;
    }

    @Override
    public List<EdgeCandidate> edges() {
        List<EdgeCandidate> out = new ArrayList<>();
        for (NodeView v : nodes()) {
            if (v.role() != NodeConfig.Role.EDGE) {
                continue;
            }
            List<InetAddress> addresses = new ArrayList<>();
            for (String a : v.publicAddresses()) {
                try {
                    addresses.add(InetAddress.ofLiteral(a));
                } catch (IllegalArgumentException e) {
                    // a name, not an address: DNS answers only literal addresses
                }
            }
            out.add(new EdgeCandidate(v.nodeId(), v.region(), v.coordinates(), addresses,
                    v.health() == NodeView.Health.HEALTHY, v.drained(), 1.0, List.of()));
        }
        return out;
    }

    @Override
    public long version() {
        return version.get();
    }

    private NodeView view(NodeState n, Instant now) {
        NodeRegistration reg;
        synchronized (n) {
            reg = n.stored.registration();
        }
        long desired = desiredVersion.applyAsLong(reg.nodeId(), reg.region());
        synchronized (n) {
            StoredNode s = n.stored;
            NodeRegistration r = s.registration();
            return new NodeView(r.nodeId(), r.region(), r.role(), r.coordinates(), r.publicAddresses(), r.adminUrl(),
                    n.healthy && isFresh(n, now) ? NodeView.Health.HEALTHY : NodeView.Health.UNHEALTHY,
                    s.drained(), n.connections > 0, s.configVersion(), desired, s.configError(), s.purgeSequence(),
                    Instant.ofEpochMilli(s.registeredAtMillis()), n.lastHeartbeat, n.requestsPerSecond, n.stats);
        }
    }

    /** The version a node refused last (0: none), so config rollouts can stop waiting on it. */
    public long refusedVersion(String nodeId) {
        NodeState n = nodes.get(nodeId);
        if (n == null) {
            return 0;
        }
        synchronized (n) {
            return n.refusedVersion;
        }
    }

    private void persist(NodeState n, boolean drainChange) {
        String id;
        byte[] bytes;
        long expected;
        synchronized (n) {
            id = n.stored.registration().nodeId();
            bytes = encode(n.stored);
            expected = n.storeVersion;
        }
        long v = store.compareAndSet(PREFIX + id, expected, bytes);
        if (v < 0) {
            // someone else wrote it (a concurrent update here, or another replica): merge with the
            // newest and write over it, keeping its drain state unless this write is a drain
            Optional<Store.Versioned> current = store.get(PREFIX + id);
            long currentVersion = current.map(Store.Versioned::version).orElse(0L);
            if (current.isPresent()) {
                StoredNode theirs = decode(current.get().value());
                synchronized (n) {
                    StoredNode mine = n.stored;
                    n.stored = new StoredNode(mine.registration(), mine.registeredAtMillis(),
                            drainChange ? mine.drained() : theirs.drained(), mine.configVersion(), mine.configError(),
                            Math.max(mine.purgeSequence(), theirs.purgeSequence()));
                    bytes = encode(n.stored);
                }
            }
            v = store.compareAndSet(PREFIX + id, currentVersion, bytes);
        }
        if (v > 0) {
            synchronized (n) {
                n.storeVersion = Math.max(n.storeVersion, v);
            }
        }
    }

    private void changed() {
        for (Runnable r : listeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("registry listener failed", e);
            }
        }
    }

    private static byte[] encode(StoredNode s) {
        try {
            return OutpostJson.json().writeValueAsBytes(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encodeAny(Object o) {
        try {
            return OutpostJson.json().writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static StoredHeartbeat decodeHeartbeat(byte[] b) {
        try {
            return OutpostJson.json().readValue(b, StoredHeartbeat.class);
        } catch (java.io.IOException e) {
            throw new Store.StoreException("unreadable heartbeat record: " + e.getMessage(), e);
        }
    }

    private static StoredNode decode(byte[] b) {
        try {
            return OutpostJson.json().readValue(b, StoredNode.class);
        } catch (java.io.IOException e) {
            throw new Store.StoreException("unreadable node record: " + e.getMessage(), e);
        }
    }

    /** What the store keeps of a node. */
    record StoredNode(NodeRegistration registration, long registeredAtMillis, boolean drained,
                      long configVersion, String configError, long purgeSequence) {
    }

    /** A node's last heartbeat as replicas share it (only with a shared store): when, and its stats. */
    record StoredHeartbeat(long atMillis, NodeStats stats) {
    }

    /** A node's record and what is only kept in memory (heartbeats, stats, connections). */
    private static final class NodeState {
        StoredNode stored;
        long storeVersion;
        Instant lastHeartbeat;
        boolean healthy;
        NodeStats stats;
        Instant statsAt;
        double requestsPerSecond;
        int connections;
        long refusedVersion;
        boolean dirty;
        long heartbeatVersion;

        NodeState(StoredNode stored, long storeVersion) {
            this.stored = stored;
            this.storeVersion = storeVersion;
        }
    }
}
