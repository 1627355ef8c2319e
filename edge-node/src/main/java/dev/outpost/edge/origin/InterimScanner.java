package dev.outpost.edge.origin;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import okhttp3.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the bytes of an HTTP/1 origin connection for 1xx interim response heads, which the
 * origin client (OkHttp) reads and discards before it returns the final response: each one
 * other than 100 and 101 is parsed and handed to the exchange's {@link InterimResponse.Listener}
 * before OkHttp sees its bytes.
 *
 * <p>It looks only where a response head starts: {@link CallPhase} arms it when a request
 * head goes out on the connection (OkHttp neither pipelines nor sends a request before the
 * previous response was read to its end), and it disarms itself at the first final head, so
 * bodies are never scanned. While armed it keeps the head being read, up to the node's
 * {@code limits.max-header-bytes}: a longer interim head is dropped (counted), as is every
 * interim response past
 * {@link #MAX_PER_EXCHANGE} in one exchange. A head it cannot parse disarms it: OkHttp then
 * fails the response itself.
 *
 * <p>One thread reads a connection at a time (OkHttp reads an exchange's response on the
 * calling thread), so the head state needs no lock; arming happens on that same thread.
 */
final class InterimScanner extends FilterInputStream {

    private static final Logger LOG = LoggerFactory.getLogger(InterimScanner.class);

    /** Interim responses forwarded per exchange at most; later ones are dropped. */
    static final int MAX_PER_EXCHANGE = 8;
    /** Head buffer kept between exchanges: an ordinary response head fits. */
    private static final int KEPT_BUFFER = 4096;
    private static final byte[] PREFIX = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);

    private final InterimSockets.Counts counts;
    private final int maxHead;
    private volatile boolean armed;
    private InterimResponse.Listener listener;
    private byte[] head = new byte[0];
    private int length;
    private boolean oversized;
    private int lineLength;
    private int seen;

    /** @param maxHead an interim head larger than this is dropped */
    InterimScanner(InputStream in, InterimSockets.Counts counts, int maxHead) {
        super(in);
        this.counts = counts;
        this.maxHead = maxHead;
    }

    /**
     * A request head is going out: what comes next on the connection is a response head, and
     * its interim responses go to {@code listener} (none: they are counted dropped).
     */
    void expectResponse(InterimResponse.Listener listener) {
        this.listener = listener;
        this.seen = 0;
        resetHead();
        this.armed = true;
    }

    /** No response head is expected (the exchange ended without one, or another request follows). */
    void disarm() {
        armed = false;
        listener = null;
        if (head.length > KEPT_BUFFER) {
            head = new byte[0]; // an exceptional head's buffer is not kept with an idle connection
        }
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0 && armed) {
            scan((byte) b);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0 && armed) {
            for (int i = off; i < off + n && armed; i++) {
                scan(b[i]);
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // through read, so that skipped bytes are scanned like read ones
        byte[] buf = new byte[(int) Math.min(n, 8192)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    private void scan(byte b) {
        if (length < maxHead) {
            if (length == head.length) {
                head = Arrays.copyOf(head, Math.min(maxHead, Math.max(256, head.length * 2)));
            }
            head[length++] = b;
        } else {
            oversized = true;
        }
        if (b == '\n') {
            if (lineLength == 0) {
                headEnded();
            }
            lineLength = 0;
        } else if (b != '\r') {
            lineLength++;
        }
    }

    private void headEnded() {
        int status = status(head, length);
        if (status < 100 || status > 199 || status == 101) {
            disarm(); // a final head (or none we understand): its body is not ours to look at
            return;
        }
        if (status != 100) {
            interim(status, new String(head, 0, length, StandardCharsets.ISO_8859_1));
        }
        resetHead();
    }

    private void interim(int status, String text) {
        seen++;
        InterimResponse.Listener l = listener;
        if (oversized || seen > MAX_PER_EXCHANGE || l == null) {
            counts.dropped();
            return;
        }
        boolean forwarded;
        try {
            forwarded = l.interim(new InterimResponse(status, fields(text)));
        } catch (RuntimeException e) {
            LOG.debug("interim response {} not forwarded: {}", status, e.toString());
            forwarded = false;
        }
        if (forwarded) {
            counts.forwarded();
        } else {
            counts.dropped();
        }
    }

    private void resetHead() {
        length = 0;
        oversized = false;
        lineLength = 0;
    }

    /** The status of a status line {@code HTTP/1.x NNN reason}, or -1. */
    static int status(byte[] head, int length) {
        if (length < 13 || head[8] != ' ') {
            return -1;
        }
        for (int i = 0; i < PREFIX.length; i++) {
            if (head[i] != PREFIX[i]) {
                return -1;
            }
        }
        int s = 0;
        for (int i = 9; i < 12; i++) {
            byte c = head[i];
            if (c < '0' || c > '9') {
                return -1;
            }
            s = s * 10 + (c - '0');
        }
        byte after = head[12];
        return after == ' ' || after == '\r' || after == '\n' ? s : -1;
    }

    /** The field lines after the status line; lines that are not {@code name: value} are left out. */
    static Headers fields(String head) {
        Headers.Builder h = new Headers.Builder();
        String[] lines = head.split("\r?\n");
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                continue; // not a field line (obsolete line folding is not taken)
            }
            String name = line.substring(0, colon);
            String value = line.substring(colon + 1).strip();
            try {
                h.addUnsafeNonAscii(name, value);
            } catch (IllegalArgumentException e) {
                // a name that is no token: left out
            }
        }
        return h.build();
    }
}
