package dev.outpost.loadtest.load;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Replays a trace of object ids against one cache with a few keep-alive connections taking the
 * next request in trace order, so the cache sees the trace almost in sequence.
 */
public final class TraceReplay {

    /** Requests sent, answers that said they were hits, non-200 answers, and the first problem seen. */
    public record Result(long requests, long headerHits, long failures, String firstFailure, double seconds) {
    }

    /**
     * Whether a response's Cache-Status (or X-Cache) says it was served from the cache: RFC 9211's
     * {@code hit} parameter, or nginx's and Varnish's {@code HIT}; a {@code fwd=} means it was not.
     */
    public static boolean saysHit(String cacheStatus) {
        String s = cacheStatus.toLowerCase(java.util.Locale.ROOT);
        return !s.contains("fwd=") && s.matches("(?s).*\\bhit\\b.*");
    }

    private TraceReplay() {
    }

    public static Result run(int port, int[] trace, IntFunction<String> pathOf, int connections, long deadlineNanos)
            throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicLong sent = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong hits = new AtomicLong();
        StringBuffer first = new StringBuffer();
        long t0 = System.nanoTime();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                fs.add(ex.submit(() -> {
                    try (RawHttpClient client = new RawHttpClient("127.0.0.1", port, 30_000)) {
                        int i;
                        while ((i = next.getAndIncrement()) < trace.length && System.nanoTime() < deadlineNanos) {
                            sent.incrementAndGet();
                            try {
                                RawHttpClient.Response r = client.get(pathOf.apply(trace[i]));
                                if (saysHit(r.cacheStatus())) {
                                    hits.incrementAndGet();
                                }
                                if (r.status() != 200) {
                                    failed.incrementAndGet();
                                    if (first.isEmpty()) {
                                        first.append("status ").append(r.status());
                                    }
                                }
                            } catch (IOException e) {
                                failed.incrementAndGet();
                                if (first.isEmpty()) {
                                    first.append(e.getMessage());
                                }
                                client.close();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failed.incrementAndGet();
                }
            }
        }
        return new Result(sent.get(), hits.get(), failed.get(), first.toString(), (System.nanoTime() - t0) / 1e9);
    }
}
