package dev.outpost.edge.server;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The state machine behind {@link RequestHeadGuard}: follows HTTP/1.x message framing over the
 * bytes of a connection, checks every request head, and skips bodies by their Content-Length
 * or chunk sizes. A head it refuses gets one byte replaced by NUL; a chunked body whose
 * framing is broken marks the scanner {@link #broken()}, and the connection is closed.
 */
final class HeadFramingScanner {

    private static final int MAX_HEAD = 256 * 1024;

    private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_EXT, CHUNK_SIZE_LF, CHUNK_DATA, CHUNK_DATA_CR, CHUNK_DATA_LF,
        TRAILER, PASS, BROKEN }

    private State state = State.HEAD;
    private final StringBuilder head = new StringBuilder(512);
    private boolean lineStart = true;
    private boolean firstLine = true;
    private int lineLength;
    private long remaining;
    private long chunkSize;
    private int chunkDigits;
    private boolean trailerLineEmpty = true;
    private boolean passAfterBody;

    /** Follows framing over bytes [from, to) of {@code buf}; may poison one byte of a head. */
    void scan(ByteBuffer buf, int from, int to) {
        int i = from;
        while (i < to && following()) {
            switch (state) {
                case HEAD -> i = head(buf, i, to);
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
            if (head.length() < MAX_HEAD) {
                head.append((char) (b & 0xff));
            }
            if (b == '\n') {
                if (lineLength == 0 && !firstLine) {
                    headComplete();
                    return i + 1;
                }
                if (lineLength == 0) {
                    // empty lines before the request line are ignored (RFC 9112 §2.2)
                    head.setLength(0);
                } else {
                    if (firstLine && !supportedVersion(head)) {
                        buf.put(i, (byte) 0); // not HTTP/1.x: make Undertow refuse it
                        state = State.PASS;
                        return i + 1;
                    }
                    firstLine = false;
                }
                lineStart = true;
                lineLength = 0;
            } else if (b != '\r') {
                if (lineStart && !firstLine && (b == ' ' || b == '\t')) {
                    buf.put(i, (byte) 0); // obs-fold: make Undertow refuse the request
                    state = State.PASS;
                    return i + 1;
                }
                lineStart = false;
                lineLength++;
            }
            i++;
        }
        return i;
    }

    /** The request line (in {@code line}, ending in CR LF or LF) names HTTP/1.x or is the HTTP/2 preface. */
    private static boolean supportedVersion(CharSequence line) {
        String s = line.toString().stripTrailing();
        if (s.equals("PRI * HTTP/2.0")) {
            return true;
        }
        int n = s.length();
        return n > 9 && s.regionMatches(n - 9, " HTTP/1.", 0, 8) && Character.isDigit(s.charAt(n - 1));
    }

    private void headComplete() {
        String text = head.toString();
        head.setLength(0);
        lineStart = true;
        firstLine = true;
        lineLength = 0;
        String[] lines = text.split("\r?\n");
        if (lines.length == 0 || lines[0].startsWith("PRI * HTTP/2")) {
            state = State.PASS;
            return;
        }
        String contentLength = null;
        String transferEncoding = null;
        boolean upgrade = false;
        for (int l = 1; l < lines.length; l++) {
            String line = lines[l];
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> {
                    if (contentLength != null && !contentLength.equals(value)) {
                        state = State.PASS; // conflicting: refused downstream
                        return;
                    }
                    contentLength = value;
                }
                case "transfer-encoding" -> transferEncoding = transferEncoding == null ? value : transferEncoding + "," + value;
                case "upgrade" -> upgrade = true;
                default -> {
                }
            }
        }
        passAfterBody = upgrade || lines[0].startsWith("CONNECT ");
        if (transferEncoding != null) {
            if (!transferEncoding.trim().equalsIgnoreCase("chunked") || contentLength != null) {
                state = State.PASS;
                return;
            }
            chunkSize = 0;
            chunkDigits = 0;
            state = State.CHUNK_SIZE;
            return;
        }
        if (contentLength != null) {
            try {
                remaining = Long.parseLong(contentLength);
            } catch (NumberFormatException e) {
                state = State.PASS;
                return;
            }
            if (remaining < 0) {
                state = State.PASS;
                return;
            }
            state = remaining == 0 ? State.HEAD : State.FIXED;
            if (remaining == 0) {
                endOfMessage();
            }
            return;
        }
        endOfMessage();
    }

    private void endOfMessage() {
        state = passAfterBody ? State.PASS : State.HEAD;
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
        return state != State.PASS && state != State.BROKEN;
    }

    /** Whether a chunked body's framing was broken. */
    boolean broken() {
        return state == State.BROKEN;
    }
}
