package dev.outpost.edge.proxy;

import dev.outpost.edge.http.HeaderSource;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/** Which header fields stop at this hop (RFC 9110 §7.6.1) or are the edge's own business. */
final class Hop {

    /** Hop-by-hop fields, never forwarded in either direction. */
    static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization", "http2-settings");

    /**
     * Request fields that could change a response without being part of its key: stripped
     * before upstream unless the rule keys on them, so no client can poison an entry with them.
     */
    static final Set<String> UNKEYED_REQUEST = Set.of("x-forwarded-host", "x-forwarded-server", "x-forwarded-scheme",
            "x-forwarded-proto", "x-forwarded-port", "x-forwarded-prefix", "x-original-url", "x-rewrite-url",
            "x-original-host", "x-host", "x-http-method-override", "x-http-method", "x-method-override",
            "x-forwarded-ssl", "front-end-https", "x-real-ip");

    /** Targeted cache-control and surrogate fields: for CDN caches, not for clients. */
    static final Set<String> CDN_ONLY = Set.of("cdn-cache-control", "outpost-cache-control", "surrogate-control",
            "surrogate-key", "cache-tag");

    private Hop() {
    }

    /** Fields that frame or route a request: never removed because Connection names them. */
    private static final Set<String> NOT_DROPPABLE = Set.of("host", "content-length", "transfer-encoding", "connection");

    /**
     * Removes from a request the end-to-end fields its Connection field names (RFC 9110
     * §7.6.1), before anything reads them. Done once, up front, so the cache key, Vary
     * matching, storage decisions and the request sent upstream all see the same request: a
     * client can't have a field stripped on its way upstream while the key still counts it
     * (the origin's answer for "no such field" stored under the key of "this value").
     */
    static void dropConnectionOptions(io.undertow.util.HeaderMap request) {
        io.undertow.util.HeaderValues connection = request.get(io.undertow.util.Headers.CONNECTION);
        if (connection == null) {
            return;
        }
        for (String line : connection.toArray(new String[0])) {
            for (String token : line.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty() && !HOP_BY_HOP.contains(t) && !NOT_DROPPABLE.contains(t)) {
                    request.remove(t);
                }
            }
        }
    }

    /** The hop-by-hop fields of a message, including those its Connection field names. */
    static Set<String> hopByHop(HeaderSource h) {
        Set<String> out = null;
        for (String line : h.all("connection")) {
            for (String token : line.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    if (out == null) {
                        out = new HashSet<>(HOP_BY_HOP);
                    }
                    out.add(t);
                }
            }
        }
        return out == null ? HOP_BY_HOP : out;
    }
}
