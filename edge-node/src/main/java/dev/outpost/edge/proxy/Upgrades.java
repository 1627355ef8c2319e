package dev.outpost.edge.proxy;

import dev.outpost.config.HttpLimits;
import dev.outpost.config.Rule;
import dev.outpost.edge.http.CacheStatus;
import dev.outpost.edge.log.AccessLog;
import dev.outpost.edge.metrics.EdgeMetrics;
import dev.outpost.edge.metrics.Outcome;
import dev.outpost.edge.origin.OriginPool;
import dev.outpost.edge.origin.UpstreamException;
import dev.outpost.edge.origin.UpstreamRequest;
import dev.outpost.edge.origin.UpstreamResponse;
import dev.outpost.edge.server.ClientListeners;
import dev.outpost.edge.tunnel.Tunnels;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Protocols;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests that ask to switch protocols (RFC 9110 §7.8): a WebSocket handshake (RFC 6455) or
 * an {@code Upgrade} token a rule lists under {@code upgrades}. Such a request never reaches
 * the cache or request collapsing: it is sent to the origin pool (past any shield, see
 * {@link dev.outpost.edge.origin.Upstream#forTunnels}) with its upgrade tokens, and the
 * origin's 101 turns the client's connection into a {@link Tunnels tunnel}; any other answer
 * is relayed as a pass and the connection stays plain HTTP, its request heads still checked.
 *
 * <p>Refused before anything goes upstream: WebSocket under a rule with {@code websocket: deny}
 * (403), tokens no rule allows (501), a handshake that is not a bodiless GET (400), and past
 * {@code limits.max-tunnels-per-client} (429) or {@code limits.max-tunnels} (503). Only
 * HTTP/1.1 has {@code Upgrade}: on HTTP/1.0 and HTTP/2 the field is dropped like any
 * hop-by-hop field, as is {@code h2c}, the node's own upgrade to HTTP/2 that Undertow takes
 * before the pipeline. Every answer carries {@code Cache-Status: ...; fwd=bypass; detail=upgrade}
 * (or {@code upgrade-denied}, {@code upgrade-unsupported}, {@code upgrade-limit}).
 *
 * <p>A tunnel's request is counted and logged once, when the tunnel ends: status 101, bytes to
 * the client as its bytes, and its whole duration.
 */
final class Upgrades {

    private static final Logger LOG = LoggerFactory.getLogger(Upgrades.class);
    private static final HttpString CACHE_STATUS = new HttpString("Cache-Status");
    /** Response fields of a 101 that belong to this hop, or are set by Undertow's upgrade. */
    private static final Set<String> NOT_RELAYED = Set.of("content-length", "upgrade", "connection");

    private final Tunnels tunnels;
    private final ResponseWriter writer;
    private final UpstreamRequests upstreamRequests;
    private final EdgeMetrics metrics;
    private final AccessLog accessLog;
    private final String cacheId;
    private final ExecutorService executor;
    private final HttpLimits limits;
    private final Consumer<RequestContext> finish;

    Upgrades(Tunnels tunnels, ResponseWriter writer, UpstreamRequests upstreamRequests, EdgeMetrics metrics,
             AccessLog accessLog, String cacheId, ExecutorService executor, HttpLimits limits,
             Consumer<RequestContext> finish) {
        this.tunnels = tunnels;
        this.writer = writer;
        this.upstreamRequests = upstreamRequests;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.cacheId = cacheId;
        this.executor = executor;
        this.limits = limits;
        this.finish = finish;
    }

    /** Whether a request carries an {@code Upgrade} field at all (cheap; checked on every request). */
    static boolean asked(HttpServerExchange ex) {
        return ex.getRequestHeaders().contains(Headers.UPGRADE);
    }

    /**
     * Takes a request that asks for an upgrade: refuses it, or starts its handshake with the
     * origin on a virtual thread. Returns false when the request goes on as plain HTTP (its
     * {@code Upgrade} is not for this hop: not HTTP/1.1, not named by {@code Connection}, or
     * only {@code h2c}).
     */
    boolean handle(RequestContext ctx, String peerIp, boolean peerTrusted) {
        HttpServerExchange ex = ctx.exchange;
        if (!ex.getProtocol().equals(Protocols.HTTP_1_1) || !connectionNames(ctx, "upgrade")) {
            return false;
        }
        List<String> offered = tokens(ctx.headers.all("upgrade"));
        List<String> wanted = new ArrayList<>();
        boolean denied = false;
        boolean onlyH2c = true;
        for (String t : offered) {
            String name = t.split("/", 2)[0];
            if (name.equalsIgnoreCase("h2c")) {
                continue;
            }
            onlyH2c = false;
            if (name.equalsIgnoreCase("websocket")) {
                if (ctx.rule.websocket() == Rule.WebSocket.ALLOW) {
                    wanted.add(t);
                } else {
                    denied = true;
                }
            } else if (allowed(ctx.rule.upgrades(), t)) {
                wanted.add(t);
            }
        }
        if (wanted.isEmpty()) {
            if (onlyH2c) {
                return false;
            }
            if (denied) {
                refuse(ctx, 403, Tunnels.Refusal.DENIED, "upgrade-denied", false,
                        "WebSocket is not allowed here (rule " + ctx.rule.name() + ")");
            } else {
                refuse(ctx, 501, Tunnels.Refusal.UNSUPPORTED, "upgrade-unsupported", false,
                        "upgrade to " + String.join(", ", offered) + " is not supported here");
            }
            return true;
        }
        boolean body = ex.getRequestContentLength() > 0 || ex.getRequestHeaders().contains(Headers.TRANSFER_ENCODING);
        if (!ctx.method.equals("GET") || body) {
            refuse(ctx, 400, Tunnels.Refusal.UNSUPPORTED, "upgrade-unsupported", body,
                    "an upgrade request must be a GET without a body");
            return true;
        }
        if (!ClientListeners.canTunnel(ex)) {
            refuse(ctx, 501, Tunnels.Refusal.UNSUPPORTED, "upgrade-unsupported", false,
                    "this listener does not switch protocols");
            return true;
        }
        Tunnels.Slot slot;
        try {
            slot = tunnels.reserve(ctx.clientIp);
        } catch (Tunnels.LimitReached e) {
            boolean perClient = e.refusal() == Tunnels.Refusal.CLIENT_LIMIT;
            ex.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
            // counted by reserve
            refuse(ctx, perClient ? 429 : 503, null, "upgrade-limit", false, perClient
                    ? "this client has " + limits.maxTunnelsPerClient() + " tunnels open already"
                    : "this node has " + limits.maxTunnels() + " tunnels open already");
            return true;
        }
        ex.dispatch(executor, () -> handshake(ctx, slot, wanted, peerIp, peerTrusted));
        return true;
    }

    private void refuse(RequestContext ctx, int status, Tunnels.Refusal why, String detail, boolean close,
                        String message) {
        if (why != null) {
            tunnels.refused(why);
        }
        if (close) {
            ctx.exchange.setPersistent(false);
        }
        ctx.outcome = Outcome.ERROR;
        writer.plain(ctx, ctx.exchange, status, CacheStatus.forward(cacheId, "bypass").detail(detail).toString(), message);
        finish.accept(ctx);
    }

    /** On a virtual thread: the origin's handshake, then a tunnel or the origin's answer relayed. */
    private void handshake(RequestContext ctx, Tunnels.Slot slot, List<String> wanted, String peerIp,
                           boolean peerTrusted) {
        HttpServerExchange ex = ctx.exchange;
        CacheStatus cs = CacheStatus.forward(cacheId, "bypass").detail("upgrade");
        boolean tunnel = false;
        try {
            UpstreamRequest base = upstreamRequests.build(ctx, "GET", false, null, null, peerIp, peerTrusted);
            List<String> names = new ArrayList<>(base.headerNames());
            List<String> values = new ArrayList<>(base.headerValues());
            names.add("Connection");
            values.add(OriginPool.UPGRADE);
            names.add("Upgrade");
            values.add(String.join(", ", wanted));
            UpstreamRequest req = new UpstreamRequest("GET", base.target(), names, values, null, base.cacheKey(),
                    base.clientIp(), base.originName());
            long n0 = System.nanoTime();
            UpstreamResponse resp;
            try {
                resp = ctx.delivery.upstream().forTunnels().fetch(req);
            } catch (UpstreamException e) {
                metrics.origin("error", -1);
                ctx.originNanos = System.nanoTime() - n0;
                ctx.outcome = Outcome.ERROR;
                writer.plain(ctx, ex, e.status(), cs.detail(e.detail() == null ? "upgrade" : e.detail()).toString(),
                        "upstream failed: " + e.getMessage());
                return;
            }
            ctx.originNanos = System.nanoTime() - n0;
            metrics.origin(Integer.toString(resp.status()), ctx.originNanos);
            okio.Socket socket = resp.status() == 101 ? resp.upgradedSocket() : null;
            String chosen = resp.first("upgrade");
            if (socket == null || chosen == null || !offered(wanted, chosen.trim())) {
                if (resp.status() == 101) {
                    if (socket != null) {
                        socket.cancel();
                    }
                    resp.close();
                    ctx.outcome = Outcome.ERROR;
                    writer.plain(ctx, ex, 502, cs.detail("upgrade-invalid").toString(),
                            "the origin switched to a protocol that was not asked for");
                    return;
                }
                // the origin declined (a 426, a 400, a page): its answer goes back as a pass,
                // never stored, and the connection stays plain HTTP
                tunnels.refused(Tunnels.Refusal.ORIGIN_DECLINED);
                ctx.outcome = Outcome.BYPASS;
                if (resp.framingProblem() != null) {
                    resp.close();
                    ctx.outcome = Outcome.ERROR;
                    writer.plain(ctx, ex, 502, cs.detail("upstream-invalid").toString(), "invalid response from upstream");
                    return;
                }
                try (resp) {
                    writer.relay(ctx, resp, cs.fwdStatus(resp.status()).toString(), false);
                }
                return;
            }
            // from here on the connection's bytes are the tunnel's: no request head follows the 101
            ClientListeners.releaseForTunnel(ex);
            HeaderMap out = ex.getResponseHeaders();
            Set<String> hop = Hop.hopByHop(resp);
            var headers = resp.headers();
            for (int i = 0; i < headers.size(); i++) {
                String lower = headers.name(i).toLowerCase(Locale.ROOT);
                if (NOT_RELAYED.contains(lower) || hop.contains(lower) || !ctx.internal && Hop.CDN_ONLY.contains(lower)) {
                    continue;
                }
                out.add(HttpString.tryFromString(headers.name(i)), headers.value(i));
            }
            String status = cs.fwdStatus(101).toString();
            out.add(CACHE_STATUS, status);
            ctx.cacheStatus = status;
            ctx.outcome = Outcome.BYPASS;
            Duration idle = ctx.rule.tunnelIdleTimeout() != null ? ctx.rule.tunnelIdleTimeout() : limits.tunnelIdleTimeout();
            AtomicBoolean taken = new AtomicBoolean();
            // a client gone before the 101 was written never gets its connection upgraded: its
            // reservation and the origin's connection are let go when the connection closes
            ex.getConnection().addCloseListener(c -> {
                if (taken.compareAndSet(false, true)) {
                    socket.cancel();
                    resp.close();
                    slot.release();
                    tunnels.refused(Tunnels.Refusal.CLIENT_GONE);
                    finish.accept(ctx);
                }
            });
            ex.upgradeChannel(chosen.trim(), (connection, exchange) -> {
                if (taken.compareAndSet(false, true)) {
                    slot.open(connection, socket, idle, summary -> ended(ctx, resp, summary));
                }
            });
            tunnel = true;
            ex.endExchange();
        } catch (IOException e) {
            ctx.outcome = Outcome.ERROR;
            if (!ex.isResponseStarted()) {
                writer.plain(ctx, ex, 502, cs.detail("upstream-body-failed").toString(), "upstream response failed");
            } else {
                ResponseWriter.abort(ex);
            }
        } catch (RuntimeException e) {
            LOG.error("upgrade {} {} failed", ctx.method, ctx.target.toUri(), e);
            ctx.outcome = Outcome.ERROR;
            if (!ex.isResponseStarted()) {
                writer.plain(ctx, ex, 500, null, "internal error");
            } else {
                ResponseWriter.abort(ex);
            }
        } finally {
            if (!tunnel) {
                slot.release();
                finish.accept(ctx);
            }
        }
    }

    /** A tunnel ended: its one access log line and its request counted, its origin slot let go. */
    private void ended(RequestContext ctx, UpstreamResponse resp, Tunnels.Summary s) {
        resp.close();
        ctx.bodyBytes = s.toClient();
        metrics.request(Outcome.BYPASS, EdgeMetrics.NONE, s.toClient(), System.nanoTime() - ctx.startNanos);
        if (accessLog != null) {
            accessLog.log(new AccessLog.Entry(ctx.now, ctx.clientIp, ctx.method, ctx.host + ctx.target.toUri(),
                    "HTTP/1.1", 101, s.toClient(), Outcome.BYPASS.label(), EdgeMetrics.NONE, ctx.cacheStatus,
                    (System.nanoTime() - ctx.startNanos) / 1e6, ctx.originNanos < 0 ? -1 : ctx.originNanos / 1e6,
                    ctx.exchange.getRequestHeaders().getFirst(Headers.USER_AGENT), s.toOrigin(), s.reason()));
        }
    }

    /** Whether the request's Connection field names {@code option}. */
    private static boolean connectionNames(RequestContext ctx, String option) {
        for (String line : ctx.headers.all("connection")) {
            for (String t : line.split(",")) {
                if (t.trim().equalsIgnoreCase(option)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The protocols of Upgrade field lines, in order (at most 16: a longer list is cut). */
    static List<String> tokens(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            for (String t : line.split(",")) {
                String p = t.trim();
                if (!p.isEmpty() && out.size() < 16) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** Whether a rule's {@code upgrades} allow a protocol: by name, or by name and version. */
    private static boolean allowed(List<String> upgrades, String protocol) {
        String name = protocol.split("/", 2)[0];
        for (String u : upgrades) {
            if (u.equalsIgnoreCase(protocol) || !u.contains("/") && u.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the origin switched to one of the protocols the request offered (RFC 9110 §7.8). */
    private static boolean offered(List<String> wanted, String chosen) {
        for (String w : wanted) {
            if (w.equalsIgnoreCase(chosen) || w.split("/", 2)[0].equalsIgnoreCase(chosen.split("/", 2)[0])) {
                return true;
            }
        }
        return false;
    }
}
