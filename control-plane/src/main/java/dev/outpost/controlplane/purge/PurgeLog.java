package dev.outpost.controlplane.purge;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.NodeView;
import dev.outpost.config.fleet.Purge;
import dev.outpost.config.fleet.PurgeEvent;
import dev.outpost.config.fleet.PurgeStatus;
import dev.outpost.controlplane.registry.NodeRegistry;
import dev.outpost.controlplane.store.Store;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable purge log and how far each purge has got. {@link #accept} writes a purge to the
 * {@link Store} (synced) before it returns, so a purge the caller was told about survives any
 * crash; its sequence number fixes the order every node applies purges in. Nodes ack
 * cumulatively; a purge is complete when every healthy node has acked it, and the time from
 * acceptance to that last ack goes to {@code outpost_purge_propagation_seconds}.
 */
public final class PurgeLog {

    private static final Logger LOG = LoggerFactory.getLogger(PurgeLog.class);
    public static final String LOG_NAME = "purges";
    private static final int COMPLETED_KEPT = 10_000;

    private final Store store;
    private final InstantSource clock;
    private final NodeRegistry registry;
    private final Timer propagation;
    private static final Duration[] BUCKETS = java.util.stream.LongStream.of(
                    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000)
            .mapToObj(Duration::ofMillis).toArray(Duration[]::new);
    private final ConcurrentSkipListMap<Long, Instant> pending = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<Long, Double> completed = new ConcurrentSkipListMap<>();

    public PurgeLog(Store store, InstantSource clock, NodeRegistry registry, MeterRegistry meters) {
        this.store = store;
        this.clock = clock;
        this.registry = registry;
        this.propagation = Timer.builder("outpost.purge.propagation")
                .description("time from a purge being accepted to the last healthy node's ack")
                .serviceLevelObjectives(BUCKETS)
                .register(meters);
        Gauge.builder("outpost.purge.log.length", this, PurgeLog::head)
                .description("purges in the durable log").register(meters);
        registry.onChange(this::checkCompletion);
    }

    /** Writes {@code purge} to the log (durably) and returns it with its sequence number. */
    public PurgeEvent accept(Purge purge) {
        Instant now = clock.instant();
        // the sequence is the store's (shared by every replica on etcd); the event carries it
        long seq = store.append(LOG_NAME, n -> encode(new PurgeEvent(n, now, purge)));
        pending.put(seq, now);
        LOG.info("purge #{} accepted: {} {}{}", seq, OutpostJson.kebab(purge.kind()), purge.values(), purge.soft() ? " (soft)" : "");
        checkCompletion();
        return new PurgeEvent(seq, now, purge);
    }

    /** Calls {@code listener} with every purge appended from now on, in order, on the appending thread. */
    public AutoCloseable watch(Consumer<PurgeEvent> listener) {
        return store.watch(LOG_NAME, e -> listener.accept(decode(e.value())));
    }

    /**
     * Calls {@code listener} with every log entry appended from now on as stored (a
     * {@link PurgeEvent} in JSON), in order and without gaps, once each.
     */
    public AutoCloseable watchRaw(Consumer<Store.Entry> listener) {
        return store.watch(LOG_NAME, listener);
    }

    /** Up to {@code limit} purges after sequence {@code after}, in order. */
    public List<PurgeEvent> after(long after, int limit) {
        List<PurgeEvent> out = new ArrayList<>();
        for (Store.Entry e : store.read(LOG_NAME, after, limit)) {
            out.add(decode(e.value()));
        }
        return out;
    }

    /** Up to {@code limit} log entries after {@code after} as stored (each a {@link PurgeEvent} in JSON). */
    public List<Store.Entry> raw(long after, int limit) {
        return store.read(LOG_NAME, after, limit);
    }

    /** The newest sequence; 0 when no purge was ever made. */
    public long head() {
        return store.head(LOG_NAME);
    }

    /** Where purge {@code sequence} stands across the fleet; empty when there is no such purge. */
    public Optional<PurgeStatus> status(long sequence) {
        if (sequence < 1 || sequence > head()) {
            return Optional.empty();
        }
        List<PurgeEvent> one = after(sequence - 1, 1);
        if (one.isEmpty() || one.getFirst().sequence() != sequence) {
            return Optional.empty();
        }
        return Optional.of(status(one.getFirst()));
    }

    /** Where purge {@code e} (just accepted, so known without reading the store) stands across the fleet. */
    public PurgeStatus status(PurgeEvent e) {
        long sequence = e.sequence();
        List<String> acked = new ArrayList<>();
        List<String> waiting = new ArrayList<>();
        List<String> unhealthy = new ArrayList<>();
        for (NodeView n : registry.nodes()) {
            if (n.purgeSequence() >= sequence) {
                acked.add(n.nodeId());
            } else if (n.health() == NodeView.Health.HEALTHY) {
                waiting.add(n.nodeId());
            } else {
                unhealthy.add(n.nodeId());
            }
        }
        if (waiting.isEmpty()) {
            checkCompletion();
        }
        return new PurgeStatus(sequence, e.acceptedAt(), e.purge(), waiting.isEmpty(), acked, waiting,
                unhealthy, completed.get(sequence));
    }

    /** Whether every healthy node has acked purge {@code sequence}; cheap, for waiting loops. */
    public boolean isComplete(long sequence) {
        return sequence <= registry.minPurgeSequenceOverHealthy();
    }

    /** Marks purges every healthy node has acked as complete and records their propagation time. */
    public void checkCompletion() {
        if (pending.isEmpty()) {
            return;
        }
        long min = registry.minPurgeSequenceOverHealthy();
        Instant now = clock.instant();
        for (Map.Entry<Long, Instant> e = pending.firstEntry(); e != null && e.getKey() <= min; e = pending.firstEntry()) {
            if (pending.remove(e.getKey()) == null) {
                continue; // another thread completed it
            }
            Duration d = Duration.between(e.getValue(), now);
            propagation.record(d);
            completed.put(e.getKey(), d.toNanos() / 1e9);
            if (completed.size() > COMPLETED_KEPT) {
                completed.pollFirstEntry();
            }
        }
    }

    /** Problems of a purge request, each one line; empty when it can be accepted. */
    public static List<String> problems(Purge p) {
        return PurgeValidation.problems(p);
    }

    private static byte[] encode(PurgeEvent e) {
        try {
            return OutpostJson.json().writeValueAsBytes(e);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static PurgeEvent decode(byte[] b) {
        try {
            return OutpostJson.json().readValue(b, PurgeEvent.class);
        } catch (IOException e) {
            throw new Store.StoreException("unreadable purge log entry: " + e.getMessage(), e);
        }
    }
}
