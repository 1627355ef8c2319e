package dev.outpost.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The three kinds of config document Outpost reads: a node's file, the control plane's file and
 * a delivery config (what {@code outpost config push} stores). A document is told apart by its
 * top-level keys, so a tool can check whichever file it is given.
 */
public enum ConfigKind {
    NODE(NodeConfig.class),
    CONTROL_PLANE(ControlPlaneConfig.class),
    DELIVERY(DeliveryConfig.class);

    private final Class<? extends Record> type;

    ConfigKind(Class<? extends Record> type) {
        this.type = type;
    }

    /** The name operators write: {@code node}, {@code control-plane}, {@code delivery}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The kind named {@code text} ({@code control-plane} or {@code control_plane}); IllegalArgumentException naming the choices. */
    public static ConfigKind parse(String text) {
        for (ConfigKind k : values()) {
            if (k.label().equalsIgnoreCase(text == null ? "" : text.trim().replace('_', '-'))) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown config kind '" + text + "' (node, control-plane or delivery)");
    }

    /** A reader of documents of this kind, with its validation. */
    public ConfigReader<? extends Record> reader() {
        return switch (this) {
            case NODE -> ConfigReader.node();
            case CONTROL_PLANE -> ControlPlaneConfig.reader();
            case DELIVERY -> ConfigReader.delivery();
        };
    }

    /** The keys a document of this kind may have at its top level. */
    public Set<String> keys() {
        return ConfigKeys.topLevel(type);
    }

    /**
     * The kind a document with these top-level keys is: delivery when it has only delivery keys
     * (a node file may hold them too, but a file of only those is what gets pushed), else the
     * kind that leaves the fewest keys unknown (a node on a tie), so a typo still gets read as
     * the kind it was meant to be and reported as an unknown key.
     */
    public static ConfigKind detect(Set<String> topLevelKeys) {
        if (DELIVERY.keys().containsAll(topLevelKeys)) {
            return DELIVERY;
        }
        long nodeUnknown = topLevelKeys.stream().filter(k -> !NODE.keys().contains(k)).count();
        long cpUnknown = topLevelKeys.stream().filter(k -> !CONTROL_PLANE.keys().contains(k)).count();
        return cpUnknown < nodeUnknown ? CONTROL_PLANE : NODE;
    }

    /** The kind of {@code file} by its top-level keys; a file that does not parse is read as a node's, whose reader reports why. */
    public static ConfigKind detect(Path file) {
        Set<String> keys = new LinkedHashSet<>();
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            JsonNode tree = (file.toString().endsWith(".json") ? OutpostJson.json() : OutpostJson.yaml()).readTree(text);
            if (tree != null && tree.isObject()) {
                tree.fieldNames().forEachRemaining(keys::add);
            }
        } catch (IOException | RuntimeException e) {
            return NODE;
        }
        return detect(keys);
    }
}
