package dev.outpost.edge.proxy;

import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.xnio.channels.StreamSinkChannel;

/**
 * Writes a response body from a virtual thread without blocking a carrier thread: a write the
 * socket cannot take now parks the virtual thread until Undertow's I/O thread reports the
 * channel writable. (Undertow's own blocking streams wait in a selector, which would pin the
 * carrier.) A client that accepts no byte for the write timeout ({@link SlowReaders}) is cut
 * off: the wait ends with a {@link WriteTimeoutException}, counted, and the caller aborts the
 * response (closing the connection, or resetting the HTTP/2 stream), which releases what it held.
 */
final class ChannelSink {

    private final HttpServerExchange exchange;
    private final StreamSinkChannel channel;
    private final SlowReaders slowReaders;
    private final long stallNanos;
    private volatile Thread waiter;
    private long written;

    /** The client accepted no byte for the write timeout. */
    static final class WriteTimeoutException extends IOException {
        WriteTimeoutException() {
            super("client accepted no byte for the write timeout");
        }
    }

    ChannelSink(HttpServerExchange exchange, SlowReaders slowReaders) {
        this.exchange = exchange;
        this.channel = exchange.getResponseChannel();
        this.slowReaders = slowReaders;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(slowReaders.writeTimeoutMillis());
        channel.getWriteSetter().set(c -> {
            c.suspendWrites();
            Thread t = waiter;
            if (t != null) {
                LockSupport.unpark(t);
            }
        });
    }

    SlowReaders slowReaders() {
        return slowReaders;
    }

    /** Writes what the socket takes now, without waiting; true when all of {@code buffer} went. */
    boolean offer(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.write(buffer);
            if (n <= 0) {
                return false;
            }
            written += n;
        }
        return true;
    }

    void write(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.write(buffer);
            if (n > 0) {
                written += n;
            } else {
                awaitWritable();
            }
        }
    }

    /**
     * Ends the body (final chunk for chunked responses), flushes, and ends the exchange. A
     * request body still unread (the origin answered without reading it all) closes the
     * connection: it is neither drained without bound nor left in front of the next request,
     * which would keep the exchange open for good.
     */
    void finish() throws IOException {
        if (!exchange.isRequestComplete()) {
            exchange.setPersistent(false);
        }
        channel.shutdownWrites();
        while (!channel.flush()) {
            awaitWritable();
        }
        exchange.endExchange();
    }

    long written() {
        return written;
    }

    /** Waits until the socket can take more, at most the write timeout (then throws, counted). */
    void awaitWritable() throws IOException {
        if (!channel.isOpen()) {
            throw new IOException("client connection closed");
        }
        long deadline = System.nanoTime() + stallNanos;
        waiter = Thread.currentThread();
        try {
            channel.resumeWrites();
            LockSupport.parkNanos(this, stallNanos);
            if (System.nanoTime() - deadline > 0) {
                slowReaders.timedOut();
                throw new WriteTimeoutException();
            }
        } finally {
            waiter = null;
        }
    }
}
