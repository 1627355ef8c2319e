package dev.outpost.edge.hardening;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An origin on a plain server socket that holds every request whose path starts with
 * {@code /slow/} for {@code delay} before it answers, and watches the connection meanwhile:
 * it counts the requests it started, the ones whose connection the node closed before the
 * answer (a fetch called off) and the ones it answered. Other paths are answered at once.
 * Paths under {@code /slow/pass/} and {@code /slow/miss/} answer {@code no-store}; the rest
 * {@code max-age=600}, with a body of {@code bodyBytes}.
 */
public final class HoldingOrigin implements AutoCloseable {

    private final ServerSocket server;
    private final long delayMillis;
    private final int bodyBytes;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Requests for slow paths read. */
    public final AtomicInteger started = new AtomicInteger();
    /** Slow requests whose connection the node closed before the answer. */
    public final AtomicInteger closedEarly = new AtomicInteger();
    /** Slow requests answered after the whole delay. */
    public final AtomicInteger answered = new AtomicInteger();
    /** Requests read, slow or not, by path. */
    public final ConcurrentHashMap<String, AtomicInteger> byPath = new ConcurrentHashMap<>();

    public HoldingOrigin(long delayMillis, int bodyBytes) {
        this.delayMillis = delayMillis;
        this.bodyBytes = bodyBytes;
        try {
            this.server = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().name("holding-origin").start(this::accept);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Connections open at the origin now. */
    public int openConnections() {
        return open.size();
    }

    public int requests(String path) {
        AtomicInteger n = byPath.get(path);
        return n == null ? 0 : n.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                open.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = ScriptedOrigin.readHead(in);
                if (head == null) {
                    return;
                }
                String path = head.split(" ", 3)[1];
                byPath.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                if (path.startsWith("/slow/")) {
                    started.incrementAndGet();
                    s.setSoTimeout((int) delayMillis);
                    try {
                        if (in.read() < 0) {
                            closedEarly.incrementAndGet();
                            return;
                        }
                    } catch (SocketTimeoutException e) {
                        // held for the whole delay: answer
                    } catch (IOException e) {
                        closedEarly.incrementAndGet(); // reset by the node
                        return;
                    }
                    s.setSoTimeout(0);
                    answered.incrementAndGet();
                }
                boolean store = !path.startsWith("/slow/pass/") && !path.startsWith("/slow/miss/");
                byte[] body = new byte[path.startsWith("/slow/") ? bodyBytes : 5];
                java.util.Arrays.fill(body, (byte) 'x');
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nCache-Control: "
                        + (store ? "max-age=600" : "no-store") + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            }
        } catch (IOException e) {
            // the node went away
        } finally {
            open.remove(s);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
