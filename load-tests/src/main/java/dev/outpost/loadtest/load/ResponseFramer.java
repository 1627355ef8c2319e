package dev.outpost.loadtest.load;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Finds where one HTTP/1.1 response ends in bytes fed to it as they arrive: status line,
 * headers, then a body delimited by {@code Content-Length} or chunked, interim 1xx responses
 * skipped. Lets one thread follow many connections at once without a thread per response.
 */
final class ResponseFramer {

    private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, DONE }

    private final StringBuilder line = new StringBuilder(64);
    private State state = State.HEAD;
    private int status = -1;
    private long contentLength = -1;
    private boolean chunked;
    private long remaining;
    private long bodyBytes;

    /** Consumes what {@code bytes} holds up to the response's end; true once the response is whole. */
    boolean feed(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining() && state != State.DONE) {
            if (state == State.BODY || state == State.CHUNK_DATA) {
                int n = (int) Math.min(remaining, bytes.remaining());
                bytes.position(bytes.position() + n);
                remaining -= n;
                bodyBytes += n;
                if (remaining == 0) {
                    state = state == State.BODY ? State.DONE : State.CHUNK_END;
                }
                continue;
            }
            byte c = bytes.get();
            if (c != '\n') {
                if (line.length() > 16 * 1024) {
                    throw new IOException("response line longer than 16 KiB");
                }
                line.append((char) (c & 0xff));
                continue;
            }
            int len = line.length();
            String l = len > 0 && line.charAt(len - 1) == '\r' ? line.substring(0, len - 1) : line.toString();
            line.setLength(0);
            onLine(l);
        }
        return state == State.DONE;
    }

    boolean done() {
        return state == State.DONE;
    }

    /** The final response's status, or -1 before its status line. */
    int status() {
        return status;
    }

    long bodyBytes() {
        return bodyBytes;
    }

    private void onLine(String l) throws IOException {
        switch (state) {
            case HEAD -> onHeadLine(l);
            case CHUNK_SIZE -> {
                int semi = l.indexOf(';');
                long size;
                try {
                    size = Long.parseLong((semi >= 0 ? l.substring(0, semi) : l).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size line: " + l);
                }
                if (size == 0) {
                    state = State.TRAILERS;
                } else {
                    remaining = size;
                    state = State.CHUNK_DATA;
                }
            }
            case CHUNK_END -> {
                if (!l.isEmpty()) {
                    throw new IOException("chunk not followed by CRLF");
                }
                state = State.CHUNK_SIZE;
            }
            case TRAILERS -> {
                if (l.isEmpty()) {
                    state = State.DONE;
                }
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    private void onHeadLine(String l) throws IOException {
        if (status < 0) {
            status = RawHttpClient.parseStatus(l);
            return;
        }
        if (!l.isEmpty()) {
            int colon = l.indexOf(':');
            if (colon > 0) {
                String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = l.substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    contentLength = Long.parseLong(value);
                } else if (name.equals("transfer-encoding")) {
                    chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                }
            }
            return;
        }
        if (status / 100 == 1) { // interim response: the real one follows
            status = -1;
            contentLength = -1;
            chunked = false;
        } else if (status == 204 || status == 304) {
            state = State.DONE;
        } else if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (contentLength >= 0) {
            remaining = contentLength;
            state = contentLength == 0 ? State.DONE : State.BODY;
        } else {
            throw new IOException("status " + status + " response without Content-Length or chunked body");
        }
    }
}
