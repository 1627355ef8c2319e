package dev.outpost.edge.tunnel;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * A real WebSocket origin (Java-WebSocket) that echoes every text and binary message, answers
 * pings (the library does), and records what it saw: handshakes, open connections and closes
 * with their codes. A message {@code close:<code>} makes it close that connection with the code.
 */
final class EchoOrigin extends WebSocketServer implements AutoCloseable {

    /** A close as the origin saw it. */
    record Close(int code, String reason, boolean remote) {
    }

    final AtomicInteger handshakes = new AtomicInteger();
    final List<Close> closes = new CopyOnWriteArrayList<>();
    final List<ClientHandshake> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);

    private EchoOrigin() {
        super(new InetSocketAddress("127.0.0.1", 0));
        setReuseAddr(true);
        setConnectionLostTimeout(0); // no pings of its own: the tests count bytes and closes
    }

    static EchoOrigin launch() {
        EchoOrigin o = new EchoOrigin();
        o.start();
        try {
            if (!o.started.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("echo origin did not start");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return o;
    }

    String url() {
        return "http://127.0.0.1:" + getPort();
    }

    int open() {
        return getConnections().size();
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        handshakes.incrementAndGet();
        requests.add(handshake);
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        closes.add(new Close(code, reason, remote));
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        if (message.startsWith("close:")) {
            conn.close(Integer.parseInt(message.substring(6)), "origin closes");
            return;
        }
        conn.send(message);
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
        conn.send(message);
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
        // a connection cut by the node: seen as a close
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public void close() {
        try {
            stop(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
