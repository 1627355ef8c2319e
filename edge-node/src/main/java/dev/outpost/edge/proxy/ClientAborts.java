package dev.outpost.edge.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Counts clients that left while their request waited for the origin, by what the request was
 * doing ({@code outpost_client_aborts_total{stage}}), and the upstream fetches called off because
 * nobody wanted them any more ({@code outpost_origin_requests_cancelled_total}). The difference
 * is what the node kept going for others: fetches other clients still waited on.
 */
final class ClientAborts {

    /** What a request was doing when its client left. */
    enum Stage {
        /** Looking the key up, or waiting on another request's lookup: no fetch of its own yet. */
        LOOKUP,
        /** Passed upstream, not cacheable: its fetch is cancelled. */
        PASS,
        /** Leading a cacheable fetch (miss or revalidation): cancelled unless others wait on it. */
        FETCH,
        /** Waiting on another request's fetch. */
        COLLAPSED
    }

    private final Map<Stage, Counter> left = new EnumMap<>(Stage.class);
    private final Counter cancelled;

    ClientAborts(MeterRegistry registry) {
        for (Stage s : Stage.values()) {
            left.put(s, Counter.builder("outpost.client.aborts").tag("stage", s.name().toLowerCase(Locale.ROOT))
                    .description("Clients that closed the connection or reset the stream while their request waited")
                    .register(registry));
        }
        cancelled = Counter.builder("outpost.origin.requests.cancelled")
                .description("Upstream fetches called off because every client waiting for them had left")
                .register(registry);
    }

    /** A fetch was called off when a client that had already left gave up its share. */
    void cancelled() {
        cancelled.increment();
    }

    /** A client left at {@code stage}; {@code cancelledFetch} when that called its fetch off. */
    void left(Stage stage, boolean cancelledFetch) {
        left.get(stage).increment();
        if (cancelledFetch) {
            cancelled.increment();
        }
    }
}
