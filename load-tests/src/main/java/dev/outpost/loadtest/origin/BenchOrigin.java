package dev.outpost.loadtest.origin;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.DateUtils;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Date;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * The origin every system under test is pointed at: generated objects named by their path
 * (see {@code ObjectSpec}), with ETag, Last-Modified and Cache-Control, 304 for conditional
 * requests, an optional delay, and counters of requests and body bytes per path so a scenario
 * reads exactly what each cache asked of the origin. It allocates nothing per byte: bodies are
 * slices of one shared pseudo-random pattern, so a 1 GiB object costs the origin no heap.
 *
 * <p>{@code GET /__origin/stats} answers the totals as JSON, for looking at a run by hand.
 */
public final class BenchOrigin implements AutoCloseable {

    static final int PATTERN_SIZE = 1 << 20;
    /** Twice the pattern, so any slice of up to PATTERN_SIZE bytes is contiguous. */
    private static final byte[] PATTERN = pattern();
    /** Twice a text pattern of the same size, for {@code /text/} objects (the compression scenario). */
    private static final byte[] TEXT = textPattern();
    private static final int CHUNK = 64 * 1024;
    /** Every object claims the same modification time, so If-Modified-Since is deterministic. */
    static final long LAST_MODIFIED_MILLIS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    private static final HttpString CACHE_CONTROL = Headers.CACHE_CONTROL;

    private final Undertow server;
    private final int port;
    private final LongAdder requests = new LongAdder();
    private final LongAdder notModified = new LongAdder();
    private final LongAdder bodyBytes = new LongAdder();
    private final Map<String, long[]> perPath = new ConcurrentHashMap<>();

    private BenchOrigin(String host, int port) {
        this.server = Undertow.builder()
                .addHttpListener(port, host)
                .setIoThreads(2)
                .setWorkerThreads(512)
                .setServerOption(UndertowOptions.ALWAYS_SET_DATE, true)
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, 1L << 20)
                .setHandler(this::handle)
                .build();
        server.start();
        this.port = ((InetSocketAddress) server.getListenerInfo().getFirst().getAddress()).getPort();
    }

    /** Starts on {@code 127.0.0.1:port}; port 0 picks a free one. */
    public static BenchOrigin start(int port) {
        return new BenchOrigin("127.0.0.1", port);
    }

    public int port() {
        return port;
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Every request answered (including 304s and 404s). */
    public long requests() {
        return requests.sum();
    }

    /** Body bytes sent, over all paths: what the caches cost the origin. */
    public long bodyBytes() {
        return bodyBytes.sum();
    }

    public long notModified() {
        return notModified.sum();
    }

    /** Requests for paths starting with {@code prefix}. */
    public long requests(String prefix) {
        return sum(prefix, 0);
    }

    /** Body bytes sent for paths starting with {@code prefix}. */
    public long bodyBytes(String prefix) {
        return sum(prefix, 1);
    }

    /** 304 answers for paths starting with {@code prefix}. */
    public long notModified(String prefix) {
        return sum(prefix, 2);
    }

    private long sum(String prefix, int slot) {
        Predicate<String> match = p -> p.startsWith(prefix);
        long total = 0;
        for (Map.Entry<String, long[]> e : perPath.entrySet()) {
            if (match.test(e.getKey())) {
                synchronized (e.getValue()) {
                    total += e.getValue()[slot];
                }
            }
        }
        return total;
    }

    private void count(String path, long bytes, boolean was304) {
        requests.increment();
        bodyBytes.add(bytes);
        if (was304) {
            notModified.increment();
        }
        long[] c = perPath.computeIfAbsent(path, k -> new long[3]);
        synchronized (c) {
            c[0]++;
            c[1] += bytes;
            if (was304) {
                c[2]++;
            }
        }
    }

    private void uncountBytes(String path, long bytes) {
        bodyBytes.add(-bytes);
        long[] c = perPath.get(path);
        synchronized (c) {
            c[1] -= bytes;
        }
    }

    private void handle(HttpServerExchange ex) throws Exception {
        if (ex.isInIoThread()) {
            ex.dispatch(this::handle);
            return;
        }
        String path = ex.getRequestPath();
        if (path.equals("/__origin/stats")) {
            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
            ex.getResponseSender().send("{\"requests\":" + requests() + ",\"body-bytes\":" + bodyBytes()
                    + ",\"not-modified\":" + notModified() + "}");
            return;
        }
        var spec = ObjectSpec.parse(path);
        boolean getOrHead = ex.getRequestMethod().equals(Methods.GET) || ex.getRequestMethod().equals(Methods.HEAD);
        if (spec.isEmpty() || !getOrHead) {
            count(path, 0, false);
            ex.setStatusCode(spec.isEmpty() ? 404 : 405);
            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
            ex.getResponseSender().send("{\"error\":\"" + (spec.isEmpty() ? "no such object" : "method not allowed")
                    + "\",\"detail\":\"paths: /obj/SIZE/ID, /ttl/SECONDS/SIZE/ID, /slow/MILLIS/SIZE/ID\"}");
            return;
        }
        ObjectSpec o = spec.get();
        if (o.delayMillis() > 0) {
            Thread.sleep(o.delayMillis());
        }
        var h = ex.getResponseHeaders();
        h.put(Headers.ETAG, o.etag());
        h.put(Headers.LAST_MODIFIED, DateUtils.toDateString(new Date(LAST_MODIFIED_MILLIS)));
        h.put(CACHE_CONTROL, "public, max-age=" + o.maxAgeSeconds());
        if (notModified(ex, o)) {
            count(path, 0, true);
            ex.setStatusCode(304);
            ex.endExchange();
            return;
        }
        h.put(Headers.CONTENT_TYPE, o.text() ? "text/html; charset=utf-8" : "application/octet-stream");
        h.put(Headers.CONTENT_LENGTH, o.size());
        if (ex.getRequestMethod().equals(Methods.HEAD)) {
            count(path, 0, false);
            ex.endExchange();
            return;
        }
        ex.startBlocking();
        // counted before the first byte goes out (the stream sends a body whole as soon as it
        // reaches its Content-Length), so a client that has the whole body always finds it
        // counted; bytes a cache that went away mid-body never got are taken back
        count(path, o.size(), false);
        long sent = 0;
        OutputStream out = ex.getOutputStream();
        byte[] source = o.text() ? TEXT : PATTERN;
        try {
            int offset = o.patternOffset();
            while (sent < o.size()) {
                int n = (int) Math.min(CHUNK, o.size() - sent);
                int start = (int) ((offset + sent) % PATTERN_SIZE);
                out.write(source, start, n);
                sent += n;
            }
            out.close();
        } catch (IOException e) {
            uncountBytes(path, o.size() - sent);
        }
    }

    /** RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since. */
    private static boolean notModified(HttpServerExchange ex, ObjectSpec o) {
        String inm = ex.getRequestHeaders().getFirst(Headers.IF_NONE_MATCH);
        if (inm != null) {
            for (String tag : inm.split(",")) {
                String t = tag.trim();
                if (t.startsWith("W/")) {
                    t = t.substring(2);
                }
                if (t.equals("*") || t.equals(o.etag())) {
                    return true;
                }
            }
            return false;
        }
        String ims = ex.getRequestHeaders().getFirst(Headers.IF_MODIFIED_SINCE);
        if (ims != null) {
            Date d = DateUtils.parseDate(ims);
            return d != null && d.getTime() >= LAST_MODIFIED_MILLIS;
        }
        return false;
    }

    /** The expected body of {@code /obj/SIZE/ID}-style paths, for checking what a cache served. */
    public static byte[] expectedBody(String path) {
        ObjectSpec o = ObjectSpec.parse(path).orElseThrow(() -> new IllegalArgumentException("not an object path: " + path));
        if (o.size() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too large to hold: " + path);
        }
        byte[] b = new byte[(int) o.size()];
        int offset = o.patternOffset();
        byte[] source = o.text() ? TEXT : PATTERN;
        for (int i = 0; i < b.length; i++) {
            b[i] = source[(offset + i) % PATTERN_SIZE];
        }
        return b;
    }

    /**
     * Synthetic HTML-like text: paragraphs of words drawn from a 2,000-word vocabulary with a
     * skewed (Zipf-like) frequency, as natural language has, with markup between them. It
     * compresses about as web text does (gzip -6 keeps roughly a third); it is not a real corpus.
     */
    private static byte[] textPattern() {
        SplittableRandom r = new SplittableRandom(0x7465_7874L);
        String[] vocabulary = new String[2000];
        for (int i = 0; i < vocabulary.length; i++) {
            StringBuilder w = new StringBuilder();
            int len = 2 + r.nextInt(9);
            for (int c = 0; c < len; c++) {
                w.append((char) ('a' + r.nextInt(26)));
            }
            vocabulary[i] = w.toString();
        }
        String[] tags = {"<p>", "</p>\n", "<li>", "</li>\n", "<a href=\"/docs/", "\">", "</a> ", "<div class=\"section\">\n",
            "</div>\n", "<span class=\"term\">", "</span> "};
        byte[] b = new byte[PATTERN_SIZE * 2];
        int pos = 0;
        while (pos < PATTERN_SIZE) {
            String piece;
            int roll = r.nextInt(100);
            if (roll < 8) {
                piece = tags[r.nextInt(tags.length)];
            } else {
                // skewed: low ranks far more often than high ones
                double u = r.nextDouble();
                int rank = (int) Math.min(vocabulary.length - 1, Math.floor(Math.pow(vocabulary.length, u)) - 1);
                piece = vocabulary[Math.max(0, rank)] + (roll < 14 ? ". " : roll < 20 ? ", " : " ");
            }
            byte[] p = piece.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            int n = Math.min(p.length, PATTERN_SIZE - pos);
            System.arraycopy(p, 0, b, pos, n);
            pos += n;
        }
        System.arraycopy(b, 0, b, PATTERN_SIZE, PATTERN_SIZE);
        return b;
    }

    private static byte[] pattern() {
        byte[] b = new byte[PATTERN_SIZE * 2];
        SplittableRandom r = new SplittableRandom(0x0075_7470_6f73_74L);
        for (int i = 0; i < PATTERN_SIZE; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        System.arraycopy(b, 0, b, PATTERN_SIZE, PATTERN_SIZE);
        return b;
    }

    /** Runs the origin alone, for trying a cache by hand: {@code BenchOrigin [port]}. */
    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 9000;
        BenchOrigin o = start(port);
        System.out.println("origin on " + o.url() + " (paths: /obj/SIZE/ID, /ttl/SECONDS/SIZE/ID, /slow/MILLIS/SIZE/ID, /text/SIZE/ID)");
        Runtime.getRuntime().addShutdownHook(new Thread(o::close));
        Thread.currentThread().join();
    }

    @Override
    public void close() {
        server.stop();
    }
}
