package dev.outpost.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on a loopback port in front of a server, that can be made to hang the way a
 * half-dead server does: after {@link #freeze()} it still accepts connections and reads what
 * clients send, but forwards nothing either way and answers nothing, and no connection is
 * closed. It records when a client first sent bytes while frozen (a request left unanswered),
 * on {@link System#nanoTime()}.
 */
public final class FreezingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicLong firstUnanswered = new AtomicLong();
    private volatile boolean frozen;
    private volatile boolean closed;

    private FreezingProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("freezing-proxy-accept").start(this::accept);
    }

    /** Starts forwarding from a free loopback port to {@code target}. */
    public static FreezingProxy start(InetSocketAddress target) {
        try {
            return new FreezingProxy(target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code http://127.0.0.1:PORT}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** From now on nothing is forwarded and nothing answered; connections stay open. */
    public void freeze() {
        frozen = true;
    }

    /** When a client first sent bytes after {@link #freeze()} ({@link System#nanoTime()}); empty if none did yet. */
    public OptionalLong firstUnansweredRequest() {
        long t = firstUnanswered.get();
        return t == 0 ? OptionalLong.empty() : OptionalLong.of(t);
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(client);
            Thread.ofVirtual().name("freezing-proxy-conn").start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket upstream = null;
        if (!frozen) {
            try {
                upstream = new Socket();
                upstream.connect(target, 5_000);
                sockets.add(upstream);
            } catch (IOException e) {
                close(client);
                return;
            }
        }
        if (upstream != null) {
            Socket up = upstream;
            Thread.ofVirtual().name("freezing-proxy-down").start(() -> pump(up, client, false));
        }
        pump(client, upstream, true);
    }

    /** Copies {@code from} to {@code to} until frozen; then reads and drops. */
    private void pump(Socket from, Socket to, boolean fromClient) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to == null ? null : to.getOutputStream();
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                if (frozen || out == null) {
                    if (fromClient && n > 0) {
                        firstUnanswered.compareAndSet(0, System.nanoTime());
                    }
                    continue; // hung: nothing goes through, nothing is closed
                }
                out.write(buf, 0, n);
                out.flush();
            }
            if (!frozen) {
                close(to);
                close(from);
            }
        } catch (IOException e) {
            if (!frozen) {
                close(to);
                close(from);
            }
        }
    }

    private static void close(Socket s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** Closes the listener and every connection. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        sockets.forEach(FreezingProxy::close);
    }
}
