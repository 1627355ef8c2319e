package dev.outpost.edge.shield;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The probe an edge sends its shields: {@code GET /.well-known/outpost/health} on the client
 * listener. Every node answers it at once with 200 {@code ok}, before host checks, rules and the
 * cache, and counts it in {@code outpost_health_checks_total} only: a probe is neither a client
 * request nor an error in {@code /stats}, the request metrics or the access log, so a shield's
 * statistics show its traffic, not its edges' checks. A path under {@code /.well-known/}
 * (RFC 8615) does not collide with a site's own paths.
 */
public final class HealthProbe {

    /** The path edges probe shields at. */
    public static final String PATH = "/.well-known/outpost/health";

    private static final ByteBuffer OK = ByteBuffer.wrap("ok\n".getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();

    private HealthProbe() {
    }

    /** Whether this request is a health probe: GET or HEAD of {@link #PATH}, no query. */
    public static boolean isProbe(HttpServerExchange ex) {
        return PATH.equals(ex.getRequestURI()) && ex.getQueryString().isEmpty()
                && (ex.getRequestMethod().equals(Methods.GET) || ex.getRequestMethod().equals(Methods.HEAD));
    }

    /** Answers a probe: 200 {@code ok}, never cached, on the I/O thread. */
    public static void answer(HttpServerExchange ex) {
        ex.setStatusCode(200);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, OK.remaining());
        if (ex.getRequestMethod().equals(Methods.HEAD)) {
            ex.endExchange();
        } else {
            ex.getResponseSender().send(OK.duplicate());
        }
    }
}
