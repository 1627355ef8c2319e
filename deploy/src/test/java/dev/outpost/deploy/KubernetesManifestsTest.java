package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.NodeConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/kubernetes: the kustomization lists files that exist; every mount names a volume or a
 * claim template; probes, Services and URLs between workloads point at declared container ports;
 * the Outpost containers' args are real config keys with valid values; every container has
 * resource requests and limits; edges and shields keep their disk tier on a claim.
 */
class KubernetesManifestsTest {

    /** Created by the operator before applying (deploy/README.md says how). */
    private static final Set<String> EXTERNAL_SECRETS = Set.of("outpost-token");
    private static final Set<String> EXTERNAL_CONFIG_MAPS = Set.of("outpost-geoip");

    private static final List<JsonNode> objects = new ArrayList<>();
    private static JsonNode kustomization;

    @BeforeAll
    static void read() {
        Path dir = DeployFiles.deploy().resolve("kubernetes");
        kustomization = DeployFiles.yaml(dir.resolve("kustomization.yaml"));
        for (String resource : DeployFiles.strings(kustomization.get("resources"))) {
            Path file = dir.resolve(resource);
            assertThat(file).as("kustomization resource").isRegularFile();
            objects.addAll(DeployFiles.yamlDocuments(file));
        }
    }

    private static List<JsonNode> kind(String kind) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    private static List<JsonNode> workloads() {
        List<JsonNode> w = new ArrayList<>(kind("StatefulSet"));
        w.addAll(kind("Deployment"));
        w.addAll(kind("DaemonSet"));
        return w;
    }

    private static String name(JsonNode o) {
        return o.path("kind").asText() + "/" + o.at("/metadata/name").asText();
    }

    @Test
    void everyObjectHasApiVersionKindAndName() {
        assertThat(objects).hasSizeGreaterThanOrEqualTo(10);
        Set<String> names = new HashSet<>();
        for (JsonNode o : objects) {
            assertThat(o.path("apiVersion").asText()).as("apiVersion of %s", name(o)).isNotEmpty();
            assertThat(o.at("/metadata/name").asText()).as("name in %s", o).isNotEmpty();
            assertThat(names.add(name(o))).as("%s is declared once", name(o)).isTrue();
        }
    }

    @Test
    void mountsNameDeclaredVolumesAndReferencedObjectsExist() {
        Set<String> secrets = new HashSet<>(EXTERNAL_SECRETS);
        kind("Secret").forEach(s -> secrets.add(s.at("/metadata/name").asText()));
        Set<String> configMaps = new HashSet<>(EXTERNAL_CONFIG_MAPS);
        kind("ConfigMap").forEach(s -> configMaps.add(s.at("/metadata/name").asText()));
        for (JsonNode w : workloads()) {
            Set<String> volumes = new HashSet<>();
            JsonNode pod = w.at("/spec/template/spec");
            for (JsonNode v : pod.path("volumes")) {
                volumes.add(v.path("name").asText());
                if (v.has("configMap")) {
                    assertThat(configMaps).as("ConfigMap of %s", name(w)).contains(v.at("/configMap/name").asText());
                }
                if (v.has("secret")) {
                    assertThat(secrets).as("Secret of %s", name(w)).contains(v.at("/secret/secretName").asText());
                }
            }
            for (JsonNode t : w.at("/spec/volumeClaimTemplates")) {
                volumes.add(t.at("/metadata/name").asText());
                assertThat(t.at("/spec/resources/requests/storage").asText()).isNotEmpty();
            }
            Set<String> mounted = new HashSet<>();
            for (JsonNode c : pod.path("containers")) {
                for (JsonNode m : c.path("volumeMounts")) {
                    assertThat(volumes).as("volume of mount %s in %s", m.path("mountPath").asText(), name(w))
                            .contains(m.path("name").asText());
                    mounted.add(m.path("name").asText());
                }
                for (JsonNode env : c.path("env")) {
                    JsonNode ref = env.at("/valueFrom/secretKeyRef");
                    if (!ref.isMissingNode()) {
                        assertThat(secrets).as("Secret of %s", name(w)).contains(ref.path("name").asText());
                    }
                }
            }
            assertThat(mounted).as("every volume of %s is mounted", name(w)).containsExactlyInAnyOrderElementsOf(volumes);
        }
    }

    @Test
    void containersHaveProbesOnDeclaredPortsResourcesAndNoRoot() {
        for (JsonNode w : workloads()) {
            JsonNode pod = w.at("/spec/template/spec");
            assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).as("%s runs as non-root", name(w)).isTrue();
            for (JsonNode c : pod.path("containers")) {
                Set<String> portNames = new HashSet<>();
                c.path("ports").forEach(p -> portNames.add(p.path("name").asText()));
                for (String probe : List.of("livenessProbe", "readinessProbe")) {
                    JsonNode http = c.path(probe).path("httpGet");
                    assertThat(http.path("path").asText()).as("%s of %s", probe, name(w)).isEqualTo("/healthz");
                    assertThat(portNames).as("%s port of %s", probe, name(w)).contains(http.path("port").asText());
                }
                for (String r : List.of("requests/cpu", "requests/memory", "limits/cpu", "limits/memory")) {
                    assertThat(c.at("/resources/" + r).asText()).as("%s of %s", r, name(w)).isNotEmpty();
                }
                assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
                String image = c.path("image").asText();
                Set<String> tagged = new HashSet<>();
                kustomization.get("images").forEach(i -> tagged.add(i.path("name").asText()));
                assertThat(tagged).as("image %s has a tag in kustomization.yaml", image).contains(image);
            }
        }
    }

    @Test
    void servicesSelectPodsAndTargetTheirPorts() {
        for (JsonNode svc : kind("Service")) {
            Map<String, String> selector = new HashMap<>();
            svc.at("/spec/selector").properties().forEach(e -> selector.put(e.getKey(), e.getValue().asText()));
            List<JsonNode> selected = workloads().stream().filter(w -> {
                JsonNode labels = w.at("/spec/template/metadata/labels");
                return selector.entrySet().stream().allMatch(e -> labels.path(e.getKey()).asText().equals(e.getValue()));
            }).toList();
            assertThat(selected).as("pods of %s", name(svc)).isNotEmpty();
            for (JsonNode port : svc.at("/spec/ports")) {
                String target = port.path("targetPort").asText();
                String protocol = port.path("protocol").asText("TCP");
                for (JsonNode w : selected) {
                    boolean found = false;
                    for (JsonNode c : w.at("/spec/template/spec/containers")) {
                        for (JsonNode p : c.path("ports")) {
                            found |= (p.path("name").asText().equals(target)
                                    || p.path("containerPort").asText().equals(target))
                                    && p.path("protocol").asText("TCP").equals(protocol);
                        }
                    }
                    assertThat(found).as("%s port %s/%s is declared by %s", name(svc), target, protocol, name(w)).isTrue();
                }
            }
        }
    }

    @Test
    void dnsIsServedOnUdpAndTcpPort53() {
        JsonNode dns = kind("Service").stream().filter(s -> s.at("/metadata/name").asText().equals("control-plane-dns"))
                .findFirst().orElseThrow();
        Set<String> ports = new HashSet<>();
        dns.at("/spec/ports").forEach(p -> ports.add(p.path("port").asText() + "/" + p.path("protocol").asText()));
        assertThat(ports).contains("53/UDP", "53/TCP");
    }

    @Test
    void outpostArgsAreValidConfigAndPortsMatchListeners() {
        int edgeRegions = 0;
        Set<String> regions = new HashSet<>();
        for (JsonNode w : workloads()) {
            for (JsonNode c : w.at("/spec/template/spec/containers")) {
                Map<String, Object> flags = DeployFiles.flags(DeployFiles.strings(c.get("args")));
                Map<String, Integer> ports = new HashMap<>();
                c.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
                Map<String, String> mounts = new HashMap<>();
                c.path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asText(), m.path("name").asText()));
                Set<String> claims = new HashSet<>();
                w.at("/spec/volumeClaimTemplates").forEach(t -> claims.add(t.at("/metadata/name").asText()));
                if (c.path("image").asText().equals("outpost/edge-node")) {
                    NodeConfig node = OutpostFlags.node(flags);
                    assertThat(ports.get("http")).as("http port of %s", name(w)).isEqualTo(node.listen().port());
                    assertThat(ports.get("admin")).as("admin port of %s", name(w)).isEqualTo(node.admin().port());
                    assertThat(claims).as("disk tier of %s is on a claim", name(w)).contains(mounts.get(node.dataDir()));
                    assertThat(w.path("kind").asText()).isEqualTo("StatefulSet");
                    String podRegion = w.at("/spec/template/metadata/labels").path("outpost.dev/region").asText();
                    assertThat(node.region()).as("region label of %s", name(w)).isEqualTo(podRegion);
                    for (String shield : node.shield()) {
                        String host = URI.create(shield).getHost();
                        String set = host.substring(0, host.lastIndexOf('-'));
                        assertThat(workloads()).as("shield %s", shield)
                                .anyMatch(x -> x.at("/metadata/name").asText().equals(set)
                                        && x.at("/spec/serviceName").asText().equals(host.substring(host.indexOf('.') + 1)));
                    }
                    if (node.role() == NodeConfig.Role.EDGE) {
                        edgeRegions++;
                        regions.add(node.region());
                        assertThat(w.at("/spec/template/spec/nodeSelector").path("outpost.dev/region").asText())
                                .isEqualTo(node.region());
                    }
                } else if (c.path("image").asText().equals("outpost/control-plane")) {
                    ControlPlaneConfig cp = OutpostFlags.controlPlane(flags);
                    assertThat(ports.get("http")).isEqualTo(cp.listen().port());
                    assertThat(ports.get("dns-udp")).isEqualTo(cp.dnsListen().port());
                    assertThat(ports.get("dns-tcp")).isEqualTo(cp.dnsListen().port());
                    assertThat(claims).as("store of %s is on a claim", name(w)).contains(mounts.get(cp.dataDir()));
                    String geoipDir = cp.geoip().substring(0, cp.geoip().lastIndexOf('/'));
                    assertThat(mounts).containsKey(geoipDir);
                }
            }
        }
        assertThat(edgeRegions).isGreaterThanOrEqualTo(3);
        assertThat(regions).hasSizeGreaterThanOrEqualTo(3);
    }
}
