package dev.outpost.edge.http;

/** Status-code classes that caching rules depend on (RFC 9110 §15, RFC 9111 §4.2.2). */
public final class Statuses {

    private Statuses() {
    }

    /** Cacheable by default: heuristic freshness may be used (RFC 9110 §15.1). */
    public static boolean heuristicallyCacheable(int status) {
        return switch (status) {
            case 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501 -> true;
            default -> false;
        };
    }

    /** Status codes whose caching semantics this cache implements (for must-understand). */
    public static boolean understood(int status) {
        return switch (status) {
            case 200, 203, 204, 300, 301, 302, 303, 307, 308, 400, 403, 404, 405, 410, 414, 451, 500, 501, 502, 503, 504 -> true;
            default -> false;
        };
    }

    /** Errors that stale-if-error may hide (RFC 5861 §4). */
    public static boolean staleIfErrorApplies(int status) {
        return status == 500 || status == 502 || status == 503 || status == 504;
    }
}
