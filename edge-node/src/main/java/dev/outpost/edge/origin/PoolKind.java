package dev.outpost.edge.origin;

import io.micrometer.core.instrument.Tags;
import okhttp3.Headers;

/**
 * What a pool's servers are: origin servers, or the shield nodes in front of them. The kind
 * decides what counts against a server (a shield relaying an origin's 502 is not sick
 * itself), which answers are worth another server, and the names of the per-server meters.
 */
public enum PoolKind {

    /**
     * Origin servers: no answer counts against the server (a 5xx only when the pool's ejection
     * says {@code server-errors: true}), 502 and 503 are retried on another one, and a health
     * check passes on its expected status. A pool never ejects its last server that is up, and
     * when none is up it sends to all of them (panic mode). Meters
     * {@code outpost_origin_server_*{origin,server}}.
     */
    ORIGIN("outpost.origin.server"),

    /**
     * Shield nodes: only a shield that cannot take the request counts against it (no connection,
     * or a 503 that no cache answered, as a node shutting down gives); errors it relays from the
     * origin are the origin's. Meters {@code outpost_shield_*{shield}}.
     */
    SHIELD("outpost.shield");

    private final String meterPrefix;

    PoolKind(String meterPrefix) {
        this.meterPrefix = meterPrefix;
    }

    String meter(String suffix) {
        return meterPrefix + "." + suffix;
    }

    Tags tags(String pool, String server) {
        return this == ORIGIN ? Tags.of("origin", pool, "server", server) : Tags.of("shield", server);
    }

    /**
     * Whether this answer counts as a failure of the server that gave it (passive ejection).
     *
     * @param serverErrors whether an origin's 5xx counts ({@code ejection.server-errors})
     */
    public boolean failure(int status, Headers headers, boolean serverErrors) {
        return switch (this) {
            case ORIGIN -> serverErrors && status >= 500;
            case SHIELD -> notAnsweredByCache(status, headers);
        };
    }

    /** Whether an idempotent request that got this answer may be sent to another server. */
    boolean retryable(int status, Headers headers) {
        return switch (this) {
            case ORIGIN -> status == 502 || status == 503;
            case SHIELD -> notAnsweredByCache(status, headers);
        };
    }

    /** Whether an active health check's answer shows the server is fit. */
    boolean checkPassed(int status, Headers headers, int expected) {
        return switch (this) {
            case ORIGIN -> status == expected;
            case SHIELD -> !notAnsweredByCache(status, headers);
        };
    }

    private static boolean notAnsweredByCache(int status, Headers headers) {
        return status == 503 && headers.get("Cache-Status") == null;
    }
}
