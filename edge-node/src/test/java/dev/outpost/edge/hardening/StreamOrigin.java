package dev.outpost.edge.hardening;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * A raw-socket origin for bound tests: {@code /chunked/N} answers a cacheable body of N bytes
 * with chunked framing and no Content-Length, {@code /length/N} the same with a Content-Length,
 * {@code /trickle/N} a Content-Length body of N bytes sent one byte every 3 s. Bodies repeat
 * one 64 KiB block, so a client checks them by {@link #crcOf(long)}. A query with
 * {@code no-store} makes the answer uncacheable (relayed, not stored). It counts what it sent and
 * the connections the node cut while it was still sending.
 */
final class StreamOrigin implements AutoCloseable {

    static final int BLOCK = 64 * 1024;
    private static final byte[] DATA = new byte[BLOCK];

    static {
        new Random(14).nextBytes(DATA);
    }

    final AtomicLong bytesSent = new AtomicLong();
    final AtomicInteger cut = new AtomicInteger();
    final AtomicInteger bodiesStarted = new AtomicInteger();
    private final ScriptedOrigin origin;

    StreamOrigin() {
        this.origin = new ScriptedOrigin(this::answer);
    }

    String baseUrl() {
        return origin.baseUrl();
    }

    int requests(String prefix) {
        return (int) origin.requests().stream().filter(r -> r.target().startsWith(prefix)).count();
    }

    private boolean answer(ScriptedOrigin.Request req, OutputStream out) throws IOException {
        String[] p = req.target().split("[/?]");
        String kind = p[1];
        long size = Long.parseLong(p[2]);
        boolean chunked = kind.equals("chunked");
        String cc = req.target().contains("no-store") ? "no-store" : "max-age=600";
        String head = "HTTP/1.1 200 OK\r\nCache-Control: " + cc + "\r\nContent-Type: application/octet-stream\r\n"
                + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + size + "\r\n") + "\r\n";
        bodiesStarted.incrementAndGet();
        try {
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            if (req.method().equals("HEAD")) {
                out.flush();
                return true;
            }
            if (kind.equals("trickle")) {
                out.flush();
                for (long i = 0; i < size; i++) {
                    sleep(3_000);
                    out.write(DATA[(int) (i % BLOCK)]);
                    out.flush();
                    bytesSent.incrementAndGet();
                }
                return true;
            }
            long sent = 0;
            while (sent < size) {
                int n = (int) Math.min(BLOCK, size - sent);
                if (chunked) {
                    out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                }
                out.write(DATA, 0, n);
                if (chunked) {
                    out.write(new byte[] {'\r', '\n'});
                }
                sent += n;
                bytesSent.addAndGet(n);
            }
            if (chunked) {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            return true;
        } catch (IOException e) {
            cut.incrementAndGet();
            throw e;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The CRC-32 of a body of {@code size} bytes as this origin sends it. */
    static long crcOf(long size) {
        CRC32 crc = new CRC32();
        for (long done = 0; done < size; done += BLOCK) {
            crc.update(DATA, 0, (int) Math.min(BLOCK, size - done));
        }
        return crc.getValue();
    }

    @Override
    public void close() {
        origin.close();
    }
}
