package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigReaderTest {

    @TempDir
    Path tmp;

    private Path write(String yaml) throws Exception {
        Path f = tmp.resolve("node.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void readsEveryKindOfValue() throws Exception {
        Path f = write("""
                node-id: edge-1
                role: shield
                region: eu-west
                coordinates: "48.85,2.35"
                listen: 127.0.0.1:8080
                admin: "[::1]:9080"
                data-dir: /var/lib/outpost
                shield: [http://s1:8080, http://s2:8080]
                cache:
                  memory-size: 1GiB
                  chunk-size: 128k
                  hit-for-pass: 2m
                origins:
                  - name: default
                    algorithm: weighted-round-robin
                    servers:
                      - {url: "http://10.0.0.1", weight: 3}
                      - {url: "http://10.0.0.2"}
                    health-check: {path: /health, interval: 10s}
                rules:
                  - match: {path-prefix: /static/, methods: [get, head]}
                    ttl: 1h30m
                    ttl-mode: override
                    cache-key: {query: allow, query-params: [v], headers: [X-Device]}
                """);
        NodeConfig n = ConfigReader.node().read(f, Map.of()).value();
        assertThat(n.nodeId()).isEqualTo("edge-1");
        assertThat(n.role()).isEqualTo(NodeConfig.Role.SHIELD);
        assertThat(n.coordinates()).isEqualTo(new Coordinates(48.85, 2.35));
        assertThat(n.admin()).isEqualTo(new HostPort("::1", 9080));
        assertThat(n.shield()).containsExactly("http://s1:8080", "http://s2:8080");
        assertThat(n.cache().memorySize()).isEqualTo(DataSize.ofGibibytes(1));
        assertThat(n.cache().chunkSize()).isEqualTo(DataSize.ofKibibytes(128));
        assertThat(n.cache().hitForPass()).isEqualTo(Duration.ofMinutes(2));
        assertThat(n.cache().diskSize()).as("default kept").isEqualTo(DataSize.ofGibibytes(10));
        OriginConfig o = n.delivery().origin("default");
        assertThat(o.algorithm()).isEqualTo(OriginConfig.Algorithm.WEIGHTED_ROUND_ROBIN);
        assertThat(o.servers().get(0).weight()).isEqualTo(3);
        assertThat(o.servers().get(1).weight()).isEqualTo(1);
        assertThat(o.healthCheck().interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.healthCheck().fall()).isEqualTo(3);
        Rule r = n.delivery().rules().get(0);
        assertThat(r.ttl()).isEqualTo(Duration.ofMinutes(90));
        assertThat(r.ttlMode()).isEqualTo(Rule.TtlMode.OVERRIDE);
        assertThat(r.match().methods()).containsExactly("GET", "HEAD");
        assertThat(r.cacheKey().headers()).containsExactly("x-device");
    }

    @Test
    void flagsWinOverTheFileAndNestWithDots() throws Exception {
        Path f = write("listen: 127.0.0.1:1\norigin: http://o\ncache:\n  memory-size: 1MiB\n");
        NodeConfig n = ConfigReader.node().read(f, Map.of("listen", "127.0.0.1:2", "cache.disk-size", "5GiB",
                "shield", List.of("http://a", "http://b"))).value();
        assertThat(n.listen().port()).isEqualTo(2);
        assertThat(n.cache().memorySize()).isEqualTo(DataSize.ofMebibytes(1));
        assertThat(n.cache().diskSize()).isEqualTo(DataSize.ofGibibytes(5));
        assertThat(n.shield()).containsExactly("http://a", "http://b");
    }

    @Test
    void originShorthandBecomesTheDefaultOrigin() {
        NodeConfig n = ConfigReader.node().read(null, Map.of("origin", "http://127.0.0.1:9000")).value();
        assertThat(n.delivery().origin("default").servers().get(0).url()).isEqualTo("http://127.0.0.1:9000");
    }

    @Test
    void syntaxErrorsHaveLineAndColumn() throws Exception {
        Path f = write("origin: http://o\ncache: {memory-size: 1MiB\n");
        assertThatThrownBy(() -> ConfigReader.node().read(f, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(f + ":2:")
                .hasMessageContaining("syntax error: while parsing a flow mapping")
                .hasMessageNotContaining("\n");
    }

    @Test
    void duplicateKeysAreRefused() throws Exception {
        Path f = write("origin: http://o\nlisten: 127.0.0.1:1\nlisten: 127.0.0.1:2\n");
        assertThatThrownBy(() -> ConfigReader.node().read(f, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("listen").hasMessageContaining(f.toString());
    }

    @Test
    void unknownEnumValueListsTheChoices() throws Exception {
        Path f = write("origin: http://o\nrole: origin\n");
        assertThatThrownBy(() -> ConfigReader.node().read(f, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage(f + ":2:1: role: invalid value 'origin': expected one of: edge, shield");
    }

    @Test
    void severalProblemsAreAllReported() throws Exception {
        Path f = write("""
                origins:
                  - name: a
                    servers: []
                  - name: a
                    servers: [{url: "ftp://x"}]
                unknown-host-status: 500
                """);
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigReader.node().read(f, Map.of()));
        assertThat(e.problems()).hasSize(5);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("default-rule.origin: unknown origin 'default' (origins: a)"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":3:5: origins[0].servers: an origin needs"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":4:5: origins[1].name: duplicate origin name"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("origins[1].servers[0].url: not an http or https URL"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":6:1: unknown-host-status: must be 421 or 404"));
    }

    @Test
    void theDefaultNodeIdIsTheHostNameAndTheClientPort() {
        NodeConfig a = ConfigReader.node().read(null, Map.of("origin", "http://o", "listen", "0.0.0.0:8080")).value();
        NodeConfig b = ConfigReader.node().read(null, Map.of("origin", "http://o", "listen", "0.0.0.0:8081")).value();
        NodeConfig any = ConfigReader.node().read(null, Map.of("origin", "http://o", "listen", "127.0.0.1:0")).value();
        assertThat(a.nodeId()).endsWith("-8080").matches("[A-Za-z0-9._-]+");
        assertThat(b.nodeId()).endsWith("-8081");
        assertThat(a.nodeId().substring(0, a.nodeId().length() - 5)).isEqualTo(b.nodeId().substring(0, b.nodeId().length() - 5));
        assertThat(any.nodeId()).as("port 0: the process id stands in").endsWith("-pid" + ProcessHandle.current().pid());
        assertThat(ConfigReader.node().read(null, Map.of("origin", "http://o", "node-id", "edge-1")).value().nodeId())
                .isEqualTo("edge-1");
    }

    @Test
    void serveStaleOnErrorIsADurationOffByDefault() throws Exception {
        Path f = write("""
                origin: http://o
                rules:
                  - match: {path-prefix: /a/}
                    serve-stale-on-error: 1h
                  - match: {path-prefix: /b/}
                """);
        NodeConfig n = ConfigReader.node().read(f, Map.of()).value();
        Rule base = n.delivery().defaultRule();
        assertThat(n.delivery().rules().get(0).withDefaults(base).serveStaleOnError()).isEqualTo(Duration.ofHours(1));
        assertThat(n.delivery().rules().get(1).withDefaults(base).serveStaleOnError()).isEqualTo(Duration.ZERO);
        Path bad = write("""
                origin: http://o
                rules:
                  - match: {path-prefix: /a/}
                    serve-stale-on-error: a while
                """);
        assertThatThrownBy(() -> ConfigReader.node().read(bad, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(bad + ":4:")
                .hasMessageContaining("rules[0].serve-stale-on-error")
                .hasMessageContaining("not a duration");
    }

    @Test
    void typeErrorsUnknownKeysAndRuleProblemsAreReportedTogether() throws Exception {
        Path f = write("""
                origin: http://o
                listen: nowhere
                cache:
                  memory-size: lots
                  max-varients: 4
                limits:
                  max-headers: many
                hosts: [www.example.com, ~]
                rules:
                  - match: {path-regex: "(["}
                    ttl: soon
                  - match: {path-prefix: /a}
                    ttl: 1h
                    error-ttl: -5s
                """);
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigReader.node().read(f, Map.of()));
        assertThat(e.problems()).as(String.join("\n", e.problems())).hasSize(8);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":8:26: hosts[1]: empty list entry"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":2:1: listen: invalid value 'nowhere'"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":4:3: cache.memory-size: invalid value 'lots'"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":5:3: cache.max-varients: unknown key"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":7:3: limits.max-headers: invalid value 'many': expected an integer"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":11:5: rules[0].ttl: invalid value 'soon'"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":14:5: rules[1].error-ttl: "));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith(f + ":10:13: rules[0].match.path-regex: invalid regular"));
    }

    @Test
    void earlyHintsForwardByDefaultAndARuleMayDropThem() throws Exception {
        Path f = write("""
                origin: http://o
                rules:
                  - match: {path-prefix: /a/}
                    early-hints: drop
                  - match: {path-prefix: /b/}
                """);
        NodeConfig n = ConfigReader.node().read(f, Map.of()).value();
        Rule base = n.delivery().defaultRule();
        assertThat(n.delivery().rules().get(0).withDefaults(base).earlyHints()).isEqualTo(Rule.EarlyHints.DROP);
        assertThat(n.delivery().rules().get(1).withDefaults(base).earlyHints()).isEqualTo(Rule.EarlyHints.FORWARD);
        Path bad = write("""
                origin: http://o
                rules:
                  - match: {path-prefix: /a/}
                    early-hints: sometimes
                """);
        assertThatThrownBy(() -> ConfigReader.node().read(bad, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(bad + ":4:")
                .hasMessageContaining("rules[0].early-hints");
    }

    @Test
    void deliveryDocumentsValidateStandalone() {
        ConfigReader.Loaded<DeliveryConfig> ok = ConfigReader.delivery().parse("push.json",
                "{\"origins\":[{\"name\":\"default\",\"servers\":[{\"url\":\"http://o\"}]}],\"rules\":[]}");
        assertThat(ok.value().origins()).hasSize(1);
        assertThatThrownBy(() -> ConfigReader.delivery().parse("push.json",
                "{\"origins\":[{\"name\":\"default\",\"servers\":[{\"url\":\"http://o\"}]}],\"rules\":[{\"ttl\":\"soon\"}]}"))
                .hasMessageContaining("rules[0].ttl").hasMessageContaining("not a duration");
    }

    @Test
    void jsonRoundTripKeepsEverything() throws Exception {
        NodeConfig n = ConfigReader.node().read(null, Map.of("origin", "http://o", "cache.memory-size", "3MiB")).value();
        String json = OutpostJson.json().writeValueAsString(n.delivery());
        DeliveryConfig back = ConfigReader.delivery().parse("x.json", json).value();
        assertThat(back).isEqualTo(n.delivery());
    }
}
