package dev.outpost.loadtest.offload;

import dev.outpost.config.ConfigReader;
import dev.outpost.config.DataSize;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.edge.EdgeNode;
import io.undertow.Undertow;
import io.undertow.util.Headers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Origin offload (client requests / origin requests) of a seeded Zipf workload over in-process
 * edges, without and with a shield, against an in-process origin. Each edge gets its own
 * stream of the same distribution (popular objects are popular everywhere); edges have a small
 * memory cache, the shield a large one. Prints one JSON document on stdout; logs go to stderr.
 *
 * <pre>
 * java -cp load-tests/target/load-tests.jar dev.outpost.loadtest.offload.OffloadBench --requests-per-edge 20000
 * </pre>
 */
@Command(name = "offload-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Origin offload of a Zipf workload over in-process edges, without and with a shield.",
                "Prints JSON on stdout."})
public final class OffloadBench implements Callable<Integer> {

    private static final String HOST = "bench.outpost.example";

    @Option(names = "--edges", description = "edges (default ${DEFAULT-VALUE})")
    int edges = 3;

    @Option(names = "--objects", description = "distinct objects (default ${DEFAULT-VALUE})")
    int objects = 10_000;

    @Option(names = "--requests-per-edge", description = "client requests per edge (default ${DEFAULT-VALUE})")
    int requestsPerEdge = 20_000;

    @Option(names = "--zipf", description = "Zipf exponent s (default ${DEFAULT-VALUE})")
    double zipf = 1.0;

    @Option(names = "--seed", description = "random seed; edge i uses seed + i (default ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--body-bytes", description = "object size in bytes (default ${DEFAULT-VALUE})")
    int bodyBytes = 1024;

    @Option(names = "--edge-memory", description = "each edge's memory tier; edges have no disk tier (default ${DEFAULT-VALUE})")
    String edgeMemory = "2MiB";

    @Option(names = "--shield-memory", description = "the shield's memory tier (default ${DEFAULT-VALUE})")
    String shieldMemory = "64MiB";

    @Option(names = "--shield-disk", description = "the shield's disk tier, 0 for none (default ${DEFAULT-VALUE})")
    String shieldDisk = "1GiB";

    @Option(names = "--concurrency", description = "concurrent clients per edge (default ${DEFAULT-VALUE})")
    int concurrency = 16;

    /** The JSON document printed. */
    record Report(Workload workload, Scenario withoutShield, Scenario withShield, double offloadGain) {
    }

    record Workload(int edges, int objects, int requestsPerEdge, double zipfExponent, long seed, int bodyBytes,
                    String edgeMemory, String shieldMemory, String shieldDisk, int concurrencyPerEdge) {
    }

    /**
     * @param offload client requests / origin requests
     * @param edgeHitRatio hits / cacheable requests over all edges
     * @param shieldHitRatio hits / cacheable requests at the shield, or null without one
     * @param shieldRequests the edges' requests to the shield (its health checks not counted)
     */
    record Scenario(long clientRequests, long originRequests, double offload, double edgeHitRatio, Double shieldHitRatio,
                    long shieldRequests, long errors, double seconds) {
    }

    public static void main(String[] args) {
        CommandLine cmd = new CommandLine(new OffloadBench());
        cmd.setParameterExceptionHandler((e, a) -> {
            System.err.println("offload-bench: " + e.getMessage() + " (see --help)");
            return 2;
        });
        cmd.setExecutionExceptionHandler((e, c, p) -> {
            System.err.println("offload-bench: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        System.exit(cmd.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Report report = run();
        System.out.println(OutpostJson.json().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        long errors = report.withoutShield().errors() + report.withShield().errors();
        if (errors > 0) {
            System.err.println("offload-bench: " + errors + " client requests failed (see the report)");
            return 1;
        }
        return 0;
    }

    /** Runs both scenarios and prints the report. */
    public Report run() throws IOException, InterruptedException {
        validate();
        int[][] traces = new int[edges][];
        for (int i = 0; i < edges; i++) {
            traces[i] = new Zipf(objects, zipf, seed + i).trace(requestsPerEdge);
        }
        Scenario without = scenario(traces, false);
        Scenario with = scenario(traces, true);
        return new Report(new Workload(edges, objects, requestsPerEdge, zipf, seed, bodyBytes, edgeMemory, shieldMemory,
                shieldDisk, concurrency), without, with, round(with.offload() / without.offload()));
    }

    private void validate() {
        if (edges < 1 || objects < 1 || requestsPerEdge < 1 || concurrency < 1 || bodyBytes < 0) {
            throw new IllegalArgumentException("--edges, --objects, --requests-per-edge and --concurrency must be at least 1");
        }
        DataSize.parse(edgeMemory);
        DataSize.parse(shieldMemory);
        DataSize.parse(shieldDisk);
    }

    private Scenario scenario(int[][] traces, boolean withShield) throws IOException, InterruptedException {
        AtomicLong originRequests = new AtomicLong();
        ByteBuffer body = ByteBuffer.allocateDirect(bodyBytes);
        body.put("x".repeat(bodyBytes).getBytes(StandardCharsets.US_ASCII)).flip();
        Undertow origin = Undertow.builder()
                .setIoThreads(1)
                .addHttpListener(0, "127.0.0.1")
                .setHandler(ex -> {
                    originRequests.incrementAndGet();
                    ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "max-age=86400");
                    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
                    ex.getResponseSender().send(body.duplicate());
                })
                .build();
        origin.start();
        String originUrl = "http://127.0.0.1:" + ((InetSocketAddress) origin.getListenerInfo().get(0).getAddress()).getPort();
        Path dir = Files.createTempDirectory("outpost-offload");
        List<EdgeNode> nodes = new ArrayList<>();
        OkHttpClient client = new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(edges * concurrency, 1, TimeUnit.MINUTES))
                .readTimeout(Duration.ofSeconds(60))
                .build();
        try {
            EdgeNode shield = null;
            if (withShield) {
                shield = node(dir, "shield-1", originUrl, shieldMemory, shieldDisk, Map.of("role", "shield"));
                nodes.add(shield);
            }
            List<EdgeNode> edgeNodes = new ArrayList<>();
            for (int i = 0; i < edges; i++) {
                Map<String, Object> extra = withShield
                        ? Map.of("shield", List.of("http://127.0.0.1:" + shield.port())) : Map.of();
                EdgeNode e = node(dir, "edge-" + (i + 1), originUrl, edgeMemory, "0", extra);
                edgeNodes.add(e);
                nodes.add(e);
            }
            AtomicLong errors = new AtomicLong();
            long t0 = System.nanoTime();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < edges; i++) {
                    int[] trace = traces[i];
                    int port = edgeNodes.get(i).port();
                    AtomicInteger next = new AtomicInteger();
                    for (int c = 0; c < concurrency; c++) {
                        clients.execute(() -> {
                            int n;
                            while ((n = next.getAndIncrement()) < trace.length) {
                                Request r = new Request.Builder().url("http://127.0.0.1:" + port + "/obj/" + trace[n])
                                        .header("Host", HOST).build();
                                try (Response resp = client.newCall(r).execute()) {
                                    resp.body().bytes();
                                    if (resp.code() != 200) {
                                        errors.incrementAndGet();
                                    }
                                } catch (IOException | RuntimeException e) {
                                    // any failure counts: one escaping would end this client's loop unseen
                                    errors.incrementAndGet();
                                }
                            }
                        });
                    }
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long clientRequests = (long) edges * requestsPerEdge;
            long hits = 0;
            long requests = 0;
            for (EdgeNode e : edgeNodes) {
                NodeStats s = e.stats();
                hits += s.hits() + s.revalidated();
                requests += cacheable(s);
            }
            Double shieldHitRatio = null;
            long shieldRequests = 0;
            if (shield != null) {
                NodeStats s = shield.stats();
                shieldRequests = cacheable(s); // the edges' health checks are not counted
                shieldHitRatio = round(s.hitRatio());
            }
            long fromOrigin = originRequests.get();
            return new Scenario(clientRequests, fromOrigin, round(fromOrigin == 0 ? clientRequests : (double) clientRequests / fromOrigin),
                    round(requests == 0 ? 0 : (double) hits / requests), shieldHitRatio, shieldRequests, errors.get(),
                    round(seconds));
        } finally {
            for (EdgeNode n : nodes.reversed()) {
                n.close();
            }
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
            origin.stop();
            deleteRecursively(dir);
        }
    }

    private static EdgeNode node(Path dir, String id, String originUrl, String memory, String disk,
                                 Map<String, Object> extra) throws IOException {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("node-id", id);
        flags.put("listen", "127.0.0.1:0");
        flags.put("admin", "127.0.0.1:0");
        flags.put("data-dir", dir.resolve(id).toString());
        flags.put("access-log", "off");
        flags.put("origin", originUrl);
        flags.put("cache.memory-size", memory);
        long mem = DataSize.parse(memory).bytes();
        flags.put("cache.memory-max-object", Math.min(mem, 64 * 1024) + "B");
        flags.put("cache.disk-size", disk);
        flags.putAll(extra);
        ConfigReader.Loaded<NodeConfig> loaded = ConfigReader.node().read(null, flags);
        return EdgeNode.start(loaded.value(), loaded.source(), InstantSource.system());
    }

    /** Requests answered from cache or fetched to be cached (not errors, not passes). */
    private static long cacheable(NodeStats s) {
        return s.hits() + s.misses() + s.revalidated();
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static void deleteRecursively(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir
        }
    }
}
