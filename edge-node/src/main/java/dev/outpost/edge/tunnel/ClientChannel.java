package dev.outpost.edge.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.xnio.StreamConnection;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * The client's side of a tunnel: Undertow's non-blocking connection read and written from
 * virtual threads, which park until the I/O thread reports the channel readable or writable
 * (as the pipeline's {@code ChannelSink} does), so no carrier thread waits in a selector. No
 * timeout here: the tunnel's idle timeout closes the connection, and {@link #wake} unparks both.
 */
final class ClientChannel {

    private final StreamConnection connection;
    private final StreamSourceChannel source;
    private final StreamSinkChannel sink;
    private volatile @Nullable Thread reader;
    private volatile @Nullable Thread writer;

    ClientChannel(StreamConnection connection) {
        this.connection = connection;
        this.source = connection.getSourceChannel();
        this.sink = connection.getSinkChannel();
        source.getReadSetter().set(c -> {
            c.suspendReads();
            unpark(reader);
        });
        sink.getWriteSetter().set(c -> {
            c.suspendWrites();
            unpark(writer);
        });
    }

    /** Reads what the client has sent so far: 0 when nothing is there yet, -1 at its end. */
    int readNow(ByteBuffer dst) throws IOException {
        return source.read(dst);
    }

    /**
     * Parks until the client's connection may be read (bytes, its end, or a close), with no
     * buffer held meanwhile: an idle tunnel costs no buffer. Returns at once when the
     * connection is closed already.
     */
    void awaitReadable() {
        reader = Thread.currentThread();
        try {
            if (!connection.isOpen()) {
                return; // checked after the waiter is set: a close either is seen here or wakes it
            }
            source.resumeReads();
            LockSupport.park(this);
        } finally {
            reader = null;
        }
    }

    /** Writes all of {@code src} and flushes it. */
    void write(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            if (sink.write(src) == 0) {
                awaitWritable();
            }
        }
        while (!sink.flush()) {
            awaitWritable();
        }
    }

    private void awaitWritable() throws IOException {
        writer = Thread.currentThread();
        try {
            if (!connection.isOpen()) {
                throw new IOException("client connection closed");
            }
            sink.resumeWrites();
            LockSupport.park(this);
        } finally {
            writer = null;
        }
    }

    /** Unparks whoever waits on the channel (after it was closed). */
    void wake() {
        unpark(reader);
        unpark(writer);
    }

    private static void unpark(@Nullable Thread t) {
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
