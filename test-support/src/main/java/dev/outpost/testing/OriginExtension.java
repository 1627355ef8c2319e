package dev.outpost.testing;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.junit.DslWrapper;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A WireMock origin on port 0 for a test class (static field) or for each test (instance field),
 * with WireMock's whole stubbing and verification DSL: {@code origin.stubFor(...)},
 * {@code origin.verify(...)}, {@code origin.findAll(...)}. Stubs and the request journal are
 * reset before each test, as WireMock's own {@code WireMockExtension} does.
 *
 * <p>It exists because a node under test is started by another extension that needs the
 * origin's URL, and JUnit does not promise the order in which it runs the extensions of one
 * class: {@link #baseUrl()} starts the origin if it is not running yet, so whichever extension
 * comes first finds it serving.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final OriginExtension origin = new OriginExtension();
 * }</pre>
 */
public final class OriginExtension extends DslWrapper
        implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private final WireMockConfiguration options;
    private WireMockServer server;
    private boolean perClass;

    /** An origin with WireMock's defaults on a free port. */
    public OriginExtension() {
        this(wireMockConfig().dynamicPort());
    }

    /** An origin with the given options (give them a dynamic port). */
    public OriginExtension(WireMockConfiguration options) {
        this.options = options;
    }

    /** Starts the origin unless it is running. */
    public synchronized OriginExtension start() {
        if (server == null || !server.isRunning()) {
            server = new WireMockServer(options);
            server.start();
            admin = server;
            stubbing = server;
        }
        return this;
    }

    /** {@code http://localhost:PORT}, starting the origin if needed. */
    public String baseUrl() {
        return start().server.baseUrl();
    }

    /** The base URL followed by {@code path}. */
    public String url(String path) {
        return baseUrl() + path;
    }

    public int port() {
        return start().server.port();
    }

    private synchronized void stop() {
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        start();
        resetToDefaultMappings();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            stop();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }
}
