package dev.outpost.edge.proxy;

import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;
import org.xnio.channels.StreamSourceChannel;

/**
 * Streams a request body from the client to upstream on a virtual thread, parking while the
 * client has sent nothing new (the counterpart of {@link ChannelSink}), and refusing bodies
 * over the configured limit.
 */
final class ChannelSource extends RequestBody {

    /** A body larger than the node accepts. */
    static final class TooLargeException extends IOException {
        TooLargeException() {
            super("request body too large");
        }
    }

    private final StreamSourceChannel channel;
    private final long contentLength;
    private final long maxBytes;
    private final long stallNanos;
    private final MediaType type;
    private volatile Thread waiter;
    private boolean consumed;

    ChannelSource(HttpServerExchange exchange, long contentLength, long maxBytes, long stallTimeoutMillis, String contentType) {
        this.channel = exchange.getRequestChannel();
        this.contentLength = contentLength;
        this.maxBytes = maxBytes;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallTimeoutMillis);
        this.type = contentType == null ? null : MediaType.parse(contentType);
        channel.getReadSetter().set(c -> {
            c.suspendReads();
            Thread t = waiter;
            if (t != null) {
                LockSupport.unpark(t);
            }
        });
    }

    @Override
    public MediaType contentType() {
        return type;
    }

    @Override
    public long contentLength() {
        return contentLength;
    }

    @Override
    public boolean isOneShot() {
        return true;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
        if (consumed) {
            throw new IOException("request body already sent");
        }
        consumed = true;
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        long total = 0;
        while (true) {
            buf.clear();
            int n = channel.read(buf);
            if (n == -1) {
                break;
            }
            if (n == 0) {
                awaitReadable();
                continue;
            }
            total += n;
            if (total > maxBytes) {
                throw new TooLargeException();
            }
            buf.flip();
            sink.write(buf);
        }
    }

    private void awaitReadable() throws IOException {
        if (!channel.isOpen()) {
            throw new IOException("client connection closed");
        }
        long deadline = System.nanoTime() + stallNanos;
        waiter = Thread.currentThread();
        try {
            channel.resumeReads();
            LockSupport.parkNanos(this, stallNanos);
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("client stopped sending the request body");
            }
        } finally {
            waiter = null;
        }
    }
}
