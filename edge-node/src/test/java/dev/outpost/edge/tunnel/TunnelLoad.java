package dev.outpost.edge.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Many tunnels open at once through one edge, each echoing its own message, with the JDK's
 * WebSocket client (one selector thread for all of them). Reports the heap and direct memory
 * used with them open, and after they closed.
 */
final class TunnelLoad {

    /** What one run saw, in bytes. */
    record Figures(int tunnels, long heapBefore, long heapOpen, long heapAfter, long directBefore, long directOpen,
                   long directAfter, int threadsOpen) {
    }

    private TunnelLoad() {
    }

    static Figures run(int n, EchoOrigin origin) throws Exception {
        try (TestEdge edge = TestEdge.withOrigin(origin.url()).yaml("limits: {max-tunnels-per-client: " + n
                + ", max-connections-per-client: " + (n + 16) + "}").start()) {
            long heapBefore = heap();
            long directBefore = direct();
            long heapOpen;
            long directOpen;
            int threads;
            try (Open open = Open.echoing(edge.port(), n)) {
                Await.until(n + " tunnels open", Duration.ofSeconds(60), () -> edge.metric("outpost_tunnels_open") == n);
                heapOpen = heap();
                directOpen = direct();
                threads = ManagementFactory.getThreadMXBean().getThreadCount();
            }
            Await.until("every tunnel closed", Duration.ofSeconds(60), () -> edge.metric("outpost_tunnels_open") == 0);
            assertThat(edge.metric("outpost_tunnel_closes_total")).isEqualTo(n);
            Figures f = new Figures(n, heapBefore, heapOpen, heap(), directBefore, directOpen, direct(), threads);
            System.out.println("tunnel load: " + f);
            return f;
        }
    }

    /** {@code n} WebSockets through the node on {@code port}, each having echoed its own message; closing closes them all. */
    static final class Open implements AutoCloseable {
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final List<WebSocket> sockets = new ArrayList<>();

        static Open echoing(int port, int n) throws Exception {
            Open o = new Open();
            List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
            List<CompletableFuture<String>> echoes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                CompletableFuture<String> echo = new CompletableFuture<>();
                echoes.add(echo);
                opening.add(o.client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30))
                        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/load/" + i), new WebSocket.Listener() {
                            private final StringBuilder text = new StringBuilder();

                            @Override
                            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                                text.append(data);
                                if (last) {
                                    echo.complete(text.toString());
                                }
                                ws.request(1);
                                return null;
                            }
                        }));
            }
            for (CompletableFuture<WebSocket> f : opening) {
                o.sockets.add(f.get(60, TimeUnit.SECONDS));
            }
            for (int i = 0; i < n; i++) {
                o.sockets.get(i).sendText("message " + i, true).get(30, TimeUnit.SECONDS);
            }
            for (int i = 0; i < n; i++) {
                assertThat(echoes.get(i).get(60, TimeUnit.SECONDS)).isEqualTo("message " + i);
            }
            return o;
        }

        @Override
        public void close() {
            for (WebSocket ws : sockets) {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
            }
            client.close();
        }
    }

    static long heap() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    static long direct() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                return b.getMemoryUsed();
            }
        }
        return -1;
    }
}
