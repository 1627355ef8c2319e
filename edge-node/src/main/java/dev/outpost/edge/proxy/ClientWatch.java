package dev.outpost.edge.proxy;

import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.util.Headers;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.conduits.ConduitStreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * Notices that the client of a request waiting for the origin has left, from the moment the
 * request leaves the hit path until its response starts, and then closes its side of the
 * connection at once and tells the pipeline ({@link #whenGone}), which calls off the client's
 * share of the fetch.
 *
 * <p>Without it nothing reads a connection while its request waits: a client that sends a
 * request and closes leaves its socket in CLOSE-WAIT, and the fetch running, until the
 * origin answers (22,000 of them used up a node's file descriptors). On HTTP/1.1 the watch
 * resumes reads on the connection once the request is whole (never while a body is still to
 * come, nor with pipelined requests already buffered) and reads what comes: end of stream or
 * a reset means the client left (a half-close counts too, as it does for nginx); bytes of a
 * pipelined request are handed back to Undertow for after this one, and the watch ends. On
 * HTTP/2 a RST_STREAM (or the connection's end) closes the stream's response channel, which
 * wakes the listener set on it here. The watch ends when the response channel is taken (a
 * response wrapper), before any byte is written, so it never reads or writes alongside the
 * response. Only requests that leave the I/O thread are watched: cache hits never are.
 */
final class ClientWatch {

    /** The request's client left: the request goes no further. */
    static final class Gone extends IOException {
        Gone() {
            super("the client left", null);
        }
    }

    private static final int WATCHING = 0;
    private static final int READING = 1;
    private static final int STOPPED = 2;
    private static final int GONE = 3;

    private final AtomicInteger state = new AtomicInteger(WATCHING);
    private final HttpServerConnection http1;
    private final ConduitStreamSourceChannel source;
    private final ChannelListener<? super ConduitStreamSourceChannel> previousReader;
    private final ConduitStreamSinkChannel h2Sink;
    private final ChannelListener<ConduitStreamSinkChannel> h2Listener;
    private Runnable onGone;
    private boolean goneRun;

    private ClientWatch(HttpServerConnection http1, ConduitStreamSinkChannel h2Sink) {
        this.http1 = http1;
        this.source = http1 == null ? null : http1.getChannel().getSourceChannel();
        this.previousReader = source == null ? null : source.getReadListener();
        this.h2Sink = h2Sink;
        this.h2Listener = h2Sink == null ? null : this::streamWritable;
    }

    /**
     * Starts watching the client of {@code ex}; called on its I/O thread before the request is
     * dispatched. Null when it can't be watched: HTTP/1.x with a request body still to read, with
     * pipelined requests behind it, or asking for an upgrade.
     */
    static ClientWatch start(HttpServerExchange ex) {
        if (ex.isResponseStarted() || !ex.isResponseChannelAvailable()) {
            return null;
        }
        ClientWatch w;
        if (ex.getConnection() instanceof HttpServerConnection c) {
            if (!ex.isRequestComplete() || c.getExtraBytes() != null || ex.getRequestHeaders().contains(Headers.UPGRADE)) {
                return null;
            }
            w = new ClientWatch(c, null);
            w.source.setReadListener(w::readable);
            w.source.resumeReads();
        } else if (ex.getProtocol().equals(io.undertow.util.Protocols.HTTP_2_0)) {
            ConduitStreamSinkChannel sink = Connectors.getConduitSinkChannel(ex);
            if (sink == null || !sink.isOpen()) {
                return null;
            }
            w = new ClientWatch(null, sink);
            sink.setWriteListener(w.h2Listener);
        } else {
            return null;
        }
        ex.addResponseWrapper((factory, x) -> {
            w.stop();
            return factory.create();
        });
        return w;
    }

    /**
     * What to do when the client leaves, replacing what was set before (the request moves from
     * waiting on a lookup to leading or joining a fetch). False, and nothing set, when the
     * client has already left (the action set then has run).
     */
    synchronized boolean whenGone(Runnable action) {
        if (goneRun) {
            return false;
        }
        onGone = action;
        return true;
    }

    /** Whether the client left while its request waited. */
    boolean gone() {
        return state.get() == GONE;
    }

    /** Ends the watch: the response is about to start (any thread). */
    void stop() {
        while (true) {
            int s = state.get();
            if (s == READING) {
                Thread.onSpinWait(); // the I/O thread is in the middle of a non-blocking read
            } else if (s != WATCHING) {
                return;
            } else if (state.compareAndSet(WATCHING, STOPPED)) {
                restore();
                return;
            }
        }
    }

    private void restore() {
        if (source != null) {
            source.setReadListener(previousReader);
            source.suspendReads();
        } else if (h2Sink.getWriteListener() == h2Listener) {
            h2Sink.setWriteListener(null);
        }
    }

    /** HTTP/1.x: the connection is readable while the request waits (I/O thread). */
    private void readable(ConduitStreamSourceChannel channel) {
        if (!state.compareAndSet(WATCHING, READING)) {
            return;
        }
        PooledByteBuffer pooled;
        try {
            pooled = http1.getByteBufferPool().allocate();
        } catch (IllegalStateException e) {
            state.set(WATCHING); // the pool is closing: so is the node
            channel.suspendReads();
            return;
        }
        int n;
        try {
            n = channel.read(pooled.getBuffer());
        } catch (IOException e) {
            n = -1; // reset by the client
        }
        if (n == 0) {
            pooled.close();
            state.set(WATCHING);
            return;
        }
        if (n > 0) {
            // a pipelined request: Undertow reads it after this one; nothing more to watch
            pooled.getBuffer().flip();
            http1.ungetRequestBytes(pooled);
            restore();
            state.set(STOPPED);
            return;
        }
        pooled.close();
        state.set(GONE);
        channel.suspendReads();
        IoUtils.safeClose(http1); // no CLOSE-WAIT: the server side closes as soon as the client has
        left();
    }

    /** HTTP/2: the stream's response channel was woken before the response; closed means reset. */
    private void streamWritable(ConduitStreamSinkChannel channel) {
        // READING while the listener runs: stop() waits for it, so writes the response resumes
        // after the watch are never suspended here
        if (!state.compareAndSet(WATCHING, READING)) {
            return;
        }
        if (channel.isOpen()) {
            channel.suspendWrites();
            state.set(WATCHING);
            return;
        }
        state.set(GONE);
        left();
    }

    private void left() {
        Runnable action;
        synchronized (this) {
            goneRun = true;
            action = onGone;
        }
        if (action != null) {
            action.run();
        }
    }

}
