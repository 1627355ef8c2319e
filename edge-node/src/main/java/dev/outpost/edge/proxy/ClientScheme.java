package dev.outpost.edge.proxy;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import java.util.Locale;

/**
 * The scheme a client used: the listener's, or, from a trusted proxy that terminates TLS in
 * front of the node, the last value of its {@code X-Forwarded-Proto}. It is part of the default
 * cache key and is what the node sends upstream as {@code X-Forwarded-Proto}, so the two never
 * disagree: an origin's answer for http (say a redirect to https) is never served for https.
 */
final class ClientScheme {

    private ClientScheme() {
    }

    /** Whether the client used https, believing {@code X-Forwarded-Proto} only from a trusted peer. */
    static boolean https(HttpServerExchange ex, boolean peerTrusted) {
        if (peerTrusted) {
            HeaderValues proto = ex.getRequestHeaders().get("X-Forwarded-Proto");
            if (proto != null && !proto.isEmpty()) {
                String line = proto.getLast();
                String last = line.substring(line.lastIndexOf(',') + 1).trim().toLowerCase(Locale.ROOT);
                if (last.equals("https") || last.equals("http")) {
                    return last.equals("https");
                }
            }
        }
        return ex.getRequestScheme().equals("https");
    }
}
