package dev.outpost.config;

import java.time.Duration;

/**
 * One per-path caching rule. Rules are tried in order, the first whose {@link RuleMatch} holds
 * applies, and the {@code default-rule} applies when none does. Absent settings fall back to
 * the default rule's, then to the built-in defaults: a rule only says what it changes.
 *
 * @param name shown in logs and metrics
 * @param match what the rule applies to
 * @param origin the name of the origin pool to fetch from
 * @param ttl edge freshness lifetime; with {@code ttl-mode: default} only when the origin gives none
 * @param ttlMode {@code default} (the origin's freshness wins) or {@code override}
 * @param browserCacheControl Cache-Control sent to clients instead of the origin's
 * @param bypass neither look up nor store: every request goes to the origin
 * @param forceCache store even when the origin says private, no-store or no-cache
 * @param cacheKey what the cache key is made of
 * @param staleWhileRevalidate window for serving stale while one background fetch refreshes
 * @param staleIfError window for serving stale when the origin fails
 * @param ignoreClientNoCache serve from cache even when clients send no-cache, max-age, min-fresh or
 *     Pragma: no-cache (default true: a shared cache in front of an origin protects it from
 *     reload storms; a rule may set false to honour them, and such requests are then collapsed)
 * @param cacheSetCookie store responses that carry Set-Cookie (the header is stored and replayed)
 * @param errorTtl the longest an error response (status 400 and above) is kept; 0 stores none
 * @param rateLimit per-client request rate, answered 429 beyond it
 * @param serveStaleOnError how long past its freshness a stored response may still be served
 *     when the origin is down or answers 5xx, whatever the origin's stale-if-error says (as
 *     Varnish's grace and nginx's proxy_cache_use_stale); never when must-revalidate,
 *     proxy-revalidate, s-maxage or no-cache forbid stale serving. 0 (the default): off
 * @param sliceSize a range request that misses fetches from the origin only the aligned slices of
 *     this size that cover it (as nginx's slice module), stored apart, rather than the whole
 *     object: a one-byte range of a large object costs one slice, not the object. 0: off (a
 *     range miss fetches and stores the whole object). Default 1MiB
 * @param websocket {@code allow} (default): an HTTP/1.1 WebSocket handshake is passed to the origin
 *     and, on its 101, becomes a tunnel; {@code deny}: refused with 403
 * @param upgrades other {@code Upgrade} tokens relayed like WebSocket (default none: refused with 501)
 * @param tunnelIdleTimeout this rule's tunnel idle timeout, instead of {@code limits.tunnel-idle-timeout}
 * @param compress compression at the edge ({@link Compress}): off by default; a rule's block
 *     replaces the default rule's as a whole
 */
public record Rule(
        String name,
        RuleMatch match,
        String origin,
        Duration ttl,
        TtlMode ttlMode,
        String browserCacheControl,
        Boolean bypass,
        Boolean forceCache,
        CacheKeyPolicy cacheKey,
        Duration staleWhileRevalidate,
        Duration staleIfError,
        Boolean ignoreClientNoCache,
        Boolean cacheSetCookie,
        Duration errorTtl,
        RateLimit rateLimit,
        Duration serveStaleOnError,
        EarlyHints earlyHints,
        DataSize sliceSize,
        WebSocket websocket,
        java.util.List<String> upgrades,
        Duration tunnelIdleTimeout,
        Compress compress) {

    /** The built-in defaults every rule falls back to. */
    public static final Rule BUILT_IN = new Rule("default", RuleMatch.ANY, "default", null, TtlMode.DEFAULT, null,
            false, false, CacheKeyPolicy.DEFAULT, Duration.ZERO, Duration.ZERO, true, false,
            Duration.ofSeconds(10), null, Duration.ZERO, EarlyHints.FORWARD, DataSize.ofMebibytes(1),
            WebSocket.ALLOW, java.util.List.of(), null, Compress.OFF);

    public Rule {
        match = match == null ? RuleMatch.ANY : match;
    }

    /** This rule with every absent setting taken from {@code base}. */
    public Rule withDefaults(Rule base) {
        return new Rule(
                name != null ? name : base.name,
                match,
                origin != null ? origin : base.origin,
                ttl != null ? ttl : base.ttl,
                ttlMode != null ? ttlMode : base.ttlMode,
                browserCacheControl != null ? browserCacheControl : base.browserCacheControl,
                bypass != null ? bypass : base.bypass,
                forceCache != null ? forceCache : base.forceCache,
                cacheKey != null ? cacheKey : base.cacheKey,
                staleWhileRevalidate != null ? staleWhileRevalidate : base.staleWhileRevalidate,
                staleIfError != null ? staleIfError : base.staleIfError,
                ignoreClientNoCache != null ? ignoreClientNoCache : base.ignoreClientNoCache,
                cacheSetCookie != null ? cacheSetCookie : base.cacheSetCookie,
                errorTtl != null ? errorTtl : base.errorTtl,
                rateLimit != null ? rateLimit : base.rateLimit,
                serveStaleOnError != null ? serveStaleOnError : base.serveStaleOnError,
                earlyHints != null ? earlyHints : base.earlyHints,
                sliceSize != null ? sliceSize : base.sliceSize,
                websocket != null ? websocket : base.websocket,
                upgrades != null ? upgrades : base.upgrades,
                tunnelIdleTimeout != null ? tunnelIdleTimeout : base.tunnelIdleTimeout,
                compress != null ? compress : base.compress);
    }

    /** How {@code ttl} combines with the origin's own freshness. */
    public enum TtlMode { DEFAULT, OVERRIDE }

    /** Whether 1xx interim responses from upstream reach the client (RFC 9110 §15.2). */
    public enum EarlyHints { FORWARD, DROP }

    /** Whether WebSocket handshakes may become tunnels under a rule. */
    public enum WebSocket { ALLOW, DENY }
}
