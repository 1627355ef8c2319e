package dev.outpost.edge.server;

import java.nio.ByteBuffer;

/**
 * The state machine behind {@link RequestHeadGuard}: follows HTTP/1.x message framing over the
 * bytes of a connection, checks every request head, and skips bodies by their Content-Length
 * or chunk sizes. A head it refuses gets one byte replaced by NUL; a chunked body whose
 * framing is broken marks the scanner {@link #broken()}, and the connection is closed. After
 * the HTTP/2 connection preface it hands the bytes to an {@link Http2FrameScanner}, which
 * watches for reset and CONTINUATION floods ({@link #http2Trip()}).
 */
final class HeadFramingScanner {

    private static final int MAX_LINE = 16 * 1024;

    private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_EXT, CHUNK_SIZE_LF, CHUNK_DATA, CHUNK_DATA_CR, CHUNK_DATA_LF,
        TRAILER, HTTP2, PASS, BROKEN }

    /** What follows "PRI * HTTP/2.0 CR LF CR LF" in the connection preface: "SM CR LF CR LF". */
    private static final int PREFACE_REST = 6;

    private State state = State.HEAD;
    private final double http2ResetsPerSecond;
    private final Http2FrameScanner.Ticker ticker;
    private Http2FrameScanner http2;
    private final StringBuilder line = new StringBuilder(128);
    private boolean keepLine;
    private String contentLength;
    private String transferEncoding;
    private boolean conflict;
    private boolean http2Preface;
    private boolean lineStart = true;
    private boolean firstLine = true;
    private int lineLength;
    private long remaining;
    private long chunkSize;
    private int chunkDigits;
    private boolean trailerLineEmpty = true;

    /**
     * @param http2ResetsPerSecond RST_STREAM frames allowed per second on an HTTP/2 connection
     *     (after a burst of ten seconds' worth)
     * @param ticker the node's clock, in milliseconds
     */
    HeadFramingScanner(double http2ResetsPerSecond, Http2FrameScanner.Ticker ticker) {
        this.http2ResetsPerSecond = http2ResetsPerSecond;
        this.ticker = ticker;
    }

    /** A scanner whose HTTP/2 reset allowance never refills after its burst of 100. */
    HeadFramingScanner() {
        this(10, () -> 0L);
    }

    /** Follows framing over bytes [from, to) of {@code buf}; may poison one byte of a head. */
    void scan(ByteBuffer buf, int from, int to) {
        int i = from;
        while (i < to && following()) {
            switch (state) {
                case HEAD -> i = head(buf, i, to);
                case HTTP2 -> {
                    http2.scan(buf, i, to);
                    i = to;
                }
                case FIXED -> {
                    long n = Math.min(remaining, to - i);
                    remaining -= n;
                    i += (int) n;
                    if (remaining == 0) {
                        endOfMessage();
                    }
                }
                case CHUNK_DATA -> {
                    long n = Math.min(remaining, to - i);
                    remaining -= n;
                    i += (int) n;
                    if (remaining == 0) {
                        state = State.CHUNK_DATA_CR;
                    }
                }
                default -> i = chunkFraming(buf.get(i), i);
            }
        }
    }

    private int head(ByteBuffer buf, int i, int to) {
        while (i < to) {
            byte b = buf.get(i);
            if (b == '\n') {
                if (lineLength == 0 && !firstLine) {
                    headComplete();
                    return i + 1;
                }
                if (lineLength > 0) {
                    if (firstLine) {
                        if (!supportedVersion(line)) {
                            buf.put(i, (byte) 0); // not HTTP/1.x: make Undertow refuse it
                            state = State.PASS;
                            return i + 1;
                        }
                        requestLine();
                        firstLine = false;
                    } else if (keepLine) {
                        headerLine();
                    }
                }
                // empty lines before the request line are ignored (RFC 9112 §2.2)
                line.setLength(0);
                lineStart = true;
                lineLength = 0;
            } else if (b != '\r') {
                if (lineStart) {
                    if (!firstLine && (b == ' ' || b == '\t')) {
                        buf.put(i, (byte) 0); // obs-fold: make Undertow refuse the request
                        state = State.PASS;
                        return i + 1;
                    }
                    // only the request line and fields that decide framing are kept
                    char c = (char) (b | 0x20);
                    keepLine = firstLine || c == 'c' || c == 't';
                }
                if (keepLine && line.length() < MAX_LINE) {
                    line.append((char) (b & 0xff));
                }
                lineStart = false;
                lineLength++;
            }
            i++;
        }
        return i;
    }

    /** The request line (without CR LF) names HTTP/1.x, or is the HTTP/2 preface. */
    private static boolean supportedVersion(StringBuilder s) {
        int n = s.length();
        while (n > 0 && s.charAt(n - 1) <= ' ') {
            n--;
        }
        if (n == 14 && s.indexOf("PRI * HTTP/2.0") == 0) {
            return true;
        }
        return n > 9 && s.charAt(n - 9) == ' ' && s.indexOf("HTTP/1.", n - 8) == n - 8
                && Character.isDigit(s.charAt(n - 1));
    }

    private void requestLine() {
        http2Preface = startsWith(line, "PRI * HTTP/2");
    }

    private static boolean startsWith(StringBuilder s, String prefix) {
        return s.length() >= prefix.length() && s.indexOf(prefix) == 0;
    }

    /**
     * Notes Content-Length and Transfer-Encoding; other fields were not kept. Upgrade and
     * CONNECT change nothing: the node never switches an HTTP/1.1 connection to another
     * protocol except to h2c, whose client must begin with the HTTP/2 preface, so the next
     * bytes are always a request head (or that preface) and are checked like the first.
     */
    private void headerLine() {
        int colon = line.indexOf(":");
        if (colon <= 0) {
            return;
        }
        int nameEnd = colon;
        while (nameEnd > 0 && line.charAt(nameEnd - 1) <= ' ') {
            nameEnd--;
        }
        if (nameMatches("content-length", nameEnd)) {
            String value = value(colon);
            if (contentLength != null && !contentLength.equals(value)) {
                conflict = true; // refused downstream
            }
            contentLength = value;
        } else if (nameMatches("transfer-encoding", nameEnd)) {
            String value = value(colon);
            transferEncoding = transferEncoding == null ? value : transferEncoding + "," + value;
        }
    }

    private boolean nameMatches(String name, int nameEnd) {
        if (nameEnd != name.length()) {
            return false;
        }
        for (int k = 0; k < nameEnd; k++) {
            if ((line.charAt(k) | 0x20) != name.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private String value(int colon) {
        return line.substring(colon + 1).trim();
    }

    private void headComplete() {
        line.setLength(0);
        lineStart = true;
        firstLine = true;
        lineLength = 0;
        String cl = contentLength;
        String te = transferEncoding;
        boolean conflicting = conflict;
        boolean preface = http2Preface;
        contentLength = null;
        transferEncoding = null;
        conflict = false;
        if (preface) {
            // HTTP/2 from here on (prior knowledge, ALPN h2, or after 101 to h2c): follow its frames
            http2 = new Http2FrameScanner(PREFACE_REST, http2ResetsPerSecond, ticker);
            state = State.HTTP2;
            return;
        }
        if (conflicting) {
            state = State.PASS;
            return;
        }
        if (te != null) {
            if (!te.trim().equalsIgnoreCase("chunked") || cl != null) {
                state = State.PASS;
                return;
            }
            chunkSize = 0;
            chunkDigits = 0;
            state = State.CHUNK_SIZE;
            return;
        }
        if (cl != null) {
            try {
                remaining = Long.parseLong(cl);
            } catch (NumberFormatException e) {
                state = State.PASS;
                return;
            }
            if (remaining < 0) {
                state = State.PASS;
                return;
            }
            if (remaining == 0) {
                endOfMessage();
            } else {
                state = State.FIXED;
            }
            return;
        }
        endOfMessage();
    }

    private void endOfMessage() {
        state = State.HEAD;
    }

    private int chunkFraming(byte b, int i) {
        switch (state) {
            case CHUNK_SIZE -> {
                int d = Character.digit(b, 16);
                if (d >= 0 && chunkDigits < 15) {
                    chunkSize = chunkSize * 16 + d;
                    chunkDigits++;
                } else if (b == ';' && chunkDigits > 0) {
                    state = State.CHUNK_EXT;
                } else if (b == '\r' && chunkDigits > 0) {
                    state = State.CHUNK_SIZE_LF;
                } else {
                    state = State.BROKEN;
                }
            }
            case CHUNK_EXT -> {
                if (b == '\r') {
                    state = State.CHUNK_SIZE_LF;
                } else if (b == '\n') {
                    state = State.BROKEN;
                }
            }
            case CHUNK_SIZE_LF -> {
                if (b != '\n') {
                    state = State.BROKEN;
                } else if (chunkSize == 0) {
                    trailerLineEmpty = true;
                    state = State.TRAILER;
                } else {
                    remaining = chunkSize;
                    state = State.CHUNK_DATA;
                }
            }
            case CHUNK_DATA_CR -> state = b == '\r' ? State.CHUNK_DATA_LF : State.BROKEN;
            case CHUNK_DATA_LF -> {
                if (b == '\n') {
                    chunkSize = 0;
                    chunkDigits = 0;
                    state = State.CHUNK_SIZE;
                } else {
                    state = State.BROKEN;
                }
            }
            case TRAILER -> {
                if (b == '\n') {
                    if (trailerLineEmpty) {
                        endOfMessage();
                    }
                    trailerLineEmpty = true;
                } else if (b != '\r') {
                    trailerLineEmpty = false;
                }
            }
            default -> state = State.BROKEN;
        }
        return i + 1;
    }

    /** Whether the scanner still follows the connection. */
    boolean following() {
        return state != State.PASS && state != State.BROKEN && (http2 == null || http2.tripped() == null);
    }

    /** Why an HTTP/2 connection must be closed (a flood), or null. */
    Http2FrameScanner.Trip http2Trip() {
        return http2 == null ? null : http2.tripped();
    }

    /** Whether a chunked body's framing was broken. */
    boolean broken() {
        return state == State.BROKEN;
    }
}
