/*
 * Outpost's bundled sample origin: a small web site with the headers real origins send, so the
 * local fleet and the quick start have something worth caching.
 *
 * Run it with the JDK alone (JDK 25 runs a source file directly):
 *
 *     java deploy/local/sample-origin/SampleOrigin.java --listen 127.0.0.1:9000
 *
 * What it serves (every body is generated at start, the same bytes on every run, so validators
 * survive restarts):
 *
 *   /, /index.html      HTML   public, max-age=60, s-maxage=300, stale-while-revalidate=60, stale-if-error=600
 *   /about.html         HTML   public, max-age=300
 *   /css/site.css       CSS    public, max-age=86400, immutable
 *   /js/app.js          JS     public, max-age=3600, s-maxage=86400
 *   /img/logo.svg       SVG    public, max-age=604800
 *   /img/hero.png       PNG    public, max-age=604800, stale-while-revalidate=86400
 *   /api/config.json    JSON   public, no-cache (stored, but revalidated every time: 304s)
 *   /downloads/big.bin  binary public, max-age=600, s-maxage=3600 (size from --large-size; Range supported)
 *   /slow               text   public, max-age=30, answered after --slow-ms (or ?ms=N, at most 30000)
 *   /private            HTML   private, no-cache with Set-Cookie (a shared cache must not store it)
 *   anything else       404    public, max-age=10
 *
 * Every asset has a strong ETag, a Last-Modified date and a Surrogate-Key (space-separated tags,
 * for purge by tag), and If-None-Match / If-Modified-Since get 304. Each response also says in
 * X-Origin-Requests how many requests for that path reached the origin, which shows offload.
 *
 * Operator endpoints, never cached:
 *   GET  /_origin/healthz          200 "ok"
 *   GET  /_origin/stats            JSON: requests per path
 *   POST /_origin/bump?path=/x     publishes a new version of /x (new body, ETag, Last-Modified),
 *                                  so a purge can be seen to bring in fresh content
 *
 * Only the JDK is used (com.sun.net.httpserver on virtual threads). SIGTERM stops it cleanly.
 */

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;

public final class SampleOrigin {

    /** Dates of the generated files: fixed, so ETag and Last-Modified are the same on every run. */
    private static final Instant PUBLISHED = Instant.parse("2025-06-02T09:30:00Z");

    /** IMF-fixdate (RFC 9110 section 5.6.7): two-digit day, always GMT. */
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    private static final String USAGE = """
            usage: java SampleOrigin.java [--listen HOST:PORT] [--slow-ms N] [--large-size BYTES] [--quiet]

            Outpost's sample origin: HTML, CSS, JS, images and a large binary with ETag,
            Last-Modified, Cache-Control and Surrogate-Key; 304 for If-None-Match and
            If-Modified-Since; /slow answers late; /private sets a cookie.

              --listen HOST:PORT   address to listen on (default 127.0.0.1:9000)
              --slow-ms N          delay of /slow in milliseconds (default 2000)
              --large-size BYTES   size of /downloads/big.bin, e.g. 4194304, 512KiB or 8MiB (default 4MiB)
              --quiet              no access log on stdout
              --help               this text
            """;

    /** One published version of a file. */
    record Asset(String path, String contentType, byte[] body, String cacheControl, String surrogateKey,
                 Instant lastModified, String etag, int version) {

        static Asset of(String path, String contentType, byte[] body, String cacheControl, String surrogateKey,
                        Instant lastModified, int version) {
            return new Asset(path, contentType, body, cacheControl, surrogateKey, lastModified,
                    "\"" + sha256(body).substring(0, 20) + "\"", version);
        }

        /** The next version: the body gains a revision line, and the dates move one minute on. */
        Asset bumped() {
            int next = version + 1;
            String note = switch (contentType.split(";")[0]) {
                case "text/html" -> "\n<!-- revision " + next + " -->\n";
                case "text/css", "text/javascript" -> "\n/* revision " + next + " */\n";
                case "image/svg+xml" -> "\n<!-- revision " + next + " -->\n";
                case "application/json" -> "\n";
                default -> "";
            };
            byte[] extra = note.getBytes(StandardCharsets.UTF_8);
            byte[] nextBody;
            if (contentType.startsWith("application/json")) {
                String json = new String(body, StandardCharsets.UTF_8).trim();
                nextBody = (json.substring(0, json.length() - 1) + ", \"revision\": " + next + "}\n")
                        .getBytes(StandardCharsets.UTF_8);
            } else if (extra.length == 0) {
                nextBody = body.clone();
                nextBody[nextBody.length - 1] ^= (byte) next; // binary: one byte changes
            } else {
                nextBody = new byte[body.length + extra.length];
                System.arraycopy(body, 0, nextBody, 0, body.length);
                System.arraycopy(extra, 0, nextBody, body.length, extra.length);
            }
            return of(path, contentType, nextBody, cacheControl, surrogateKey,
                    lastModified.plus(Duration.ofMinutes(1)), next);
        }
    }

    private final Map<String, Asset> assets = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> hits = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong();
    private final long slowMillis;
    private final boolean quiet;

    SampleOrigin(long slowMillis, int largeSize, boolean quiet) {
        this.slowMillis = slowMillis;
        this.quiet = quiet;
        for (Asset a : generate(largeSize)) {
            assets.put(a.path(), a);
        }
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        String listen = "127.0.0.1:9000";
        long slowMs = 2000;
        int largeSize = 4 << 20;
        boolean quiet = false;
        try {
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                }
                switch (arg) {
                    case "--help", "-h" -> {
                        System.out.print(USAGE);
                        return;
                    }
                    case "--quiet" -> quiet = true;
                    case "--listen" -> listen = value != null ? value : next(args, ++i, arg);
                    case "--slow-ms" -> slowMs = Long.parseLong(value != null ? value : next(args, ++i, arg));
                    case "--large-size" -> largeSize = parseSize(value != null ? value : next(args, ++i, arg));
                    default -> throw new IllegalArgumentException("unknown option '" + arg + "' (see --help)");
                }
            }
            if (slowMs < 0 || slowMs > 300_000) {
                throw new IllegalArgumentException("--slow-ms must be between 0 and 300000");
            }
            if (largeSize < 1 || largeSize > (512 << 20)) {
                throw new IllegalArgumentException("--large-size must be between 1 byte and 512MiB");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("sample-origin: " + e.getMessage());
            System.exit(2);
            return;
        }
        InetSocketAddress address;
        try {
            address = parseListen(listen);
        } catch (IllegalArgumentException e) {
            System.err.println("sample-origin: " + e.getMessage());
            System.exit(2);
            return;
        }

        SampleOrigin origin = new SampleOrigin(slowMs, largeSize, quiet);
        // the JDK server writes head and body apart: without TCP_NODELAY each response would
        // wait out the edge's delayed ACK (40 ms)
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server;
        try {
            server = HttpServer.create(address, 256);
        } catch (IOException e) {
            System.err.println("sample-origin: cannot listen on " + listen + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", origin::handle);
        server.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(1);
            executor.shutdownNow();
            System.out.println("{\"message\":\"sample origin stopped\"}");
            stopped.countDown();
        }, "sample-origin-shutdown"));
        System.out.println("{\"message\":\"sample origin listening\",\"url\":\"http://"
                + hostForUrl(server.getAddress()) + "/\",\"files\":" + origin.assets.size() + "}");
        stopped.await();
    }

    private static String next(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static InetSocketAddress parseListen(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--listen wants HOST:PORT, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen wants HOST:PORT, got '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range in '" + text + "'");
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    private static String hostForUrl(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    static int parseSize(String text) {
        String t = text.trim();
        long unit = 1;
        for (var u : List.of(Map.entry("KiB", 1L << 10), Map.entry("MiB", 1L << 20), Map.entry("GiB", 1L << 30))) {
            if (t.endsWith(u.getKey())) {
                unit = u.getValue();
                t = t.substring(0, t.length() - 3);
                break;
            }
        }
        try {
            long n = Long.parseLong(t.trim()) * unit;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("size too large: '" + text + "'");
            }
            return (int) n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: '" + text + "' (e.g. 4194304, 512KiB, 8MiB)");
        }
    }

    // ---------------------------------------------------------------------------------------
    // requests

    void handle(HttpExchange ex) throws IOException {
        long started = System.nanoTime();
        int status = 500;
        long bytes = 0;
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            Headers out = ex.getResponseHeaders();
            out.set("Server", "outpost-sample-origin");
            if (path.startsWith("/_origin/")) {
                Response r = operator(method, path, ex.getRequestURI());
                status = r.status();
                bytes = send(ex, r.status(), r.contentType(), r.body(), "no-store");
                return;
            }
            long count = hits.computeIfAbsent(path, p -> new AtomicLong()).incrementAndGet();
            out.set("X-Origin-Requests", Long.toString(count));
            if (!method.equals("GET") && !method.equals("HEAD")) {
                out.set("Allow", "GET, HEAD");
                status = 405;
                bytes = send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n", "no-store");
                return;
            }
            switch (path) {
                case "/slow" -> {
                    long ms = slowMillis;
                    String q = query(ex.getRequestURI(), "ms");
                    if (q != null) {
                        try {
                            ms = Math.max(0, Math.min(30_000, Long.parseLong(q)));
                        } catch (NumberFormatException e) {
                            status = 400;
                            bytes = send(ex, 400, "text/plain; charset=utf-8", "ms must be a number\n", "no-store");
                            return;
                        }
                    }
                    try {
                        Thread.sleep(ms);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    status = serveAsset(ex, assets.get("/slow"));
                }
                case "/private" -> {
                    long session = cookies.incrementAndGet();
                    out.add("Set-Cookie", "session=s" + session + "; Path=/; HttpOnly; SameSite=Lax");
                    out.set("Vary", "Cookie");
                    String html = "<!doctype html>\n<html><head><title>Your account</title></head>\n"
                            + "<body><h1>Your account</h1><p>Session s" + session
                            + ": this page is for you alone, and no shared cache may store it.</p></body></html>\n";
                    status = 200;
                    bytes = send(ex, 200, "text/html; charset=utf-8", html, "private, no-cache");
                }
                default -> {
                    Asset asset = assets.get(path.equals("/") ? "/index.html" : path);
                    if (asset == null) {
                        status = 404;
                        out.set("Surrogate-Key", "not-found");
                        bytes = send(ex, 404, "text/plain; charset=utf-8", "not found: " + path + "\n",
                                "public, max-age=10");
                    } else {
                        status = serveAsset(ex, asset);
                    }
                }
            }
            if (status == 200 || status == 206) {
                String len = ex.getResponseHeaders().getFirst("Content-Length");
                bytes = len == null || method.equals("HEAD") ? 0 : Long.parseLong(len);
            }
        } finally {
            if (!quiet) {
                System.out.println("{\"time\":\"" + Instant.now() + "\",\"method\":\"" + ex.getRequestMethod()
                        + "\",\"path\":\"" + jsonEscape(ex.getRequestURI().getRawPath())
                        + "\",\"status\":" + status + ",\"bytes\":" + bytes
                        + ",\"ms\":" + (System.nanoTime() - started) / 1_000_000 + "}");
            }
        }
    }

    /** Sends one asset: 304 when the request's validators match, 206 for a byte range, else 200. */
    private int serveAsset(HttpExchange ex, Asset asset) throws IOException {
        Headers in = ex.getRequestHeaders();
        Headers out = ex.getResponseHeaders();
        out.set("Content-Type", asset.contentType());
        out.set("Cache-Control", asset.cacheControl());
        out.set("ETag", asset.etag());
        out.set("Last-Modified", httpDate(asset.lastModified()));
        out.set("Surrogate-Key", asset.surrogateKey());
        out.set("Accept-Ranges", "bytes");
        if (asset.path().startsWith("/downloads/")) {
            out.set("Content-Disposition", "attachment; filename=\""
                    + asset.path().substring(asset.path().lastIndexOf('/') + 1) + "\"");
        }
        if (notModified(in, asset)) {
            out.remove("Content-Type");
            ex.sendResponseHeaders(304, -1);
            return 304;
        }
        byte[] body = asset.body();
        boolean head = ex.getRequestMethod().equals("HEAD");
        String range = in.getFirst("Range");
        String ifRange = in.getFirst("If-Range");
        if (range != null && (ifRange == null || ifRange.trim().equals(asset.etag()))) {
            long[] r = parseRange(range, body.length);
            if (r != null && r.length == 0) {
                out.set("Content-Range", "bytes */" + body.length);
                out.remove("Content-Type");
                ex.sendResponseHeaders(416, -1);
                return 416;
            }
            if (r != null) {
                int from = (int) r[0];
                int length = (int) (r[1] - r[0] + 1);
                out.set("Content-Range", "bytes " + r[0] + "-" + r[1] + "/" + body.length);
                write(ex, 206, body, from, length, head);
                return 206;
            }
        }
        write(ex, 200, body, 0, body.length, head);
        return 200;
    }

    /** RFC 9110 section 13.2.2: If-None-Match decides when present; If-Modified-Since only without it. */
    static boolean notModified(Headers in, Asset asset) {
        List<String> inm = in.get("If-None-Match");
        if (inm != null && !inm.isEmpty()) {
            String mine = opaque(asset.etag());
            for (String header : inm) {
                for (String tag : header.split(",")) {
                    String t = tag.trim();
                    if (t.equals("*") || opaque(t).equals(mine)) {
                        return true;
                    }
                }
            }
            return false;
        }
        String ims = in.getFirst("If-Modified-Since");
        if (ims != null) {
            try {
                Instant since = ZonedDateTime.parse(ims.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return !asset.lastModified().isAfter(since);
            } catch (DateTimeParseException e) {
                return false; // an invalid date is ignored (RFC 9110 13.1.3)
            }
        }
        return false;
    }

    /** An entity tag without its weakness flag, for the weak comparison If-None-Match uses. */
    private static String opaque(String etag) {
        return etag.startsWith("W/") ? etag.substring(2) : etag;
    }

    /**
     * One byte range of {@code bytes=FROM-TO}, {@code bytes=FROM-} or {@code bytes=-SUFFIX}: its
     * first and last offsets; an empty array when unsatisfiable; null when the header is ignored
     * (malformed, or several ranges: the whole body is sent then, as RFC 9110 allows).
     */
    static long[] parseRange(String header, long length) {
        String h = header.trim();
        if (!h.startsWith("bytes=") || h.contains(",")) {
            return null;
        }
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b);
                if (suffix <= 0) {
                    return new long[0];
                }
                return new long[] {Math.max(0, length - suffix), length - 1};
            }
            long from = Long.parseLong(a);
            long to = b.isEmpty() ? length - 1 : Math.min(Long.parseLong(b), length - 1);
            if (from >= length) {
                return new long[0];
            }
            return from > to ? null : new long[] {from, to};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static void write(HttpExchange ex, int status, byte[] body, int from, int length, boolean head)
            throws IOException {
        ex.getResponseHeaders().set("Content-Length", Integer.toString(length));
        if (head) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body, from, length);
        }
    }

    private static long send(HttpExchange ex, int status, String contentType, String text, String cacheControl)
            throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("Cache-Control", cacheControl);
        write(ex, status, body, 0, body.length, ex.getRequestMethod().equals("HEAD"));
        return body.length;
    }

    record Response(int status, String contentType, String body) {
        static Response json(int status, String body) {
            return new Response(status, "application/json", body + "\n");
        }
    }

    private Response operator(String method, String path, URI uri) {
        switch (path) {
            case "/_origin/healthz" -> {
                return new Response(200, "text/plain; charset=utf-8", "ok\n");
            }
            case "/_origin/stats" -> {
                StringBuilder sb = new StringBuilder("{\"requests\": {");
                Map<String, AtomicLong> sorted = new TreeMap<>(hits);
                boolean first = true;
                for (var e : sorted.entrySet()) {
                    sb.append(first ? "" : ", ").append('"').append(jsonEscape(e.getKey())).append("\": ")
                            .append(e.getValue().get());
                    first = false;
                }
                return Response.json(200, sb.append("}}").toString());
            }
            case "/_origin/bump" -> {
                if (!method.equals("POST")) {
                    return Response.json(405, "{\"error\": \"method not allowed\", \"detail\": \"POST /_origin/bump?path=/index.html\"}");
                }
                String target = query(uri, "path");
                Asset asset = target == null ? null : assets.get(target.equals("/") ? "/index.html" : target);
                if (asset == null || asset.path().equals("/slow")) {
                    return Response.json(404, "{\"error\": \"no such file\", \"detail\": \""
                            + jsonEscape(String.valueOf(target)) + "\"}");
                }
                Asset next = assets.compute(asset.path(), (p, a) -> a.bumped());
                return Response.json(200, "{\"path\": \"" + jsonEscape(next.path()) + "\", \"version\": "
                        + next.version() + ", \"etag\": \"" + jsonEscape(next.etag()) + "\", \"last-modified\": \""
                        + httpDate(next.lastModified()) + "\"}");
            }
            default -> {
                return Response.json(404, "{\"error\": \"unknown operator endpoint\", \"detail\": \""
                        + jsonEscape(path) + "\"}");
            }
        }
    }

    private static String query(URI uri, String name) {
        String q = uri.getQuery();
        if (q == null) {
            return null;
        }
        for (String pair : q.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return pair.substring(eq + 1);
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------
    // content

    private static List<Asset> generate(int largeSize) {
        Instant t = PUBLISHED;
        String html = """
                <!doctype html>
                <html lang="en">
                <head>
                  <meta charset="utf-8">
                  <title>Outpost sample site</title>
                  <link rel="stylesheet" href="/css/site.css">
                  <script src="/js/app.js" defer></script>
                </head>
                <body>
                  <header><img src="/img/logo.svg" alt="Outpost" width="64" height="64"><h1>Outpost sample site</h1></header>
                  <main>
                    <p>This page came from the sample origin through an Outpost edge. Look at the
                    <code>Cache-Status</code> and <code>Age</code> headers of each file.</p>
                    <img src="/img/hero.png" alt="A gradient" width="320" height="160">
                    <ul>
                      <li><a href="/about.html">About</a></li>
                      <li><a href="/downloads/big.bin">A large download</a></li>
                      <li><a href="/slow">A slow page</a></li>
                      <li><a href="/private">Your account (never cached)</a></li>
                    </ul>
                  </main>
                </body>
                </html>
                """;
        String about = """
                <!doctype html>
                <html lang="en">
                <head><meta charset="utf-8"><title>About</title><link rel="stylesheet" href="/css/site.css"></head>
                <body><h1>About</h1><p>Outpost is an open-source edge CDN.</p><p><a href="/">Home</a></p></body>
                </html>
                """;
        String css = """
                :root { --ink: #1d2733; --accent: #e0663a; }
                body { font: 16px/1.5 system-ui, sans-serif; color: var(--ink); max-width: 48rem; margin: 2rem auto; }
                header { display: flex; align-items: center; gap: 1rem; }
                h1 { color: var(--accent); }
                code { background: #f2f2f2; padding: 0 .25em; }
                """;
        String js = """
                // Shows which cache answered this page, from the Cache-Status header of a HEAD request.
                document.addEventListener("DOMContentLoaded", async () => {
                  const response = await fetch(location.href, { method: "HEAD" });
                  const status = response.headers.get("Cache-Status") || "no Cache-Status header";
                  const note = document.createElement("p");
                  note.textContent = "Cache-Status: " + status;
                  document.querySelector("main").append(note);
                });
                """;
        String svg = """
                <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
                  <circle cx="32" cy="32" r="30" fill="#1d2733"/>
                  <path d="M32 10 L50 46 H14 Z" fill="#e0663a"/>
                </svg>
                """;
        String json = """
                {"site": "outpost-sample", "features": ["etag", "last-modified", "surrogate-key"], "revision": 1}
                """;
        String slow = "This answer took a while: the origin is slow, the edge is not.\n";
        byte[] large = new byte[largeSize];
        new SplittableRandom(20250602L).nextBytes(large);
        return List.of(
                Asset.of("/index.html", "text/html; charset=utf-8", utf8(html),
                        "public, max-age=60, s-maxage=300, stale-while-revalidate=60, stale-if-error=600",
                        "html home", t, 1),
                Asset.of("/about.html", "text/html; charset=utf-8", utf8(about),
                        "public, max-age=300", "html about", t.plus(Duration.ofDays(1)), 1),
                Asset.of("/css/site.css", "text/css; charset=utf-8", utf8(css),
                        "public, max-age=86400, immutable", "static css", t.minus(Duration.ofDays(30)), 1),
                Asset.of("/js/app.js", "text/javascript; charset=utf-8", utf8(js),
                        "public, max-age=3600, s-maxage=86400", "static js", t.minus(Duration.ofDays(7)), 1),
                Asset.of("/img/logo.svg", "image/svg+xml", utf8(svg),
                        "public, max-age=604800", "static img logo", t.minus(Duration.ofDays(90)), 1),
                Asset.of("/img/hero.png", "image/png", png(),
                        "public, max-age=604800, stale-while-revalidate=86400", "static img hero",
                        t.minus(Duration.ofDays(60)), 1),
                Asset.of("/api/config.json", "application/json", utf8(json),
                        "public, no-cache", "api config", t, 1),
                Asset.of("/downloads/big.bin", "application/octet-stream", large,
                        "public, max-age=600, s-maxage=3600", "downloads large", t.minus(Duration.ofDays(3)), 1),
                Asset.of("/slow", "text/plain; charset=utf-8", utf8(slow),
                        "public, max-age=30", "slow", t, 1));
    }

    private static byte[] png() {
        BufferedImage image = new BufferedImage(320, 160, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        g.setPaint(new GradientPaint(0, 0, new Color(0x1d2733), 320, 160, new Color(0xe0663a)));
        g.fillRect(0, 0, 320, 160);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String httpDate(Instant instant) {
        return HTTP_DATE.format(instant.atOffset(ZoneOffset.UTC));
    }

    private static String jsonEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
