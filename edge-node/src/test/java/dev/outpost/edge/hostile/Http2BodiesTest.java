package dev.outpost.edge.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.edge.TestEdge;
import dev.outpost.edge.hardening.HoldingOrigin;
import dev.outpost.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
        try (CuttingOrigin origin = new CuttingOrigin(SIZE, 1_000_000);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            for (int i = 1; i <= 2; i++) {
                CompletableFuture<HttpResponse<byte[]>> answer = h2Get(edge, "/cut");
                assertThatThrownBy(() -> answer.get(BOUND_SECONDS, TimeUnit.SECONDS))
                        .as("the stream is reset: the client sees an incomplete response at once")
                        .isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(IOException.class);
                assertThat(origin.requests.get()).as("nothing of the cut response stored: asked again").isEqualTo(i);
            }
        }
    }

    private static CompletableFuture<HttpResponse<byte[]>> h2Get(TestEdge edge, String path) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()
                .sendAsync(HttpRequest.newBuilder(edge.uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * An origin that announces {@code declared} bytes of a cacheable body, sends {@code sent} of
     * them and closes the connection.
     */
    private static final class CuttingOrigin implements AutoCloseable {
        private final ServerSocket server;
        final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();

        CuttingOrigin(int declared, int sent) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> {
                            requests.incrementAndGet();
                            answer(s, declared, sent);
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        private static void answer(Socket s, int declared, int sent) {
            try (s) {
                readHead(s.getInputStream());
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + declared + "\r\nCache-Control: max-age=600\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(new byte[sent]);
                out.flush();
            } catch (IOException e) {
                // the node went away
            }
        }

        private static void readHead(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int last4 = 0;
            int c;
            while ((c = in.read()) >= 0) {
                b.write(c);
                last4 = (last4 << 8) | c;
                if (last4 == 0x0d0a0d0a) {
                    return;
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
