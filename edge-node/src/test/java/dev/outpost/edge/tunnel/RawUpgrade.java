package dev.outpost.edge.tunnel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upgrade request over a plain socket, for what a WebSocket library hides: the status and
 * head of a refusal, a client that goes silent without closing, a protocol other than
 * WebSocket. Also {@link FooOrigin}, an origin that switches to {@code foo} and echoes bytes.
 */
final class RawUpgrade implements AutoCloseable {

    final Socket socket;
    final String head;
    final int status;

    private RawUpgrade(Socket socket, String head) {
        this.socket = socket;
        this.head = head;
        this.status = Integer.parseInt(head.substring(9, 12));
    }

    /** A WebSocket handshake for {@code path}. */
    static RawUpgrade websocket(int port, String path) throws IOException {
        return send(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    }

    /** Sends a request and reads the response head (a refusal's body stays unread). */
    static RawUpgrade send(int port, String request) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        return new RawUpgrade(s, readHead(s.getInputStream()));
    }

    String header(String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** A masked text frame, as a client sends it (RFC 6455 §5.3), short payloads only. */
    void sendText(String text) throws IOException {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        byte[] mask = {1, 2, 3, 4};
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x81);
        b.write(0x80 | p.length);
        b.writeBytes(mask);
        for (int i = 0; i < p.length; i++) {
            b.write(p[i] ^ mask[i % 4]);
        }
        socket.getOutputStream().write(b.toByteArray());
    }

    /** Reads one unmasked short text frame from the server. */
    String readText() throws IOException {
        InputStream in = socket.getInputStream();
        int op = in.read();
        int len = in.read() & 0x7f;
        if (op != 0x81) {
            throw new IOException("not a text frame: " + op);
        }
        return new String(in.readNBytes(len), StandardCharsets.UTF_8);
    }

    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        if (head.length() < 12) {
            throw new IOException("no response head: " + head);
        }
        return head.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** An origin that switches to {@code foo} and then echoes every byte; counts its requests. */
    static final class FooOrigin implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger requests = new AtomicInteger();
        volatile String lastHead = "";

        FooOrigin() throws IOException {
            server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(this::accept);
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
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
                String head = readHead(s.getInputStream());
                requests.incrementAndGet();
                lastHead = head;
                if (!head.toLowerCase(Locale.ROOT).contains("upgrade: foo")) {
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    return;
                }
                s.getOutputStream().write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                s.getInputStream().transferTo(s.getOutputStream());
            } catch (IOException e) {
                // the node closed the tunnel
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
