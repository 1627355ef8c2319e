package dev.outpost.edge.server;

import java.nio.ByteBuffer;

/**
 * Follows the frames a client sends on an HTTP/2 connection (after the connection preface)
 * without touching them, and trips on the floods Undertow lets through: RST_STREAM frames
 * faster than {@code resetsPerSecond} after a burst of ten seconds' worth (rapid reset,
 * CVE-2023-44487: Undertow does not count the resets of requests it has already begun
 * answering), and header blocks split over more than {@link #MAX_CONTINUATIONS}
 * CONTINUATION frames (CONTINUATION flood; the bytes of a block are bounded by Undertow's
 * header list size). Once tripped, the connection is closed by {@link RequestHeadGuard}.
 */
final class Http2FrameScanner {

    /** CONTINUATION frames allowed after one HEADERS frame: 160 KiB of headers in frames of 1 KiB or more. */
    static final int MAX_CONTINUATIONS = 160;
    private static final int HEADER_LENGTH = 9;
    private static final int TYPE_HEADERS = 0x1;
    private static final int TYPE_PUSH_PROMISE = 0x5;
    private static final int TYPE_RST_STREAM = 0x3;
    private static final int TYPE_CONTINUATION = 0x9;
    private static final int FLAG_END_HEADERS = 0x4;

    /** Why a connection was cut off; the label of the metric that counts it. */
    enum Trip { RESETS, CONTINUATIONS }

    private final double resetsPerSecond;
    private final double resetBurst;
    private final Ticker ticker;
    private final byte[] header = new byte[HEADER_LENGTH];
    private int headerFill;
    private long payloadLeft;
    private int prefaceLeft;
    private boolean inHeaderBlock;
    private int continuations;
    private double resetTokens;
    private long lastRefill;
    private Trip tripped;

    /** Milliseconds from some fixed origin: the node's clock. */
    interface Ticker {
        long millis();
    }

    /**
     * @param prefaceLeft bytes of the connection preface still to come before the first frame
     * @param resetsPerSecond resets allowed per second after the burst (ten seconds' worth)
     */
    Http2FrameScanner(int prefaceLeft, double resetsPerSecond, Ticker ticker) {
        this.prefaceLeft = prefaceLeft;
        this.resetsPerSecond = resetsPerSecond;
        this.resetBurst = Math.max(1, resetsPerSecond * 10);
        this.ticker = ticker;
        this.resetTokens = resetBurst;
        this.lastRefill = ticker.millis();
    }

    /** Follows bytes [from, to) of {@code buf}; never changes them. */
    void scan(ByteBuffer buf, int from, int to) {
        int i = from;
        while (i < to && tripped == null) {
            if (prefaceLeft > 0) {
                int n = Math.min(prefaceLeft, to - i);
                prefaceLeft -= n;
                i += n;
            } else if (payloadLeft > 0) {
                long n = Math.min(payloadLeft, to - i);
                payloadLeft -= n;
                i += (int) n;
            } else {
                header[headerFill++] = buf.get(i++);
                if (headerFill == HEADER_LENGTH) {
                    headerFill = 0;
                    frame();
                }
            }
        }
    }

    private void frame() {
        payloadLeft = ((header[0] & 0xffL) << 16) | ((header[1] & 0xffL) << 8) | (header[2] & 0xffL);
        int type = header[3] & 0xff;
        int flags = header[4] & 0xff;
        switch (type) {
            case TYPE_HEADERS, TYPE_PUSH_PROMISE -> {
                inHeaderBlock = (flags & FLAG_END_HEADERS) == 0;
                continuations = 0;
            }
            case TYPE_CONTINUATION -> {
                if (inHeaderBlock && ++continuations > MAX_CONTINUATIONS) {
                    tripped = Trip.CONTINUATIONS;
                }
                if ((flags & FLAG_END_HEADERS) != 0) {
                    inHeaderBlock = false;
                }
            }
            case TYPE_RST_STREAM -> reset();
            default -> {
                // other frames: Undertow checks them
            }
        }
    }

    private void reset() {
        long now = ticker.millis();
        resetTokens = Math.min(resetBurst, resetTokens + Math.max(0, now - lastRefill) * resetsPerSecond / 1000.0);
        lastRefill = now;
        if (resetTokens >= 1) {
            resetTokens -= 1;
        } else {
            tripped = Trip.RESETS;
        }
    }

    /** Why the connection must be closed, or null while it may go on. */
    Trip tripped() {
        return tripped;
    }
}
