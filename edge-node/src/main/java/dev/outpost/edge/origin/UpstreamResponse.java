package dev.outpost.edge.origin;

import dev.outpost.edge.http.HeaderSource;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import okhttp3.Call;
import okhttp3.Headers;
import okhttp3.Response;

/**
 * A response head from upstream and its body stream. Closing it releases the connection: to
 * the pool when the body was read to the end (or nearly: {@link #DRAIN_LIMIT}), otherwise the
 * call is cancelled and its connection closed at once.
 *
 * <p>OkHttp, asked to close a body not read to its end, reads the rest for up to 100 ms to
 * keep the connection: from a fast origin that is a hundred MiB and more read for nobody each
 * time a client leaves or a fill is let go. A node stops reading instead, as nginx closes its
 * upstream connection when the client aborts.
 */
public final class UpstreamResponse implements Closeable, HeaderSource {

    /** What is left of a body that is still read out to keep its connection; past it the call is cancelled. */
    static final long DRAIN_LIMIT = 64 * 1024;

    private final Response response;
    private final Call call;
    private final Runnable onClose;
    private final String server;
    private Body body;

    public UpstreamResponse(Response response, Call call, String server, Runnable onClose) {
        this.response = response;
        this.call = call;
        this.server = server;
        this.onClose = onClose;
    }

    public int status() {
        return response.code();
    }

    public Headers headers() {
        return response.headers();
    }

    /** Content-Length of the body, or -1 when unknown (chunked, close-delimited). */
    public long contentLength() {
        String cl = first("Content-Length");
        if (cl == null) {
            return -1;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Why the body's length can't be trusted (RFC 9112 §6.3: a Content-Length that is not a
     * number, or several that disagree, with no chunked framing to override them), or null.
     */
    public String framingProblem() {
        List<String> te = response.headers("Transfer-Encoding");
        if (!te.isEmpty()) {
            return null; // chunked framing wins over Content-Length, and OkHttp follows it
        }
        String first = null;
        for (String line : response.headers("Content-Length")) {
            for (String part : line.split(",", -1)) {
                String v = part.trim();
                if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return "invalid Content-Length '" + line + "'";
                }
                if (first != null && !first.equals(v)) {
                    return "conflicting Content-Length values";
                }
                first = v;
            }
        }
        return null;
    }

    /**
     * The connection's streams after a 101 to an upgrade request (a WebSocket handshake), or
     * null: the tunnel owns the connection from then on, and closing this response releases
     * the server's connection slot held for it.
     */
    public okio.Socket upgradedSocket() {
        return response.socket();
    }

    /**
     * Bounds what is left of the body's reading to {@code millis} in all, on top of the read
     * timeout that bounds each read: an origin trickling a byte every few seconds never trips
     * the one, and is cut off by the other.
     */
    public void bodyDeadline(long millis) {
        response.body().source().timeout().deadline(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** The body's stream (the same one however often asked); closing it before its end cancels the call. */
    public InputStream body() {
        if (body == null) {
            body = new Body(response.body().byteStream());
        }
        return body;
    }

    /** The server that answered, e.g. {@code http://10.0.0.5:8080}. */
    public String server() {
        return server;
    }

    /**
     * The first line of the field, as for every {@link HeaderSource} (OkHttp's own
     * {@code header(name)} answers the last line, which would let a second line override the
     * first for fields where the first value counts, such as Age).
     */
    @Override
    public String first(String name) {
        List<String> lines = response.headers(name);
        return lines.isEmpty() ? null : lines.get(0);
    }

    @Override
    public List<String> all(String name) {
        return response.headers(name);
    }

    @Override
    public void close() {
        try {
            cancelIfUnread(body == null ? 0 : body.read, body != null && body.ended);
            response.close();
        } finally {
            onClose.run();
        }
    }

    /** Cancels the call when more than {@link #DRAIN_LIMIT} of its body (or an unknown length) is left unread. */
    private void cancelIfUnread(long read, boolean ended) {
        if (ended || call == null) {
            return;
        }
        long length = response.body().contentLength(); // 0 for HEAD, 204, 304 and 101: nothing to read
        if (length < 0 || length - read > DRAIN_LIMIT) {
            call.cancel();
        }
    }

    /** Counts what is read, so that closing knows what is left. */
    private final class Body extends FilterInputStream {
        long read;
        boolean ended;

        Body(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                ended = true;
            } else {
                read++;
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n < 0) {
                ended = true;
            } else {
                read += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            read += skipped;
            return skipped;
        }

        @Override
        public void close() throws IOException {
            cancelIfUnread(read, ended);
            super.close();
        }
    }
}
