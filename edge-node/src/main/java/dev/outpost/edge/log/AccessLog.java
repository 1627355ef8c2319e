package dev.outpost.edge.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One JSON line per request, written by its own thread from a bounded queue: a slow or full
 * disk delays log lines, never requests. When the queue is full, lines are dropped and
 * counted ({@code outpost_access_log_dropped_total}).
 */
public final class AccessLog implements AutoCloseable {

    /**
     * One request as logged; times in ms, sizes in bytes. A tunnel (WebSocket or another
     * upgrade) is one entry written when it ends: status 101, {@code bytes} sent to the client,
     * {@code tunnelBytesToOrigin} sent to the origin (-1 for other requests), its whole
     * duration, and why it ended ({@code tunnelEnd}, null for other requests).
     */
    public record Entry(long time, String client, String method, String url, String protocol, int status, long bytes,
                        String cache, String tier, String cacheStatus, double durationMs, double originMs,
                        String userAgent, long tunnelBytesToOrigin, String tunnelEnd) {

        /** An ordinary request's entry. */
        public Entry(long time, String client, String method, String url, String protocol, int status, long bytes,
                     String cache, String tier, String cacheStatus, double durationMs, double originMs,
                     String userAgent) {
            this(time, client, method, url, protocol, status, bytes, cache, tier, cacheStatus, durationMs, originMs,
                    userAgent, -1, null);
        }
    }

    private final BlockingQueue<Entry> queue = new ArrayBlockingQueue<>(65_536);
    private final Writer out;
    private final Thread writer;
    private final Counter dropped;
    private final JsonFactory json = new JsonFactory();
    private volatile boolean closed;

    private AccessLog(Writer out, MeterRegistry registry) {
        this.out = out;
        this.dropped = Counter.builder("outpost.access.log.dropped")
                .description("Access log lines dropped because the writer fell behind").register(registry);
        this.writer = Thread.ofPlatform().name("access-log").daemon().start(this::run);
    }

    /** {@code stdout}, {@code off} (returns null) or a file path, appended to. */
    public static AccessLog open(String target, MeterRegistry registry) throws IOException {
        if (target == null || target.equals("off")) {
            return null;
        }
        OutputStream os;
        if (target.equals("stdout")) {
            os = new java.io.FileOutputStream(java.io.FileDescriptor.out);
        } else {
            Path p = Path.of(target);
            if (p.toAbsolutePath().getParent() != null) {
                Files.createDirectories(p.toAbsolutePath().getParent());
            }
            os = Files.newOutputStream(p, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        return new AccessLog(new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 64 * 1024), registry);
    }

    public void log(Entry e) {
        if (!queue.offer(e)) {
            dropped.increment();
        }
    }

    private void run() {
        List<Entry> batch = new ArrayList<>(1024);
        while (!closed || !queue.isEmpty()) {
            try {
                Entry first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 1023);
                for (Entry e : batch) {
                    write(e);
                }
                out.flush();
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException e) {
                batch.clear();
            }
        }
    }

    private void write(Entry e) throws IOException {
        JsonGenerator g = json.createGenerator(out);
        g.writeStartObject();
        g.writeStringField("time", Instant.ofEpochMilli(e.time()).toString());
        g.writeStringField("client", e.client());
        g.writeStringField("method", e.method());
        g.writeStringField("url", e.url());
        g.writeStringField("protocol", e.protocol());
        g.writeNumberField("status", e.status());
        g.writeNumberField("bytes", e.bytes());
        g.writeStringField("cache", e.cache());
        g.writeStringField("tier", e.tier());
        g.writeStringField("cache_status", e.cacheStatus());
        g.writeNumberField("duration_ms", Math.round(e.durationMs() * 1000) / 1000.0);
        if (e.originMs() >= 0) {
            g.writeNumberField("origin_ms", Math.round(e.originMs() * 1000) / 1000.0);
        }
        if (e.userAgent() != null) {
            g.writeStringField("user_agent", e.userAgent());
        }
        if (e.tunnelEnd() != null) {
            g.writeNumberField("bytes_to_origin", e.tunnelBytesToOrigin());
            g.writeStringField("tunnel_end", e.tunnelEnd());
        }
        g.writeEndObject();
        g.flush();
        out.write('\n');
    }

    @Override
    public void close() {
        closed = true;
        try {
            writer.join(2_000);
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
