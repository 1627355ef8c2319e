package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.NodeConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
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

/**
 * deploy/docker-compose.yml: every service builds from a Dockerfile that exists or runs a pinned
 * image, the Outpost services' flags are real config keys with valid values, the published
 * ports, health checks and the URLs between services hit real listeners, and every volume is
 * declared and every bind-mounted file exists.
 */
class ComposeFileTest {

    private static final Pattern LOCAL_URL = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)(/\\S*)");

    private static final Path GEOIP = DeployFiles.deploy().resolve("geoip/outpost-test-city.mmdb");

    private static JsonNode compose;
    private static final Map<String, Service> services = new LinkedHashMap<>();

    /** One compose service as Outpost understands it: what it is and where it listens. */
    record Service(String name, String kind, Set<Integer> listeners, Map<String, Object> flags,
                   NodeConfig node, ControlPlaneConfig controlPlane) {
    }

    @BeforeAll
    static void read() {
        compose = DeployFiles.yaml(DeployFiles.deploy().resolve("docker-compose.yml"));
        compose.get("services").properties().forEach(e -> services.put(e.getKey(), describe(e.getKey(), e.getValue())));
    }

    private static Service describe(String name, JsonNode s) {
        String dockerfile = s.path("build").path("dockerfile").asText("");
        List<String> command = DeployFiles.strings(s.get("command"));
        Set<Integer> listeners = new HashSet<>();
        if (dockerfile.endsWith("edge-node.Dockerfile")) {
            Map<String, Object> flags = DeployFiles.flags(command);
            NodeConfig node = OutpostFlags.node(flags);
            listeners.add(node.listen().port());
            listeners.add(node.admin().port());
            return new Service(name, "node", listeners, flags, node, null);
        }
        if (dockerfile.endsWith("control-plane.Dockerfile")) {
            Map<String, Object> flags = DeployFiles.flags(command);
            ControlPlaneConfig cp = OutpostFlags.controlPlane(flags);
            listeners.add(cp.listen().port());
            listeners.add(cp.dnsListen().port());
            return new Service(name, "control-plane", listeners, flags, null, cp);
        }
        if (dockerfile.endsWith("sample-origin.Dockerfile")) {
            Map<String, Object> flags = DeployFiles.flags(command);
            listeners.add(DeployFiles.port(String.valueOf(flags.get("listen"))));
            return new Service(name, "origin", listeners, flags, null, null);
        }
        // third-party images: their listener comes from their own flag or variable
        for (String c : command) {
            if (c.startsWith("--web.listen-address=")) {
                listeners.add(DeployFiles.port(c));
            }
        }
        String gf = s.path("environment").path("GF_SERVER_HTTP_PORT").asText("");
        if (!gf.isEmpty()) {
            listeners.add(Integer.parseInt(gf));
        }
        return new Service(name, "other", listeners, Map.of(), null, null);
    }

    @Test
    void aThreeRegionFleetWithControlPlaneShieldAndOrigin() {
        List<Service> edges = services.values().stream()
                .filter(s -> s.node() != null && s.node().role() == NodeConfig.Role.EDGE).toList();
        assertThat(edges.stream().map(s -> s.node().region()).distinct()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(services.values()).filteredOn(s -> s.node() != null && s.node().role() == NodeConfig.Role.SHIELD)
                .hasSize(1);
        assertThat(services.values()).filteredOn(s -> s.kind().equals("control-plane")).hasSize(1);
        assertThat(services.values()).filteredOn(s -> s.kind().equals("origin")).hasSize(1);
        List<String> ids = services.values().stream().filter(s -> s.node() != null).map(s -> s.node().nodeId()).toList();
        assertThat(ids).doesNotHaveDuplicates();
        for (Service edge : edges) {
            assertThat(edge.node().coordinates()).as("coordinates of %s", edge.name()).isNotNull();
            assertThat(edge.node().controlPlane()).as("%s joins the fleet", edge.name()).isNotNull();
            assertThat(edge.node().shield()).as("%s sends misses to the shield", edge.name()).isNotEmpty();
        }
    }

    @Test
    void everyServiceBuildsFromAnExistingDockerfileOrRunsAPinnedImage() {
        compose.get("services").properties().forEach(e -> {
            JsonNode s = e.getValue();
            String image = s.path("image").asText("");
            if (s.has("build")) {
                Path context = DeployFiles.deploy().resolve(s.path("build").path("context").asText(".")).normalize();
                assertThat(context).as("build context of %s", e.getKey()).isDirectory();
                Path dockerfile = context.resolve(s.path("build").path("dockerfile").asText("Dockerfile"));
                assertThat(dockerfile).as("Dockerfile of %s", e.getKey()).isRegularFile();
            } else {
                assertThat(image).as("image of %s", e.getKey()).contains(":").doesNotEndWith(":latest");
            }
        });
    }

    @Test
    void publishedPortsAndHealthChecksHitRealListeners() {
        compose.get("services").properties().forEach(e -> {
            Service service = services.get(e.getKey());
            for (String mapping : DeployFiles.strings(e.getValue().get("ports"))) {
                String spec = mapping.contains("/") ? mapping.substring(0, mapping.indexOf('/')) : mapping;
                int container = Integer.parseInt(spec.substring(spec.lastIndexOf(':') + 1));
                assertThat(service.listeners()).as("%s publishes %s", e.getKey(), mapping).contains(container);
            }
            String health = String.join(" ", DeployFiles.strings(e.getValue().path("healthcheck").get("test")));
            if (!service.kind().equals("other")) {
                Matcher m = LOCAL_URL.matcher(health);
                assertThat(m.find()).as("%s has an HTTP health check: %s", e.getKey(), health).isTrue();
                int port = Integer.parseInt(m.group(1));
                assertThat(service.listeners()).as("health check port of %s", e.getKey()).contains(port);
                if (service.kind().equals("node")) {
                    assertThat(port).isEqualTo(service.node().admin().port());
                    assertThat(m.group(2)).isEqualTo("/healthz");
                }
            }
        });
        assertThat(DeployFiles.strings(compose.at("/services/control-plane/ports")))
                .anyMatch(p -> p.endsWith("/udp")).anyMatch(p -> p.endsWith("/tcp"));
    }

    @Test
    void urlsBetweenServicesNameServicesAndTheirListeners() {
        List<String> checked = new ArrayList<>();
        for (Service s : services.values()) {
            List<String> urls = new ArrayList<>();
            if (s.node() != null) {
                if (s.node().origin() != null) {
                    urls.add(s.node().origin());
                }
                urls.addAll(s.node().shield());
                if (s.node().controlPlane() != null) {
                    urls.add(s.node().controlPlane());
                }
            }
            for (String url : urls) {
                URI uri = URI.create(url);
                Service target = services.get(uri.getHost());
                assertThat(target).as("%s names service '%s' in %s", s.name(), uri.getHost(), url).isNotNull();
                int port = uri.getPort();
                Set<Integer> serving = switch (target.kind()) {
                    case "node" -> Set.of(target.node().listen().port());
                    case "control-plane" -> Set.of(target.controlPlane().listen().port());
                    default -> target.listeners();
                };
                assertThat(serving).as("%s: %s listens on the port of %s", s.name(), target.name(), url).contains(port);
                checked.add(url);
            }
        }
        assertThat(checked).hasSizeGreaterThanOrEqualTo(10);
    }

    @Test
    void volumesAreDeclaredBindMountsExistAndDataDirsArePersistent() {
        Set<String> declared = new HashSet<>();
        compose.path("volumes").fieldNames().forEachRemaining(declared::add);
        Set<String> used = new HashSet<>();
        compose.get("services").properties().forEach(e -> {
            Map<String, String> targets = new HashMap<>();
            for (String v : DeployFiles.strings(e.getValue().get("volumes"))) {
                String[] parts = v.split(":");
                String source = parts[0];
                targets.put(parts[1], source);
                if (source.startsWith(".") || source.startsWith("/")) {
                    Path file = DeployFiles.deploy().resolve(source).normalize();
                    if (file.equals(GEOIP) && !Files.isDirectory(GEOIP.getParent())) {
                        // committed with GeoDNS (issue 5); once deploy/geoip exists the file must too
                        System.out.println("ComposeFileTest: " + GEOIP + " not in this build yet");
                        continue;
                    }
                    assertThat(file).as("bind mount of %s", e.getKey()).exists();
                } else {
                    assertThat(declared).as("volume '%s' of %s is declared", source, e.getKey()).contains(source);
                    used.add(source);
                }
            }
            Service s = services.get(e.getKey());
            String dataDir = s.node() != null ? s.node().dataDir()
                    : s.controlPlane() != null ? s.controlPlane().dataDir() : null;
            if (dataDir != null) {
                String source = targets.get(dataDir);
                assertThat(source).as("data dir %s of %s is on a volume", dataDir, e.getKey()).isNotNull();
                assertThat(declared).contains(source);
            }
            if (s.controlPlane() != null && s.controlPlane().geoip() != null) {
                assertThat(targets).as("GeoIP file of %s is mounted", e.getKey()).containsKey(s.controlPlane().geoip());
            }
        });
        assertThat(used).as("every declared volume is used").containsExactlyInAnyOrderElementsOf(declared);
    }

    @Test
    void dependenciesAndAddressesAreConsistent() {
        String subnet = compose.at("/networks/outpost/ipam/config/0/subnet").asText();
        String prefix = subnet.substring(0, subnet.lastIndexOf('.') + 1);
        Set<String> addresses = new HashSet<>();
        compose.get("services").properties().forEach(e -> {
            String address = e.getValue().at("/networks/outpost/ipv4_address").asText();
            assertThat(address).as("address of %s", e.getKey()).startsWith(prefix);
            assertThat(addresses.add(address)).as("address %s is unique", address).isTrue();
            e.getValue().path("depends_on").properties().forEach(d -> {
                JsonNode dependency = compose.path("services").path(d.getKey());
                assertThat(dependency.isMissingNode()).as("%s depends on %s", e.getKey(), d.getKey()).isFalse();
                if (d.getValue().path("condition").asText().equals("service_healthy")) {
                    assertThat(dependency.has("healthcheck")).as("%s has a health check", d.getKey()).isTrue();
                }
            });
            Service s = services.get(e.getKey());
            if (s.node() != null && s.node().publicAddress() != null) {
                assertThat(s.node().publicAddress()).as("public address of %s", e.getKey()).isEqualTo(address);
            }
        });
    }

    @Test
    void prometheusScrapesEveryNodeOnItsAdminListener() {
        JsonNode prometheus = DeployFiles.yaml(DeployFiles.deploy().resolve("prometheus/prometheus.yml"));
        Set<String> scraped = new HashSet<>();
        for (JsonNode job : prometheus.get("scrape_configs")) {
            for (JsonNode sc : job.path("static_configs")) {
                for (String target : DeployFiles.strings(sc.get("targets"))) {
                    String host = target.substring(0, target.indexOf(':'));
                    Service s = services.get(host);
                    assertThat(s).as("scrape target %s is a service", target).isNotNull();
                    int expected = s.node() != null ? s.node().admin().port() : s.controlPlane().listen().port();
                    assertThat(DeployFiles.port(target)).as("port of %s", target).isEqualTo(expected);
                    if (s.node() != null) {
                        assertThat(sc.path("labels").path("node").asText()).isEqualTo(s.node().nodeId());
                        assertThat(sc.path("labels").path("region").asText()).isEqualTo(s.node().region());
                        assertThat(sc.path("labels").path("role").asText()).isEqualTo(s.node().role().name().toLowerCase());
                    }
                    scraped.add(host);
                }
            }
        }
        services.values().stream().filter(s -> s.node() != null || s.controlPlane() != null)
                .forEach(s -> assertThat(scraped).as("%s is scraped", s.name()).contains(s.name()));
        // the rule file Prometheus loads is the one mounted from deploy/prometheus
        String rules = DeployFiles.strings(prometheus.get("rule_files")).getFirst();
        assertThat(DeployFiles.strings(compose.at("/services/prometheus/volumes")))
                .anyMatch(v -> v.endsWith(":" + rules + ":ro") && Files.exists(DeployFiles.deploy().resolve(v.split(":")[0])));
    }

    @Test
    void tokensComeFromTheEnvironmentWithNoFallbackAndPortsArePublishedOnLoopbackByDefault() {
        java.util.regex.Pattern required = java.util.regex.Pattern.compile("\\$\\{OUTPOST_[A-Z_]*TOKEN:\\?[^}]+}");
        compose.get("services").properties().forEach(e -> {
            List<String> command = DeployFiles.strings(e.getValue().get("command"));
            for (int i = 0; i + 1 < command.size(); i++) {
                if (command.get(i).matches("--([a-z]+-)?token")) {
                    assertThat(command.get(i + 1)).as("%s %s: from the environment, no default", e.getKey(), command.get(i))
                            .matches(required);
                }
            }
            Service service = services.get(e.getKey());
            if (service.node() != null) {
                assertThat(service.node().adminToken()).as("%s: its admin listener %s needs a token", e.getKey(),
                        service.node().admin()).isNotBlank();
            }
            for (String mapping : DeployFiles.strings(e.getValue().get("ports"))) {
                assertThat(mapping).as("%s publishes on 127.0.0.1 unless the operator says otherwise", e.getKey())
                        .startsWith("${OUTPOST_PUBLISH_ADDRESS:-127.0.0.1}:");
            }
        });
        String text = DeployFiles.read(DeployFiles.deploy().resolve("docker-compose.yml"));
        assertThat(text).doesNotContain("TOKEN:-");
    }
}
