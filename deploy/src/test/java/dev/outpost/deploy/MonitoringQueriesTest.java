package dev.outpost.deploy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard and the Prometheus rules query only what exists: every recorded series
 * they use is recorded by a rule, and every raw metric (with the labels matched on it) is one the
 * real edge node and control plane export after serving a miss and a hit. Where a service is
 * still a shell on this branch, its names are checked against src/test/resources/metric-contract.txt
 * (DESIGN.md's contract list) instead, and the test says so.
 */
class MonitoringQueriesTest {

    /** Series Prometheus makes itself, and labels the scrape configs attach to every target. */
    private static final Set<String> PROMETHEUS_SERIES = Set.of("up");
    private static final Set<String> TARGET_LABELS = Set.of("node", "region", "role", "job", "instance");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan");

    private static final Pattern IDENT = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");

    private static final Map<String, String> queries = new LinkedHashMap<>();
    private static final Map<String, String> records = new HashMap<>();
    private static JsonNode dashboard;

    /** name -> label names, from the real processes that run on this build. */
    private static final Map<String, Set<String>> exported = new HashMap<>();
    /** Names from the contract list, for the services that do not run yet. */
    private static final Set<String> contracted = new HashSet<>();
    private static final List<String> notes = new ArrayList<>();

    @BeforeAll
    static void read(@TempDir Path work) throws Exception {
        Path deploy = DeployFiles.deploy();
        JsonNode rules = DeployFiles.yaml(deploy.resolve("prometheus/outpost-rules.yml"));
        for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                String expr = rule.get("expr").asText();
                if (rule.has("record")) {
                    assertThat(records.put(rule.get("record").asText(), expr)).as("recorded once").isNull();
                    queries.put("rule " + rule.get("record").asText(), expr);
                } else {
                    queries.put("alert " + rule.get("alert").asText(), expr);
                }
            }
        }
        dashboard = DeployFiles.json(deploy.resolve("grafana/dashboards/outpost.json"));
        collectPanels(dashboard.get("panels"));
        for (JsonNode v : dashboard.at("/templating/list")) {
            String q = v.path("query").isObject() ? v.at("/query/query").asText() : v.path("query").asText();
            Matcher m = Pattern.compile("label_values\\((.*),\\s*\\w+\\)").matcher(q);
            if (m.matches()) {
                queries.put("variable " + v.get("name").asText(), m.group(1));
            }
        }
        scrapeRealProcesses(work);
    }

    private static void collectPanels(JsonNode panels) {
        for (JsonNode p : panels) {
            for (JsonNode t : p.path("targets")) {
                queries.put("panel '" + p.path("title").asText() + "' " + t.path("refId").asText(), t.path("expr").asText());
            }
            collectPanels(p.path("panels"));
        }
    }

    private static void scrapeRealProcesses(Path work) throws Exception {
        Path repo = DeployFiles.repo();

        WireMockServer origin = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        origin.start();
        try {
            origin.stubFor(get(urlPathMatching("/.*")).willReturn(aResponse().withStatus(200)
                    .withHeader("Cache-Control", "public, max-age=60").withHeader("Content-Type", "text/plain")
                    .withHeader("ETag", "\"v1\"").withBody("hello from the origin\n")));
            int listen = LiveMetrics.port();
            int admin = LiveMetrics.port();
            Files.createDirectories(work.resolve("edge-data"));
            var edge = LiveMetrics.scrape(repo.resolve("edge-node/target/edge-node.jar"), work, "edge-node",
                    List.of("--origin", origin.baseUrl(), "--listen", LiveMetrics.loopback(listen),
                            "--admin", LiveMetrics.loopback(admin), "--data-dir", work.resolve("edge-data").toString(),
                            "--node-id", "metrics-test"),
                    "http://127.0.0.1:" + admin + "/healthz", "http://127.0.0.1:" + admin + "/metrics",
                    "http://127.0.0.1:" + listen, base -> {
                        for (String path : List.of("/a", "/a", "/b", "/a")) { // misses, then hits
                            var r = LiveMetrics.HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            assertThat(r.statusCode()).isEqualTo(200);
                        }
                    });
            record(edge, "edge-node");
        } finally {
            origin.stop();
        }

        int cpPort = LiveMetrics.port();
        var cp = LiveMetrics.scrape(repo.resolve("control-plane/target/control-plane.jar"), work, "control-plane",
                List.of("--listen", LiveMetrics.loopback(cpPort), "--dns-listen", LiveMetrics.loopback(LiveMetrics.port()),
                        "--zone", "cdn.metrics.test", "--data-dir", work.resolve("cp-data").toString(),
                        "--token", "metrics-test-token"),
                "http://127.0.0.1:" + cpPort + "/healthz", "http://127.0.0.1:" + cpPort + "/metrics",
                "http://127.0.0.1:" + cpPort, base -> { });
        record(cp, "control-plane");
        notes.forEach(n -> System.out.println("MonitoringQueriesTest: " + n));
    }

    private static void record(LiveMetrics.Scrape scrape, String service) {
        if (scrape.metrics() != null) {
            exported.putAll(scrape.metrics());
            notes.add(service + ": scraped " + scrape.metrics().size() + " metric names from the real jar");
            return;
        }
        notes.add(service + ": " + scrape.note() + "; its names are checked against metric-contract.txt");
        DeployFiles.read(DeployFiles.repo().resolve("deploy/src/test/resources/metric-contract.txt")).lines()
                .map(String::strip).filter(l -> l.startsWith(service + " "))
                .forEach(l -> contracted.add(l.substring(service.length() + 1).strip()));
    }

    /** Raw metric names (not functions, keywords, labels, variables or recorded series) of a PromQL expression. */
    static Set<String> names(String expr) {
        String e = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\\$\\{?\\w+}?", " ");
        Set<String> out = new HashSet<>();
        Matcher m = IDENT.matcher(e);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1))) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    @Test
    void theNameExtractorFindsMetricsAndNothingElse() {
        assertThat(names("sum by (region, le) (rate(outpost_x_total{cache=~\"hit|stale\", node=~\"$node\"}[5m]))"
                + " / on (region) group_left (role) (outpost:y:rate5m > 0) offset 5m and up == 0"))
                .containsExactlyInAnyOrder("outpost_x_total", "outpost:y:rate5m", "up");
        assertThat(names("histogram_quantile(0.99, sum by (le) (rate(a_bucket[$__rate_interval])))"))
                .containsExactly("a_bucket");
    }

    @Test
    void everyRecordedSeriesUsedIsRecorded() {
        assertThat(queries).hasSizeGreaterThan(30);
        queries.forEach((where, expr) -> names(expr).stream().filter(n -> n.contains(":"))
                .forEach(n -> assertThat(records).as("%s uses %s", where, n).containsKey(n)));
    }

    @Test
    void everyMetricQueriedIsExported() {
        Set<String> known = new HashSet<>(exported.keySet());
        known.addAll(contracted);
        Set<String> used = new HashSet<>();
        queries.forEach((where, expr) -> {
            for (String n : names(expr)) {
                if (!n.contains(":") && !PROMETHEUS_SERIES.contains(n)) {
                    assertThat(known).as("%s queries %s; %s", where, n, notes).contains(n);
                    used.add(n);
                }
            }
        });
        assertThat(used).contains("outpost_requests_total", "outpost_response_bytes_total", "outpost_cache_bytes");
    }

    @Test
    void labelsMatchedOnRawMetricsExist() {
        queries.forEach((where, expr) -> {
            Matcher m = SELECTOR.matcher(expr);
            while (m.find()) {
                String metric = m.group(1);
                if (metric.contains(":") || !exported.containsKey(metric)) {
                    continue;
                }
                Matcher l = MATCHER.matcher(m.group(2));
                while (l.find()) {
                    if (!TARGET_LABELS.contains(l.group(1))) {
                        assertThat(exported.get(metric)).as("%s matches label %s of %s", where, l.group(1), metric)
                                .contains(l.group(1));
                    }
                }
            }
        });
    }

    @Test
    void theDashboardShowsWhatOperatorsNeed() {
        List<String> titles = new ArrayList<>();
        dashboard.get("panels").forEach(p -> titles.add(p.path("title").asText()));
        assertThat(titles).contains("Hit ratio per region", "Hit ratio per node", "Byte hit ratio per region",
                "Byte hit ratio per node", "Origin offload", "Requests/s per region", "Response latency percentiles",
                "Purge propagation (accepted to last ack)", "Config propagation (pushed to last ack)",
                "Cache size per tier");
        Set<Integer> ids = new HashSet<>();
        for (JsonNode p : dashboard.get("panels")) {
            assertThat(ids.add(p.get("id").asInt())).as("panel ids are unique").isTrue();
            if (!p.path("type").asText().equals("row")) {
                assertThat(p.path("targets")).as("panel '%s' has queries", p.path("title").asText()).isNotEmpty();
                assertThat(p.at("/datasource/uid").asText()).isEqualTo("${datasource}");
            }
        }
    }

    @Test
    void prometheusConfigsLoadTheRulesFile() {
        for (String config : List.of("prometheus/prometheus.yml", "prometheus/kubernetes-scrape.yml")) {
            JsonNode c = DeployFiles.yaml(DeployFiles.deploy().resolve(config));
            assertThat(DeployFiles.strings(c.get("rule_files"))).as(config).anyMatch(f -> f.endsWith("outpost-rules.yml"));
            assertThat(c.get("scrape_configs")).as(config).hasSizeGreaterThanOrEqualTo(2);
        }
        // the Kubernetes relabelling produces the labels the rules aggregate by
        String k8s = DeployFiles.read(DeployFiles.deploy().resolve("prometheus/kubernetes-scrape.yml"));
        for (String label : List.of("node", "region", "role")) {
            assertThat(k8s).contains("target_label: " + label);
        }
    }
}
