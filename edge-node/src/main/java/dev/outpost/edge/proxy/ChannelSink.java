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
 * carrier.) A client that reads nothing for {@code stallTimeout} is cut off.
 */
final class ChannelSink {

    private final HttpServerExchange exchange;
    private final StreamSinkChannel channel;
    private final long stallNanos;
    private volatile Thread waiter;
    private long written;

    ChannelSink(HttpServerExchange exchange, long stallTimeoutMillis) {
        this.exchange = exchange;
        this.channel = exchange.getResponseChannel();
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallTimeoutMillis);
        channel.getWriteSetter().set(c -> {
            c.suspendWrites();
            Thread t = waiter;
            if (t != null) {
                LockSupport.unpark(t);
            }
        });
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

    private void awaitWritable() throws IOException {
        if (!channel.isOpen()) {
            throw new IOException("client connection closed");
        }
        long deadline = System.nanoTime() + stallNanos;
        waiter = Thread.currentThread();
        try {
            channel.resumeWrites();
            LockSupport.parkNanos(this, stallNanos);
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("client stopped reading");
            }
        } finally {
            waiter = null;
        }
    }
}
