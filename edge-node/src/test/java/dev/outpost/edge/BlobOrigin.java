package dev.outpost.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * An origin for large-object tests: {@code GET /blob/<bytes>/<seed>} streams deterministic
 * pseudo-random bytes without holding them in memory, so a test can push hundreds of MiB
 * through a node and check every byte by CRC. A gate can hold a response after a given number
 * of bytes (to kill a node mid-fill).
 */
public final class BlobOrigin implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final AtomicLong bytesSent = new AtomicLong();
    private volatile long holdAfter = -1;
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile CountDownLatch held = new CountDownLatch(1);

    public BlobOrigin() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Holds every response after {@code bytes} body bytes until {@link #release()}. */
    public void holdAfter(long bytes) {
        held = new CountDownLatch(1);
        gate = new CountDownLatch(1);
        holdAfter = bytes;
    }

    public void release() {
        holdAfter = -1;
        gate.countDown();
    }

    /** Waits until a response is being held. */
    public boolean awaitHeld(long timeout, TimeUnit unit) throws InterruptedException {
        return held.await(timeout, unit);
    }

    public int requests(String path) {
        AtomicInteger n = requests.get(path);
        return n == null ? 0 : n.get();
    }

    public long bytesSent() {
        return bytesSent.get();
    }

    /** The CRC32 of the body of {@code /blob/<size>/<seed>}. */
    public static long crcOf(long size, long seed) {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[64 * 1024];
        long pos = 0;
        while (pos < size) {
            int n = (int) Math.min(buf.length, size - pos);
            fill(buf, n, pos, seed);
            crc.update(buf, 0, n);
            pos += n;
        }
        return crc.getValue();
    }

    private static void fill(byte[] buf, int n, long offset, long seed) {
        for (int i = 0; i < n; i++) {
            long x = (offset + i) * 0x9E3779B97F4A7C15L + seed;
            x ^= x >>> 29;
            buf[i] = (byte) x;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        String[] parts = path.split("/");
        if (parts.length != 4 || !parts[1].equals("blob")) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        long size = Long.parseLong(parts[2]);
        long seed = Long.parseLong(parts[3]);
        ex.getResponseHeaders().add("Cache-Control", "max-age=3600");
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        ex.getResponseHeaders().add("ETag", "\"" + size + "-" + seed + "\"");
        ex.sendResponseHeaders(200, size);
        byte[] buf = new byte[64 * 1024];
        long pos = 0;
        try (OutputStream out = ex.getResponseBody()) {
            while (pos < size) {
                long hold = holdAfter;
                if (hold >= 0 && pos >= hold) {
                    held.countDown();
                    try {
                        if (!gate.await(60, TimeUnit.SECONDS)) {
                            return;
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                int n = (int) Math.min(buf.length, size - pos);
                if (hold >= 0 && pos < hold) {
                    n = (int) Math.min(n, hold - pos);
                }
                fill(buf, n, pos, seed);
                out.write(buf, 0, n);
                pos += n;
                bytesSent.addAndGet(n);
            }
        } catch (IOException e) {
            // client went away
        }
    }

    @Override
    public void close() {
        release();
        server.stop(0);
    }
}
