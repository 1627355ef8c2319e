package dev.outpost.edge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Graceful shutdown: in-flight responses finish, new connections are refused, the disk tier closes cleanly. */
class ShutdownTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @TempDir
    Path tmp;

    @Test
    void inFlightRequestFinishesDuringShutdown() throws Exception {
        origin.stubFor(get("/slow").willReturn(aResponse().withFixedDelay(1500).withHeader("Cache-Control", "max-age=60")
                .withBody("finished")));
        TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).start();
        int port = edge.port();
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> edge.get("/slow"));
        Await.until("origin got the request", Duration.ofSeconds(10),
                () -> !origin.findAll(getRequestedFor(urlEqualTo("/slow"))).isEmpty());
        edge.stop();
        HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("finished");
        assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", port), 1000))
                .isInstanceOf(ConnectException.class);
        edge.restart();
        assertThat(edge.get("/slow").headers().firstValue("Cache-Status").orElseThrow()).startsWith("edge-test; hit");
        edge.close();
    }

    @Test
    void sigtermFinishesInFlightAndExits() throws Exception {
        try (BlobOrigin blobs = new BlobOrigin();
             EdgeProcess edge = EdgeProcess.edge(blobs.baseUrl(), Files.createDirectories(tmp.resolve("data")), List.of())) {
            edge.start();
            blobs.holdAfter(100_000);
            CompletableFuture<EdgeProcess.Checked> inFlight = CompletableFuture.supplyAsync(() -> {
                try {
                    return edge.get("/blob/300000/5");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            assertThat(blobs.awaitHeld(30, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(edge::terminate);
            Await.until("shutdown began", Duration.ofSeconds(10), () -> edge.logText().contains("shutting down"));
            blobs.release();
            EdgeProcess.Checked r = inFlight.get(30, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.crc()).isEqualTo(BlobOrigin.crcOf(300000, 5));
            assertThat(exit.get(30, TimeUnit.SECONDS)).isIn(0, 143);
            assertThat(edge.logText()).contains("node edge-child stopped");
        }
    }
}
