package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.load.WebSocketLoad;
import dev.outpost.loadtest.origin.WebSocketEchoOrigin;
import dev.outpost.loadtest.report.Metric;
import dev.outpost.loadtest.report.Section;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.SystemKind;
import dev.outpost.loadtest.system.Systems;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * WebSocket pass-through (issue 18): echo round trips through each proxy to the same WebSocket
 * origin, {@value #CONNECTIONS} connections each sending a {@value #SIZE}-byte text message and
 * the next one as soon as its echo is back. Reported: messages echoed per second, and the
 * round trip's p50 and p99. Outpost as it comes; nginx with {@code proxy_pass} and the
 * {@code Upgrade}/{@code Connection} headers; ATS with a {@code ws://} remap rule; Varnish is not
 * set up for WebSocket.
 */
public final class WebSocketScenario implements Scenario {

    static final int CONNECTIONS = 64;
    static final int SIZE = 128;

    @Override
    public String id() {
        return "websocket";
    }

    @Override
    public String title() {
        return "WebSocket pass-through";
    }

    static String description(BenchOptions o) {
        return String.format(Locale.ROOT, "%d WebSocket connections (JDK client) through each proxy to one echo origin "
                + "(Undertow), each sending a %d-byte text message and the next as soon as its echo is back, for %d s after "
                + "a 1 s warm-up; messages echoed per second over all connections, round-trip p50 and p99. Fresh proxy per round.",
                CONNECTIONS, SIZE, o.hotDuration().toSeconds());
    }

    @Override
    public Section run(BenchContext ctx) {
        BenchOptions o = ctx.options();
        List<String> notes = new ArrayList<>(ctx.skippedNotes());
        RoundSamples s = new RoundSamples();
        var deadline = ctx.deadline(Duration.ofMinutes(2));
        int rounds = 0;
        Map<SystemKind, String> settings = new EnumMap<>(SystemKind.class);
        try (WebSocketEchoOrigin origin = WebSocketEchoOrigin.start(0)) {
            for (int r = 0; r < o.rounds() && !deadline.passed(); r++) {
                for (SystemKind k : ctx.order(r)) {
                    ctx.progress("websocket: round " + (r + 1) + ", " + k.display());
                    try (CacheSystem sys = ctx.systems().startWebSocketProxy(k, origin.url())) {
                        settings.putIfAbsent(k, sys.settings());
                        WebSocketLoad.Result res = WebSocketLoad.run("ws://127.0.0.1:" + sys.port(), CONNECTIONS, SIZE,
                                Duration.ofSeconds(1), o.hotDuration());
                        if (res.error() != null) {
                            notes.add(k.display() + ", round " + (r + 1) + ": " + res.error());
                            continue;
                        }
                        s.add("rate", k, res.messagesPerSecond());
                        s.add("p50", k, res.p50Millis());
                        s.add("p99", k, res.p99Millis());
                    } catch (Systems.StartException e) {
                        if (r == 0) {
                            notes.add(k.display() + " not measured: " + e.getMessage());
                        }
                    }
                }
                rounds++;
            }
        }
        notes.addAll(settings.values());
        if (rounds < o.rounds()) {
            notes.add("time bound reached after " + rounds + " of " + o.rounds() + " rounds");
        }
        List<Metric> metrics = List.of(
                s.metric("rate", "Messages echoed per second", "msg/s", 0, Metric.Better.HIGHER),
                s.metric("p50", "Round trip p50", "ms", 3, Metric.Better.LOWER),
                s.metric("p99", "Round trip p99", "ms", 3, Metric.Better.LOWER));
        return new Section(id(), title(), description(o), metrics, List.of(), notes, List.of(), List.of());
    }
}
