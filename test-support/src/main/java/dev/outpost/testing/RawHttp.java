package dev.outpost.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Sends exact bytes over a plain socket and reads what comes back, for malformed requests
 * and framing attacks that no HTTP client library will send.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /** What the server sent before closing (or before {@code timeoutMillis} of silence), and whether it closed. */
    public record Exchange(String response, boolean closed) {
        public int status() {
            if (response.length() < 12 || !response.startsWith("HTTP/")) {
                return -1;
            }
            return Integer.parseInt(response.substring(9, 12));
        }
    }

    public static Exchange send(int port, String request, int timeoutMillis) {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1), timeoutMillis);
    }

    public static Exchange send(int port, byte[] request, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            boolean closed = false;
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
                closed = true;
            } catch (SocketTimeoutException e) {
                closed = false;
            } catch (IOException e) {
                closed = true; // reset by peer
            }
            return new Exchange(out.toString(StandardCharsets.ISO_8859_1), closed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
