package dev.outpost.controlplane.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.ConfigVersion;
import dev.outpost.config.fleet.FleetProtocol;
import dev.outpost.config.fleet.NodeView;
import dev.outpost.config.fleet.SyncMarker;
import dev.outpost.controlplane.configs.ConfigVersions;
import dev.outpost.controlplane.purge.PurgeLog;
import dev.outpost.controlplane.registry.NodeRegistry;
import dev.outpost.controlplane.store.Store;
import io.undertow.server.handlers.sse.ServerSentEventConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes' subscriptions (Server-Sent Events). Each subscriber has a cursor into the purge log
 * and the config version it was last sent; a "pump" sends whatever lies beyond, in order, and
 * runs whenever a purge is appended or a config pushed. Backlog and live events take the same
 * path, so a node that reconnects gets its config first, then every purge it missed, then the
 * {@code synced} marker, then live events, with no gap and no reordering between them.
 */
final class NodeStreams {

    private static final Logger LOG = LoggerFactory.getLogger(NodeStreams.class);
    private static final int BATCH = 256;
    private static final int RECENT_KEPT = 1024;

    private final PurgeLog purges;
    private final ConfigVersions configs;
    private final NodeRegistry registry;
    private final ExecutorService executor;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    /** The newest purges the store's watch delivered, so live events cost no store read per subscriber. */
    private final RecentEntries recent = new RecentEntries(RECENT_KEPT);

    NodeStreams(PurgeLog purges, ConfigVersions configs, NodeRegistry registry, ExecutorService executor) {
        this.purges = purges;
        this.configs = configs;
        this.registry = registry;
        this.executor = executor;
        purges.watchRaw(e -> {
            recent.add(e);
            pumpAll();
        });
        configs.onPush(v -> pumpAll());
    }

    void connected(ServerSentEventConnection connection, String nodeId, long after, long keepaliveMillis) {
        // a node ahead of the log (the store was replaced) restarts from the head: the synced
        // marker then tells it its purge history is gone
        Subscriber s = new Subscriber(connection, nodeId, Math.min(after, purges.head()));
        connection.setKeepAliveTime(keepaliveMillis);
        subscribers.add(s);
        registry.connected(nodeId, true);
        connection.addCloseTask(c -> {
            if (subscribers.remove(s)) {
                registry.connected(nodeId, false);
                LOG.info("node {} unsubscribed", nodeId);
            }
        });
        LOG.info("node {} subscribed after purge #{}", nodeId, after);
        s.requestPump();
    }

    int size() {
        return subscribers.size();
    }

    void closeAll() {
        for (Subscriber s : subscribers) {
            try {
                s.connection.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private void pumpAll() {
        for (Subscriber s : subscribers) {
            s.requestPump();
        }
    }

    private final class Subscriber {
        final ServerSentEventConnection connection;
        final String nodeId;
        long cursor;
        long configSent;
        boolean synced;
        final AtomicBoolean wanted = new AtomicBoolean();
        final AtomicBoolean running = new AtomicBoolean();

        Subscriber(ServerSentEventConnection connection, String nodeId, long after) {
            this.connection = connection;
            this.nodeId = nodeId;
            this.cursor = after;
        }

        void requestPump() {
            wanted.set(true);
            if (running.compareAndSet(false, true)) {
                executor.execute(this::drain);
            }
        }

        private void drain() {
            try {
                while (wanted.getAndSet(false)) {
                    pumpOnce();
                }
            } catch (RuntimeException e) {
                LOG.warn("subscription of node {} failed; closing it", nodeId, e);
                try {
                    connection.close();
                } catch (IOException ignored) {
                    // closed
                }
            } finally {
                running.set(false);
            }
            if (wanted.get() && connection.isOpen() && running.compareAndSet(false, true)) {
                executor.execute(this::drain);
            }
        }

        private void send(Store.Entry e) {
            connection.send(new String(e.value(), StandardCharsets.UTF_8), FleetProtocol.EVENT_PURGE,
                    Long.toString(e.sequence()), null);
            cursor = e.sequence();
        }

        private void pumpOnce() {
            if (!connection.isOpen()) {
                return;
            }
            Optional<NodeView> node = registry.node(nodeId);
            if (node.isEmpty()) {
                return;
            }
            Optional<ConfigVersion> cfg = configs.forNode(nodeId, node.get().region());
            if (cfg.isPresent() && cfg.get().version() > configSent) {
                connection.send(json(cfg.get()), FleetProtocol.EVENT_CONFIG, "c" + cfg.get().version(), null);
                configSent = cfg.get().version();
            }
            while (true) {
                Store.Entry next = recent.get(cursor + 1);
                if (next != null) {
                    send(next);
                    continue;
                }
                if (synced && recent.covers(cursor)) {
                    // nothing newer was delivered by the watch: when it delivers more, it pumps again
                    break;
                }
                // a backlog older than what the watch delivered (a node catching up), or the first pump
                List<Store.Entry> batch = purges.raw(cursor, BATCH);
                if (batch.isEmpty()) {
                    break;
                }
                batch.forEach(this::send);
            }
            if (!synced) {
                synced = true;
                connection.send(json(new SyncMarker(configSent, cursor)), FleetProtocol.EVENT_SYNCED, null, null);
            }
        }
    }

    /**
     * The last {@code kept} log entries the watch delivered, contiguous (the watch delivers every
     * entry once, in order, without gaps).
     */
    static final class RecentEntries {
        private final int kept;
        private final java.util.concurrent.ConcurrentSkipListMap<Long, Store.Entry> entries =
                new java.util.concurrent.ConcurrentSkipListMap<>();

        RecentEntries(int kept) {
            this.kept = kept;
        }

        void add(Store.Entry e) {
            Long last = entries.isEmpty() ? null : entries.lastKey();
            if (last != null && e.sequence() != last + 1) {
                entries.clear(); // not contiguous with what is kept (cannot happen with a gapless watch): start again
            }
            entries.put(e.sequence(), e);
            while (entries.size() > kept) {
                entries.pollFirstEntry();
            }
        }

        Store.Entry get(long sequence) {
            return entries.get(sequence);
        }

        /**
         * Whether {@code cursor} is at or past the newest entry delivered while not older than
         * the oldest one kept: then nothing is known beyond it.
         */
        boolean covers(long cursor) {
            if (entries.isEmpty()) {
                return false;
            }
            return cursor >= entries.lastKey() && cursor >= entries.firstKey() - 1;
        }
    }

    private static String json(Object o) {
        try {
            return OutpostJson.json().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
