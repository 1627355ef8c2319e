package dev.outpost.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads a config document (YAML or JSON) into its record type, with flags laid over the file,
 * and validates it. Every problem is reported with file, line and key; nothing half-read ever
 * reaches a caller.
 *
 * @param <T> the record read, e.g. {@link NodeConfig} or {@link DeliveryConfig}
 */
public final class ConfigReader<T> {

    /** A document this wrong is reported up to here; the rest would only repeat the cause. */
    static final int MAX_PROBLEMS = 100;

    private final Class<T> type;
    private final Function<T, List<ConfigProblem>> validator;

    public ConfigReader(Class<T> type, Function<T, List<ConfigProblem>> validator) {
        this.type = type;
        this.validator = validator;
    }

    /** A reader of node config files. */
    public static ConfigReader<NodeConfig> node() {
        return new ConfigReader<>(NodeConfig.class, ConfigValidator::validate);
    }

    /** A reader of delivery config documents, as pushed to the control plane. */
    public static ConfigReader<DeliveryConfig> delivery() {
        return new ConfigReader<>(DeliveryConfig.class, ConfigValidator::validate);
    }

    /** A value read, and where each of its keys came from. */
    public record Loaded<T>(T value, SourceMap source) {
    }

    /**
     * Reads {@code file} (may be null: defaults and flags only) with {@code flags} laid over it.
     * Flag keys are top-level keys or dotted paths ({@code cache.memory-size}); values are
     * strings, lists of strings for repeatable flags, or a parsed tree ({@code JsonNode}) for
     * keys given as YAML text ({@code --rules}).
     */
    public Loaded<T> read(Path file, Map<String, ?> flags) {
        String text = "";
        String name = null;
        if (file != null) {
            name = file.toString();
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ConfigException(name + ": cannot read: " + e.getMessage());
            }
        }
        return parse(name, text, flags == null ? Map.of() : flags);
    }

    /** Reads a document given as text; {@code name} names it in errors (a file name, "request body"). */
    public Loaded<T> parse(String name, String text) {
        return parse(name, text, Map.of());
    }

    private Loaded<T> parse(String name, String text, Map<String, ?> flags) {
        ObjectMapper mapper = name != null && name.endsWith(".json") ? OutpostJson.json() : OutpostJson.yaml();
        String where = name == null ? "" : name + ":";
        JsonNode tree;
        try {
            tree = text.isBlank() ? null : mapper.readTree(text);
        } catch (JsonProcessingException e) {
            var l = e.getLocation();
            throw new ConfigException(where + (l == null ? "" : l.getLineNr() + ":" + l.getColumnNr() + ":")
                    + " syntax error: " + oneLine(e.getOriginalMessage()));
        }
        if (tree == null || tree.isNull() || tree.isMissingNode()) {
            tree = JsonNodeFactory.instance.objectNode();
        }
        if (!tree.isObject()) {
            throw new ConfigException(where + "1:1: the document must be a mapping of keys to values");
        }
        ObjectNode root = (ObjectNode) tree;
        for (Map.Entry<String, ?> flag : flags.entrySet()) {
            overlay(root, flag.getKey(), flag.getValue());
        }
        SourceMap source = text.isBlank() ? SourceMap.none(flags.keySet())
                : SourceMap.of(name, text, mapper, flags.keySet());
        List<String> problems = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        for (String empty = emptyListEntry(root, ""); empty != null; empty = emptyListEntry(root, "")) {
            // a bare '-' or '~' in a list: no setting means anything there, and records would
            // otherwise meet a null element somewhere in validation
            problems.add(source.describe(empty) + ": empty list entry");
            String list = empty.substring(0, empty.lastIndexOf('['));
            broken.add(list);
            if (!remove(root, list)) {
                throw new ConfigException(problems);
            }
        }
        T value = null;
        while (value == null) {
            try {
                value = mapper.treeToValue(root, type);
            } catch (JsonProcessingException e) {
                // report it, drop what was wrong (its default applies) and bind again, so one
                // run names every problem of the file, not only the first
                String path = path(e);
                problems.add(source.describe(path) + ": " + describe(e));
                String cut = path.replaceFirst("\\[\\d+]$", ""); // a list entry: drop the whole list
                broken.add(cut);
                if (problems.size() >= MAX_PROBLEMS || cut.isEmpty() || !remove(root, cut)) {
                    throw new ConfigException(problems);
                }
            } catch (IllegalArgumentException e) {
                problems.add((name == null ? "" : name + ": ") + e.getMessage());
                throw new ConfigException(problems);
            }
        }
        for (ConfigProblem p : validator.apply(value)) {
            if (broken.stream().noneMatch(b -> within(p.path(), b))) {
                problems.add(source.describe(p.path()) + ": " + p.message());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new Loaded<>(value, source);
    }

    /** Whether {@code path} is {@code prefix} or lies under it ({@code rules[1].ttl} under {@code rules}). */
    private static boolean within(String path, String prefix) {
        String p = path == null ? "" : path;
        return p.equals(prefix) || p.startsWith(prefix + ".") || p.startsWith(prefix + "[");
    }

    /** Removes the key at {@code path} (dotted, with list indexes) from the tree; false if it is not there. */
    private static boolean remove(ObjectNode root, String path) {
        JsonNode node = root;
        String[] parts = path.split("\\.");
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            int bracket = part.indexOf('[');
            String key = bracket < 0 ? part : part.substring(0, bracket);
            if (i == parts.length - 1 && bracket < 0) {
                return node instanceof ObjectNode o && o.remove(key) != null;
            }
            node = node.get(key);
            while (bracket >= 0 && node != null) {
                int close = part.indexOf(']', bracket);
                String index = close < 0 ? "" : part.substring(bracket + 1, close);
                if (!index.matches("\\d{1,9}")) {
                    return false; // a key whose name holds brackets: not a list index
                }
                node = node.get(Integer.parseInt(index));
                bracket = part.indexOf('[', close);
            }
            if (node == null) {
                return false;
            }
        }
        return false;
    }

    /** The path of the first null element of a list in the document ({@code rules[2]}), or null. */
    private static String emptyListEntry(JsonNode node, String path) {
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String p = path + "[" + i + "]";
                if (node.get(i).isNull()) {
                    return p;
                }
                String inner = emptyListEntry(node.get(i), p);
                if (inner != null) {
                    return inner;
                }
            }
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                String inner = emptyListEntry(field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey());
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }

    /** A parser message on one line, without the parser's own excerpt of the input. */
    static String oneLine(String message) {
        StringBuilder sb = new StringBuilder();
        for (String line : message.split("\n")) {
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("in 'reader'") || t.startsWith("^") || line.startsWith("    ")) {
                continue;
            }
            sb.append(sb.isEmpty() ? "" : "; ").append(t);
        }
        return sb.toString();
    }

    private static void overlay(ObjectNode root, String key, Object value) {
        String[] parts = key.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (!(child instanceof ObjectNode)) {
                child = node.putObject(parts[i]);
            }
            node = (ObjectNode) child;
        }
        String last = parts[parts.length - 1];
        if (value instanceof JsonNode tree) {
            node.set(last, tree.deepCopy());
        } else if (value instanceof Collection<?> list) {
            ArrayNode array = node.putArray(last);
            list.forEach(v -> array.add(String.valueOf(v)));
        } else {
            node.put(last, String.valueOf(value));
        }
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String path(JsonProcessingException e) {
        return e instanceof JsonMappingException m ? path(m) : "";
    }

    /**
     * A binding error as one line for people: the key path, then what is wrong, with no Java
     * type names ({@code limits.max-headers: invalid value 'many': expected an integer}). For APIs
     * that read Outpost's documents as well as for config files.
     */
    public static String explain(JsonProcessingException e) {
        String p = path(e);
        return (p.isEmpty() ? "" : p + ": ") + describe(e);
    }

    private static final java.util.regex.Pattern JAVA_TYPE = java.util.regex.Pattern.compile("`([\\w.$]+)`");

    /** {@code message} with Java type names ({@code `java.lang.Integer`}) replaced by what people call them. */
    static String plain(String message) {
        if (message == null) {
            return "";
        }
        java.util.regex.Matcher m = JAVA_TYPE.matcher(message);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1).substring(Math.max(m.group(1).lastIndexOf('.'), m.group(1).lastIndexOf('$')) + 1);
            String word = switch (name) {
                case "Integer", "int", "Long", "long", "Short", "short" -> "an integer";
                case "Double", "double", "Float", "float", "BigDecimal" -> "a number";
                case "Boolean", "boolean" -> "true or false";
                case "String" -> "a string";
                default -> name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
            };
            m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement(word));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String describe(JsonProcessingException e) {
        return plain(describeRaw(e));
    }

    private static String describeRaw(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            Collection<Object> known = u.getKnownPropertyIds();
            return "unknown key '" + u.getPropertyName() + "'"
                    + (known == null || known.isEmpty() ? "" : " (known keys: "
                    + known.stream().map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")");
        }
        if (e instanceof ValueInstantiationException v && v.getCause() != null) {
            return v.getCause().getMessage();
        }
        if (e instanceof InvalidFormatException f) {
            String msg = f.getOriginalMessage();
            int reason = msg.indexOf(": ", msg.indexOf("from String"));
            String why = msg.contains("from String") && reason > 0 ? msg.substring(reason + 2) : null;
            if (why != null && why.startsWith("not a valid")) {
                why = null; // Jackson's own words name a Java type
            }
            return "invalid value '" + f.getValue() + "': " + (why == null ? "expected " + simpleType(f) : why);
        }
        if (e instanceof MismatchedInputException m) {
            return "expected " + simpleType(m) + ", found something else";
        }
        return e.getOriginalMessage();
    }

    private static String simpleType(MismatchedInputException e) {
        Class<?> t = e.getTargetType();
        if (t == null) {
            return "a value";
        }
        Map<Class<?>, String> names = new LinkedHashMap<>();
        names.put(Integer.class, "an integer");
        names.put(int.class, "an integer");
        names.put(Long.class, "an integer");
        names.put(Double.class, "a number");
        names.put(Boolean.class, "true or false");
        names.put(String.class, "a string");
        names.put(List.class, "a list");
        names.put(java.time.Duration.class, "a duration such as 30s or 5m");
        names.put(DataSize.class, "a size such as 256MiB");
        String n = names.get(t);
        if (n != null) {
            return n;
        }
        if (t.isRecord()) {
            return "a mapping of keys (" + t.getSimpleName() + ")";
        }
        if (t.isEnum()) {
            List<String> values = new ArrayList<>();
            for (Object c : t.getEnumConstants()) {
                values.add(OutpostJson.kebab((Enum<?>) c));
            }
            return "one of " + String.join(", ", values);
        }
        return "a " + t.getSimpleName();
    }
}
