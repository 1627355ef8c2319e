package dev.outpost.edge.origin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.lang.reflect.Field;
import okhttp3.Connection;
import okhttp3.Protocol;
import okhttp3.internal.connection.BufferedSocket;
import okhttp3.internal.connection.RealConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an HTTP/1 origin connection out of the pool when its framing is in doubt: bytes that
 * arrived after a response's end (a body longer than its Content-Length, anything after the
 * last chunk, a body on a HEAD or 304) would be read as the head of the next, unrelated
 * response on that connection, which then either fails or, worse, hands one client's request
 * another response's bytes.
 *
 * <p>OkHttp returns an HTTP/1 connection to its pool as soon as a response's framing says the
 * body is complete and never looks at what follows (its health check even counts unread bytes
 * as a live connection). So when a body ends ({@code responseBodyEnd}, which OkHttp reports
 * before it releases the connection) this looks at what the connection already holds: the
 * bytes OkHttp has read from the socket but not consumed, and the bytes waiting in the socket.
 * Any byte at all marks the connection {@code noNewExchanges}, so OkHttp closes it instead of
 * pooling it. Bytes that arrive later, while the connection idles, are caught by OkHttp
 * failing the next response on it (an invalid status line is never retried on the same
 * connection, and its text never reaches a client: see {@link OriginPool#classify}).
 *
 * <p>OkHttp's read buffer is not public API: it is reached by reflection on
 * {@code RealConnection}, checked once; if a future OkHttp moves it, only the socket's own
 * buffer is looked at (and {@code ConnectionReuseTest} fails, saying so).
 */
final class ConnectionGuard {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
    private static final Field SOCKET = socketField();

    private final Counter closed;

    ConnectionGuard(MeterRegistry registry) {
        this.closed = Counter.builder("outpost.origin.connections.closed").tag("reason", "framing")
                .description("Origin connections closed instead of reused because bytes followed a response's end")
                .register(registry);
    }

    private static Field socketField() {
        try {
            Field f = RealConnection.class.getDeclaredField("socket");
            if (!BufferedSocket.class.isAssignableFrom(f.getType())) {
                return null;
            }
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot see OkHttp's read buffer ({}): only the socket's is checked after a response", e.toString());
            return null;
        }
    }

    /** Whether this guard sees OkHttp's read buffer (else only the socket's). */
    static boolean seesReadBuffer() {
        return SOCKET != null;
    }

    /** A response on this connection has ended: keep the connection out of the pool if bytes follow it. */
    void responseEnded(Connection connection) {
        if (!(connection instanceof RealConnection real)) {
            return;
        }
        Protocol p = real.protocol();
        if (p != Protocol.HTTP_1_1 && p != Protocol.HTTP_1_0) {
            return; // HTTP/2 frames every message itself
        }
        if (bytesLeft(real)) {
            real.noNewExchanges();
            closed.increment();
            LOG.debug("origin connection {} closed: bytes after the end of a response", real.route().socketAddress());
        }
    }

    private static boolean bytesLeft(RealConnection c) {
        try {
            if (SOCKET != null && SOCKET.get(c) instanceof BufferedSocket s && s.getSource().getBuffer().size() > 0) {
                return true;
            }
            return c.socket().getInputStream().available() > 0;
        } catch (IOException | IllegalAccessException e) {
            return true; // cannot tell: in doubt, do not reuse
        }
    }
}
