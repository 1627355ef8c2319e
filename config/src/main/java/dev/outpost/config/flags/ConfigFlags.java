package dev.outpost.config.flags;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigKeys;
import dev.outpost.config.OutpostJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * One command-line flag per key of a config record ({@code --cache.max-variants} for
 * {@code cache: {max-variants: ...}}), registered on a picocli command from the model itself,
 * so every key is a flag and a key added later is one too. Help texts come from a properties
 * file ({@code key = LABEL | description}, the bar between spaces); a key without one still gets a flag, labelled by its
 * type, with its default. Values are handed to {@link dev.outpost.config.ConfigReader} as flags,
 * laid over the file.
 *
 * <p>Shapes: a value is one argument; a list repeats the flag or separates values with commas;
 * a list of mappings ({@code --origins}, {@code --rules}) or a mapping takes YAML or JSON text.
 */
public final class ConfigFlags {

    private final Map<OptionSpec, ConfigKeys.Key> options = new LinkedHashMap<>();

    private ConfigFlags() {
    }

    /**
     * Adds a flag for every key of {@code type} to {@code spec}, in the model's order.
     *
     * @param help {@code key = LABEL | description} lines, or null
     */
    public static ConfigFlags register(CommandSpec spec, Class<? extends Record> type, URL help) {
        Properties texts = load(help);
        ConfigFlags flags = new ConfigFlags();
        for (ConfigKeys.Key key : ConfigKeys.of(type)) {
            String name = "--" + key.name();
            if (spec.findOption(name) != null) {
                continue;
            }
            String[] text = texts.getProperty(key.name(), "").split(" \\| ", 2); // labels may hold '|': a|b
            String label = text.length == 2 && !text[0].isBlank() ? text[0].trim() : label(key);
            String description = text.length == 2 ? text[1].trim() : generic(key);
            if (key.defaultValue() != null && !description.contains("(default")) {
                description += " (default " + key.defaultValue() + ")";
            }
            OptionSpec.Builder b = OptionSpec.builder(name).paramLabel(label).description(description);
            if (key.shape() == ConfigKeys.Shape.LIST) {
                b.type(List.class).auxiliaryTypes(String.class).splitRegex(",");
            } else {
                b.type(String.class);
            }
            OptionSpec option = b.build();
            spec.addOption(option);
            flags.options.put(option, key);
        }
        return flags;
    }

    /** The keys given as flags, ready for {@code ConfigReader.read}; a flag's YAML text that does not parse is refused. */
    public Map<String, Object> values(ParseResult parsed) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (OptionSpec o : parsed.matchedOptions()) {
            ConfigKeys.Key key = options.get(o);
            if (key == null) {
                continue;
            }
            Object value = o.getValue();
            if (key.shape() == ConfigKeys.Shape.DOCUMENT) {
                try {
                    value = OutpostJson.yaml().readTree((String) value);
                } catch (JsonProcessingException e) {
                    throw new ConfigException("flag --" + key.name() + ": syntax error: "
                            + e.getOriginalMessage().lines().findFirst().orElse(""));
                }
            } else if (value instanceof List<?> list) {
                List<String> trimmed = new ArrayList<>();
                list.forEach(v -> trimmed.add(String.valueOf(v).trim()));
                value = trimmed;
            }
            out.put(key.name(), value);
        }
        return out;
    }

    /** The keys that have a flag here, for tests and help. */
    public List<String> keys() {
        return options.values().stream().map(ConfigKeys.Key::name).toList();
    }

    private static String label(ConfigKeys.Key key) {
        if (key.shape() == ConfigKeys.Shape.DOCUMENT) {
            return "YAML";
        }
        Class<?> t = key.type();
        if (t.isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object c : t.getEnumConstants()) {
                names.add(OutpostJson.kebab((Enum<?>) c));
            }
            return String.join("|", names);
        }
        return switch (t.getSimpleName()) {
            case "Duration" -> "DURATION";
            case "DataSize" -> "SIZE";
            case "HostPort" -> "HOST:PORT";
            case "Coordinates" -> "LAT,LON";
            case "Boolean", "boolean" -> "true|false";
            case "Integer", "int", "Long", "long" -> "N";
            case "Double", "double" -> "NUMBER";
            case "String" -> "TEXT";
            default -> t.getSimpleName().toUpperCase(Locale.ROOT);
        };
    }

    private static String generic(ConfigKeys.Key key) {
        return switch (key.shape()) {
            case VALUE -> "config key " + key.name();
            case LIST -> "config key " + key.name() + " (repeatable, or comma-separated)";
            case DOCUMENT -> "config key " + key.name() + " as YAML or JSON text, e.g. '[{...}]'";
        };
    }

    private static Properties load(URL help) {
        Properties p = new Properties();
        if (help == null) {
            return p;
        }
        try (InputStream in = help.openStream()) {
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
