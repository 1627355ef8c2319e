package dev.outpost.loadtest.load;

import dev.outpost.loadtest.stats.Stats;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * WebSocket round trips through a proxy: {@code connections} WebSockets (the JDK's client, one
 * selector thread for all), each sending a text message of {@code size} bytes and sending the
 * next as soon as its echo arrived, for {@code duration} after a warm-up. Reports messages
 * echoed per second over all connections and the round trip's p50 and p99.
 */
public final class WebSocketLoad {

    /** One load's outcome; {@code error} says why there is none. */
    public record Result(double messagesPerSecond, double p50Millis, double p99Millis, long messages, String error) {
    }

    private WebSocketLoad() {
    }

    public static Result run(String wsUrl, int connections, int size, Duration warmup, Duration duration) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<Conn> conns = new ArrayList<>();
        try {
            List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                Conn c = new Conn(size);
                conns.add(c);
                opening.add(client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                        .buildAsync(URI.create(wsUrl + "/ws/" + i), c));
            }
            for (int i = 0; i < connections; i++) {
                conns.get(i).ws = opening.get(i).get(30, TimeUnit.SECONDS);
            }
            conns.forEach(Conn::next);
            Thread.sleep(warmup.toMillis());
            conns.forEach(Conn::measure);
            long t0 = System.nanoTime();
            Thread.sleep(duration.toMillis());
            conns.forEach(c -> c.measuring.set(false));
            double seconds = (System.nanoTime() - t0) / 1e9;
            long total = 0;
            List<double[]> all = new ArrayList<>();
            for (Conn c : conns) {
                synchronized (c) {
                    total += c.count;
                    all.add(Arrays.copyOf(c.rtts, c.count));
                }
                if (c.failure != null) {
                    return new Result(Double.NaN, Double.NaN, Double.NaN, total, c.failure);
                }
            }
            double[] rtts = all.stream().flatMapToDouble(Arrays::stream).toArray();
            Arrays.sort(rtts);
            return new Result(total / seconds, Stats.percentileSorted(rtts, 50), Stats.percentileSorted(rtts, 99),
                    total, null);
        } catch (Exception e) {
            return new Result(Double.NaN, Double.NaN, Double.NaN, 0, "WebSocket load failed: " + e);
        } finally {
            for (Conn c : conns) {
                c.stop.set(true);
                if (c.ws != null) {
                    c.ws.abort();
                }
            }
            client.close();
        }
    }

    /** One connection's closed loop: send, await the echo, record, send again. */
    private static final class Conn implements WebSocket.Listener {
        private final String message;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicBoolean measuring = new AtomicBoolean();
        private final StringBuilder text = new StringBuilder();
        volatile WebSocket ws;
        private volatile long sentAt;
        private double[] rtts = new double[1024];
        private int count;
        private volatile String failure;

        Conn(int size) {
            byte[] b = new byte[size];
            Arrays.fill(b, (byte) 'x');
            this.message = new String(b, StandardCharsets.US_ASCII);
        }

        void measure() {
            measuring.set(true);
        }

        void next() {
            if (stop.get()) {
                return;
            }
            sentAt = System.nanoTime();
            ws.sendText(message, true).exceptionally(e -> {
                failure = "send failed: " + e;
                return null;
            });
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(Long.MAX_VALUE);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                double rtt = (System.nanoTime() - sentAt) / 1e6;
                text.setLength(0);
                if (measuring.get()) {
                    synchronized (this) {
                        if (count == rtts.length) {
                            rtts = Arrays.copyOf(rtts, count * 2);
                        }
                        rtts[count++] = rtt;
                    }
                }
                next();
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (!stop.get()) {
                failure = "connection failed: " + error;
            }
        }
    }
}
