package dev.outpost.edge.admin;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.Purge;
import dev.outpost.edge.purge.PurgeExecutor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The node's admin listener: {@code GET /healthz}, {@code GET /metrics} (Prometheus text),
 * {@code GET /stats} (JSON counters and ratios), {@code POST /purge} (a {@link Purge} document;
 * requires the admin bearer token when one is configured). Kept on its own port so operators
 * can bind it to a private address.
 */
public final class AdminHandler implements HttpHandler {

    private static final int MAX_BODY = 1024 * 1024;

    private final String nodeId;
    private final PrometheusMeterRegistry registry;
    private final Supplier<NodeStats> stats;
    private final PurgeExecutor purges;
    private final byte @Nullable [] token;
    private final BooleanSupplier healthy;
    private final LongSupplier configVersion;
    private final Supplier<Map<String, Object>> diskHealth;
    private final ObjectMapper json = OutpostJson.json();

    public AdminHandler(String nodeId, PrometheusMeterRegistry registry, Supplier<NodeStats> stats, PurgeExecutor purges,
                        String token, BooleanSupplier healthy, LongSupplier configVersion,
                        Supplier<Map<String, Object>> diskHealth) {
        this.diskHealth = diskHealth;
        this.nodeId = nodeId;
        this.registry = registry;
        this.stats = stats;
        this.purges = purges;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.healthy = healthy;
        this.configVersion = configVersion;
    }

    @Override
    public void handleRequest(HttpServerExchange ex) throws Exception {
        if (ex.isInIoThread()) {
            ex.dispatch(this);
            return;
        }
        String path = ex.getRequestPath();
        boolean get = ex.getRequestMethod().equals(Methods.GET) || ex.getRequestMethod().equals(Methods.HEAD);
        switch (path) {
            case "/healthz" -> {
                if (!get) {
                    error(ex, 405, "method not allowed", "GET");
                    return;
                }
                boolean ok = healthy.getAsBoolean();
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("status", ok ? "ok" : "shutting-down");
                body.put("node", nodeId);
                body.put("config-version", configVersion.getAsLong());
                // a failing disk tier does not make the node unhealthy (it serves from memory
                // and the origin), but operators see it here
                Map<String, Object> disk = diskHealth.get();
                if (disk != null) {
                    body.put("disk", disk);
                }
                send(ex, ok ? 200 : 503, body);
            }
            case "/metrics" -> {
                if (!get) {
                    error(ex, 405, "method not allowed", "GET");
                    return;
                }
                ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                ex.getResponseSender().send(registry.scrape());
            }
            case "/stats" -> {
                if (!get) {
                    error(ex, 405, "method not allowed", "GET");
                    return;
                }
                send(ex, 200, stats.get());
            }
            case "/purge" -> purge(ex);
            default -> error(ex, 404, "not found", path);
        }
    }

    private void purge(HttpServerExchange ex) throws IOException {
        if (!ex.getRequestMethod().equals(Methods.POST)) {
            error(ex, 405, "method not allowed", "POST");
            return;
        }
        if (token != null) {
            String auth = ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
            byte[] given = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
            if (!MessageDigest.isEqual(given, token)) {
                ex.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
                error(ex, 401, "unauthorized", "a valid bearer token is required");
                return;
            }
        }
        if (ex.getRequestContentLength() > MAX_BODY) {
            error(ex, 413, "request body too large", MAX_BODY);
            return;
        }
        ex.startBlocking();
        byte[] body = ex.getInputStream().readNBytes(MAX_BODY + 1);
        if (body.length > MAX_BODY) {
            error(ex, 413, "request body too large", MAX_BODY);
            return;
        }
        Purge purge;
        try {
            purge = json.readValue(body, Purge.class);
        } catch (IOException e) {
            @Nullable String why = e.getCause() instanceof IllegalArgumentException iae ? iae.getMessage()
                    : e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? ConfigReader.explain(j) : e.getMessage();
            error(ex, 400, "invalid purge", why == null ? "unreadable body" : why.split("\n")[0]);
            return;
        }
        try {
            int n = purges.apply(purge);
            Map<String, Object> out = new LinkedHashMap<>();
            // a purge of everything takes effect at once but deletes from disk in the
            // background, so there is no count to give: say what was purged
            out.put("purged", purge.kind() == Purge.Kind.ALL ? "all" : n);
            out.put("soft", purge.soft());
            send(ex, 200, out);
        } catch (IllegalArgumentException e) {
            error(ex, 400, "invalid purge", e.getMessage());
        }
    }

    private void send(HttpServerExchange ex, int status, Object body) throws IOException {
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        ex.getResponseSender().send(json.writeValueAsString(body));
    }

    private void error(HttpServerExchange ex, int status, String error, @Nullable Object detail) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("detail", detail);
        send(ex, status, body);
    }
}
