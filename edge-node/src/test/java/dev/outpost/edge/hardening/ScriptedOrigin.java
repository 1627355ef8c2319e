package dev.outpost.edge.hardening;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An origin on a plain server socket that answers with whatever bytes a test scripts: garbage
 * status lines, bodies shorter than their Content-Length, chunked bodies that stop, silence.
 * Every request head it reads is recorded exactly as it arrived.
 */
final class ScriptedOrigin implements AutoCloseable {

    /** A request as the origin read it: the request line's parts and its header fields. */
    record Request(String method, String target, Map<String, List<String>> headers) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : v.getFirst();
        }
    }

    /** Writes the answer to one request; returns false to close the connection afterwards. */
    @FunctionalInterface
    interface Script {
        boolean answer(Request request, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final Script script;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
    private volatile int idleMillis;

    ScriptedOrigin(Script script) {
        this.script = script;
        try {
            this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.acceptor = Thread.ofVirtual().name("scripted-origin").start(this::acceptLoop);
    }

    /** A 200 with {@code Cache-Control: max-age=600} and the request target as its body. */
    static ScriptedOrigin echoingTarget() {
        return new ScriptedOrigin((req, out) -> {
            byte[] body = req.target().getBytes(StandardCharsets.ISO_8859_1);
            out.write(("HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            return true;
        });
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /**
     * Closes a keep-alive connection on which no new request arrived for this long, as Node
     * (5 s) and most servers do; zero (the default) keeps it open.
     */
    ScriptedOrigin closeIdleAfter(java.time.Duration idle) {
        this.idleMillis = (int) idle.toMillis();
        return this;
    }

    /** Connections accepted so far. */
    int connectionsAccepted() {
        return accepted.get();
    }

    /** Connections open now. */
    int openConnections() {
        return open.size();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    void clear() {
        requests.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = new java.io.BufferedInputStream(s.getInputStream());
            OutputStream out = new java.io.BufferedOutputStream(s.getOutputStream());
            while (true) {
                s.setSoTimeout(idleMillis);
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                Request req = parse(head);
                requests.add(req);
                String cl = req.header("content-length");
                if (cl != null) {
                    in.readNBytes(Integer.parseInt(cl.trim()));
                }
                boolean keep = script.answer(req, out);
                out.flush();
                if (!keep) {
                    return;
                }
            }
        } catch (IOException e) {
            // the node went away, or the script cut the connection
        } finally {
            open.remove(s);
        }
    }

    /** A request head up to its blank line, or null at the end of the stream. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) != -1) {
            buf.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : 0;
            if (matched == 4) {
                return buf.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static Request parse(String head) {
        String[] lines = head.split("\r\n");
        String[] first = lines[0].split(" ");
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
        }
        return new Request(first[0], first.length > 1 ? first[1] : "", headers);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        acceptor.interrupt();
    }
}
