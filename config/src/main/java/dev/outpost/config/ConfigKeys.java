package dev.outpost.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Every key of a config record tree, as an operator writes it ({@code cache.max-variants}), with
 * its shape and default. The model is the only list of keys: a node's and the control plane's
 * flags are derived from it, so a key added to a record is a flag without a hand edit, and
 * {@code config validate} tells config kinds apart by their keys.
 */
public final class ConfigKeys {

    private static final PropertyNamingStrategies.NamingBase KEBAB =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.KEBAB_CASE;
    private static final int MAX_DEPTH = 6;

    private ConfigKeys() {
    }

    /** How a key's value is written on a command line. */
    public enum Shape {
        /** one value: a string, number, boolean, enum, duration, size, address... */
        VALUE,
        /** a list of values: the flag repeats, or takes values separated by commas */
        LIST,
        /**
         * a list of mappings, or a mapping that holds mappings ({@code origins}, {@code rules},
         * {@code default-rule}): YAML or JSON text, which replaces the whole key of the file
         */
        DOCUMENT
    }

    /**
     * One key.
     *
     * @param name dotted, kebab-case path ({@code limits.max-headers})
     * @param shape how it is written as a flag
     * @param type the value's type (the element type of a list of values)
     * @param defaultValue the default as a config file writes it, or null when there is none
     */
    public record Key(String name, Shape shape, Class<?> type, String defaultValue) {
    }

    /** Every key of {@code type}, nested records flattened to dotted names, in declaration order. */
    public static List<Key> of(Class<? extends Record> type) {
        List<Key> out = new ArrayList<>();
        walk(type, "", defaults(type), out, 0);
        return out;
    }

    /** The top-level keys of {@code type}: what a document of that type may contain. */
    public static Set<String> topLevel(Class<? extends Record> type) {
        Set<String> out = new LinkedHashSet<>();
        for (RecordComponent c : type.getRecordComponents()) {
            out.add(kebab(c.getName()));
        }
        return out;
    }

    /** Whether values of {@code type} are written as one scalar (text or number), not as a mapping. */
    public static boolean isScalar(Class<?> type) {
        if (type.isPrimitive() || type.isEnum() || type == String.class || Number.class.isAssignableFrom(type)
                || type == Boolean.class || type == Duration.class || type == DataSize.class) {
            return true;
        }
        try {
            Method parse = type.getMethod("parse", String.class);
            return Modifier.isStatic(parse.getModifiers()) && parse.getReturnType() == type;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static void walk(Class<?> type, String prefix, JsonNode defaults, List<Key> out, int depth) {
        for (RecordComponent c : type.getRecordComponents()) {
            String name = prefix + kebab(c.getName());
            Class<?> raw = c.getType();
            JsonNode value = defaults == null ? null : defaults.get(kebab(c.getName()));
            if (isCommaJoined(type, c)) {
                out.add(new Key(name, Shape.LIST, String.class, text(value)));
            } else if (Collection.class.isAssignableFrom(raw)) {
                Class<?> element = elementType(c.getGenericType());
                boolean values = element != null && isScalar(element);
                out.add(new Key(name, values ? Shape.LIST : Shape.DOCUMENT, values ? element : raw,
                        values ? text(value) : null));
            } else if (Map.class.isAssignableFrom(raw)) {
                out.add(new Key(name, Shape.DOCUMENT, raw, null));
            } else if (raw.isRecord() && !isScalar(raw) && isSection(raw) && depth < MAX_DEPTH) {
                JsonNode nested = value != null && value.isObject() ? value : defaults(raw);
                walk(raw, name + ".", nested, out, depth + 1);
            } else if (raw.isRecord() && !isScalar(raw)) {
                out.add(new Key(name, Shape.DOCUMENT, raw, null));
            } else {
                out.add(new Key(name, Shape.VALUE, raw, text(value)));
            }
        }
    }

    /** A string key read by {@link CommaJoined}: one value or several, so its flag repeats. */
    private static boolean isCommaJoined(Class<?> owner, RecordComponent c) {
        try {
            var d = owner.getDeclaredField(c.getName())
                    .getAnnotation(com.fasterxml.jackson.databind.annotation.JsonDeserialize.class);
            return d != null && d.using() == CommaJoined.class;
        } catch (NoSuchFieldException e) {
            return false;
        }
    }

    /**
     * A section is a mapping of plain values ({@code cache}, {@code limits}, {@code tls}): its
     * keys are flags of their own. A mapping that holds mappings ({@code default-rule},
     * {@code dns}) is one flag taking YAML text, rather than dozens of dotted ones.
     */
    private static boolean isSection(Class<?> type) {
        for (RecordComponent c : type.getRecordComponents()) {
            Class<?> raw = c.getType();
            if (Collection.class.isAssignableFrom(raw)) {
                Class<?> element = elementType(c.getGenericType());
                if (element == null || !isScalar(element)) {
                    return false;
                }
            } else if (Map.class.isAssignableFrom(raw) || !isScalar(raw)) {
                return false;
            }
        }
        return true;
    }

    private static Class<?> elementType(Type generic) {
        if (generic instanceof ParameterizedType p && p.getActualTypeArguments().length == 1
                && p.getActualTypeArguments()[0] instanceof Class<?> c) {
            return c;
        }
        return null;
    }

    /** The record with every key absent, as written by the one Jackson setup; null if it cannot be built. */
    private static JsonNode defaults(Class<?> type) {
        try {
            Object value = OutpostJson.json().treeToValue(JsonNodeFactory.instance.objectNode(), type);
            return OutpostJson.json().valueToTree(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            return null;
        }
    }

    private static String text(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return null;
        }
        if (value.isArray()) {
            if (value.isEmpty()) {
                return null;
            }
            StringJoiner j = new StringJoiner(",");
            value.forEach(v -> j.add(v.asText()));
            return j.toString();
        }
        return value.isValueNode() ? value.asText() : null;
    }

    static String kebab(String component) {
        return KEBAB.translate(component);
    }
}
