package dev.outpost.config.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigKeys;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.OutpostJson;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every key of the node's and the control plane's config is a flag, and a flag sets exactly
 * what the same key in a YAML file sets. The keys are found here by walking the records on
 * their own, so a key the derivation missed fails this test.
 */
class ConfigFlagsTest {

    @Command(name = "test")
    static final class Bare {
    }

    private static Class<? extends Record> type(String name) {
        return switch (name) {
            case "node" -> NodeConfig.class;
            case "control-plane" -> ControlPlaneConfig.class;
            default -> DeliveryConfig.class;
        };
    }

    private static CommandLine commandLine(Class<? extends Record> type, ConfigFlags[] flags) {
        CommandLine cl = new CommandLine(new Bare());
        flags[0] = ConfigFlags.register(cl.getCommandSpec(), type, null);
        return cl;
    }

    /** Every leaf key of the record tree, including keys inside lists of mappings ({@code origins[0].retry.attempts}). */
    private static void paths(Class<?> type, String prefix, List<String> out, int depth) {
        for (RecordComponent c : type.getRecordComponents()) {
            String name = prefix + kebab(c.getName());
            Class<?> raw = c.getType();
            if (raw.isRecord() && !scalar(raw) && depth < 4) {
                paths(raw, name + ".", out, depth + 1);
            } else if (Collection.class.isAssignableFrom(raw)
                    && c.getGenericType() instanceof ParameterizedType p
                    && p.getActualTypeArguments()[0] instanceof Class<?> e && e.isRecord() && !scalar(e) && depth < 4) {
                paths(e, name + "[0].", out, depth + 1);
            } else {
                out.add(name); // a value, a list of values or a map: a leaf
            }
        }
    }

    private static boolean scalar(Class<?> t) {
        try {
            Method parse = t.getMethod("parse", String.class);
            return Modifier.isStatic(parse.getModifiers());
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"node", "control-plane"})
    void everyKeyOfTheModelHasAFlagOrLiesInsideOne(String kind) {
        ConfigFlags[] flags = new ConfigFlags[1];
        CommandLine cl = commandLine(type(kind), flags);
        List<String> paths = new ArrayList<>();
        paths(type(kind), "", paths, 0);
        assertThat(paths).hasSizeGreaterThan(10);
        for (String path : paths) {
            boolean covered = false;
            for (String p = path; !p.isEmpty(); p = p.contains(".") ? p.substring(0, p.lastIndexOf('.')) : "") {
                String flag = p.replaceAll("\\[0]", "");
                if (cl.getCommandSpec().findOption("--" + flag) != null) {
                    covered = true;
                    break;
                }
            }
            assertThat(covered).as(kind + " key '" + path + "' has a flag (its own or its enclosing key's)").isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"node", "control-plane"})
    void aFlagSetsWhatTheSameKeyInAFileSets(String kind) throws Exception {
        Class<? extends Record> type = type(kind);
        ConfigReader<? extends Record> reader = new ConfigReader<>(type, v -> List.of());
        Record defaults = reader.parse("defaults.yaml", "").value();
        for (ConfigKeys.Key key : ConfigKeys.of(type)) {
            ConfigFlags[] flags = new ConfigFlags[1];
            CommandLine cl = commandLine(type, flags);
            List<String> args = new ArrayList<>();
            List<String> values = sample(key);
            for (String v : values) {
                args.add("--" + key.name());
                args.add(v);
            }
            Map<String, Object> given = flags[0].values(cl.parseArgs(args.toArray(String[]::new)));
            Record viaFlag = reader.read(null, given).value();
            String yaml = yaml(key.name(), key.shape() == ConfigKeys.Shape.LIST ? "[" + String.join(", ", values) + "]" : values.getFirst());
            Record viaFile = reader.parse("t.yaml", yaml).value();
            assertThat(viaFile).as(key.name() + ": the sample differs from the default").isNotEqualTo(defaults);
            assertThat(viaFlag).as("--" + key.name() + " " + values + " and the file\n" + yaml).isEqualTo(viaFile);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"node", "control-plane"})
    void flagsAreInTheModelsOrderWithTypeLabelsAndDefaults(String kind) {
        ConfigFlags[] flags = new ConfigFlags[1];
        CommandLine cl = commandLine(type(kind), flags);
        assertThat(flags[0].keys()).isEqualTo(ConfigKeys.of(type(kind)).stream().map(ConfigKeys.Key::name).toList());
        String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
        if (kind.equals("node")) {
            assertThat(help).contains("--cache.max-variants=N").contains("(default 16)")
                    .contains("--limits.max-headers=N").contains("--hosts=TEXT")
                    .contains("--unknown-host-status=N")
                    .contains("--heartbeat-interval=DURATION").contains("(default 5s)")
                    .contains("--disconnected-policy=serve|revalidate")
                    .contains("--rules=YAML").contains("--default-rule=YAML");
        } else {
            assertThat(help).contains("--stream-keepalive=DURATION").contains("(default 5s)")
                    .contains("--purge-rate-limit.burst=N").contains("--dns=YAML");
        }
    }

    @org.junit.jupiter.api.Test
    void listsTakeCommasAndYamlFlagsThatDoNotParseAreRefused() {
        ConfigFlags[] flags = new ConfigFlags[1];
        CommandLine cl = commandLine(NodeConfig.class, flags);
        Map<String, Object> given = flags[0].values(cl.parseArgs("--hosts", "a.example, b.example", "--hosts", "c.example"));
        NodeConfig n = ConfigReader.node().read(null, Map.of("origin", "http://o")).value();
        NodeConfig withHosts = new ConfigReader<>(NodeConfig.class, v -> List.of()).read(null, given).value();
        assertThat(withHosts.hosts()).containsExactly("a.example", "b.example", "c.example");
        assertThat(n.delivery().hosts()).as("no flag, no hosts").isEmpty();
        CommandLine again = commandLine(NodeConfig.class, flags);
        var parsed = again.parseArgs("--rules", "[{match: {path-prefix: /a}");
        assertThatThrownBy(() -> flags[0].values(parsed)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("flag --rules: syntax error");
    }

    @org.junit.jupiter.api.Test
    void controlPlaneRepeatsOrTakesCommasForReplicas() {
        ConfigFlags[] flags = new ConfigFlags[1];
        CommandLine cl = commandLine(NodeConfig.class, flags);
        Map<String, Object> given = flags[0].values(cl.parseArgs("--origin", "http://o",
                "--control-plane", "http://cp1:7000", "--control-plane", "http://cp2:7000,http://cp3:7000"));
        NodeConfig n = ConfigReader.node().read(null, given).value();
        assertThat(n.controlPlanes()).containsExactly("http://cp1:7000", "http://cp2:7000", "http://cp3:7000");
        CommandLine one = commandLine(NodeConfig.class, flags);
        NodeConfig single = ConfigReader.node().read(null,
                flags[0].values(one.parseArgs("--origin", "http://o", "--control-plane", "http://cp1:7000"))).value();
        assertThat(single.controlPlanes()).containsExactly("http://cp1:7000");
    }

    @org.junit.jupiter.api.Test
    void aProblemInAFlagNamesTheFlag() {
        ConfigFlags[] flags = new ConfigFlags[1];
        CommandLine cl = commandLine(NodeConfig.class, flags);
        Map<String, Object> given = flags[0].values(cl.parseArgs("--origin", "http://o", "--cache.max-variants", "many",
                "--rules", "[{ttl: soon}]"));
        assertThatThrownBy(() -> ConfigReader.node().read(null, given)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("flag --cache.max-variants: invalid value 'many'")
                .hasMessageContaining("flag --rules (rules[0].ttl): invalid value 'soon'");
    }

    /** A value for the key unlike its default, as one writes it in a flag and in YAML alike. */
    private static List<String> sample(ConfigKeys.Key key) {
        if (key.shape() == ConfigKeys.Shape.DOCUMENT) {
            return List.of(switch (key.name()) {
                case "origins" -> "[{name: o1, servers: [{url: 'http://o1:9000', weight: 2}], connect-timeout: 3s}]";
                case "rules" -> "[{match: {path-prefix: /x/}, ttl: 5m, cache-key: {query: none}}]";
                case "default-rule" -> "{ttl: 7m, stale-if-error: 1h}";
                case "dns" -> "{ttl: 12s, names: [{name: img}], region-weights: {eu: 2.0}}";
                default -> Collection.class.isAssignableFrom(key.type()) ? "[{}]" : "{}";
            });
        }
        Class<?> t = key.type();
        String value;
        if (t.isEnum()) {
            Object[] all = t.getEnumConstants();
            value = OutpostJson.kebab((Enum<?>) all[all.length - 1]);
        } else if (t == Boolean.class || t == boolean.class) {
            value = "true".equals(key.defaultValue()) ? "false" : "true";
        } else if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            value = "7".equals(key.defaultValue()) ? "8" : "7";
        } else if (t == Double.class || t == double.class) {
            value = "0.25";
        } else if (t == Duration.class) {
            value = "7s";
        } else if (t.getSimpleName().equals("DataSize")) {
            value = "3MiB";
        } else if (t.getSimpleName().equals("HostPort")) {
            value = "127.0.0.1:7";
        } else if (t.getSimpleName().equals("Coordinates")) {
            value = "1.5,2.5";
        } else {
            value = "sample-" + key.name().replace('.', '-');
        }
        return key.shape() == ConfigKeys.Shape.LIST ? List.of(value, value + "-2") : List.of(value);
    }

    /** {@code a.b: v} as nested YAML. */
    private static String yaml(String key, String value) {
        String[] parts = key.split("\\.");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            sb.append("  ".repeat(i)).append(parts[i]).append(':');
            sb.append(i == parts.length - 1 ? " " + value + "\n" : "\n");
        }
        return sb.toString();
    }
}
