package dev.outpost.edge.tunnel;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ServerHandshake;

/** A real WebSocket client (Java-WebSocket) that queues what it receives, for tests to take with timeouts. */
final class WsClient extends WebSocketClient {

    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final BlockingQueue<ByteBuffer> binaries = new LinkedBlockingQueue<>();
    final BlockingQueue<String> pongs = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    volatile ServerHandshake handshake;

    WsClient(int port, String path) {
        this(URI.create("ws://127.0.0.1:" + port + path));
    }

    private WsClient(URI uri) {
        super(uri);
        setConnectionLostTimeout(0);
    }

    /** Connects with TLS ({@code wss}) to a node's TLS listener for {@code localhost}. */
    static WsClient connectTls(int port, String path, javax.net.ssl.SSLContext ssl) throws InterruptedException {
        WsClient c = new WsClient(URI.create("wss://localhost:" + port + path));
        c.setSocketFactory(ssl.getSocketFactory());
        if (!c.connectBlocking(10, TimeUnit.SECONDS)) {
            throw new AssertionError("WebSocket handshake over TLS through the node failed");
        }
        return c;
    }

    /** Connects through the node; fails unless the handshake completed in time. */
    static WsClient connect(int port, String path) throws InterruptedException {
        WsClient c = new WsClient(port, path);
        if (!c.connectBlocking(10, TimeUnit.SECONDS)) {
            throw new AssertionError("WebSocket handshake through the node failed");
        }
        return c;
    }

    String next() throws InterruptedException {
        String s = texts.poll(10, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("no text message within 10 s");
        }
        return s;
    }

    @Override
    public void onOpen(ServerHandshake h) {
        this.handshake = h;
    }

    @Override
    public void onMessage(String message) {
        texts.add(message);
    }

    @Override
    public void onMessage(ByteBuffer bytes) {
        binaries.add(bytes);
    }

    @Override
    public void onWebsocketPong(org.java_websocket.WebSocket conn, Framedata f) {
        pongs.add(new String(f.getPayloadData().array(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        closed.complete(code);
    }

    @Override
    public void onError(Exception ex) {
        // seen as a close
    }
}
