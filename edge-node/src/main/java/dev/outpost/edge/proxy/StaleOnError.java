package dev.outpost.edge.proxy;

import dev.outpost.config.Rule;
import dev.outpost.edge.cache.CachedResponse;

/**
 * Whether a stored response may stand in for an upstream failure (the origin or shield
 * unreachable, timing out, or answering 500, 502, 503 or 504), and what {@code Cache-Status}
 * says about it:
 * <ul>
 *   <li>{@code stale-if-error}: within the response's own stale-if-error window (RFC 5861 §4),
 *       or the rule's {@code stale-if-error} when the origin gave none;</li>
 *   <li>{@code serve-stale-on-error}: within the rule's {@code serve-stale-on-error} window past
 *       freshness, whatever the origin said about stale-if-error (RFC 9111 §4.2.4 lets a cache
 *       that cannot reach the origin serve stale), unless the response forbids stale serving
 *       with no-cache.</li>
 * </ul>
 * Neither applies to a response whose must-revalidate, proxy-revalidate or s-maxage forbids
 * serving it stale (RFC 9111 §5.2.2.2, §5.2.2.8, §5.2.2.10).
 */
final class StaleOnError {

    static final String STALE_IF_ERROR = "stale-if-error";
    static final String SERVE_STALE_ON_ERROR = "serve-stale-on-error";

    private StaleOnError() {
    }

    /** The Cache-Status detail to serve {@code r} with in place of an error, or null when it may not be. */
    static String reason(CachedResponse r, Rule rule, long now) {
        if (r.hasFlag(CachedResponse.MUST_REVALIDATE)) {
            return null;
        }
        long staleFor = -r.ttl(now);
        if (r.staleIfError() > 0 && staleFor <= r.staleIfError()) {
            return STALE_IF_ERROR;
        }
        long grace = rule.serveStaleOnError() == null ? 0 : rule.serveStaleOnError().toMillis();
        if (grace > 0 && staleFor <= grace && !r.hasFlag(CachedResponse.ALWAYS_REVALIDATE)) {
            return SERVE_STALE_ON_ERROR;
        }
        return null;
    }
}
