package dev.outpost.deploy;

import dev.outpost.config.ConfigReader;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.NodeConfig;
import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the flags a deploy file passes to an Outpost service the way the service does: through
 * {@link ConfigReader} into the real config record. An unknown flag, a bad value or a missing
 * origin fails here, as it would when the container starts.
 */
final class OutpostFlags {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::-([^}]*)|:\\?[^}]*)?}|\\$\\(([A-Z0-9_]+)\\)");

    private OutpostFlags() {
    }

    static NodeConfig node(Map<String, Object> flags) {
        return ConfigReader.node().read(null, normalize(flags, NodeConfig.class)).value();
    }

    static ControlPlaneConfig controlPlane(Map<String, Object> flags) {
        return new ConfigReader<>(ControlPlaneConfig.class, c -> List.of())
                .read(null, normalize(flags, ControlPlaneConfig.class)).value();
    }

    /**
     * Compose's {@code ${VAR:-default}} becomes its default ({@code ${VAR:?message}}, which has
     * none, a stand-in), Kubernetes' {@code $(VAR)} a stand-in of the right shape (an address for
     * *_IP and *_ADDRESS, a name otherwise).
     */
    static String substitute(String value) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group(1) != null) {
                replacement = m.group(2) != null ? m.group(2) : "from-environment";
            } else {
                String name = m.group(3);
                replacement = name.endsWith("_IP") ? "10.0.0.1"
                        : name.endsWith("_ADDRESS") ? "203.0.113.1" : name.toLowerCase().replace('_', '-');
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** List-typed keys given once become one-element lists, as a repeatable flag given once does. */
    private static Map<String, Object> normalize(Map<String, Object> flags, Class<? extends Record> type) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (var e : flags.entrySet()) {
            Object v = e.getValue() instanceof String s ? substitute(s) : e.getValue();
            if (v instanceof List<?> l) {
                v = l.stream().map(x -> substitute(String.valueOf(x))).toList();
            }
            if (v instanceof String s && isList(type, e.getKey())) {
                v = List.of(s);
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    private static boolean isList(Class<? extends Record> type, String key) {
        for (RecordComponent c : type.getRecordComponents()) {
            if (kebab(c.getName()).equals(key)) {
                return List.class.isAssignableFrom(c.getType());
            }
        }
        return false;
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }
}
