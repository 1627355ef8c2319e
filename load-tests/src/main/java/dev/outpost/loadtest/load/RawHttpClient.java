package dev.outpost.loadtest.load;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection that sends GETs and reads whole responses (Content-Length
 * or chunked), discarding the body while counting it. Small and predictable on purpose: the
 * herd, hit-ratio and large-object scenarios time each request themselves, and a client library's
 * pool or buffering would sit inside the measurement.
 */
public final class RawHttpClient implements AutoCloseable {

    /** What came back: status, body length, and the cache-status-like headers, for sanity checks. */
    public record Response(int status, long bodyBytes, String cacheStatus) {
    }

    private final String host;
    private final int port;
    private final int timeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final byte[] buf = new byte[256 * 1024];

    public RawHttpClient(String host, int port, int timeoutMillis) {
        this.host = host;
        this.port = port;
        this.timeoutMillis = timeoutMillis;
    }

    /** Opens the connection now (otherwise the first {@link #get} does). */
    public RawHttpClient connect() throws IOException {
        if (socket == null || socket.isClosed()) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = socket.getOutputStream();
        }
        return this;
    }

    /** Sends a GET and reads the whole response; reconnects once if the server had closed the connection. */
    public Response get(String path) throws IOException {
        return get(path, new String[0]);
    }

    /**
     * A GET with extra request header fields, as name/value pairs ({@code "Accept-Encoding",
     * "gzip"}); the response's Content-Encoding is then {@link #lastContentEncoding()}.
     */
    public Response get(String path, String... headers) throws IOException {
        try {
            return exchange(path, headers);
        } catch (IOException e) {
            close();
            return exchange(path, headers);
        }
    }

    /** The Content-Encoding of the last response, or null when it had none. */
    public String lastContentEncoding() {
        return lastContentEncoding;
    }

    private String lastContentEncoding;

    private Response exchange(String path, String... headers) throws IOException {
        connect();
        StringBuilder extra = new StringBuilder();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            extra.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        lastContentEncoding = null;
        String req = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nUser-Agent: outpost-bench\r\n"
                + extra + "\r\n";
        out.write(req.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        String statusLine = readLine();
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        int status = parseStatus(statusLine);
        long contentLength = -1;
        boolean chunked = false;
        boolean close = false;
        String cacheStatus = "";
        String line;
        while ((line = readLine()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> contentLength = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> close = value.equalsIgnoreCase("close");
                case "content-encoding" -> lastContentEncoding = value;
                case "cache-status", "x-cache" -> cacheStatus = cacheStatus.isEmpty() ? value : cacheStatus + ", " + value;
                default -> { }
            }
        }
        long body;
        if (status == 304 || status == 204 || status / 100 == 1) {
            body = 0;
        } else if (chunked) {
            body = readChunked();
        } else if (contentLength >= 0) {
            skip(contentLength);
            body = contentLength;
        } else {
            body = skipToEof();
            close = true;
        }
        if (close) {
            close();
        }
        return new Response(status, body, cacheStatus);
    }

    static int parseStatus(String statusLine) throws IOException {
        if (!statusLine.startsWith("HTTP/") || statusLine.length() < 12) {
            throw new IOException("not an HTTP status line: " + statusLine);
        }
        return Integer.parseInt(statusLine.substring(9, 12));
    }

    private long readChunked() throws IOException {
        long total = 0;
        while (true) {
            String sizeLine = readLine();
            if (sizeLine == null) {
                throw new IOException("connection closed inside a chunked body");
            }
            int semi = sizeLine.indexOf(';');
            long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
            if (size == 0) {
                String trailer;
                while ((trailer = readLine()) != null && !trailer.isEmpty()) {
                    // trailers ignored
                }
                return total;
            }
            skip(size);
            total += size;
            readLine(); // CRLF after the chunk
        }
    }

    private void skip(long n) throws IOException {
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new IOException("connection closed with " + left + " body bytes missing");
            }
            left -= r;
        }
    }

    private long skipToEof() throws IOException {
        long total = 0;
        int r;
        while ((r = in.read(buf)) >= 0) {
            total += r;
        }
        return total;
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder(64);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) c);
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            socket = null;
        }
    }
}
