package dev.outpost.edge.http;

import org.jspecify.annotations.Nullable;
import java.util.Set;

/**
 * Whether a response may be stored, and if so with which freshness: the outcome of
 * {@link StoragePolicy}. Times are milliseconds.
 *
 * @param store whether to store
 * @param reason why not (for Cache-Status {@code detail} and logs), or null
 * @param lifetime freshness lifetime
 * @param correctedInitialAge RFC 9111 §4.2.3 corrected_initial_age at reception
 * @param staleWhileRevalidate window past expiry in which a stale copy is served while one
 *     background fetch refreshes it
 * @param staleIfError window past expiry in which a stale copy hides origin errors
 * @param alwaysRevalidate bare no-cache: never reused without validation
 * @param mustRevalidate must-revalidate, proxy-revalidate or s-maxage: never served stale
 * @param heuristic freshness came from Last-Modified, not from the origin or a rule
 * @param stripFields fields not to store (qualified private and no-cache), lower case
 */
public record StoreDecision(
        boolean store,
        @Nullable String reason,
        long lifetime,
        long correctedInitialAge,
        long staleWhileRevalidate,
        long staleIfError,
        boolean alwaysRevalidate,
        boolean mustRevalidate,
        boolean heuristic,
        Set<String> stripFields) {

    /**
     * Whether a refusal is about the request rather than the response (Authorization,
     * request no-store): other requests for the key may still be stored, so the key must not
     * be remembered as uncacheable (hit-for-pass).
     */
    public static boolean aboutRequest(String reason) {
        return "request-no-store".equals(reason) || "authorization".equals(reason);
    }

    static StoreDecision no(String reason) {
        return new StoreDecision(false, reason, 0, 0, 0, 0, false, false, false, Set.of());
    }
}
