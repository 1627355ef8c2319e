package dev.outpost.edge.tunnel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import okio.Buffer;
import okio.Sink;
import okio.Socket;
import okio.Source;
import org.jspecify.annotations.Nullable;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;

/**
 * One tunnel: the client's connection and the origin's, joined after the 101. A virtual thread
 * per direction copies bytes as they come, through a buffer lent only while they move (a
 * direction waiting for bytes holds none); the first end or error on either side closes both
 * (reason {@code client-closed}, {@code origin-closed}, {@code client-error},
 * {@code origin-error}), as does the idle check ({@code idle}) and the node's shutdown
 * ({@code shutdown}). What one tunnel holds is bounded whatever its ends do: per direction one
 * {@link Buffers#SIZE} buffer and one okio chunk of at most that size; a client that stops
 * reading parks its direction until the idle timeout closes the tunnel.
 */
final class Tunnel {

    private final StreamConnection client;
    private final ClientChannel clientChannel;
    private final Socket origin;
    private final InstantSource clock;
    private final long idleMillis;
    private final Buffers buffers;
    private final Tunnels.Meters meters;
    private final Consumer<Tunnel> closed;
    private final Consumer<Tunnels.Summary> onEnd;
    private final long startNanos = System.nanoTime();
    private final AtomicReference<@Nullable String> reason = new AtomicReference<>();
    private volatile long lastActivity;
    private volatile long toOrigin;
    private volatile long toClient;

    Tunnel(StreamConnection client, Socket origin, InstantSource clock, long idleMillis, Buffers buffers,
           Tunnels.Meters meters, Consumer<Tunnel> closed, Consumer<Tunnels.Summary> onEnd) {
        this.client = client;
        this.clientChannel = new ClientChannel(client);
        this.origin = origin;
        this.clock = clock;
        this.idleMillis = idleMillis;
        this.buffers = buffers;
        this.meters = meters;
        this.closed = closed;
        this.onEnd = onEnd;
        this.lastActivity = clock.millis();
        // the origin socket has no read or write timeout of its own: idleness is judged here,
        // over both directions together (a one-way stream is not idle)
        origin.getSource().timeout().clearTimeout();
        origin.getSink().timeout().clearTimeout();
    }

    void start() {
        Thread.ofVirtual().name("tunnel-to-origin").start(this::clientToOrigin);
        Thread.ofVirtual().name("tunnel-to-client").start(this::originToClient);
    }

    private void clientToOrigin() {
        Sink sink = origin.getSink();
        Buffer chunk = new Buffer();
        String end;
        while (true) {
            int n;
            ByteBuffer b = buffers.take();
            try {
                n = clientChannel.readNow(b);
                if (n > 0) {
                    b.flip();
                    chunk.write(b);
                }
            } catch (IOException e) {
                end = "client-error";
                break;
            } finally {
                buffers.give(b);
            }
            if (n < 0) {
                end = "client-closed";
                break;
            }
            if (n == 0) {
                if (reason.get() != null) {
                    end = "closed";
                    break;
                }
                clientChannel.awaitReadable();
                continue;
            }
            // activity is when the bytes came, before they are passed on: whoever sees them arrive
            // at the other end sees the tunnel's clock already moved
            lastActivity = clock.millis();
            try {
                sink.write(chunk, chunk.size());
                sink.flush();
            } catch (IOException e) {
                end = "origin-error";
                break;
            }
            toOrigin += n;
            meters.toOrigin(n);
        }
        chunk.clear();
        close(end);
        closeQuietly(sink);
    }

    private void originToClient() {
        Source source = origin.getSource();
        Buffer chunk = new Buffer();
        String end;
        while (true) {
            long n;
            try {
                n = source.read(chunk, Buffers.SIZE);
            } catch (IOException e) {
                end = "origin-error";
                break;
            }
            if (n < 0) {
                end = "origin-closed";
                break;
            }
            lastActivity = clock.millis();
            ByteBuffer b = buffers.take();
            try {
                while (chunk.size() > 0) {
                    b.clear();
                    chunk.read(b);
                    b.flip();
                    clientChannel.write(b);
                }
            } catch (IOException e) {
                end = "client-error";
                break;
            } finally {
                buffers.give(b);
            }
            toClient += n;
            meters.toClient(n);
        }
        chunk.clear();
        close(end);
        closeQuietly(source);
    }

    /** Each direction closes its own origin stream once it has stopped: OkHttp then lets the connection go. */
    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException ignored) {
            // the socket is closed already
        }
    }

    /** Closed when nothing moved either way for the idle timeout (by the node's clock). */
    boolean idle(long now) {
        return now - lastActivity >= idleMillis;
    }

    /** Closes both sides once; the first reason given is the one counted. */
    void close(String why) {
        if (!reason.compareAndSet(null, why)) {
            return;
        }
        IoUtils.safeClose(client);
        clientChannel.wake();
        origin.cancel();
        closed.accept(this);
        meters.closed(why);
        onEnd.accept(new Tunnels.Summary(why, toOrigin, toClient, System.nanoTime() - startNanos));
    }
}
