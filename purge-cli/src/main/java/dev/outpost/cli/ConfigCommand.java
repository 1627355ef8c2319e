package dev.outpost.cli;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigKind;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.ConfigTarget;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code config validate|push|diff|rollback|show|history}: the fleet's versioned delivery config. */
@Command(name = "config", description = "Validate, push, compare and roll back delivery configs.",
        subcommands = {ConfigCommand.Validate.class, ConfigCommand.Push.class, ConfigCommand.Diff.class,
                ConfigCommand.Rollback.class, ConfigCommand.Show.class, ConfigCommand.History.class})
final class ConfigCommand extends Group {

    static DeliveryConfig readLocal(Path file, CliContext ctx) {
        if (!Files.isReadable(file)) {
            throw new CliException("cannot read " + file);
        }
        try {
            return ConfigReader.delivery().read(file, null).value();
        } catch (ConfigException e) {
            e.problems().forEach(p -> ctx.err.println("outpost: " + p));
            throw new CliException(file + ": " + e.problems().size() + " problem" + (e.problems().size() == 1 ? "" : "s") + ", not valid");
        }
    }

    static String query(String name, @Nullable String value) {
        return value == null ? "" : name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static String join(String... parts) {
        List<String> p = new ArrayList<>();
        for (String s : parts) {
            if (!s.isEmpty()) {
                p.add(s);
            }
        }
        return p.isEmpty() ? "" : "?" + String.join("&", p);
    }

    static @Nullable String target(@Nullable String t) {
        if (t == null) {
            return null;
        }
        try {
            return ConfigTarget.parse(t).toString();
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--target: " + e.getMessage());
        }
    }

    static long version(String v) {
        try {
            long n = Long.parseLong(v.startsWith("v") ? v.substring(1) : v);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw CliException.usage("not a config version: '" + v + "' (versions are 1, 2, 3...)");
        }
    }

    @Command(name = "validate", description = {"Check a config file locally (no control plane needed): a node's,",
            "the control plane's or a delivery config, told apart by its keys or named with --kind.",
            "Every problem is listed, each as file:line:col: key: problem."})
    static final class Validate extends Base {
        @Parameters(paramLabel = "FILE", description = "YAML or JSON config file")
        Path file;

        @Option(names = "--kind", paramLabel = "KIND", description = "node, control-plane or delivery (default: detected from the keys)")
        String kind;

        @Override
        public Integer call() {
            ConfigKind k;
            try {
                k = kind == null ? null : ConfigKind.parse(kind);
            } catch (IllegalArgumentException e) {
                throw CliException.usage("--kind: " + e.getMessage());
            }
            if (!Files.isReadable(file)) {
                throw new CliException("cannot read " + file);
            }
            ConfigKind chosen = k == null ? ConfigKind.detect(file) : k;
            String what = chosen.label() + " config" + (k == null ? " (detected from its keys; --kind to choose)" : "");
            try {
                chosen.reader().read(file, null);
            } catch (ConfigException e) {
                e.problems().forEach(p -> ctx().err.println("outpost: " + p));
                throw new CliException(file + ": " + e.problems().size() + " problem" + (e.problems().size() == 1 ? "" : "s")
                        + ", not a valid " + what);
            }
            ctx().out.println(file + ": valid " + what);
            return 0;
        }
    }

    @Command(name = "push", description = "Validate a config file and store it as the next version.")
    static final class Push extends Base {
        @Parameters(paramLabel = "FILE", description = "YAML or JSON delivery config")
        Path file;

        @Option(names = "--target", paramLabel = "TARGET", description = "all (default), region=NAME or node=ID")
        String target;

        @Option(names = "--comment", paramLabel = "TEXT", description = "why, for the history")
        String comment;

        @Option(names = "--base-version", paramLabel = "V", description = "refuse if the newest version is not V (someone pushed meanwhile)")
        Long baseVersion;

        @Override
        public Integer call() throws IOException {
            readLocal(file, ctx());
            String t = target(target);
            String text = Files.readString(file);
            String type = file.toString().endsWith(".json") ? "application/json" : "application/yaml";
            JsonNode v = client().post("/v1/configs" + join(query("target", t), query("comment", comment),
                    query("base-version", baseVersion == null ? null : baseVersion.toString())), type, text);
            if (output.json()) {
                Output.printJson(ctx().out, v);
            } else {
                ctx().out.println("pushed config v" + v.get("version").asLong() + " for " + targetText(v.get("target")));
            }
            return 0;
        }
    }

    static String targetText(JsonNode t) {
        if (t == null || t.isNull()) {
            return "all";
        }
        String kind = t.get("kind").asText();
        return kind.equals("all") ? "all" : kind + "=" + t.get("value").asText();
    }

    @Command(name = "diff", description = "Show what changed from version V1 to version V2.")
    static final class Diff extends Base {
        @Parameters(index = "0", paramLabel = "V1")
        String from;

        @Parameters(index = "1", paramLabel = "V2")
        String to;

        @Override
        public Integer call() {
            JsonNode d = client().get("/v1/configs/" + version(from) + "/diff/" + version(to));
            if (output.json()) {
                Output.printJson(ctx().out, d);
                return 0;
            }
            if (d.get("changes").isEmpty()) {
                ctx().out.println("v" + version(from) + " and v" + version(to) + " are the same");
                return 0;
            }
            for (JsonNode c : d.get("changes")) {
                String path = c.get("path").asText();
                switch (c.get("op").asText()) {
                    case "added" -> ctx().out.println("+ " + path + ": " + value(c.get("after")));
                    case "removed" -> ctx().out.println("- " + path + ": " + value(c.get("before")));
                    default -> ctx().out.println("~ " + path + ": " + value(c.get("before")) + " -> " + value(c.get("after")));
                }
            }
            return 0;
        }

        private static String value(JsonNode n) {
            return n == null || n.isNull() ? "null" : n.isValueNode() ? n.asText() : n.toString();
        }
    }

    @Command(name = "rollback", description = "Store a copy of version V as the newest version.")
    static final class Rollback extends Base {
        @Parameters(paramLabel = "V")
        String version;

        @Option(names = "--target", paramLabel = "TARGET", description = "all, region=NAME or node=ID (default: V's own target)")
        String target;

        @Override
        public Integer call() {
            long v = version(version);
            JsonNode r = client().post("/v1/configs/" + v + "/rollback" + join(query("target", target(target))), "application/json", "");
            if (output.json()) {
                Output.printJson(ctx().out, r);
            } else {
                ctx().out.println("rolled back: v" + r.get("version").asLong() + " is a copy of v" + v + " for " + targetText(r.get("target")));
            }
            return 0;
        }
    }

    @Command(name = "show", description = "Print config version V (default: the newest).")
    static final class Show extends Base {
        @Parameters(paramLabel = "V", arity = "0..1")
        String version;

        @Override
        public Integer call() throws IOException {
            JsonNode v = client().get("/v1/configs/" + (version == null ? "current" : version(version)));
            if (output.json()) {
                Output.printJson(ctx().out, v);
                return 0;
            }
            ctx().out.println("# config v" + v.get("version").asLong() + " for " + targetText(v.get("target"))
                    + ", created " + Output.time(v, "created-at")
                    + (v.hasNonNull("rollback-of") ? ", rollback of v" + v.get("rollback-of").asLong() : "")
                    + (v.hasNonNull("comment") ? ": " + v.get("comment").asText() : ""));
            ctx().out.print(OutpostJson.yaml().writeValueAsString(v.get("config")));
            return 0;
        }
    }

    @Command(name = "history", description = "List every config version, oldest first.")
    static final class History extends Base {
        @Override
        public Integer call() {
            JsonNode list = client().get("/v1/configs");
            if (output.json()) {
                Output.printJson(ctx().out, list);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode v : list) {
                rows.add(List.of("v" + v.get("version").asLong(), Output.time(v, "created-at"), targetText(v.get("target")),
                        v.hasNonNull("rollback-of") ? "v" + v.get("rollback-of").asLong() : "-", Output.text(v, "comment")));
            }
            Output.table(ctx().out, List.of("VERSION", "CREATED", "TARGET", "ROLLBACK-OF", "COMMENT"), rows);
            return 0;
        }
    }
}
