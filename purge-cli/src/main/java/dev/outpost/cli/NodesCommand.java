package dev.outpost.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code nodes}, {@code nodes drain ID}, {@code nodes undrain ID}. */
@Command(name = "nodes", description = "List the fleet's nodes; drain or undrain one.",
        subcommands = {NodesCommand.Drain.class, NodesCommand.Undrain.class})
final class NodesCommand extends Base {

    @Override
    public Integer call() {
        JsonNode list = client().get("/v1/nodes");
        if (output.json()) {
            Output.printJson(ctx().out, list);
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode n : list) {
            long applied = n.get("config-version").asLong();
            long desired = n.get("desired-config-version").asLong();
            rows.add(List.of(n.get("node-id").asText(), n.get("region").asText(), n.get("role").asText(),
                    n.get("health").asText(), n.get("drained").asBoolean() ? "yes" : "no",
                    (applied == 0 ? "-" : "v" + applied) + (desired != applied && desired != 0 ? " (want v" + desired + ")" : ""),
                    "#" + n.get("purge-sequence").asLong(),
                    n.hasNonNull("stats") ? Output.ratio(n.get("stats"), "hit-ratio") : "-"));
        }
        Output.table(ctx().out, List.of("ID", "REGION", "ROLE", "HEALTH", "DRAINED", "CONFIG", "PURGE", "HIT-RATIO"), rows);
        return 0;
    }

    abstract static class DrainBase extends Base {
        @Parameters(paramLabel = "ID", description = "node id")
        String id;

        Integer run(boolean drain) {
            JsonNode n = client().postJson("/v1/nodes/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8)
                    + (drain ? "/drain" : "/undrain"), java.util.Map.of());
            if (output.json()) {
                Output.printJson(ctx().out, n);
            } else {
                ctx().out.println("node " + id + (drain ? " drained: DNS steers no new clients to it" : " undrained"));
            }
            return 0;
        }
    }

    @Command(name = "drain", description = "Stop steering new clients to a node (it keeps serving, and keeps getting purges).")
    static final class Drain extends DrainBase {
        @Override
        public Integer call() {
            return run(true);
        }
    }

    @Command(name = "undrain", description = "Steer clients to a drained node again.")
    static final class Undrain extends DrainBase {
        @Override
        public Integer call() {
            return run(false);
        }
    }
}
