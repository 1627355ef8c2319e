package dev.outpost.loadtest.load;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A thundering herd: N clients connect first, then all send the same GET at once (released
 * together by a latch), each timing its own request to the last byte. Connecting before the
 * release keeps connection set-up out of the waiters' latency.
 */
public final class Herd {

    /** Latencies (ms) of the answered requests, and how many failed. */
    public record Result(double[] latenciesMillis, int failures, String firstFailure) {
    }

    private Herd() {
    }

    public static Result run(int port, String path, int clients, int timeoutMillis) throws InterruptedException {
        List<RawHttpClient> conns = new ArrayList<>();
        int failures = 0;
        String firstFailure = "";
        for (int i = 0; i < clients; i++) {
            RawHttpClient c = new RawHttpClient("127.0.0.1", port, timeoutMillis);
            try {
                conns.add(c.connect());
            } catch (IOException e) {
                failures++;
                firstFailure = firstFailure.isEmpty() ? "connect: " + e.getMessage() : firstFailure;
            }
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Double>> results = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch ready = new CountDownLatch(conns.size());
            for (RawHttpClient c : conns) {
                results.add(ex.submit(() -> {
                    ready.countDown();
                    go.await();
                    long t0 = System.nanoTime();
                    RawHttpClient.Response r = c.get(path);
                    long t1 = System.nanoTime();
                    if (r.status() != 200) {
                        throw new IOException("status " + r.status());
                    }
                    return (t1 - t0) / 1e6;
                }));
            }
            ready.await(30, TimeUnit.SECONDS);
            go.countDown();
            double[] lat = new double[results.size()];
            int n = 0;
            for (Future<Double> f : results) {
                try {
                    lat[n++] = f.get(timeoutMillis + 5000L, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    n--;
                    failures++;
                    firstFailure = firstFailure.isEmpty() ? String.valueOf(e.getCause() != null ? e.getCause() : e) : firstFailure;
                }
            }
            return new Result(java.util.Arrays.copyOf(lat, n), failures, firstFailure);
        } finally {
            conns.forEach(RawHttpClient::close);
        }
    }
}
