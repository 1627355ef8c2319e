package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.HttpHeaders;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.outpost.edge.http.HttpDates;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a WireMock origin live on the test's {@link ManualClock}: every response gets a
 * {@code Date} of the clock's time (unless the stub sets one, or sends {@link #NO_DATE}), and a
 * stub with {@link #THINK} advances the clock by that many seconds while "thinking", so the
 * edge sees a response delay (RFC 9111 §4.2.3) without the test sleeping.
 */
final class OriginClock implements ResponseDefinitionTransformerV2 {

    /** Stub header: send no Date at all. */
    static final String NO_DATE = "X-Test-No-Date";
    /** Stub header: advance the clock by this many seconds before answering. */
    static final String THINK = "X-Test-Think-Seconds";

    private final ManualClock clock;

    private OriginClock(ManualClock clock) {
        this.clock = clock;
    }

    /** A WireMock origin on a dynamic port whose dates follow {@code clock}. */
    static OriginExtension origin(ManualClock clock) {
        return new OriginExtension(options(clock));
    }

    /** The options of such an origin, for tests that need more (e.g. more server threads). */
    static WireMockConfiguration options(ManualClock clock) {
        return wireMockConfig().dynamicPort().gzipDisabled(true).extensions(new OriginClock(clock));
    }

    @Override
    public String getName() {
        return "origin-clock";
    }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
        ResponseDefinition def = event.getResponseDefinition();
        HttpHeaders headers = def.getHeaders() == null ? new HttpHeaders() : def.getHeaders();
        List<HttpHeader> out = new ArrayList<>();
        boolean date = false;
        boolean noDate = false;
        for (HttpHeader h : headers.all()) {
            if (h.keyEquals(THINK)) {
                clock.advanceSeconds(Long.parseLong(h.firstValue()));
            } else if (h.keyEquals(NO_DATE)) {
                noDate = true;
            } else {
                date |= h.keyEquals("Date");
                out.add(h);
            }
        }
        if (!date && !noDate) {
            out.add(new HttpHeader("Date", HttpDates.format(clock.millis())));
        }
        return ResponseDefinitionBuilder.like(def).but().withHeaders(new HttpHeaders(out)).build();
    }
}
