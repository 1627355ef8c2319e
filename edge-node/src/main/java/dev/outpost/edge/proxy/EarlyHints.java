package dev.outpost.edge.proxy;

import dev.outpost.config.Rule;
import dev.outpost.edge.http.HeaderSource;
import dev.outpost.edge.origin.InterimResponse;
import io.undertow.protocols.http2.Http2Channel;
import io.undertow.protocols.http2.Http2DataStreamSinkChannel;
import io.undertow.protocols.http2.Http2HeadersStreamSinkChannel;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.server.protocol.http2.Http2ServerConnection;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import io.undertow.util.Protocols;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import okhttp3.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;

/**
 * Sends a {@code 103 Early Hints} from upstream on to the client before the final response
 * (RFC 9110 §15.2, RFC 8297), so that a browser can start fetching what its {@code Link}
 * fields preload while the origin still works on the page. Only the client whose request
 * went upstream gets it (a leader of collapsed requests, a pass), never a cache hit, and it
 * is never stored: the stored response has only the final response's fields.
 *
 * <p>Undertow sends no interim response but 100 Continue ({@code sendOutOfBandResponse}
 * refuses anything else, and over HTTP/2 it ends the stream on any status but 100), so this
 * writes it itself, on the request's thread, before the final response has started:
 * <ul>
 * <li>HTTP/1.1: the status line and fields, raw, on the connection's sink (the same path
 *     Undertow's own responses take, pipelining buffer and TLS included), flushed;
 * <li>HTTP/2: a HEADERS frame with {@code :status: 103} on the request's stream, without
 *     END_STREAM, through Undertow's own HEADERS sink and HPACK encoder (the stream's channel
 *     and id are read from {@code Http2ServerConnection} by reflection, checked once; if a
 *     future Undertow moves them, 103s to HTTP/2 clients are dropped and counted, and
 *     {@code InformationalResponsesTest} says so).
 * </ul>
 * HTTP/1.0 clients cannot take interim responses (RFC 9110 §15.2): theirs are dropped. So
 * are 102 and any other 1xx but 103: they speak to the node, which waits for the final
 * response itself.
 */
final class EarlyHints implements InterimResponse.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(EarlyHints.class);
    private static final byte[] STATUS_LINE = "HTTP/1.1 103 Early Hints\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final Field H2_CHANNEL = field("channel", Http2Channel.class);
    private static final Field H2_RESPONSE = field("responseChannel", Http2DataStreamSinkChannel.class);

    /** How long a write that the client's socket cannot take waits between attempts. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final HttpServerExchange exchange;
    private final boolean internal;
    private final long stallNanos;

    private EarlyHints(HttpServerExchange exchange, boolean internal, long stallMillis) {
        this.exchange = exchange;
        this.internal = internal;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMillis);
    }

    /**
     * What takes the interim responses of this request on its way upstream: null (they are
     * dropped) when its rule says {@code early-hints: drop} or its client cannot take them.
     *
     * @param stallMillis a client that takes none of a 103 for this long has its connection closed
     */
    static InterimResponse.Listener forRequest(RequestContext ctx, long stallMillis) {
        if (ctx.rule.earlyHints() == Rule.EarlyHints.DROP) {
            return null;
        }
        HttpString protocol = ctx.exchange.getProtocol();
        if (protocol.equals(Protocols.HTTP_1_1) && ctx.exchange.getConnection() instanceof HttpServerConnection) {
            return new EarlyHints(ctx.exchange, ctx.internal, stallMillis);
        }
        if (protocol.equals(Protocols.HTTP_2_0) && ctx.exchange.getConnection() instanceof Http2ServerConnection
                && H2_CHANNEL != null && H2_RESPONSE != null) {
            return new EarlyHints(ctx.exchange, ctx.internal, stallMillis);
        }
        return null;
    }

    private static Field field(String name, Class<?> type) {
        try {
            Field f = Http2ServerConnection.class.getDeclaredField(name);
            if (!type.isAssignableFrom(f.getType())) {
                return null;
            }
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot reach Undertow's HTTP/2 stream ({}): 103 Early Hints are not forwarded to HTTP/2 clients",
                    e.toString());
            return null;
        }
    }

    @Override
    public boolean interim(InterimResponse response) {
        if (response.status() != 103 || exchange.isResponseStarted()) {
            return false;
        }
        Headers fields = forwardable(response.fields());
        try {
            ServerConnection c = exchange.getConnection();
            if (c instanceof Http2ServerConnection h2) {
                sendHttp2(h2, fields);
                return true;
            }
            if (c instanceof HttpServerConnection h1) {
                sendHttp1(h1, fields);
                return true;
            }
            return false;
        } catch (IOException | ReflectiveOperationException | RuntimeException e) {
            LOG.debug("103 Early Hints not sent to {}: {}", exchange.getSourceAddress(), e.toString());
            return false;
        }
    }

    /** The fields that go on: not hop-by-hop (Connection and what it names), no framing, no CDN-only fields. */
    private Headers forwardable(Headers in) {
        Set<String> hop = Hop.hopByHop(new HeaderSource() {
            @Override
            public String first(String name) {
                return in.get(name);
            }

            @Override
            public List<String> all(String name) {
                return in.values(name);
            }
        });
        Headers.Builder out = new Headers.Builder();
        for (int i = 0; i < in.size(); i++) {
            String lower = in.name(i).toLowerCase(Locale.ROOT);
            if (hop.contains(lower) || lower.equals("content-length") || !internal && Hop.CDN_ONLY.contains(lower)) {
                continue;
            }
            out.addUnsafeNonAscii(in.name(i), in.value(i));
        }
        return out.build();
    }

    /**
     * Writes the 103 whole before the final response can start. The socket takes it at once but
     * for a client that reads nothing: such a write is retried every few milliseconds (no
     * selector wait, which would pin the virtual thread's carrier) and the connection closed
     * past the stall timeout, since a 103 cut short would be read as the final response's head.
     */
    private void sendHttp1(HttpServerConnection c, Headers fields) throws IOException {
        StringBuilder head = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            head.append(fields.name(i)).append(": ").append(fields.value(i)).append("\r\n");
        }
        head.append("\r\n");
        byte[] rest = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer buf = ByteBuffer.allocate(STATUS_LINE.length + rest.length).put(STATUS_LINE).put(rest).flip();
        StreamSinkChannel sink = c.getChannel().getSinkChannel();
        long deadline = System.nanoTime() + stallNanos;
        try {
            while (buf.hasRemaining()) {
                if (sink.write(buf) == 0) {
                    pause(deadline);
                }
            }
            while (!sink.flush()) {
                pause(deadline);
            }
        } catch (IOException e) {
            IoUtils.safeClose(c);
            throw e;
        }
    }

    private static void pause(long deadline) throws IOException {
        if (System.nanoTime() - deadline > 0) {
            throw new IOException("client stopped reading");
        }
        LockSupport.parkNanos(POLL_NANOS);
    }

    /**
     * Queues the 103's HEADERS frame on the connection: frames go out in the order they are
     * queued, so the final response's HEADERS, queued later, follow it; nothing waits here.
     */
    private static void sendHttp2(Http2ServerConnection c, Headers fields) throws IOException, IllegalAccessException {
        Http2Channel channel = (Http2Channel) H2_CHANNEL.get(c);
        Http2DataStreamSinkChannel response = (Http2DataStreamSinkChannel) H2_RESPONSE.get(c);
        if (!response.isOpen() || response.isWritesShutdown()) {
            throw new IOException("stream " + response.getStreamId() + " is closed");
        }
        int stream = response.getStreamId();
        HeaderMap headers = new HeaderMap();
        headers.put(Http2Channel.STATUS, "103");
        for (int i = 0; i < fields.size(); i++) {
            headers.add(HttpString.tryFromString(fields.name(i).toLowerCase(Locale.ROOT)), fields.value(i));
        }
        // a HEADERS sink of its own on the stream, flushed but never shut down: its frame then
        // goes out without END_STREAM, and the stream's own response sink stays registered
        Http2HeadersStreamSinkChannel sink = new Http2HeadersStreamSinkChannel(channel, stream, headers);
        sink.flush();
    }
}
