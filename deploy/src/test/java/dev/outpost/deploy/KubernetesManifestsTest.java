package dev.outpost.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.NodeConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/kubernetes: the kustomization lists files that exist; every object is valid against the
 * Kubernetes API schema ({@link KubernetesSchema}) and every pod meets the Pod Security level its
 * namespace enforces ({@link PodSecurityStandard}), as written and as {@code kubectl kustomize}
 * renders them where kubectl is installed; every mount names a volume or a claim template;
 * probes, Services and URLs between workloads point at declared container ports; the Outpost
 * containers' args are real config keys with valid values (an admin listener open to the pod
 * network has a token); every container has resource requests and limits; edges and shields
 * keep their disk tier on a claim; the GeoIP database is on a claim, filled by an init container.
 */
class KubernetesManifestsTest {

    /** Created by the operator before applying, with these keys (deploy/README.md says how). */
    private static final Map<String, Set<String>> EXTERNAL_SECRETS = Map.of(
            "outpost-token", Set.of("token", "admin-token"),
            "outpost-geoip", Set.of("account-id", "license-key"));

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

    /** ConfigMaps the kustomization generates: name to keys. */
    private static Map<String, Set<String>> generatedConfigMaps() {
        Map<String, Set<String>> out = new HashMap<>();
        for (JsonNode g : kustomization.path("configMapGenerator")) {
            Set<String> keys = new HashSet<>();
            g.path("literals").forEach(l -> keys.add(l.asText().substring(0, l.asText().indexOf('='))));
            out.put(g.path("name").asText(), keys);
        }
        return out;
    }

    @Test
    void mountsNameDeclaredVolumesAndReferencedObjectsExist() {
        Set<String> secrets = new HashSet<>(EXTERNAL_SECRETS.keySet());
        kind("Secret").forEach(s -> secrets.add(s.at("/metadata/name").asText()));
        Map<String, Set<String>> generated = generatedConfigMaps();
        Set<String> configMaps = new HashSet<>(generated.keySet());
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
            for (JsonNode c : PodSecurityStandard.containers(pod)) {
                for (JsonNode m : c.path("volumeMounts")) {
                    assertThat(volumes).as("volume of mount %s in %s", m.path("mountPath").asText(), name(w))
                            .contains(m.path("name").asText());
                    mounted.add(m.path("name").asText());
                }
                for (JsonNode env : c.path("env")) {
                    JsonNode ref = env.at("/valueFrom/secretKeyRef");
                    if (!ref.isMissingNode()) {
                        assertThat(secrets).as("Secret of %s", name(w)).contains(ref.path("name").asText());
                        if (EXTERNAL_SECRETS.containsKey(ref.path("name").asText())) {
                            assertThat(EXTERNAL_SECRETS.get(ref.path("name").asText())).as("keys of Secret %s", ref.path("name"))
                                    .contains(ref.path("key").asText());
                        }
                    }
                    JsonNode cm = env.at("/valueFrom/configMapKeyRef");
                    if (!cm.isMissingNode()) {
                        assertThat(configMaps).as("ConfigMap of %s", name(w)).contains(cm.path("name").asText());
                        if (generated.containsKey(cm.path("name").asText())) {
                            assertThat(generated.get(cm.path("name").asText())).as("keys of ConfigMap %s", cm.path("name"))
                                    .contains(cm.path("key").asText());
                        }
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

    @Test
    void everyObjectIsValidAgainstTheKubernetesSchema() {
        for (JsonNode o : objects) {
            assertThat(KubernetesSchema.problem(o)).as("%s", name(o)).isNull();
        }
    }

    @Test
    void theSchemaCheckCatchesWhatTheApiServerWouldRefuse() throws Exception {
        JsonNode service = kind("Service").getFirst();
        ObjectNode typo = service.deepCopy();
        ((ObjectNode) typo.path("spec")).put("selecter", "x");
        assertThat(KubernetesSchema.problem(typo)).contains("selecter");
        ObjectNode wrongType = service.deepCopy();
        ((ObjectNode) wrongType.at("/spec/ports/0")).put("port", "eighty");
        assertThat(KubernetesSchema.problem(wrongType)).isNotNull();
        ObjectNode badQuantity = workloads().getFirst().deepCopy();
        ((ObjectNode) badQuantity.at("/spec/template/spec/containers/0/resources/limits"))
                .put("memory", "2 gigs");
        assertThat(KubernetesSchema.problem(badQuantity)).isNotNull();
    }

    /** The level that the namespace's {@code pod-security.kubernetes.io/enforce} label asks for. */
    private static String enforcedLevel(List<JsonNode> docs) {
        JsonNode ns = docs.stream().filter(o -> o.path("kind").asText().equals("Namespace")).findFirst().orElseThrow();
        return ns.at("/metadata/labels").path("pod-security.kubernetes.io/enforce").asText("privileged");
    }

    @Test
    void everyPodMeetsThePodSecurityLevelItsNamespaceEnforces() {
        String level = enforcedLevel(objects);
        assertThat(level).as("the namespace enforces a Pod Security level").isEqualTo("restricted");
        for (JsonNode w : workloads()) {
            assertThat(PodSecurityStandard.violations(w.at("/spec/template/spec"), level)).as("%s under %s", name(w), level)
                    .isEmpty();
        }
    }

    @Test
    void thePodSecurityCheckRefusesWhatTheAdmissionControllerWould() {
        JsonNode pod = kind("StatefulSet").stream().filter(w -> w.at("/metadata/name").asText().startsWith("edge-"))
                .findFirst().orElseThrow().at("/spec/template/spec");
        assertThat(PodSecurityStandard.violations(pod, "restricted")).isEmpty();
        Map<String, Consumer<ObjectNode>> breaks = new LinkedHashMap<>();
        breaks.put("hostPort", p -> ((ObjectNode) p.at("/containers/0/ports/0")).put("hostPort", 80));
        breaks.put("hostNetwork", p -> p.put("hostNetwork", true));
        breaks.put("hostPath", p -> ((ArrayNode) p.path("volumes")).addObject().put("name", "h")
                .putObject("hostPath").put("path", "/var"));
        breaks.put("allowPrivilegeEscalation", p -> ((ObjectNode) p.at("/containers/0/securityContext"))
                .remove("allowPrivilegeEscalation"));
        breaks.put("runAsNonRoot", p -> ((ObjectNode) p.path("securityContext")).remove("runAsNonRoot"));
        breaks.put("seccompProfile", p -> ((ObjectNode) p.path("securityContext")).remove("seccompProfile"));
        breaks.put("drop ALL", p -> ((ObjectNode) p.at("/containers/0/securityContext"))
                .remove("capabilities"));
        breaks.put("privileged", p -> ((ObjectNode) p.at("/containers/0/securityContext"))
                .put("privileged", true));
        breaks.put("capability", p -> ((ObjectNode) p.at("/containers/0/securityContext/capabilities"))
                .putArray("add").add("SYS_ADMIN"));
        for (var e : breaks.entrySet()) {
            ObjectNode broken = pod.deepCopy();
            e.getValue().accept(broken);
            assertThat(PodSecurityStandard.violations(broken, "restricted")).as(e.getKey()).isNotEmpty();
        }
        ObjectNode hostPort = pod.deepCopy();
        breaks.get("hostPort").accept(hostPort);
        assertThat(PodSecurityStandard.violations(hostPort, "baseline")).as("baseline forbids host ports too").isNotEmpty();
    }

    @Test
    void theRenderedKustomizationIsValidAndMeetsPodSecurity() {
        String kubectl = DeployFiles.which("kubectl");
        Assumptions.assumeTrue(kubectl != null, "kubectl is not installed: the files themselves are checked by the other tests");
        var rendered = DeployFiles.run(Duration.ofMinutes(2),
                List.of(kubectl, "kustomize", DeployFiles.deploy().resolve("kubernetes").toString()));
        assertThat(rendered.exit()).as("kubectl kustomize\n%s", rendered).isZero();
        List<JsonNode> docs = new ArrayList<>();
        try (var it = DeployFiles.YAML.readerFor(JsonNode.class).<JsonNode>readValues(rendered.stdout())) {
            it.forEachRemaining(docs::add);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(docs).hasSizeGreaterThan(objects.size()); // plus the generated ConfigMap
        String level = enforcedLevel(docs);
        for (JsonNode o : docs) {
            assertThat(KubernetesSchema.problem(o)).as("rendered %s", name(o)).isNull();
            assertThat(o.at("/metadata/namespace").asText("outpost")).isEqualTo("outpost");
            JsonNode pod = o.at("/spec/template/spec");
            if (!pod.isMissingNode()) {
                assertThat(PodSecurityStandard.violations(pod, level)).as("rendered %s", name(o)).isEmpty();
                for (JsonNode c : PodSecurityStandard.containers(pod)) {
                    assertThat(c.path("image").asText()).as("image of %s", name(o)).matches("[^/]+\\.[^/]+/.+:.+");
                }
            }
        }
    }

    @Test
    void imagesComeFromTheRegistryNamedInTheKustomization() {
        for (JsonNode image : kustomization.path("images")) {
            assertThat(image.path("newName").asText()).as("registry of %s", image.path("name"))
                    .endsWith(image.path("name").asText()).contains(".");
            assertThat(image.path("newTag").asText()).isNotEmpty();
        }
        String readme = DeployFiles.read(DeployFiles.deploy().resolve("README.md"));
        assertThat(readme).contains("docker push").contains("kustomize edit set image");
    }

    @Test
    void eachRegionsEdgesAreReachableOnPort80ThroughALoadBalancerAndAnnounceItsAddress() {
        Map<String, String> addresses = new HashMap<>();
        for (JsonNode g : kustomization.path("configMapGenerator")) {
            g.path("literals").forEach(l -> addresses.put(l.asText().substring(0, l.asText().indexOf('=')),
                    l.asText().substring(l.asText().indexOf('=') + 1)));
        }
        for (JsonNode w : kind("StatefulSet")) {
            JsonNode labels = w.at("/spec/template/metadata/labels");
            if (!labels.path("outpost.dev/role").asText().equals("edge")) {
                continue;
            }
            String region = labels.path("outpost.dev/region").asText();
            assertThat(kind("Service")).as("a public Service for %s", region).anySatisfy(svc -> {
                assertThat(svc.at("/spec/type").asText()).isEqualTo("LoadBalancer");
                assertThat(svc.at("/spec/selector").path("outpost.dev/region").asText()).isEqualTo(region);
                assertThat(svc.at("/spec/ports/0/port").asInt()).isEqualTo(80);
                assertThat(svc.at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
            });
            JsonNode c = w.at("/spec/template/spec/containers/0");
            List<String> args = DeployFiles.strings(c.get("args"));
            String announced = args.get(args.indexOf("--public-address") + 1);
            String variable = announced.substring(2, announced.length() - 1);
            JsonNode env = null;
            for (JsonNode e : c.path("env")) {
                if (e.path("name").asText().equals(variable)) {
                    env = e;
                }
            }
            assertThat(env).as("%s is set", variable).isNotNull();
            assertThat(env.at("/valueFrom/configMapKeyRef/key").asText()).isEqualTo(region);
            assertThat(addresses).containsKey(region);
            assertThat(InetAddress.ofLiteral(addresses.get(region))).isNotNull();
        }
    }

    @Test
    void theGeoIpDatabaseIsOnAClaimThatAnInitContainerFills() {
        JsonNode cp = kind("StatefulSet").stream().filter(w -> w.at("/metadata/name").asText().equals("control-plane"))
                .findFirst().orElseThrow();
        JsonNode pod = cp.at("/spec/template/spec");
        for (JsonNode v : pod.path("volumes")) {
            assertThat(v.has("configMap")).as("volume %s: a ConfigMap holds at most 1 MiB", v.path("name")).isFalse();
        }
        JsonNode container = pod.at("/containers/0");
        ControlPlaneConfig config = OutpostFlags.controlPlane(DeployFiles.flags(DeployFiles.strings(container.get("args"))));
        Path geoip = Path.of(config.geoip());
        String volume = null;
        for (JsonNode m : container.path("volumeMounts")) {
            if (m.path("mountPath").asText().equals(geoip.getParent().toString())) {
                volume = m.path("name").asText();
            }
        }
        assertThat(volume).as("the folder of --geoip is mounted").isNotNull();
        Set<String> claims = new HashSet<>();
        cp.at("/spec/volumeClaimTemplates").forEach(t -> claims.add(t.at("/metadata/name").asText()));
        assertThat(claims).as("the GeoIP volume is a claim").contains(volume);
        JsonNode init = pod.at("/initContainers/0");
        Map<String, String> env = new HashMap<>();
        init.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        String dir = env.get("GEOIPUPDATE_DB_DIR");
        String claim = volume;
        assertThat(init.path("volumeMounts")).as("the init container writes the claim").anySatisfy(m -> {
            assertThat(m.path("name").asText()).isEqualTo(claim);
            assertThat(m.path("mountPath").asText()).isEqualTo(dir);
        });
        assertThat(env.get("GEOIPUPDATE_EDITION_IDS") + ".mmdb").as("the file the init container writes")
                .isEqualTo(geoip.getFileName().toString());
        assertThat(init.path("image").asText()).contains("geoipupdate:v");
    }

    @Test
    void theReadmeCreatesEverySecretKeyTheManifestsRead() {
        String readme = DeployFiles.read(DeployFiles.deploy().resolve("README.md"));
        for (var e : EXTERNAL_SECRETS.entrySet()) {
            assertThat(readme).contains("create secret generic " + e.getKey());
            for (String key : e.getValue()) {
                assertThat(readme).as("README creates key %s of %s", key, e.getKey()).contains("--from-literal=" + key + "=");
            }
        }
    }
}
