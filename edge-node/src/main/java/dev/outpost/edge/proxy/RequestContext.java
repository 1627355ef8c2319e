package dev.outpost.edge.proxy;

import dev.outpost.config.Rule;
import dev.outpost.edge.http.CacheControl;
import dev.outpost.edge.http.RequestTarget;
import dev.outpost.edge.metrics.EdgeMetrics;
import dev.outpost.edge.metrics.Outcome;
import io.undertow.server.HttpServerExchange;

/** One request's facts as the pipeline works them out, and how it was answered. */
final class RequestContext {

    final HttpServerExchange exchange;
    final ExchangeHeaders headers;
    final long startNanos;
    final long now;
    final String method;
    final String host;
    final String hostNoPort;
    final RequestTarget target;
    final boolean https;
    final Delivery delivery;
    final Rule rule;
    final String clientIp;
    final boolean internal;
    final CacheControl requestCc;
    String urlKey;
    String primaryKey;
    /**
     * Under a rule that compresses: the one encoding this client gets ({@code br}, {@code zstd},
     * {@code gzip} or {@code identity}), which is also the Accept-Encoding asked upstream and the
     * accept-encoding part of variant keys. Null when the rule does not compress.
     */
    String encoding;
    /** The lookup this request opened for others to wait on, resolved once it leads or joins a fetch, or ends. */
    Collapser.Lookup lookup;

    Outcome outcome = Outcome.MISS;
    String tier = EdgeMetrics.NONE;
    String cacheStatus;
    long bodyBytes;
    long originNanos = -1;
    /** This request's reading of the fill its fetch started, closed when the request ends. */
    dev.outpost.edge.cache.Fill.Reader fillReader;
    /** Notices the client leaving while the request waits; null on the hit path or when it can't watch. */
    ClientWatch watch;
    /** Where this request's upstream bytes are charged ({@link OriginBudget}); null when not counted. */
    OriginBudget.Account originAccount;
    /** A whole response an origin gave to a slice's Range request, for the ordinary path to store; and when it was asked. */
    dev.outpost.edge.origin.UpstreamResponse prefetched;
    long prefetchedAt;

    RequestContext(HttpServerExchange exchange, long startNanos, long now, String method, String host, String hostNoPort,
                   RequestTarget target, boolean https, Delivery delivery, Rule rule, String clientIp, boolean internal) {
        this.exchange = exchange;
        this.headers = new ExchangeHeaders(exchange.getRequestHeaders());
        this.startNanos = startNanos;
        this.now = now;
        this.method = method;
        this.host = host;
        this.hostNoPort = hostNoPort;
        this.target = target;
        this.https = https;
        this.delivery = delivery;
        this.rule = rule;
        this.clientIp = clientIp;
        this.internal = internal;
        this.requestCc = CacheControl.parse(headers.all("cache-control"));
    }

    /** The variant key of this request for a stored response that varies on {@code varyNames}. */
    String variantKey(java.util.List<String> varyNames) {
        return dev.outpost.edge.rules.CacheKeys.variantKey(primaryKey, varyNames, headers, encoding);
    }

    boolean isHead() {
        return method.equals("HEAD");
    }

    /** The client asked for an end-to-end check (no-cache, max-age=0, Pragma: no-cache). */
    boolean clientWantsValidation() {
        if (rule.ignoreClientNoCache()) {
            return false;
        }
        if (requestCc.noCache() || requestCc.maxAge() == 0) {
            return true;
        }
        if (!requestCc.present()) {
            for (String p : headers.all("pragma")) {
                if (p.toLowerCase(java.util.Locale.ROOT).contains("no-cache")) {
                    return true;
                }
            }
        }
        return false;
    }
}
