package dev.outpost.edge.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.Conduits;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Watches the bytes of HTTP/1.x requests on a connection before Undertow parses them, and
 * makes Undertow refuse (400, connection closed) what it would otherwise accept leniently:
 * a header line folded onto the next line (obs-fold), which Undertow unfolds into a space as
 * RFC 9112 allows, but which we refuse because two servers may read it differently.
 *
 * <p>It follows message framing (Content-Length, chunked bodies and trailers) so that on a
 * keep-alive connection every request head is checked and no body byte is ever touched. A
 * refused head is marked by replacing the offending byte with NUL, which Undertow's parser
 * rejects. On HTTP/2 connections it watches the frames for reset and CONTINUATION floods and
 * closes the connection on one. It keeps following after requests that carry {@code Upgrade} or use CONNECT (the
 * node never switches an HTTP/1.1 connection to another protocol except h2c, whose client
 * must start with the HTTP/2 preface). Only the HTTP/2 preface and framing it does not
 * understand make it step aside: Undertow and the request pipeline refuse such framing
 * themselves. The one other way to stop it is {@link #tunnel()}, called by the pipeline once
 * the origin has answered a WebSocket (or other allowed) upgrade with 101 and before that 101
 * is sent: from then on the bytes are the tunnel's, never a request head, and no more
 * requests come on the connection. A client may send nothing between its handshake and the
 * 101 (RFC 6455 §4.1), so no tunnel byte is ever looked at.
 */
final class RequestHeadGuard extends AbstractStreamSourceConduit<StreamSourceConduit> {

    private final HeadFramingScanner scanner;
    private final java.util.function.Consumer<Http2FrameScanner.Trip> onTrip;
    private boolean reported;
    private volatile boolean tunnel;

    /** @param onTrip told once why an HTTP/2 connection is being closed (for its metric) */
    RequestHeadGuard(StreamSourceConduit next, HeadFramingScanner scanner,
                     java.util.function.Consumer<Http2FrameScanner.Trip> onTrip) {
        super(next);
        this.scanner = scanner;
        this.onTrip = onTrip;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        failIfBroken();
        int start = dst.position();
        int n = super.read(dst);
        if (n > 0 && !tunnel && scanner.following()) {
            scanner.scan(dst, start, start + n);
            failIfBroken();
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
        failIfBroken();
        int[] starts = new int[len];
        for (int i = 0; i < len; i++) {
            starts[i] = dsts[offs + i].position();
        }
        long n = super.read(dsts, offs, len);
        if (n > 0 && !tunnel && scanner.following()) {
            for (int i = 0; i < len; i++) {
                ByteBuffer b = dsts[offs + i];
                if (b.position() > starts[i]) {
                    scanner.scan(b, starts[i], b.position());
                }
            }
            failIfBroken();
        }
        return n;
    }

    @Override
    public long transferTo(long position, long count, FileChannel target) throws IOException {
        return target.transferFrom(new org.xnio.conduits.ConduitReadableByteChannel(this), position, count);
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
        return Conduits.transfer(this, count, throughBuffer, target);
    }

    /** The connection becomes a tunnel: its bytes are no longer followed (set on any thread). */
    void tunnel() {
        tunnel = true;
    }

    private void failIfBroken() throws IOException {
        if (tunnel) {
            return;
        }
        if (scanner.broken()) {
            throw new IOException("malformed chunked request body");
        }
        Http2FrameScanner.Trip trip = scanner.http2Trip();
        if (trip != null) {
            if (!reported) {
                reported = true;
                onTrip.accept(trip);
            }
            throw new IOException("HTTP/2 flood (" + trip.name().toLowerCase(java.util.Locale.ROOT) + "): connection closed");
        }
    }
}
