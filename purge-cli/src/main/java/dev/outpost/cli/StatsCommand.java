package dev.outpost.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stats [--region NAME]}: traffic per node, per region and for the fleet. */
@Command(name = "stats", description = "Hit ratio, byte hit ratio, requests/s and origin offload per node and region.")
final class StatsCommand extends Base {

    @Option(names = "--region", paramLabel = "NAME", description = "only this region's nodes")
    String region;

    @Override
    public Integer call() {
        JsonNode s = client().get("/v1/stats" + (region == null ? "" : "?region="
                + java.net.URLEncoder.encode(region, java.nio.charset.StandardCharsets.UTF_8)));
        if (output.json()) {
            Output.printJson(ctx().out, s);
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode n : s.get("nodes")) {
            rows.add(row("node", n));
        }
        for (JsonNode r : s.get("regions")) {
            rows.add(row("region", r));
        }
        rows.add(row("fleet", s.get("fleet")));
        Output.table(ctx().out, List.of("SCOPE", "NAME", "NODES", "REQ/S", "HIT-RATIO", "BYTE-HIT-RATIO", "ORIGIN-OFFLOAD-RATIO", "REQUESTS"), rows);
        return 0;
    }

    private static List<String> row(String scope, JsonNode n) {
        return List.of(scope, n.get("name").asText(), n.get("nodes").asText(),
                String.format(Locale.ROOT, "%.1f", n.get("requests-per-second").asDouble()),
                Output.ratio(n, "hit-ratio"), Output.ratio(n, "byte-hit-ratio"), Output.ratio(n, n.has("origin-offload-ratio") ? "origin-offload-ratio" : "origin-offload"),
                n.get("requests").asText());
    }
}
