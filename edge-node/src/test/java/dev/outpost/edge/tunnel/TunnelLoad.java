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
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
            List<CompletableFuture<String>> echoes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                CompletableFuture<String> echo = new CompletableFuture<>();
                echoes.add(echo);
                opening.add(client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30))
                        .buildAsync(URI.create("ws://127.0.0.1:" + edge.port() + "/load/" + i), new WebSocket.Listener() {
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
            List<WebSocket> open = new ArrayList<>();
            for (CompletableFuture<WebSocket> f : opening) {
                open.add(f.get(60, TimeUnit.SECONDS));
            }
            Await.until(n + " tunnels open", Duration.ofSeconds(60), () -> edge.metric("outpost_tunnels_open") == n);
            for (int i = 0; i < n; i++) {
                open.get(i).sendText("message " + i, true).get(30, TimeUnit.SECONDS);
            }
            for (int i = 0; i < n; i++) {
                assertThat(echoes.get(i).get(60, TimeUnit.SECONDS)).isEqualTo("message " + i);
            }
            long heapOpen = heap();
            long directOpen = direct();
            int threads = ManagementFactory.getThreadMXBean().getThreadCount();
            for (WebSocket ws : open) {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
            }
            Await.until("every tunnel closed", Duration.ofSeconds(60), () -> edge.metric("outpost_tunnels_open") == 0);
            assertThat(edge.metric("outpost_tunnel_closes_total")).isEqualTo(n);
            client.close();
            Figures f = new Figures(n, heapBefore, heapOpen, heap(), directBefore, directOpen, direct(), threads);
            System.out.println("tunnel load: " + f);
            return f;
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
