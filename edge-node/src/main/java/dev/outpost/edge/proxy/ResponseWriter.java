package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CachedResponse;
import dev.outpost.edge.http.Conditionals;
import dev.outpost.edge.http.HeaderSource;
import dev.outpost.edge.http.Ranges;
import dev.outpost.edge.origin.UpstreamResponse;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http2.Http2ServerConnection;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Protocols;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.xnio.IoUtils;

/**
 * Writes responses to clients: stored responses (with Age, Cache-Status, client conditionals,
 * HEAD and ranges), relayed upstream responses, and the node's own errors.
 */
final class ResponseWriter {

    private static final HttpString CACHE_STATUS = new HttpString("Cache-Status");

    private final SlowReaders slowReaders;
    private final long fillWaitMillis;
    private final StoredFieldNames fieldNames = new StoredFieldNames();

    ResponseWriter(SlowReaders slowReaders, long fillWaitMillis) {
        this.slowReaders = slowReaders;
        this.fillWaitMillis = fillWaitMillis;
    }

    long fillWaitMillis() {
        return fillWaitMillis;
    }

    /** Whether slow readers hold less than {@code limits.slow-reader-memory} (promotions wait otherwise). */
    boolean slowReadersUnderBudget() {
        return slowReaders.underBudget();
    }

    /** A sink for a response body written from a virtual thread, under the write timeout. */
    ChannelSink sink(HttpServerExchange ex) {
        return new ChannelSink(ex, slowReaders);
    }

    /** Copies a stored (or storing) response's fields to the client response. */
    void storedHeaders(RequestContext ctx, CachedResponse r, boolean notModified) {
        HeaderMap out = ctx.exchange.getResponseHeaders();
        String browserCc = ctx.internal ? null : ctx.rule.browserCacheControl();
        String[] names = r.headerNames();
        String[] values = r.headerValues();
        for (int i = 0; i < names.length; i++) {
            StoredFieldNames.Name n = fieldNames.of(names[i]);
            if (n.never() || !ctx.internal && n.cdnOnly() || browserCc != null && n.browserCache()
                    || notModified && !n.inNotModified()) {
                continue;
            }
            out.add(n.name(), values[i]);
        }
        if (browserCc != null) {
            out.put(Headers.CACHE_CONTROL, browserCc);
        }
    }

    /** Age (whole seconds) and this node's Cache-Status member after the stored ones. */
    void cacheHeaders(RequestContext ctx, long ageMillis, String cacheStatus) {
        HeaderMap out = ctx.exchange.getResponseHeaders();
        if (ageMillis >= 0) {
            out.put(Headers.AGE, Long.toString(ageMillis / 1000));
        }
        appendCacheStatus(out, cacheStatus);
        ctx.cacheStatus = cacheStatus;
    }

    /**
     * Appends this node's member to the Cache-Status members already in the response (those of
     * upstream caches, relayed or stored with it: RFC 9211 §2 asks caches to keep them), as one
     * field line, nearest-to-origin first. One line rather than one per cache: the list means
     * the same either way, but clients that read a single line of a field (the first or the
     * last) would otherwise see one cache only.
     */
    static void appendCacheStatus(HeaderMap out, String member) {
        HeaderValues prior = out.get(CACHE_STATUS);
        if (prior == null) {
            out.put(CACHE_STATUS, member); // the usual hit: no upstream member stored
            return;
        }
        StringBuilder chain = new StringBuilder();
        for (String line : prior) {
            String l = line.strip();
            if (!l.isEmpty()) {
                chain.append(l).append(", ");
            }
        }
        out.put(CACHE_STATUS, chain.append(member).toString());
    }

    /**
     * Serves a response whose whole body is in memory without blocking: 304 for the client's
     * conditional, the head for HEAD, one range or the whole body otherwise. From a virtual
     * thread, the write is handed to the exchange's I/O thread in one step, so a crowd of
     * collapsed waiters is answered at the pace of memory hits. Returns false (having written
     * nothing) when the request needs more, e.g. several ranges.
     */
    boolean serveMemory(RequestContext ctx, CachedResponse r, ByteBuffer memoryBody, long ageMillis, String cacheStatus) {
        HttpServerExchange ex = ctx.exchange;
        ByteBuffer body = memoryBody.duplicate();
        long length = body.remaining();
        Ranges.Range single = null;
        String range = ex.getRequestHeaders().getFirst(Headers.RANGE);
        if (range != null && r.status() == 200) {
            Ranges.Outcome o = Ranges.evaluate(range, ex.getRequestHeaders().getFirst(Headers.IF_RANGE), r, length);
            if (o instanceof Ranges.Partial p && p.ranges().size() == 1) {
                single = p.ranges().get(0);
            } else if (!(o instanceof Ranges.Full)) {
                return false;
            }
        }
        if (Conditionals.isConditional(ctx.headers) && r.status() == 200 && Conditionals.notModified(ctx.headers, r)) {
            ex.setStatusCode(304);
            storedHeaders(ctx, r, true);
            cacheHeaders(ctx, ageMillis, cacheStatus);
            end(ex, null);
            return true;
        }
        storedHeaders(ctx, r, false);
        cacheHeaders(ctx, ageMillis, cacheStatus);
        HeaderMap out = ex.getResponseHeaders();
        if (r.status() == 200) {
            out.put(Headers.ACCEPT_RANGES, "bytes");
        }
        if (single != null) {
            ex.setStatusCode(206);
            out.put(Headers.CONTENT_RANGE, "bytes " + single.first() + "-" + single.last() + "/" + length);
            body.position((int) single.first()).limit((int) single.last() + 1);
        } else {
            ex.setStatusCode(r.status());
        }
        out.put(Headers.CONTENT_LENGTH, Integer.toString(body.remaining()));
        if (ctx.isHead() || !hasBody(r.status())) {
            end(ex, null);
        } else {
            ctx.bodyBytes = body.remaining();
            end(ex, body);
        }
        return true;
    }

    /**
     * Sends {@code body} (or nothing) and ends the exchange, on its I/O thread; a response the
     * socket does not take at once is watched by the write timeout.
     */
    private void end(HttpServerExchange ex, ByteBuffer body) {
        if (ex.isInIoThread()) {
            send(ex, body);
        } else {
            // runs on the I/O thread as soon as the dispatched task returns
            ex.dispatch(ex.getIoThread(), () -> send(ex, body));
        }
    }

    private void send(HttpServerExchange ex, ByteBuffer body) {
        if (body == null) {
            ex.endExchange();
        } else {
            ex.getResponseSender().send(body);
        }
        slowReaders.watch(ex, body == null ? 0 : body.remaining());
    }

    /**
     * Serves a stored response from a body source (blocking on a virtual thread): answers the
     * client's conditional with 304, HEAD with the head only, Range with 206 or 416.
     */
    void serveStored(RequestContext ctx, CachedResponse r, BodySource body, long ageMillis, String cacheStatus)
            throws IOException {
        HttpServerExchange ex = ctx.exchange;
        if (Conditionals.isConditional(ctx.headers) && r.status() == 200 && Conditionals.notModified(ctx.headers, r)) {
            ex.setStatusCode(304);
            storedHeaders(ctx, r, true);
            cacheHeaders(ctx, ageMillis, cacheStatus);
            ex.endExchange();
            return;
        }
        if (!ctx.isHead()) {
            // a fill that fails before its first byte is still a clean 502, not a cut connection
            body.awaitStart();
        }
        long length = body.length();
        if (length < 0 && r.status() == 200 && !ctx.headers.all("range").isEmpty()) {
            // still streaming in, length unknown: a bounded range is answered once its bytes are in
            Ranges.Range bounded = Ranges.boundedSingle(ctx.headers.first("range"), ctx.headers.first("if-range"), r);
            if (bounded != null) {
                ByteBuffer last = body.read(bounded.last());
                length = body.length();
                if (last != null && length < 0) {
                    partOfUnknownLength(ctx, r, body, bounded, ageMillis, cacheStatus);
                    return;
                }
            }
        }
        Ranges.Outcome range = r.status() == 200 && length >= 0 && !ctx.headers.all("range").isEmpty()
                ? Ranges.evaluate(ctx.headers.first("range"), ctx.headers.first("if-range"), r, length)
                : new Ranges.Full();
        storedHeaders(ctx, r, false);
        cacheHeaders(ctx, ageMillis, cacheStatus);
        HeaderMap out = ex.getResponseHeaders();
        if (r.status() == 200 && length >= 0) {
            out.put(Headers.ACCEPT_RANGES, "bytes");
        }
        switch (range) {
            case Ranges.Unsatisfiable u -> {
                ex.setStatusCode(416);
                out.put(Headers.CONTENT_RANGE, "bytes */" + length);
                out.put(Headers.CONTENT_LENGTH, "0");
                out.remove(Headers.CONTENT_TYPE);
                ex.endExchange();
            }
            case Ranges.Partial p when p.ranges().size() == 1 -> {
                Ranges.Range one = p.ranges().get(0);
                ex.setStatusCode(206);
                out.put(Headers.CONTENT_RANGE, "bytes " + one.first() + "-" + one.last() + "/" + length);
                out.put(Headers.CONTENT_LENGTH, Long.toString(one.length()));
                if (ctx.isHead()) {
                    ex.endExchange();
                    return;
                }
                ChannelSink sink = sink(ex);
                copy(body, one.first(), one.last() + 1, sink, ctx);
                sink.finish();
            }
            case Ranges.Partial p -> multipart(ctx, r, body, p.ranges(), length);
            default -> {
                ex.setStatusCode(r.status());
                if (length >= 0) {
                    out.put(Headers.CONTENT_LENGTH, Long.toString(length));
                } else if (!ctx.isHead() && hasBody(r.status())) {
                    frameUnknownLength(ex);
                }
                if (ctx.isHead() || !hasBody(r.status())) {
                    ex.endExchange();
                    return;
                }
                ChannelSink sink = sink(ex);
                copy(body, 0, Long.MAX_VALUE, sink, ctx);
                sink.finish();
            }
        }
    }

    /** A 206 whose complete length is not known yet ({@code Content-Range: bytes a-b/*}). */
    private void partOfUnknownLength(RequestContext ctx, CachedResponse r, BodySource body, Ranges.Range range,
                                     long ageMillis, String cacheStatus) throws IOException {
        HttpServerExchange ex = ctx.exchange;
        storedHeaders(ctx, r, false);
        cacheHeaders(ctx, ageMillis, cacheStatus);
        HeaderMap out = ex.getResponseHeaders();
        out.put(Headers.ACCEPT_RANGES, "bytes");
        ex.setStatusCode(206);
        out.put(Headers.CONTENT_RANGE, "bytes " + range.first() + "-" + range.last() + "/*");
        out.put(Headers.CONTENT_LENGTH, Long.toString(range.length()));
        if (ctx.isHead()) {
            ex.endExchange();
            return;
        }
        ChannelSink sink = sink(ex);
        copy(body, range.first(), range.last() + 1, sink, ctx);
        sink.finish();
    }

    private void multipart(RequestContext ctx, CachedResponse r, BodySource body, List<Ranges.Range> ranges, long length)
            throws IOException {
        HttpServerExchange ex = ctx.exchange;
        String boundary = "outpost-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        String type = r.first("content-type");
        byte[][] heads = new byte[ranges.size()][];
        long total = 0;
        for (int i = 0; i < ranges.size(); i++) {
            Ranges.Range x = ranges.get(i);
            heads[i] = ((i == 0 ? "" : "\r\n") + "--" + boundary + "\r\n"
                    + (type == null ? "" : "Content-Type: " + type + "\r\n")
                    + "Content-Range: bytes " + x.first() + "-" + x.last() + "/" + length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            total += heads[i].length + x.length();
        }
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1);
        total += tail.length;
        ex.setStatusCode(206);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "multipart/byteranges; boundary=" + boundary);
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, Long.toString(total));
        if (ctx.isHead()) {
            ex.endExchange();
            return;
        }
        ChannelSink sink = sink(ex);
        for (int i = 0; i < ranges.size(); i++) {
            sink.write(ByteBuffer.wrap(heads[i]));
            copy(body, ranges.get(i).first(), ranges.get(i).last() + 1, sink, ctx);
        }
        sink.write(ByteBuffer.wrap(tail));
        sink.finish();
    }

    /**
     * Copies body bytes [from, to) to the client, one chunk at a time: the next chunk is read
     * only when the socket took the last one (back-pressure). A chunk copied from disk that the
     * socket cannot take now is held only within the node's slow-reader budget; past it, the
     * chunk is let go and read again from where the client stopped once it has drained its
     * socket, so a crowd of slow readers never holds more than the budget in copies.
     */
    static void copy(BodySource body, long from, long to, ChannelSink sink, RequestContext ctx) throws IOException {
        long pos = from;
        boolean copied = body.copied();
        while (pos < to) {
            ByteBuffer b = body.read(pos);
            if (b == null) {
                break;
            }
            if (b.remaining() > to - pos) {
                b.limit(b.position() + (int) (to - pos));
            }
            int n = b.remaining();
            if (!sink.offer(b)) {
                if (!copied) {
                    sink.write(b);
                } else {
                    long weight = b.capacity();
                    if (sink.slowReaders().hold(weight)) {
                        try {
                            sink.write(b);
                        } finally {
                            sink.slowReaders().release(weight);
                        }
                    } else {
                        int sent = n - b.remaining();
                        pos += sent;
                        ctx.bodyBytes += sent;
                        b = null; // let go of the copy while the client drains its socket
                        sink.awaitWritable();
                        continue;
                    }
                }
            }
            pos += n;
            ctx.bodyBytes += n;
        }
    }

    /**
     * A body of unknown length goes chunked to HTTP/1.1 clients even on a connection that
     * closes after it (Undertow would delimit it by the close): a body cut off midway then lacks
     * its last chunk, and the client can tell, instead of taking the bytes it got as the whole.
     */
    static void frameUnknownLength(HttpServerExchange ex) {
        if (ex.getProtocol().equals(Protocols.HTTP_1_1)) {
            ex.getResponseHeaders().put(Headers.TRANSFER_ENCODING, "chunked");
        }
    }

    /** Relays an upstream response that is not being stored, streaming its body. */
    void relay(RequestContext ctx, UpstreamResponse resp, String cacheStatus, boolean head) throws IOException {
        HttpServerExchange ex = ctx.exchange;
        long length = resp.contentLength();
        boolean bodyAllowed = !head && hasBody(resp.status());
        InputStream in = bodyAllowed ? resp.body() : null;
        byte[] buf = new byte[16 * 1024];
        // the first bytes are read before anything is committed: a body that fails at once is a
        // clean 502, not a connection cut after a 200 head
        int first = in == null ? -1 : in.read(buf);
        ex.setStatusCode(resp.status());
        HeaderMap out = ex.getResponseHeaders();
        Set<String> hop = Hop.hopByHop(resp);
        var headers = resp.headers();
        for (int i = 0; i < headers.size(); i++) {
            String name = headers.name(i);
            String lower = name.toLowerCase(Locale.ROOT);
            if (hop.contains(lower) || lower.equals("content-length")) {
                continue;
            }
            if (!ctx.internal && Hop.CDN_ONLY.contains(lower)) {
                continue;
            }
            out.add(HttpString.tryFromString(name), headers.value(i));
        }
        appendCacheStatus(out, cacheStatus);
        ctx.cacheStatus = cacheStatus;
        if (length >= 0 && (bodyAllowed || head)) {
            out.put(Headers.CONTENT_LENGTH, Long.toString(length));
        } else if (bodyAllowed) {
            frameUnknownLength(ex);
        }
        if (!bodyAllowed) {
            end(ex, null);
            return;
        }
        if (length >= 0 && (first == length || (length == 0 && first == -1))) {
            // the whole body came with the first read (a small one): the connection goes back to
            // the pool now, and the response is written and ended on the I/O thread, as a memory
            // hit's is, rather than ended here while that thread may be taking the next request
            in.close();
            int n = Math.max(first, 0);
            ctx.bodyBytes = n;
            end(ex, n == 0 ? null : ByteBuffer.wrap(buf, 0, n));
            return;
        }
        ChannelSink sink = sink(ex);
        try (in) {
            int n = first;
            while (n != -1) {
                sink.write(ByteBuffer.wrap(buf, 0, n));
                ctx.bodyBytes += n;
                n = in.read(buf);
            }
        }
        sink.finish();
    }

    /** The node's own response (an error or a refusal), with a short text body. */
    void plain(RequestContext ctx, HttpServerExchange ex, int status, String cacheStatus, String message) {
        if (ex.isResponseStarted()) {
            abort(ex);
            return;
        }
        ex.setStatusCode(status);
        HeaderMap out = ex.getResponseHeaders();
        out.put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        out.put(Headers.CACHE_CONTROL, "no-store");
        if (cacheStatus != null) {
            out.add(CACHE_STATUS, cacheStatus);
            if (ctx != null) {
                ctx.cacheStatus = cacheStatus;
            }
        }
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        out.put(Headers.CONTENT_LENGTH, Long.toString(body.length));
        if (ctx != null) {
            ctx.bodyBytes = body.length;
        }
        // HEAD too goes through the sender: Undertow leaves the body out, and the head is
        // written even when an unread request body (a HEAD with chunked framing) is still queued
        ex.getResponseSender().send(ByteBuffer.wrap(body));
    }

    /**
     * Cuts a response off mid-body, so the client sees an incomplete response rather than a
     * short one passed off as whole: the connection is closed (HTTP/1.x) or the stream reset
     * (HTTP/2).
     */
    static void abort(HttpServerExchange ex) {
        ex.setPersistent(false);
        if (ex.getConnection() instanceof Http2ServerConnection) {
            // the stream's own channel: getResponseChannel() answers null once the response has
            // taken it, and the stream would then never end; closing it unfinished resets the stream
            IoUtils.safeClose(io.undertow.server.Connectors.getConduitSinkChannel(ex));
        } else {
            IoUtils.safeClose(ex.getConnection());
        }
    }

    static boolean hasBody(int status) {
        return status >= 200 && status != 204 && status != 304;
    }

    /** Fields of the request, as a HeaderSource, for tests of conditionals. */
    static HeaderSource request(RequestContext ctx) {
        return ctx.headers;
    }
}
