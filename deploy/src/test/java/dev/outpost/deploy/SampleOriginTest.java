package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Await;
import dev.outpost.testing.Ports;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled sample origin, run as the quick start runs it ({@code java SampleOrigin.java
 * --listen HOST:PORT}) and spoken to over a real socket: validators, 304s, ranges, the cookie
 * page, the slow page, 404s and the operator endpoints.
 */
class SampleOriginTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    private static Process origin;
    private static String base;

    @BeforeAll
    static void start(@TempDir Path work) throws Exception {
        int port = Ports.free();
        base = "http://127.0.0.1:" + port;
        origin = new ProcessBuilder(DeployFiles.java(), "-Djava.awt.headless=true",
                DeployFiles.deploy().resolve("local/sample-origin/SampleOrigin.java").toString(),
                "--listen", "127.0.0.1:" + port, "--slow-ms", "700", "--large-size", "1MiB")
                .redirectErrorStream(true).redirectOutput(work.resolve("origin.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        Await.until("sample origin started", Duration.ofSeconds(60),
                () -> !origin.isAlive() || LiveMetrics.ok(base + "/_origin/healthz"));
        assertThat(origin.isAlive()).as("sample origin is running").isTrue();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (origin != null) {
            origin.destroy();
            assertThat(origin.waitFor(20, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
        }
    }

    private static HttpResponse<byte[]> get(String path, String... headers) throws IOException, InterruptedException {
        return send("GET", path, headers);
    }

    private static HttpResponse<byte[]> send(String method, String path, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    @Test
    void everyFileCarriesValidatorsCachePolicyAndSurrogateKeys() throws Exception {
        for (String path : List.of("/", "/index.html", "/about.html", "/css/site.css", "/js/app.js", "/img/logo.svg",
                "/img/hero.png", "/api/config.json", "/downloads/big.bin")) {
            HttpResponse<byte[]> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(header(r, "ETag")).as("ETag of %s", path).matches("\"[0-9a-f]{20}\"");
            assertThat(ZonedDateTime.parse(header(r, "Last-Modified"), HTTP_DATE.withZone(ZoneOffset.UTC)))
                    .as("Last-Modified of %s", path).isNotNull();
            assertThat(header(r, "Cache-Control")).as("Cache-Control of %s", path).startsWith("public");
            assertThat(header(r, "Surrogate-Key")).as("Surrogate-Key of %s", path).isNotBlank();
            assertThat(Long.parseLong(header(r, "Content-Length"))).isEqualTo(r.body().length);
        }
        assertThat(header(get("/index.html"), "Cache-Control")).contains("s-maxage=300", "stale-while-revalidate=60");
        assertThat(header(get("/api/config.json"), "Cache-Control")).contains("no-cache");
        HttpResponse<byte[]> png = get("/img/hero.png");
        assertThat(header(png, "Content-Type")).isEqualTo("image/png");
        assertThat(png.body()).startsWith(0x89, 'P', 'N', 'G');
        assertThat(get("/downloads/big.bin").body()).hasSize(1 << 20);
        assertThat(get("/index.html").body()).isEqualTo(get("/").body());
    }

    @Test
    void conditionalRequestsGet304() throws Exception {
        HttpResponse<byte[]> full = get("/css/site.css");
        String etag = header(full, "ETag");
        HttpResponse<byte[]> inm = get("/css/site.css", "If-None-Match", "\"other\", W/" + etag);
        assertThat(inm.statusCode()).isEqualTo(304);
        assertThat(inm.body()).isEmpty();
        assertThat(header(inm, "ETag")).isEqualTo(etag);
        assertThat(header(inm, "Cache-Control")).isEqualTo(header(full, "Cache-Control"));
        assertThat(get("/css/site.css", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);

        Instant modified = ZonedDateTime.parse(header(full, "Last-Modified"), HTTP_DATE.withZone(ZoneOffset.UTC)).toInstant();
        String same = HTTP_DATE.format(modified.atOffset(ZoneOffset.UTC));
        String before = HTTP_DATE.format(modified.minusSeconds(1).atOffset(ZoneOffset.UTC));
        assertThat(get("/css/site.css", "If-Modified-Since", same).statusCode()).isEqualTo(304);
        assertThat(get("/css/site.css", "If-Modified-Since", before).statusCode()).isEqualTo(200);
        assertThat(get("/css/site.css", "If-Modified-Since", "yesterday").statusCode()).isEqualTo(200);
        // If-None-Match decides when both are present
        assertThat(get("/css/site.css", "If-None-Match", "\"other\"", "If-Modified-Since", same).statusCode()).isEqualTo(200);
    }

    @Test
    void rangesOfTheLargeFile() throws Exception {
        byte[] whole = get("/downloads/big.bin").body();
        HttpResponse<byte[]> part = get("/downloads/big.bin", "Range", "bytes=100-199");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(header(part, "Content-Range")).isEqualTo("bytes 100-199/" + whole.length);
        assertThat(part.body()).isEqualTo(java.util.Arrays.copyOfRange(whole, 100, 200));
        assertThat(get("/downloads/big.bin", "Range", "bytes=-10").body())
                .isEqualTo(java.util.Arrays.copyOfRange(whole, whole.length - 10, whole.length));
        assertThat(get("/downloads/big.bin", "Range", "bytes=" + whole.length + "-").statusCode()).isEqualTo(416);
    }

    @Test
    void privatePageSetsACookieAndIsNeverShared() throws Exception {
        HttpResponse<byte[]> a = get("/private");
        HttpResponse<byte[]> b = get("/private");
        assertThat(a.statusCode()).isEqualTo(200);
        assertThat(header(a, "Cache-Control")).contains("private");
        assertThat(header(a, "Set-Cookie")).startsWith("session=").contains("HttpOnly");
        assertThat(header(b, "Set-Cookie")).isNotEqualTo(header(a, "Set-Cookie"));
    }

    @Test
    void slowPageAnswersLateAndUnknownPathsAre404() throws Exception {
        long started = System.nanoTime(); // wall clock: the origin is another process that sleeps for real
        HttpResponse<byte[]> slow = get("/slow");
        assertThat(slow.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(700));
        assertThat(header(slow, "Cache-Control")).contains("max-age=30");
        assertThat(get("/slow?ms=0").statusCode()).isEqualTo(200);
        HttpResponse<byte[]> missing = get("/nothing-here");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(header(missing, "Cache-Control")).isEqualTo("public, max-age=10");
        assertThat(send("POST", "/index.html").statusCode()).isEqualTo(405);
        HttpResponse<byte[]> head = send("HEAD", "/js/app.js");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(header(head, "ETag")).isEqualTo(header(get("/js/app.js"), "ETag"));
    }

    @Test
    void bumpPublishesANewVersionAndStatsCountRequests() throws Exception {
        HttpResponse<byte[]> before = get("/about.html");
        long count = Long.parseLong(header(before, "X-Origin-Requests"));
        HttpResponse<byte[]> bump = send("POST", "/_origin/bump?path=/about.html");
        assertThat(bump.statusCode()).isEqualTo(200);
        HttpResponse<byte[]> after = get("/about.html");
        assertThat(header(after, "ETag")).isNotEqualTo(header(before, "ETag"));
        assertThat(header(after, "Last-Modified")).isNotEqualTo(header(before, "Last-Modified"));
        assertThat(get("/about.html", "If-None-Match", header(before, "ETag")).statusCode()).isEqualTo(200);
        assertThat(Long.parseLong(header(after, "X-Origin-Requests"))).isEqualTo(count + 1);
        String stats = new String(get("/_origin/stats").body());
        assertThat(DeployFiles.JSON.readTree(stats).at("/requests/~1about.html").asLong()).isGreaterThanOrEqualTo(count + 2);
        assertThat(send("POST", "/_origin/bump?path=/nope").statusCode()).isEqualTo(404);
    }

    @Test
    void badArgumentsGetOneLineAndExitCode2() {
        var r = DeployFiles.run(Duration.ofSeconds(60), List.of(DeployFiles.java(),
                DeployFiles.deploy().resolve("local/sample-origin/SampleOrigin.java").toString(), "--listen", "nowhere"));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr().strip()).doesNotContain("\n").startsWith("sample-origin: ").contains("HOST:PORT");
        var help = DeployFiles.run(Duration.ofSeconds(60), List.of(DeployFiles.java(),
                DeployFiles.deploy().resolve("local/sample-origin/SampleOrigin.java").toString(), "--help"));
        assertThat(help.exit()).isZero();
        assertThat(help.stdout()).contains("--listen", "--slow-ms");
    }
}
