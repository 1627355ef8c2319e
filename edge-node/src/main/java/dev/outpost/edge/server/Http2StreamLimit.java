package dev.outpost.edge.server;

import io.micrometer.core.instrument.Counter;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.Protocols;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the requests one HTTP/2 connection has in the pipeline at once. Undertow advertises
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} but does not enforce it, and a stream the client
 * resets leaves its request running: counted here from the start of a request to the end of
 * its exchange (not of its stream), a client can neither open more streams than it was told
 * nor make the node work on more by resetting them (rapid reset). A request past the bound is
 * answered 429 at once, without touching cache or origin, and counted in
 * {@code outpost_http2_streams_refused_total}.
 */
final class Http2StreamLimit implements HttpHandler {

    private static final AttachmentKey<AtomicInteger> IN_FLIGHT = AttachmentKey.create(AtomicInteger.class);
    private static final byte[] TOO_MANY = "too many concurrent streams on this connection\n".getBytes(
            java.nio.charset.StandardCharsets.US_ASCII);

    private final HttpHandler next;
    private final int max;
    private final Counter refused;

    Http2StreamLimit(HttpHandler next, int max, Counter refused) {
        this.next = next;
        this.max = max;
        this.refused = refused;
    }

    @Override
    public void handleRequest(HttpServerExchange ex) throws Exception {
        if (!ex.getProtocol().equals(Protocols.HTTP_2_0)) {
            next.handleRequest(ex);
            return;
        }
        AtomicInteger inFlight = inFlight(ex);
        if (inFlight.incrementAndGet() > max) {
            inFlight.decrementAndGet();
            refused.increment();
            ex.setStatusCode(429);
            ex.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
            ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, TOO_MANY.length);
            ex.getResponseSender().send(java.nio.ByteBuffer.wrap(TOO_MANY));
            return;
        }
        ex.addExchangeCompleteListener((done, nextListener) -> {
            inFlight.decrementAndGet();
            nextListener.proceed();
        });
        next.handleRequest(ex);
    }

    /** The connection's count; requests of one HTTP/2 connection all start on its I/O thread. */
    private static AtomicInteger inFlight(HttpServerExchange ex) {
        var connection = ex.getConnection(); // one per stream, its attachments are the connection's
        AtomicInteger n = connection.getAttachment(IN_FLIGHT);
        if (n == null) {
            n = new AtomicInteger();
            connection.putAttachment(IN_FLIGHT, n);
        }
        return n;
    }
}
