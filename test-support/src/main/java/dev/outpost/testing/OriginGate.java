package dev.outpost.testing;

import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Holds the answers of the WireMock stubs that name it ({@code .withTransformers(OriginGate.NAME)})
 * until the test opens it. A test that must show a client was served without waiting for the
 * origin keeps the gate shut while it collects the answers, instead of giving the origin a delay
 * and timing the clients against it.
 *
 * <pre>{@code
 * static final OriginGate GATE = new OriginGate();
 * @RegisterExtension
 * static final OriginExtension origin = new OriginExtension(wireMockConfig().dynamicPort().extensions(GATE));
 * }</pre>
 */
public final class OriginGate implements ResponseDefinitionTransformerV2 {

    public static final String NAME = "origin-gate";
    /** How long a held answer waits at most, so a test that never opens the gate still ends. */
    private static final long LIMIT_SECONDS = 60;

    private final CountDownLatch open = new CountDownLatch(1);
    private final AtomicInteger arrived = new AtomicInteger();

    /** Lets every held answer and every later one through. */
    public void open() {
        open.countDown();
    }

    /** Requests that reached the gate, let through or not. */
    public int arrived() {
        return arrived.get();
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public boolean applyGlobally() {
        return false;
    }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
        arrived.incrementAndGet();
        try {
            open.await(LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return event.getResponseDefinition();
    }
}
