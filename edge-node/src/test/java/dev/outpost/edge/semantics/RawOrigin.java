package dev.outpost.edge.semantics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * An origin that answers with exact bytes, for responses no well-behaved server sends: a body
 * shorter than its Content-Length, chunking cut off before the last chunk. Answer {@code i}
 * goes to connection {@code i} (the last one repeats); each connection serves one request and
 * is closed. Plain HTTP, or TLS ({@link #tls}).
 */
final class RawOrigin implements AutoCloseable {

    /**
     * In an answer, where the origin stops writing: for {@link #PAUSE_MILLIS} (a slow origin after
     * a 103), or until the test opens the latch given to {@link #pauseUntil}.
     */
    static final String PAUSE = "<pause>";
    static final long PAUSE_MILLIS = 5_000;

    private final ServerSocket server;
    private final String scheme;
    private final List<String> answers;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile CountDownLatch resume;

    RawOrigin(String... answers) {
        this(plain(), "http://127.0.0.1:", answers);
    }

    private RawOrigin(ServerSocket server, String base, String... answers) {
        this.server = server;
        this.scheme = base;
        this.answers = List.of(answers);
        Thread.ofVirtual().name("raw-origin").start(this::accept);
    }

    /** The same over TLS, with the certificate of {@code tls} (for {@code localhost}). */
    static RawOrigin tls(SSLContext tls, String... answers) {
        try {
            return new RawOrigin(tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress()),
                    "https://localhost:", answers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ServerSocket plain() {
        try {
            return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Makes every pause last until {@code latch} is opened (a minute at most) instead of a fixed time. */
    RawOrigin pauseUntil(CountDownLatch latch) {
        this.resume = latch;
        return this;
    }

    /** {@code data} as one chunk of a chunked body. */
    static String chunk(String data) {
        return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
    }

    String url() {
        return scheme + server.getLocalPort();
    }

    /** Requests received so far. */
    int count() {
        return count.get();
    }

    /** The request heads received, in order. */
    List<String> requests() {
        return requests;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int state = 0;
            int b;
            while (state < 4 && (b = in.read()) != -1) {
                head.write(b);
                state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            }
            requests.add(head.toString(StandardCharsets.ISO_8859_1));
            int i = count.getAndIncrement();
            OutputStream out = s.getOutputStream();
            String[] parts = answers.get(Math.min(i, answers.size() - 1)).split(PAUSE, -1);
            for (int p = 0; p < parts.length; p++) {
                if (p > 0) {
                    pause();
                }
                out.write(parts[p].getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException ignored) {
            // the edge hung up
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void pause() throws InterruptedException {
        CountDownLatch latch = resume;
        if (latch == null) {
            Thread.sleep(PAUSE_MILLIS);
        } else {
            latch.await(1, TimeUnit.MINUTES);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
