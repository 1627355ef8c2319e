package dev.outpost.edge.hardening;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A raw-socket origin for tests of what small requests cost: {@code .../N} (any path whose last
 * segment is a size) answers a cacheable body of N bytes with an ETag, HEAD with the head only,
 * and a single {@code Range: bytes=a-b} with a 206 of just those bytes, as web servers do;
 * under {@code /norange/} it ignores Range and always sends the whole body. Byte i of every body
 * is {@code byteAt(i)}. It counts the body bytes it sent.
 */
final class RangeOrigin implements AutoCloseable {

    private static final int BLOCK = 64 * 1024;
    private static final byte[] DATA = new byte[BLOCK];

    static {
        new Random(13).nextBytes(DATA);
    }

    final AtomicLong bytesSent = new AtomicLong();
    private volatile String etag = "\"v1\"";
    private final ScriptedOrigin origin;

    RangeOrigin() {
        this.origin = new ScriptedOrigin(this::answer);
    }

    String baseUrl() {
        return origin.baseUrl();
    }

    /** Requests that reached the origin, with their Range field (or "-"). */
    java.util.List<String> requests() {
        return origin.requests().stream().map(r -> r.method() + " " + r.target() + " "
                + (r.header("range") == null ? "-" : r.header("range"))).toList();
    }

    /** A new version of every object (a new entity tag). */
    void newVersion(String tag) {
        etag = "\"" + tag + "\"";
    }

    static byte byteAt(long i) {
        return DATA[(int) (i % BLOCK)];
    }

    private boolean answer(ScriptedOrigin.Request req, OutputStream out) throws IOException {
        String target = req.target();
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        long size = Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
        long first = 0;
        long last = size - 1;
        boolean partial = false;
        String range = req.header("range");
        if (range != null && !path.startsWith("/norange/") && range.startsWith("bytes=") && !range.contains(",")) {
            String[] ab = range.substring(6).split("-", -1);
            if (!ab[0].isEmpty()) {
                first = Long.parseLong(ab[0]);
                last = ab[1].isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(ab[1]));
                partial = true;
            }
        }
        if (partial && first >= size) {
            out.write(("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" + size
                    + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return true;
        }
        long length = last - first + 1;
        String head = (partial ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + first + "-" + last + "/" + size + "\r\n"
                : "HTTP/1.1 200 OK\r\n")
                + "Cache-Control: max-age=600\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nETag: "
                + etag + "\r\nContent-Length: " + length + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        if (req.method().equals("HEAD")) {
            return true;
        }
        byte[] buf = new byte[BLOCK];
        long pos = first;
        try {
            while (pos <= last) {
                int n = (int) Math.min(BLOCK, last - pos + 1);
                for (int i = 0; i < n; i++) {
                    buf[i] = byteAt(pos + i);
                }
                out.write(buf, 0, n);
                pos += n;
                bytesSent.addAndGet(n);
            }
        } catch (IOException e) {
            return false; // the node closed the connection
        }
        return true;
    }

    @Override
    public void close() {
        origin.close();
    }
}
