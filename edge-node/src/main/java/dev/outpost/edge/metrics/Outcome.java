package dev.outpost.edge.metrics;

import java.util.Locale;

/**
 * How a request was answered, as metrics and access logs name it
 * ({@code outpost_requests_total{cache="..."}}).
 */
public enum Outcome {
    /** From cache, fresh (or served stale within stale-while-revalidate). */
    HIT,
    /** Fetched upstream: nothing usable was stored. */
    MISS,
    /** Served stale because upstream failed (stale-if-error) or while revalidating. */
    STALE,
    /** From cache after upstream confirmed it with a 304. */
    REVALIDATED,
    /** Not looked up: rule, hit-for-pass, unsafe method or uncacheable request. */
    BYPASS,
    /** Refused or failed by the node itself (4xx it generated, 5xx for upstream failure). */
    ERROR;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }

    /** Whether the answer came from cache without a full upstream fetch. */
    public boolean fromCache() {
        return this == HIT || this == STALE || this == REVALIDATED;
    }
}
