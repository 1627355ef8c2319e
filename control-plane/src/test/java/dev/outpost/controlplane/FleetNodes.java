package dev.outpost.controlplane;

import dev.outpost.config.ConfigReader;
import dev.outpost.config.NodeConfig;
import dev.outpost.edge.fleet.FleetAgent;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds fleet agents for tests the way an edge node would, from its flags. */
final class FleetNodes {

    private FleetNodes() {
    }

    static NodeConfig node(String controlPlane, String token, String id, String region, String policy, String bound) {
        return node(controlPlane, token, id, region, policy, bound, "100ms");
    }

    static NodeConfig node(String controlPlane, String token, String id, String region, String policy, String bound,
                           String heartbeatInterval) {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("control-plane", controlPlane);
        flags.put("token", token);
        flags.put("node-id", id);
        flags.put("region", region);
        flags.put("role", "edge");
        flags.put("coordinates", "50.1,8.7");
        flags.put("public-address", "127.0.0." + (Math.abs(id.hashCode()) % 200 + 2));
        flags.put("heartbeat-interval", heartbeatInterval);
        flags.put("disconnected-bound", bound);
        flags.put("disconnected-policy", policy);
        return ConfigReader.node().read(null, flags).value();
    }

    static FleetAgent agent(TestControlPlane cp, String id, String region, RecordingHooks hooks, InstantSource clock, Path stateDir) {
        return agent(cp.url(), TestControlPlane.NODE, id, region, "serve", "5m", hooks, clock, stateDir);
    }

    static FleetAgent agent(String url, String token, String id, String region, String policy, String bound,
                            RecordingHooks hooks, InstantSource clock, Path stateDir) {
        return agent(node(url, token, id, region, policy, bound), hooks, clock, stateDir);
    }

    static FleetAgent agent(NodeConfig node, RecordingHooks hooks, InstantSource clock, Path stateDir) {
        FleetAgent a = new FleetAgent(node, hooks, clock, stateDir, "http://127.0.0.1:9080");
        a.start();
        return a;
    }
}
