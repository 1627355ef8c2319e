package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The README's quick start, as an operator runs it: {@code deploy/local/fleet up} with the real
 * jars, GeoDNS answering each region's clients with that region's edge ({@code dig} when
 * installed, else dnsjava), a miss then a hit through an edge, {@code purge-cli purge url --wait}
 * then a miss, {@code purge-cli nodes} and {@code stats}, {@code fleet status}, {@code fleet down};
 * then a second start in the foreground that serves from the disk tier kept by the first, ended
 * by Ctrl-C (SIGINT) with every process gone.
 */
@Tag("e2e")
class LocalFleetEndToEndTest {

    private static final Path FLEET = DeployFiles.deploy().resolve("local/fleet");
    private static final Path CLI = DeployFiles.deploy().resolve("local/purge-cli");

    private static Path runDir;
    private static Map<String, String> env;
    private static final List<Long> pids = new ArrayList<>();

    @BeforeAll
    static void prepare() throws IOException {
        runDir = DeployFiles.deploy().resolve("target/fleet-e2e");
        deleteTree(runDir);
        env = new HashMap<>();
        env.put("OUTPOST_FLEET_RUN_DIR", runDir.toString());
        env.put("OUTPOST_FLEET_PORT_BASE", Integer.toString(freeBase()));
        env.put("OUTPOST_FLEET_START_TIMEOUT", "90");
    }

    @AfterAll
    static void tearDown() {
        if (env != null && Files.isDirectory(runDir.resolve("pids"))) {
            DeployFiles.run(Duration.ofSeconds(120), env, null, List.of(FLEET.toString(), "down"));
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** The jars answer --help with the contract's flags; until they do, this test cannot run. */
    private static void requireRealServices() {
        Path repo = DeployFiles.repo();
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("edge-node", "--control-plane");
        expected.put("control-plane", "--dns-listen");
        expected.put("purge-cli", "purge");
        expected.forEach((module, flag) -> {
            Path jar = repo.resolve(module + "/target/" + module + ".jar");
            Assumptions.assumeTrue(Files.isRegularFile(jar), jar + " is not built: run ./mvnw -q -DskipTests package");
            var help = DeployFiles.run(Duration.ofSeconds(60),
                    List.of(DeployFiles.java(), "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "--help"));
            Assumptions.assumeTrue(help.all().contains(flag),
                    module + " on this build does not offer " + flag + " yet (its --help: "
                            + help.all().strip().replace('\n', ' ') + "): the fleet test runs once it does");
        });
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void quickStartFlow() throws Exception {
        requireRealServices();
        // up: returns once every node is healthy, and says what to try
        var up = fleet(Duration.ofSeconds(150), "up");
        assertThat(up.exit()).as("fleet up\n%s", up).isZero();
        assertThat(up.stdout()).contains("dig @", "+subnet=", "purge url", "--wait", " nodes", " stats");
        JsonNode endpoints = DeployFiles.json(runDir.resolve("endpoints.json"));
        List<JsonNode> nodes = new ArrayList<>();
        endpoints.get("nodes").forEach(nodes::add);
        assertThat(nodes.stream().filter(n -> n.path("role").asText().equals("edge")).map(n -> n.path("region").asText())
                .distinct()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(nodes).anyMatch(n -> n.path("role").asText().equals("shield"));
        for (JsonNode n : nodes) {
            assertThat(n.path("address").asText()).startsWith("127.0.1.");
            assertThat(n.path("coordinates").asText()).matches("-?[0-9.]+,-?[0-9.]+");
            assertThat(LiveMetrics.ok(n.path("admin-url").asText() + "/healthz")).as("%s healthy", n.path("id")).isTrue();
            pids.add(n.path("pid").asLong());
        }
        pids.add(endpoints.at("/control-plane/pid").asLong());
        pids.add(endpoints.at("/origin/pid").asLong());
        assertThat(endpoints.path("token").asText()).hasSizeGreaterThanOrEqualTo(16);
        assertThat(Files.list(runDir.resolve("logs")).map(p -> p.getFileName().toString()))
                .contains("control-plane.log", "origin.log", "edge-us-east-1.log");

        // GeoDNS: each region's clients get that region's edge
        String zone = endpoints.path("zone").asText();
        int dnsPort = endpoints.at("/dns/port").asInt();
        String name = "www." + zone;
        endpoints.at("/dns/client-subnets").properties().forEach(e -> {
            String expected = nodes.stream().filter(n -> n.path("region").asText().equals(e.getKey())
                    && n.path("role").asText().equals("edge")).findFirst().orElseThrow().path("address").asText();
            List<String> answer = resolve(endpoints.at("/dns/address").asText(), dnsPort, name, e.getValue().asText());
            assertThat(answer).as("A %s for a client in %s (%s)", name, e.getKey(), e.getValue().asText())
                    .isNotEmpty().first().isEqualTo(expected);
        });

        // through the eu-west edge: a miss, then a hit with Age
        JsonNode edge = nodes.stream().filter(n -> n.path("region").asText().equals("eu-west")).findFirst().orElseThrow();
        String address = edge.path("address").asText();
        int port = Integer.parseInt(edge.path("url").asText().replaceAll(".*:", ""));
        String host = name + ":" + port;
        String url = "http://" + host + "/index.html";
        Response miss = get(address, port, host, "/index.html");
        assertThat(miss.status()).isEqualTo(200);
        assertThat(miss.header("cache-status")).as("first request").contains("fwd=");
        Response hit = get(address, port, host, "/index.html");
        assertThat(hit.status()).isEqualTo(200);
        assertThat(hit.header("cache-status")).as("second request").containsPattern(";\\s*hit");
        assertThat(hit.header("age")).as("Age of a hit").isNotNull();
        assertThat(hit.body()).isEqualTo(miss.body());
        assertThat(originRequests(endpoints, "/index.html")).as("the origin saw one request").isEqualTo(1);
        get(address, port, host, "/css/site.css"); // stored now, served from disk after the restart below

        // purge everywhere, wait for every ack, and the next request is a miss again
        var purge = cli(Duration.ofSeconds(60), "purge", "url", url, "--wait");
        assertThat(purge.exit()).as("purge-cli purge url --wait\n%s", purge).isZero();
        Response after = get(address, port, host, "/index.html");
        assertThat(after.status()).isEqualTo(200);
        assertThat(after.header("cache-status")).as("after the purge").contains("fwd=").doesNotContainPattern(";\\s*hit");
        assertThat(originRequests(endpoints, "/index.html")).isEqualTo(2);

        var nodesOut = cli(Duration.ofSeconds(60), "nodes");
        assertThat(nodesOut.exit()).as("purge-cli nodes\n%s", nodesOut).isZero();
        nodes.forEach(n -> assertThat(nodesOut.stdout()).contains(n.path("id").asText()));
        var stats = cli(Duration.ofSeconds(60), "stats");
        assertThat(stats.exit()).as("purge-cli stats\n%s", stats).isZero();

        var status = fleet(Duration.ofSeconds(60), "status");
        assertThat(status.exit()).as("fleet status\n%s", status).isZero();
        assertThat(status.stdout().lines().filter(l -> l.contains(" running ")).count()).isEqualTo(nodes.size() + 2);

        // down: every process ends, data stays
        var down = fleet(Duration.ofSeconds(120), "down");
        assertThat(down.exit()).as("fleet down\n%s", down).isZero();
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %s ended", pid).isFalse();
        }
        assertThat(fleet(Duration.ofSeconds(60), "status").exit()).isEqualTo(3);
        assertThat(runDir.resolve("data/" + edge.path("id").asText())).isDirectory();

        // up in the foreground: the disk tier kept the stylesheet; Ctrl-C ends everything
        Files.deleteIfExists(runDir.resolve("endpoints.json"));
        Path log = runDir.resolve("foreground.log");
        ProcessBuilder pb = new ProcessBuilder(FLEET.toString(), "up", "--foreground")
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Process foreground = pb.start();
        try {
            Await.until("the foreground fleet is up", Duration.ofSeconds(150), () -> {
                assertThat(foreground.isAlive()).as("foreground fleet runs: %s", read(log)).isTrue();
                return read(log).contains("Ctrl-C stops every process");
            });
            JsonNode second = DeployFiles.json(runDir.resolve("endpoints.json"));
            List<Long> secondPids = new ArrayList<>();
            second.get("nodes").forEach(n -> secondPids.add(n.path("pid").asLong()));
            secondPids.add(second.at("/control-plane/pid").asLong());
            secondPids.add(second.at("/origin/pid").asLong());
            pids.addAll(secondPids);
            Response warm = get(address, port, host, "/css/site.css");
            assertThat(warm.status()).isEqualTo(200);
            assertThat(warm.header("cache-status")).as("served from the data kept across restarts")
                    .containsPattern(";\\s*hit");

            // Ctrl-C is SIGINT; a shell cannot trap a signal it was started ignoring, which happens
            // when the build itself runs in the background: then the fleet gets SIGTERM, as from kill
            String signal = ignoresSigint() ? "-TERM" : "-INT";
            DeployFiles.run(Duration.ofSeconds(10), List.of("kill", signal, Long.toString(foreground.pid())));
            assertThat(foreground.waitFor(90, TimeUnit.SECONDS)).as("Ctrl-C ends the fleet: %s", read(log)).isTrue();
            for (long pid : secondPids) {
                assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                        .as("pid %s ended after Ctrl-C", pid).isFalse();
            }
            assertThat(read(log)).contains("stopping the fleet");
        } finally {
            foreground.destroyForcibly();
        }
    }

    // ---------------------------------------------------------------------------------------

    private static DeployFiles.Result fleet(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(FLEET.toString()));
        cmd.addAll(List.of(args));
        return DeployFiles.run(timeout, env, null, cmd);
    }

    private static DeployFiles.Result cli(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(CLI.toString()));
        cmd.addAll(List.of(args));
        return DeployFiles.run(timeout, env, null, cmd);
    }

    private static long originRequests(JsonNode endpoints, String path) throws Exception {
        var r = LiveMetrics.HTTP.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(endpoints.at("/origin/url").asText() + "/_origin/stats")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return DeployFiles.JSON.readTree(r.body()).path("requests").path(path).asLong();
    }

    /** A addresses for {@code name} as a client in {@code subnet} sees them: dig when installed, else dnsjava. */
    static List<String> resolve(String server, int port, String name, String subnet) {
        if (Files.isExecutable(Path.of("/usr/bin/dig"))) {
            var r = DeployFiles.run(Duration.ofSeconds(20), List.of("dig", "@" + server, "-p", Integer.toString(port),
                    name, "A", "+subnet=" + subnet, "+short", "+tries=2", "+time=3"));
            assertThat(r.exit()).as("dig\n%s", r).isZero();
            return r.stdout().lines().map(String::strip).filter(l -> l.matches("[0-9.]+")).toList();
        }
        try {
            SimpleResolver resolver = new SimpleResolver(server);
            resolver.setPort(port);
            resolver.setTimeout(Duration.ofSeconds(3));
            String[] net = subnet.split("/");
            Message query = Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN));
            List<EDNSOption> options = List.of(new ClientSubnetOption(Integer.parseInt(net[1]), InetAddress.getByName(net[0])));
            query.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 0, 0, options), Section.ADDITIONAL);
            Message response = resolver.send(query);
            return response.getSection(Section.ANSWER).stream().filter(r -> r instanceof ARecord)
                    .map(r -> ((ARecord) r).getAddress().getHostAddress()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One HTTP/1.1 exchange over a plain socket to {@code address}, with {@code host} as the Host header. */
    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    static Response get(String address, int port, String host, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 3000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: outpost-fleet-test\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            byte[] bytes = all.toByteArray();
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            assertThat(end).as("a complete response head from %s:%s%s", address, port, path).isPositive();
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.merge(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip(), (a, b) -> a + ", " + b);
            }
            byte[] body = java.util.Arrays.copyOfRange(bytes, end + 4, bytes.length);
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = dechunk(body);
            }
            return new Response(Integer.parseInt(lines[0].substring(9, 12)), headers, body);
        }
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < chunked.length) {
            int lineEnd = i;
            while (chunked[lineEnd] != '\r') {
                lineEnd++;
            }
            String sizeText = new String(chunked, i, lineEnd - i, StandardCharsets.ISO_8859_1);
            int size = Integer.parseInt(sizeText.split(";")[0].strip(), 16);
            if (size == 0) {
                break;
            }
            out.write(chunked, lineEnd + 2, size);
            i = lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    /** Whether this JVM was started with SIGINT ignored (its children then inherit that). */
    private static boolean ignoresSigint() {
        for (String line : read(Path.of("/proc/self/status")).split("\n")) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseLong(line.substring(7).strip(), 16) & 0x2) != 0;
            }
        }
        return false;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** A port base whose fleet ports are all free on the addresses the fleet binds. */
    private static int freeBase() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20_000 + ThreadLocalRandom.current().nextInt(120) * 100; // below the ephemeral range (32768+)
            if (free("127.0.0.1", base) && free("127.0.0.1", base + 90) && udpFree(base + 53) && free("127.0.0.1", base + 53)
                    && List.of("127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.10").stream()
                    .allMatch(a -> free(a, base + 80) && free(a, base + 81))) {
                return base;
            }
        }
        throw new AssertionError("no free port range for the fleet");
    }

    private static boolean free(String address, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(address, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean udpFree(int port) {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
