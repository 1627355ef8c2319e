package dev.outpost.controlplane.configs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.ConfigDiff;
import dev.outpost.config.fleet.ConfigTarget;
import dev.outpost.config.fleet.ConfigVersion;
import dev.outpost.controlplane.store.Store;
import java.io.IOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versioned delivery configs: an append-only log in the {@link Store} (version = sequence
 * number), mirrored in memory. A node runs the newest version whose target includes it; a
 * rollback appends a copy of an old version, so history never changes.
 */
public final class ConfigVersions {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigVersions.class);
    public static final String LOG_NAME = "configs";

    private final Store store;
    private final InstantSource clock;
    private final NavigableMap<Long, ConfigVersion> versions = new ConcurrentSkipListMap<>();
    private final List<Consumer<ConfigVersion>> listeners = new CopyOnWriteArrayList<>();
    private final AutoCloseable watch;

    public ConfigVersions(Store store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
        // versions pushed through other replicas (a shared store) arrive by the watch; the ones
        // pushed here too, whichever path sees a version first tells the listeners
        this.watch = store.watch(LOG_NAME, e -> added(decode(e.value())));
        long after = 0;
        for (List<Store.Entry> batch = store.read(LOG_NAME, after, 500); !batch.isEmpty();
             batch = store.read(LOG_NAME, after, 500)) {
            for (Store.Entry e : batch) {
                versions.put(e.sequence(), decode(e.value()));
                after = e.sequence();
            }
        }
    }

    private void added(ConfigVersion v) {
        if (versions.putIfAbsent(v.version(), v) != null) {
            return;
        }
        for (Consumer<ConfigVersion> l : listeners) {
            try {
                l.accept(v);
            } catch (RuntimeException e) {
                LOG.warn("config listener failed", e);
            }
        }
    }

    /** Stops following the log (the store is closing). */
    public void close() {
        try {
            watch.close();
        } catch (Exception e) {
            LOG.debug("closing the config watch", e);
        }
    }

    /** Runs {@code listener} with every version pushed from now on, here or through another replica. */
    public void onPush(Consumer<ConfigVersion> listener) {
        listeners.add(listener);
    }

    /**
     * Stores {@code config} as the next version. With {@code baseVersion} set, refuses with
     * {@link Conflict} when the newest version is another one (someone pushed meanwhile).
     */
    public ConfigVersion push(DeliveryConfig config, ConfigTarget target, String comment, Long baseVersion, Long rollbackOf) {
        java.time.Instant now = clock.instant();
        ConfigVersion[] made = new ConfigVersion[1];
        java.util.function.LongFunction<byte[]> value = n -> {
            made[0] = new ConfigVersion(n, now, target, rollbackOf, comment, config);
            return encode(made[0]);
        };
        // compare-and-set on the log's head: with a base version, a push that lost the race to
        // another writer (here or on another replica) is refused, never numbered twice
        long seq = baseVersion == null ? store.append(LOG_NAME, value) : store.appendAt(LOG_NAME, baseVersion, value);
        if (seq < 0) {
            throw new Conflict("the newest version is " + store.head(LOG_NAME) + ", not " + baseVersion
                    + ": someone pushed meanwhile");
        }
        ConfigVersion v = made[0];
        if (v.version() != seq) {
            throw new IllegalStateException("config log numbered v" + seq + " for v" + v.version());
        }
        added(v);
        LOG.info("config v{} stored for {}{}", v.version(), v.target(), rollbackOf == null ? "" : " (rollback to v" + rollbackOf + ")");
        return v;
    }

    /** Appends a copy of version {@code version}, for {@code target} (its own target when null). */
    public Optional<ConfigVersion> rollback(long version, ConfigTarget target, String comment) {
        ConfigVersion old = versions.get(version);
        if (old == null) {
            return Optional.empty();
        }
        return Optional.of(push(old.config(), target == null ? old.target() : target,
                comment == null ? "rollback to v" + version : comment, null, version));
    }

    public Optional<ConfigVersion> get(long version) {
        return Optional.ofNullable(versions.get(version));
    }

    /** The newest version, if any. */
    public Optional<ConfigVersion> newest() {
        Map.Entry<Long, ConfigVersion> e = versions.lastEntry();
        return e == null ? Optional.empty() : Optional.of(e.getValue());
    }

    /** Every version without its document, oldest first. */
    public List<ConfigVersion> history() {
        return versions.values().stream().map(ConfigVersion::summary).toList();
    }

    /** The newest version whose target includes this node. */
    public Optional<ConfigVersion> forNode(String nodeId, String region) {
        for (Iterator<ConfigVersion> it = versions.descendingMap().values().iterator(); it.hasNext(); ) {
            ConfigVersion v = it.next();
            if (v.target().includes(nodeId, region)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** The number of the version meant for this node; 0 when none is. */
    public long versionFor(String nodeId, String region) {
        return forNode(nodeId, region).map(ConfigVersion::version).orElse(0L);
    }

    /** Key-by-key changes from version {@code from} to version {@code to}; empty when either is unknown. */
    public Optional<ConfigDiff> diff(long from, long to) {
        ConfigVersion a = versions.get(from);
        ConfigVersion b = versions.get(to);
        if (a == null || b == null) {
            return Optional.empty();
        }
        List<ConfigDiff.Change> changes = new ArrayList<>();
        compare("", OutpostJson.json().valueToTree(a.config()), OutpostJson.json().valueToTree(b.config()), changes);
        return Optional.of(new ConfigDiff(from, to, changes));
    }

    private static void compare(String path, JsonNode a, JsonNode b, List<ConfigDiff.Change> out) {
        if (a == null && b == null) {
            return;
        }
        if (a == null || a.isNull()) {
            if (b != null && !b.isNull()) {
                out.add(new ConfigDiff.Change(path, "added", null, b));
            }
            return;
        }
        if (b == null || b.isNull()) {
            out.add(new ConfigDiff.Change(path, "removed", a, null));
            return;
        }
        if (a.isObject() && b.isObject()) {
            TreeSet<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                compare(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
            }
        } else if (a.isArray() && b.isArray()) {
            for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
                compare(path + "[" + i + "]", a.get(i), b.get(i), out);
            }
        } else if (!a.equals(b)) {
            out.add(new ConfigDiff.Change(path, "changed", a, b));
        }
    }

    private static byte[] encode(ConfigVersion v) {
        try {
            return OutpostJson.json().writeValueAsBytes(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ConfigVersion decode(byte[] b) {
        try {
            return OutpostJson.json().readValue(b, ConfigVersion.class);
        } catch (IOException e) {
            throw new Store.StoreException("unreadable config version: " + e.getMessage(), e);
        }
    }

    /** A push based on a version that is no longer the newest. */
    public static final class Conflict extends RuntimeException {
        public Conflict(String message) {
            super(message);
        }
    }
}
