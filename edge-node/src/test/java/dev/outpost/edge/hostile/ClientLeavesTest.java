package dev.outpost.edge.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeProcess;
import dev.outpost.edge.TestEdge;
import dev.outpost.edge.hardening.HoldingOrigin;
import dev.outpost.edge.hardening.NodeFigures;
import dev.outpost.testing.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that leave while their request waits for a slow origin release what they started:
 * the node closes their connection at once (nothing left in CLOSE-WAIT), and calls off their
 * fetch (the origin sees its connection closed) unless another client waits for the same
 * response. HTTP/1.1 clients that close right after sending, and HTTP/2 streams reset right
 * after their HEADERS, against a raw-socket origin that holds every request for a minute.
 */
class ClientLeavesTest {

    private static final String RULES = """
            limits: {max-connections-per-client: 100000}
            rules:
              - name: pass
                match: {path-prefix: /slow/pass/}
                bypass: true
            """;

    @Test
    void http1ClientsThatCloseReleaseTheirSocketsAndTheirFetches() throws Exception {
        try (HoldingOrigin origin = new HoldingOrigin(60_000, 5);
             TestEdge edge = TestEdge.withOrigin(origin.url()).yaml(RULES).start()) {
            assertThat(edge.get("/fast/warm").statusCode()).isEqualTo(200);
            Figures before = Figures.inProcess(edge.port());
            Served other = Served.meanwhile(() -> edge.get("/fast/other").statusCode(),
                    () -> edge.admin("/healthz").statusCode());
            int n = 500;
            Figures peak = sendAndClose(edge.port(), n, i -> (i % 2 == 0 ? "/slow/pass/" : "/slow/miss/") + i,
                    () -> Figures.inProcess(edge.port()));
            Thread.sleep(5_000);
            int lingering = closeWait(edge.port());
            System.out.printf("http/1.1: 5 s after the last of %d clients closed: %d sockets in CLOSE-WAIT, %d fetches "
                    + "started, %d called off%n", n, lingering, origin.started.get(), origin.closedEarly.get());
            // within the origin's read timeout (30 s), which would end the fetches anyway
            Await.until("every fetch that started called off", Duration.ofSeconds(20),
                    () -> origin.closedEarly.get() == origin.started.get() && edge.metric("outpost_client_aborts_total") >= n);
            int startedAtOnce = origin.started.get();
            // then clients that leave once their request is at the origin
            int held = 100;
            List<Socket> waiting = new ArrayList<>();
            for (int i = 0; i < held; i++) {
                waiting.add(send(edge.port(), (i % 2 == 0 ? "/slow/pass/held-" : "/slow/miss/held-") + i));
            }
            Await.until("the held requests at the origin", Duration.ofSeconds(20),
                    () -> origin.started.get() == startedAtOnce + held);
            for (Socket s : waiting) {
                s.close();
            }
            Await.until("their fetches called off", Duration.ofSeconds(20),
                    () -> origin.closedEarly.get() == startedAtOnce + held);
            Await.until("no socket of the node's port in CLOSE-WAIT", Duration.ofSeconds(30),
                    () -> closeWait(edge.port()) == 0);
            Await.until("descriptors back near where they were", Duration.ofSeconds(30),
                    () -> Figures.openFiles() <= before.files + 10);
            other.stop();
            Figures after = Figures.inProcess(edge.port());
            String report = String.format(Locale.ROOT,
                    "http/1.1: %d requests for distinct slow URLs (half bypass, half cacheable misses), each connection "
                            + "closed right after sending (%d of them reached the origin; CLOSE-WAIT 5 s later: %d), then %d "
                            + "more closed once at the "
                            + "origin; origin requests started %d, closed by the node before the "
                            + "answer %d, answered %d; outpost_client_aborts_total %.0f (pass %.0f, fetch %.0f, lookup %.0f), "
                            + "outpost_origin_requests_cancelled_total %.0f; meanwhile %s%n  before %s%n  peak   %s%n  after  %s",
                    n, startedAtOnce, lingering, held, origin.started.get(), origin.closedEarly.get(), origin.answered.get(),
                    edge.metric("outpost_client_aborts_total"), edge.metric("outpost_client_aborts_total", "stage", "pass"),
                    edge.metric("outpost_client_aborts_total", "stage", "fetch"),
                    edge.metric("outpost_client_aborts_total", "stage", "lookup"),
                    edge.metric("outpost_origin_requests_cancelled_total"), other, before, peak, after);
            record(report, "client-leaves-http1.txt");
            assertThat(origin.answered.get()).as(report).isZero();
            assertThat(edge.metric("outpost_origin_requests_cancelled_total")).as(report)
                    .isGreaterThanOrEqualTo(origin.started.get());
            assertThat(edge.metric("outpost_client_aborts_total")).as(report).isEqualTo(n + held);
            assertThat(other.failed.get()).as(report).isZero();
            assertThat(other.served.get()).as(report).isPositive();
            assertThat(edge.get("/fast/after").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void resetHttp2StreamsCancelTheirFetches() throws Exception {
        try (HoldingOrigin origin = new HoldingOrigin(60_000, 5);
             TestEdge edge = TestEdge.withOrigin(origin.url()).yaml(RULES).start();
             RawH2 h2 = RawH2.open(edge.port())) {
            int n = 50; // within the reset burst (100): the connection stays open
            for (int i = 0; i < n; i++) {
                h2.get(1 + 2 * i, "/slow/pass/h2-" + i);
            }
            Await.until("the origin got every request", Duration.ofSeconds(30), () -> origin.started.get() == n);
            for (int i = 0; i < n; i++) {
                h2.rst(1 + 2 * i);
            }
            Await.until("every reset stream's fetch called off", Duration.ofSeconds(20), // within the read timeout (30 s)
                    () -> origin.closedEarly.get() == n);
            h2.get(1 + 2 * n, "/fast/after-resets");
            assertThat(h2.status(1 + 2 * n, Duration.ofSeconds(30))).as("the connection goes on").isEqualTo(200);
            System.out.printf("http/2: %d streams reset while their fetch waited: origin requests started %d, "
                            + "closed by the node %d, answered %d; outpost_origin_requests_cancelled_total %.0f%n",
                    n, origin.started.get(), origin.closedEarly.get(), origin.answered.get(),
                    edge.metric("outpost_origin_requests_cancelled_total"));
            assertThat(origin.answered.get()).isZero();
            assertThat(edge.metric("outpost_client_aborts_total", "stage", "pass")).isEqualTo(n);
            assertThat(edge.metric("outpost_origin_requests_cancelled_total")).isEqualTo(n);
            assertThat(h2.goAway).isNull();
        }
    }

    @Test
    void aFillAnotherClientWaitsForGoesOnWhenItsFirstClientLeaves() throws Exception {
        int size = 200_000;
        try (HoldingOrigin origin = new HoldingOrigin(8_000, size);
             TestEdge edge = TestEdge.withOrigin(origin.url()).yaml(RULES).start()) {
            CompletableFuture<HttpResponse<byte[]>> second;
            try (Socket first = send(edge.port(), "/slow/fill/a")) {
                Await.until("the first request reached the origin", Duration.ofSeconds(30),
                        () -> origin.started.get() == 1);
                second = HttpClient.newHttpClient().sendAsync(
                        HttpRequest.newBuilder(edge.uri("/slow/fill/a")).build(), HttpResponse.BodyHandlers.ofByteArray());
                Thread.sleep(1_500); // the second request waits on the first one's fetch (no signal to wait for)
            } // closed: the first client leaves
            Await.until("the first client's departure noticed", Duration.ofSeconds(30),
                    () -> edge.metric("outpost_client_aborts_total") == 1);
            HttpResponse<byte[]> r = second.get(60, TimeUnit.SECONDS);
            System.out.printf("fill kept: second client %d %s, %d bytes; origin %s, closed early %d; aborts %s%n",
                    r.statusCode(), r.headers().firstValue("Cache-Status").orElse(""), r.body().length, origin.byPath,
                    origin.closedEarly.get(), edge.admin("/metrics").body().lines()
                            .filter(l -> l.startsWith("outpost_client_aborts") || l.startsWith("outpost_origin_requests")).toList());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).hasSize(size);
            assertThat(origin.requests("/slow/fill/a")).as("one origin request").isEqualTo(1);
            assertThat(origin.closedEarly.get()).isZero();
            assertThat(edge.metric("outpost_origin_requests_cancelled_total")).isZero();
            HttpResponse<String> hit = edge.get("/slow/fill/a");
            assertThat(hit.headers().firstValue("Cache-Status").orElse("")).contains("hit");
        }
    }

    @Test
    void aCacheableFetchNobodyElseWantsIsCalledOffAndTheNextRequestFetchesAgain() throws Exception {
        try (HoldingOrigin origin = new HoldingOrigin(60_000, 5);
             TestEdge edge = TestEdge.withOrigin(origin.url()).yaml(RULES).start()) {
            try (Socket first = send(edge.port(), "/slow/fill/b")) {
                Await.until("the request reached the origin", Duration.ofSeconds(30), () -> origin.started.get() == 1);
            }
            Await.until("its fetch called off", Duration.ofSeconds(20), () -> origin.closedEarly.get() == 1);
            assertThat(edge.metric("outpost_client_aborts_total", "stage", "fetch")).isEqualTo(1);
            assertThat(edge.metric("outpost_origin_requests_cancelled_total")).isEqualTo(1);
        }
    }

    /**
     * The figures: 20,000 clients that close right after sending, against a node in its
     * own JVM with {@code -Xmx512m} and default limits but the per-address connection limit,
     * while another client and {@code /healthz} are served.
     */
    @Test
    @Tag("bounds")
    void twentyThousandClientsThatLeaveInAChildJvm(@TempDir Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        try (HoldingOrigin origin = new HoldingOrigin(120_000, 5);
             EdgeProcess edge = EdgeProcess.edge(origin.url(), data, List.of("-Xmx512m"),
                     "--limits.max-connections-per-client", "100000").start()) {
            edge.get("/fast/warm");
            NodeFigures.Reading before = NodeFigures.readAfterGc(edge);
            Figures beforeSockets = Figures.closeWaitOnly(edge.port);
            HttpClient admin = HttpClient.newHttpClient();
            Served other = Served.meanwhile(() -> {
                try {
                    return edge.get("/fast/other").status();
                } catch (IOException e) {
                    return -1;
                }
            }, () -> {
                try {
                    return admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.adminPort + "/healthz"))
                            .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (IOException e) {
                    return -1;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            });
            NodeFigures.Reading[] peak = {before};
            int[] peakCloseWait = {0};
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                while (sampling.get()) {
                    try {
                        NodeFigures.Reading r = NodeFigures.read(edge);
                        peak[0] = new NodeFigures.Reading(Math.max(peak[0].heapMiB(), r.heapMiB()),
                                Math.max(peak[0].directMiB(), r.directMiB()), Math.max(peak[0].files(), r.files()),
                                Math.max(peak[0].threads(), r.threads()));
                        peakCloseWait[0] = Math.max(peakCloseWait[0], closeWait(edge.port));
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // busy: the assertions say what matters
                    }
                }
            });
            int n = Integer.getInteger("outpost.leave.clients", 20_000);
            sendAndClose(edge.port, n, i -> "/slow/miss/" + i, () -> null);
            Await.until("every fetch that started called off", Duration.ofMinutes(3),
                    () -> origin.started.get() > 0 && origin.closedEarly.get() == origin.started.get()
                            && metric(edge, "outpost_client_aborts_total") >= n);
            Await.until("no socket of the node's port in CLOSE-WAIT", Duration.ofMinutes(1),
                    () -> closeWait(edge.port) == 0);
            sampling.set(false);
            sampler.join();
            other.stop();
            NodeFigures.Reading after = NodeFigures.readAfterGc(edge);
            String report = String.format(Locale.ROOT,
                    "http/1.1, -Xmx512m: %d requests for distinct slow URLs (origin answers after 2 min), each connection "
                            + "closed right after sending; origin requests started %d, closed by the node before the answer %d, "
                            + "answered %d; CLOSE-WAIT on the node's port before %d, peak %d, after %d; "
                            + "outpost_client_aborts_total %.0f, outpost_origin_requests_cancelled_total %.0f; meanwhile %s%n"
                            + "  before %s%n  peak   %s%n  after  %s",
                    n, origin.started.get(), origin.closedEarly.get(), origin.answered.get(), beforeSockets.closeWait,
                    peakCloseWait[0], closeWait(edge.port), metric(edge, "outpost_client_aborts_total"),
                    metric(edge, "outpost_origin_requests_cancelled_total"), other, before, peak[0], after);
            record(report, "client-leaves-http1-child-jvm.txt");
            assertThat(origin.answered.get()).as(report).isZero();
            assertThat(other.failed.get()).as(report).isZero();
            assertThat(after.files()).as(report).isLessThanOrEqualTo(before.files() + 20);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static double metric(EdgeProcess edge, String name, String... labels) {
        return edge.metric(name, labels);
    }

    /** Opens a connection, sends a GET for {@code path} and returns the socket, still open. */
    private static Socket send(int port, String path) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        OutputStream out = s.getOutputStream();
        // the Host an HTTP client sends, so that the cache key is the same as its requests'
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return s;
    }

    /**
     * {@code n} connections from 8 threads, each sending one GET and closing at once; returns
     * the highest figures {@code sample} gave while they went (null readings are skipped).
     */
    private static Figures sendAndClose(int port, int n, java.util.function.IntFunction<String> path,
                                        java.util.function.Supplier<Figures> sample) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            senders.add(Thread.ofPlatform().start(() -> {
                int i;
                while ((i = next.getAndIncrement()) < n) {
                    try (Socket s = send(port, path.apply(i))) {
                        s.setSoLinger(false, 0);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }));
        }
        Figures peak = sample.get();
        while (senders.stream().anyMatch(Thread::isAlive)) {
            Figures f = sample.get();
            peak = peak == null ? f : f == null ? peak : peak.max(f);
            Thread.sleep(50);
        }
        for (Thread t : senders) {
            t.join();
        }
        Thread.sleep(300);
        Figures f = sample.get();
        return peak == null ? f : f == null ? peak : peak.max(f);
    }

    private static void record(String report, String file) throws IOException {
        System.out.println(report);
        Files.createDirectories(Path.of("target", "hardening"));
        Files.writeString(Path.of("target", "hardening", file), report + "\n");
    }

    /** Sockets of the local port {@code port} in CLOSE-WAIT, from /proc/net/tcp and tcp6. */
    static int closeWait(int port) {
        String hexPort = String.format(Locale.ROOT, ":%04X", port);
        int n = 0;
        for (String file : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                for (String line : Files.readAllLines(Path.of(file))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[1].endsWith(hexPort) && f[3].equals("08")) {
                        n++;
                    }
                }
            } catch (IOException e) {
                // not Linux: nothing to count
            }
        }
        return n;
    }

    /** The test JVM's figures (it runs the node): open files, threads, heap, CLOSE-WAIT on the node's port. */
    record Figures(long files, int threads, double heapMiB, int closeWait) {
        static Figures inProcess(int port) {
            return new Figures(openFiles(), ManagementFactory.getThreadMXBean().getThreadCount(),
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (double) (1 << 20), ClientLeavesTest.closeWait(port));
        }

        static Figures closeWaitOnly(int port) {
            return new Figures(0, 0, 0, ClientLeavesTest.closeWait(port));
        }

        static long openFiles() {
            try (var s = Files.list(Path.of("/proc/self/fd"))) {
                return s.count();
            } catch (IOException e) {
                return -1;
            }
        }

        Figures max(Figures o) {
            return new Figures(Math.max(files, o.files), Math.max(threads, o.threads), Math.max(heapMiB, o.heapMiB),
                    Math.max(closeWait, o.closeWait));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "open files %d, threads %d, heap %.1f MiB, CLOSE-WAIT %d", files, threads,
                    heapMiB, closeWait);
        }
    }

    /** Another client and {@code /healthz}, asked in a loop until stopped. */
    static final class Served {
        final AtomicInteger served = new AtomicInteger();
        final AtomicInteger health = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        private Served(IntSupplier get, IntSupplier healthz) {
            thread = Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    try {
                        (get.getAsInt() == 200 ? served : failed).incrementAndGet();
                        if (healthz.getAsInt() == 200) {
                            health.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                        }
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        failed.incrementAndGet();
                    }
                }
            });
        }

        static Served meanwhile(IntSupplier get, IntSupplier healthz) {
            return new Served(get, healthz);
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join();
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "another client served %d times and /healthz answered %d times, %d failures",
                    served.get(), health.get(), failed.get());
        }
    }
}
