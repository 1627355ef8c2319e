package dev.outpost.edge.http;

import java.util.Set;

/**
 * Request methods as caching sees them. A method is unsafe unless it is known to be safe
 * (RFC 9110 §9.2.1), so a non-error response to any other method, extension methods such as
 * {@code M-SEARCH} included, invalidates what it may have changed (RFC 9111 §4.4).
 */
public final class Methods {

    /**
     * Methods known to be safe: those of RFC 9110 and the read-only WebDAV methods
     * (PROPFIND, REPORT of RFC 4918 and RFC 3253, SEARCH of RFC 5323), and QUERY (safe by its
     * definition in the HTTP working group's QUERY method draft).
     */
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "REPORT", "SEARCH",
            "QUERY");

    private Methods() {
    }

    /** Whether a non-error response to {@code method} invalidates the target and its Location URIs. */
    public static boolean invalidates(String method) {
        return !SAFE.contains(method);
    }
}
