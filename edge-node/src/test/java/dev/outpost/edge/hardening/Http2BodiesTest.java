package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 responses whose body is larger than the stream's buffers, in the two places they used
 * to hang: collapsed waiters answered from another request's fill (their writes stalled until
 * the idle timeout, 60 s, because the wait for the client was deferred until a handler call
 * that was parked on it returned), and a response cut off mid-body by the origin (the stream
 * was never reset, so the client waited for the rest for good). The clients are the JDK's, on
 * HTTP/2 over cleartext (h2c upgrade), each on its own connection.
 */
class Http2BodiesTest {

    private static final int SIZE = 4_000_000;
    /** Well under the idle timeout (60 s) that ended the stalled writes. */
    private static final long BOUND_SECONDS = 30;

    @Test
    void collapsedHttp2WaitersGetALargeBodyWithoutWaitingForTheIdleTimeout() throws Exception {
        try (HoldingOrigin origin = new HoldingOrigin(2_000, SIZE);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            List<CompletableFuture<HttpResponse<byte[]>>> answers = new ArrayList<>();
            answers.add(h2Get(edge, "/slow/fill/large"));
            Await.until("the leader's request at the origin", Duration.ofSeconds(30), () -> origin.started.get() == 1);
            for (int i = 0; i < 3; i++) {
                answers.add(h2Get(edge, "/slow/fill/large"));
            }
            for (CompletableFuture<HttpResponse<byte[]>> answer : answers) {
                HttpResponse<byte[]> r = answer.get(BOUND_SECONDS, TimeUnit.SECONDS);
                assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).hasSize(SIZE);
            }
            assertThat(origin.requests("/slow/fill/large")).as("one origin request for all four").isEqualTo(1);
            long collapsed = answers.stream().map(CompletableFuture::join)
                    .filter(r -> r.headers().firstValue("Cache-Status").orElse("").contains("collapsed")).count();
            assertThat(collapsed).as("waiters answered from the leader's fill").isPositive();
        }
    }

    @Test
    void anHttp2ResponseTheOriginCutsShortIsResetNotLeftOpen() throws Exception {
        // announces SIZE bytes of a cacheable body, sends 1 MB of them and closes the connection
        try (ScriptedOrigin origin = new ScriptedOrigin((req, out) -> {
                 out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + SIZE + "\r\nCache-Control: max-age=600\r\n\r\n")
                         .getBytes(StandardCharsets.ISO_8859_1));
                 out.write(new byte[1_000_000]);
                 return false;
             });
             TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).start()) {
            for (int i = 1; i <= 2; i++) {
                CompletableFuture<HttpResponse<byte[]>> answer = h2Get(edge, "/cut");
                assertThatThrownBy(() -> answer.get(BOUND_SECONDS, TimeUnit.SECONDS))
                        .as("the stream is reset: the client sees an incomplete response at once")
                        .isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(IOException.class);
                assertThat(origin.requests()).as("nothing of the cut response stored: asked again").hasSize(i);
            }
        }
    }

    private static CompletableFuture<HttpResponse<byte[]>> h2Get(TestEdge edge, String path) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()
                .sendAsync(HttpRequest.newBuilder(edge.uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
