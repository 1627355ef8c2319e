package dev.outpost.edge.shield;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge's health probes of its shield are not the shield's traffic: on a real edge and shield,
 * the shield's /stats, request metrics and access log show only the client's request, while
 * {@code outpost_health_checks_total} counts the probes. (Before, each probe was a request to
 * {@code /} for the shield's own address: 421 for a shield with {@code hosts}, an error.)
 */
class HealthProbeTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @TempDir
    Path dir;

    @Test
    void probesAreCountedApartFromRequestsErrorsAndTheAccessLog() throws Exception {
        origin.stubFor(get("/a.css").willReturn(aResponse().withHeader("Cache-Control", "max-age=300").withBody("body")));
        Path log = dir.resolve("shield-access.log");
        try (TestEdge shield = TestEdge.withOrigin(origin.baseUrl()).flag("role", "shield").flag("node-id", "shield-1")
                .flag("hosts", List.of("www.example.com")).flag("access-log", log.toString()).start();
             TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).flag("node-id", "edge-1")
                     .flag("hosts", List.of("www.example.com")).flag("shield", List.of(shield.uri("").toString())).start()) {
            HttpResponse<String> r = edge.get("/a.css", "Host", "www.example.com");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Cache-Status").orElse("")).contains("shield-1");

            Await.until("the edge has probed its shield three times", Duration.ofSeconds(60), () -> {
                edge.clock().advanceSeconds(3); // each turn makes a check due (every 2s of the edge's clock)
                return shield.metric("outpost_health_checks_total") >= 3;
            });
            assertThat(edge.metric("outpost_shield_up", "shield", shield.uri("").toString())).isEqualTo(1.0);

            JsonNode stats = OutpostJson.json().readTree(shield.admin("/stats").body());
            assertThat(stats.get("requests").asLong()).as("only the client's request").isEqualTo(1);
            assertThat(stats.get("errors").asLong()).isZero();
            assertThat(shield.metric("outpost_requests_total")).isEqualTo(1.0);
            assertThat(shield.metric("outpost_requests_total", "cache", "error")).isZero();
            Await.until("the client's request is logged", Duration.ofSeconds(30), () -> !lines(log).isEmpty());
            assertThat(Files.readAllLines(log)).hasSize(1).allSatisfy(l -> assertThat(l).contains("/a.css")
                    .doesNotContain(HealthProbe.PATH));
            origin.verify(1, anyRequestedFor(anyUrl()));
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void anyNodeAnswersTheProbeWhateverItsHosts() throws Exception {
        try (TestEdge node = TestEdge.withOrigin(origin.baseUrl()).flag("hosts", List.of("www.example.com")).start()) {
            HttpResponse<String> probe = node.get(HealthProbe.PATH);
            assertThat(probe.statusCode()).isEqualTo(200);
            assertThat(probe.body()).isEqualTo("ok\n");
            assertThat(probe.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(node.send("HEAD", HealthProbe.PATH, null).statusCode()).isEqualTo(200);
            assertThat(node.metric("outpost_health_checks_total")).isEqualTo(2.0);
            assertThat(node.metric("outpost_requests_total")).isZero();
            assertThat(node.get(HealthProbe.PATH + "?x=1").statusCode()).as("with a query it is a request like any other")
                    .isEqualTo(421);
            assertThat(Upstreams.shieldPool(List.of("http://s:8080"), dev.outpost.config.DeliveryConfig.EMPTY)
                    .healthCheck().path()).isEqualTo(HealthProbe.PATH);
        }
    }
}
