package dev.outpost.loadtest.origin;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.net.InetSocketAddress;

/**
 * The WebSocket scenario's origin: Undertow's own WebSocket server (already the bench origin's
 * server) echoing every text and binary message on the connection it came on. Same origin for
 * every system, so the figures differ only by the proxy in front.
 */
public final class WebSocketEchoOrigin implements AutoCloseable {

    private final Undertow server;
    private final int port;

    private WebSocketEchoOrigin(int port) {
        this.server = Undertow.builder()
                .addHttpListener(port, "127.0.0.1")
                .setIoThreads(1)
                .setHandler(Handlers.websocket((exchange, channel) -> {
                    channel.getReceiveSetter().set(new AbstractReceiveListener() {
                        @Override
                        protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
                            WebSockets.sendText(message.getData(), ch, null);
                        }

                        @Override
                        protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
                            try (var data = message.getData()) {
                                WebSockets.sendBinary(data.getResource(), ch, null);
                            }
                        }
                    });
                    channel.resumeReceives();
                }))
                .build();
        server.start();
        this.port = ((InetSocketAddress) server.getListenerInfo().getFirst().getAddress()).getPort();
    }

    /** Starts on {@code port} (0: any free port). */
    public static WebSocketEchoOrigin start(int port) {
        return new WebSocketEchoOrigin(port);
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.stop();
    }
}
