package dev.outpost.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The checks of Kubernetes' Pod Security Standards (the {@code baseline} and {@code restricted}
 * levels that the namespace label {@code pod-security.kubernetes.io/enforce} asks the Pod
 * Security admission controller to enforce), applied to a pod spec: what the controller would
 * refuse, before a cluster refuses it. One method per control of the standard, in its order.
 */
final class PodSecurityStandard {

    /** Capabilities the baseline level lets a container add. */
    private static final Set<String> BASELINE_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER",
            "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");
    /** Sysctls the baseline level allows. */
    private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");
    /** Volume types the restricted level allows. */
    private static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir",
            "ephemeral", "persistentVolumeClaim", "projected", "secret");

    private PodSecurityStandard() {
    }

    /** Every violation of {@code level} ({@code privileged}, {@code baseline} or {@code restricted}) by a pod spec. */
    static List<String> violations(JsonNode pod, String level) {
        List<String> out = new ArrayList<>();
        switch (level) {
            case "privileged" -> {
                return out;
            }
            case "baseline" -> baseline(pod, out);
            case "restricted" -> {
                baseline(pod, out);
                restricted(pod, out);
            }
            default -> throw new IllegalArgumentException("not a Pod Security level: " + level);
        }
        return out;
    }

    /** Containers, init containers and ephemeral containers: the standard checks all three. */
    static List<JsonNode> containers(JsonNode pod) {
        List<JsonNode> all = new ArrayList<>();
        for (String field : List.of("containers", "initContainers", "ephemeralContainers")) {
            pod.path(field).forEach(all::add);
        }
        return all;
    }

    private static String name(JsonNode container) {
        return "container " + container.path("name").asText("?");
    }

    private static void baseline(JsonNode pod, List<String> out) {
        // HostProcess
        if (pod.at("/securityContext/windowsOptions/hostProcess").asBoolean(false)) {
            out.add("hostProcess pods are not allowed");
        }
        // Host Namespaces
        for (String field : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (pod.path(field).asBoolean(false)) {
                out.add(field + " must not be true");
            }
        }
        // HostPath Volumes
        for (JsonNode v : pod.path("volumes")) {
            if (v.has("hostPath")) {
                out.add("volume " + v.path("name").asText() + ": hostPath volumes are not allowed");
            }
        }
        // Sysctls
        for (JsonNode s : pod.at("/securityContext/sysctls")) {
            if (!SAFE_SYSCTLS.contains(s.path("name").asText())) {
                out.add("sysctl " + s.path("name").asText() + " is not in the safe set");
            }
        }
        seLinux(pod.path("securityContext"), "pod", out);
        appArmor(pod.path("securityContext"), "pod", out);
        if (pod.at("/securityContext/seccompProfile/type").asText("").equals("Unconfined")) {
            out.add("pod: seccompProfile Unconfined is not allowed");
        }
        for (JsonNode c : containers(pod)) {
            JsonNode sc = c.path("securityContext");
            if (sc.at("/windowsOptions/hostProcess").asBoolean(false)) {
                out.add(name(c) + ": hostProcess is not allowed");
            }
            // Privileged Containers
            if (sc.path("privileged").asBoolean(false)) {
                out.add(name(c) + ": privileged must not be true");
            }
            // Capabilities
            for (JsonNode cap : sc.at("/capabilities/add")) {
                if (!BASELINE_CAPABILITIES.contains(cap.asText())) {
                    out.add(name(c) + ": capability " + cap.asText() + " may not be added");
                }
            }
            // Host Ports
            for (JsonNode p : c.path("ports")) {
                if (p.path("hostPort").asInt(0) != 0) {
                    out.add(name(c) + ": hostPort " + p.path("hostPort").asInt() + " is not allowed");
                }
            }
            seLinux(sc, name(c), out);
            appArmor(sc, name(c), out);
            // /proc Mount Type
            if (!sc.path("procMount").asText("Default").equals("Default")) {
                out.add(name(c) + ": procMount must be Default");
            }
            // Seccomp
            if (sc.at("/seccompProfile/type").asText("").equals("Unconfined")) {
                out.add(name(c) + ": seccompProfile Unconfined is not allowed");
            }
        }
    }

    private static void seLinux(JsonNode securityContext, String who, List<String> out) {
        JsonNode se = securityContext.path("seLinuxOptions");
        String type = se.path("type").asText("");
        if (!type.isEmpty() && !Set.of("container_t", "container_init_t", "container_kvm_t", "container_engine_t").contains(type)) {
            out.add(who + ": seLinuxOptions.type " + type + " is not allowed");
        }
        if (!se.path("user").asText("").isEmpty() || !se.path("role").asText("").isEmpty()) {
            out.add(who + ": seLinuxOptions user and role must not be set");
        }
    }

    private static void appArmor(JsonNode securityContext, String who, List<String> out) {
        String type = securityContext.at("/appArmorProfile/type").asText("");
        if (!type.isEmpty() && !type.equals("RuntimeDefault") && !type.equals("Localhost")) {
            out.add(who + ": appArmorProfile " + type + " is not allowed");
        }
    }

    private static void restricted(JsonNode pod, List<String> out) {
        // Volume Types
        for (JsonNode v : pod.path("volumes")) {
            List<String> types = new ArrayList<>();
            v.properties().forEach(e -> {
                if (!e.getKey().equals("name")) {
                    types.add(e.getKey());
                }
            });
            for (String type : types) {
                if (!RESTRICTED_VOLUMES.contains(type)) {
                    out.add("volume " + v.path("name").asText() + ": type " + type + " is not allowed");
                }
            }
        }
        JsonNode podSc = pod.path("securityContext");
        boolean podNonRoot = podSc.path("runAsNonRoot").asBoolean(false);
        String podSeccomp = podSc.at("/seccompProfile/type").asText("");
        if (podSc.path("runAsUser").isNumber() && podSc.path("runAsUser").asLong() == 0) {
            out.add("pod: runAsUser must not be 0");
        }
        for (JsonNode c : containers(pod)) {
            JsonNode sc = c.path("securityContext");
            // Privilege Escalation
            if (!sc.has("allowPrivilegeEscalation") || sc.path("allowPrivilegeEscalation").asBoolean(true)) {
                out.add(name(c) + ": allowPrivilegeEscalation must be false");
            }
            // Running as Non-root
            boolean nonRoot = sc.has("runAsNonRoot") ? sc.path("runAsNonRoot").asBoolean(false) : podNonRoot;
            if (!nonRoot) {
                out.add(name(c) + ": runAsNonRoot must be true (on the pod or the container)");
            }
            // Running as Non-root user
            if (sc.path("runAsUser").isNumber() && sc.path("runAsUser").asLong() == 0) {
                out.add(name(c) + ": runAsUser must not be 0");
            }
            // Seccomp
            String seccomp = sc.at("/seccompProfile/type").asText(podSeccomp);
            if (!seccomp.equals("RuntimeDefault") && !seccomp.equals("Localhost")) {
                out.add(name(c) + ": seccompProfile must be RuntimeDefault or Localhost (on the pod or the container)");
            }
            // Capabilities
            boolean dropsAll = false;
            for (JsonNode cap : sc.at("/capabilities/drop")) {
                dropsAll |= cap.asText().toUpperCase(Locale.ROOT).equals("ALL");
            }
            if (!dropsAll) {
                out.add(name(c) + ": capabilities must drop ALL");
            }
            for (JsonNode cap : sc.at("/capabilities/add")) {
                if (!cap.asText().equals("NET_BIND_SERVICE")) {
                    out.add(name(c) + ": only NET_BIND_SERVICE may be added, not " + cap.asText());
                }
            }
        }
    }
}
