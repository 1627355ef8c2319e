package dev.outpost.edge.origin;

import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.OutpostJson;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.PrometheusText;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import okhttp3.OkHttpClient;

/**
 * Pools built from a YAML delivery config (the real reader's conventions), on a manual clock,
 * with a Prometheus registry to read meters back from.
 */
final class PoolFixture implements AutoCloseable {

    final ManualClock clock = new ManualClock();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final Pools pools;

    PoolFixture() {
        this(Origins.baseClient());
    }

    PoolFixture(OkHttpClient base) {
        this.pools = new Pools(base, clock, registry);
    }

    /** The origins of a YAML delivery config ({@code origins: [...]}). */
    Origins origins(String yaml) {
        try {
            return pools.origins(OutpostJson.yaml().readValue(yaml, DeliveryConfig.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pool {@code default} of a YAML origin list. */
    OriginPool pool(String yaml) {
        return origins(yaml).pool("default");
    }

    static UpstreamRequest get(String target) {
        return request("GET", target, target, "192.0.2.1");
    }

    static UpstreamRequest request(String method, String target, String key, String clientIp) {
        return new UpstreamRequest(method, target, List.of("Host"), List.of("www.example.com"),
                method.equals("POST") ? okhttp3.RequestBody.create("x".getBytes(StandardCharsets.UTF_8)) : null,
                key, clientIp, "default");
    }

    /** Fetches and returns the label of the server that answered (and its status), closing the response. */
    static Answer fetch(Upstream pool, UpstreamRequest r) throws UpstreamException {
        try (UpstreamResponse resp = pool.fetch(r)) {
            String body;
            try {
                body = new String(resp.body().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Answer(resp.server(), resp.status(), body);
        }
    }

    record Answer(String server, int status, String body) {
    }

    /** One Prometheus sample, e.g. {@code outpost_origin_server_up{origin="default",server="..."}}; NaN if absent. */
    double metric(String name, String... labels) {
        return PrometheusText.sum(registry.scrape(), name, labels);
    }

    @Override
    public void close() {
        pools.close();
        registry.close();
    }
}
