package dev.outpost.edge;

import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link TestEdge} started for a test class (static field) or for each test (instance field)
 * and closed after it, with the edge's request methods. A test declares the node it runs
 * against beside its origin, as Armeria's tests declare a server, instead of starting and
 * closing one by hand in {@code @BeforeAll} and {@code @AfterAll}.
 *
 * <p>JUnit does not promise the order in which it runs the extensions of one class, so the
 * builder is asked for only when the node starts, and the node starts when it is first used if
 * its own callback has not come yet: the builder may read the URL of an origin or of another
 * edge registered in the same class ({@link OriginExtension} starts the same way).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final OriginExtension origin = new OriginExtension();
 * @RegisterExtension
 * static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).yaml("..."));
 * }</pre>
 */
public final class EdgeExtension implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private final Supplier<TestEdge.Builder> builder;
    private TestEdge edge;
    private boolean perClass;

    public EdgeExtension(Supplier<TestEdge.Builder> builder) {
        this.builder = builder;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        edge();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        edge();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            close();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    private synchronized void close() {
        if (edge != null) {
            edge.close();
            edge = null;
        }
    }

    /** The running edge (started if it is not yet), for what the methods below do not cover. */
    public synchronized TestEdge edge() {
        if (edge == null) {
            edge = builder.get().start();
        }
        return edge;
    }

    /** Stops the node and starts a new one on the same data directory, config and ports. */
    public EdgeExtension restart() {
        edge().restart();
        return this;
    }

    public EdgeNode node() {
        return edge().node();
    }

    public ManualClock clock() {
        return edge().clock();
    }

    public Path dataDir() {
        return edge().dataDir();
    }

    public int port() {
        return edge().port();
    }

    public URI uri(String path) {
        return edge().uri(path);
    }

    public String adminUrl(String path) {
        return edge().adminUrl(path);
    }

    /** GET with header name/value pairs. */
    public HttpResponse<String> get(String path, String... headers) {
        return edge().get(path, headers);
    }

    public HttpResponse<byte[]> getBytes(String path, String... headers) {
        return edge().getBytes(path, headers);
    }

    public HttpResponse<String> send(String method, String path, String body, String... headers) {
        return edge().send(method, path, body, headers);
    }

    /** GET on the admin listener. */
    public HttpResponse<String> admin(String path) {
        return edge().admin(path);
    }

    /** POST a JSON document to the admin listener. */
    public HttpResponse<String> adminPost(String path, String json, String... headers) {
        return edge().adminPost(path, json, headers);
    }

    /** The value of one Prometheus sample from {@code /metrics}; see {@link TestEdge#metric}. */
    public double metric(String name, String... labels) {
        return edge().metric(name, labels);
    }
}
