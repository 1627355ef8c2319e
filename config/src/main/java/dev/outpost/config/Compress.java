package dev.outpost.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compression at the edge under one rule: responses of the listed types, at least
 * {@code min-size} long, that the origin sent without a Content-Encoding, are encoded for
 * clients that accept one of {@code encodings}, and the encoded form is what is stored, so a
 * hit costs no compression work. Off unless {@code enabled}.
 *
 * @param enabled whether the edge compresses under this rule (default false)
 * @param types media types that are compressed: {@code type/subtype} or {@code type/*}
 *     (default text/*, JSON, JavaScript, XML, SVG and a few more text formats)
 * @param minSize smaller bodies (by their Content-Length) are left alone (default 1KiB); a body
 *     of unknown length is compressed
 * @param encodings the encodings offered, in the node's order of preference among those a
 *     client accepts with the same q-value: {@code br}, {@code zstd}, {@code gzip} (default
 *     all three in that order)
 * @param level compression level: one number for every encoding ({@code level: 5}) or one
 *     per encoding ({@code level: {gzip: 6, br: 4}}); absent: gzip 6, br 4, zstd 3. Written
 *     in the record as a map, the number as the key {@code "*"}
 */
public record Compress(
        Boolean enabled,
        List<String> types,
        DataSize minSize,
        List<String> encodings,
        @JsonDeserialize(using = Compress.Levels.class) Map<String, Integer> level) {

    /** The encodings the node knows, in its default order of preference. */
    public static final List<String> KNOWN_ENCODINGS = List.of("br", "zstd", "gzip");

    /** The media types compressed when a rule lists none. */
    public static final List<String> DEFAULT_TYPES = List.of("text/*", "application/json", "application/javascript",
            "application/xml", "application/xhtml+xml", "application/rss+xml", "application/atom+xml",
            "application/ld+json", "application/manifest+json", "application/wasm", "image/svg+xml",
            "image/x-icon", "font/ttf", "font/otf");

    /** Compression off: the default of every rule. */
    public static final Compress OFF = new Compress(false, null, null, null, null);

    public Compress {
        enabled = enabled != null && enabled;
        types = types == null ? DEFAULT_TYPES : types.stream().map(t -> t.trim().toLowerCase(Locale.ROOT)).toList();
        minSize = minSize == null ? DataSize.ofKibibytes(1) : minSize;
        encodings = encodings == null ? KNOWN_ENCODINGS
                : encodings.stream().map(e -> e.trim().toLowerCase(Locale.ROOT)).toList();
        level = level == null ? Map.of() : Map.copyOf(level);
    }

    /** The level for {@code encoding}: its own, else the one for every encoding, else the encoding's default. */
    public int levelFor(String encoding) {
        Integer own = level.get(encoding);
        if (own != null) {
            return own;
        }
        Integer all = level.get("*");
        return all != null ? all : defaultLevel(encoding);
    }

    /** The default level of an encoding: gzip 6 (as nginx's and zlib's), br 4, zstd 3 (good ratios at on-the-fly cost). */
    public static int defaultLevel(String encoding) {
        return switch (encoding) {
            case "gzip" -> 6;
            case "br" -> 4;
            case "zstd" -> 3;
            default -> 0;
        };
    }

    /** The lowest and highest level an encoding takes. */
    public static int[] levelRange(String encoding) {
        return switch (encoding) {
            case "gzip" -> new int[] {1, 9};
            case "br" -> new int[] {0, 11};
            case "zstd" -> new int[] {1, 22};
            default -> new int[] {0, 0};
        };
    }

    /** Reads {@code level}: a number (every encoding) or a mapping of encoding to number. */
    static final class Levels extends StdDeserializer<Map<String, Integer>> {

        Levels() {
            super(Map.class);
        }

        @Override
        public Map<String, Integer> deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                return Map.of("*", p.getIntValue());
            }
            if (p.currentToken() != JsonToken.START_OBJECT) {
                return ctxt.reportInputMismatch(this, "level: a number, or a mapping of encoding to number");
            }
            Map<String, Integer> out = new LinkedHashMap<>();
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName().trim().toLowerCase(Locale.ROOT);
                if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                    return ctxt.reportInputMismatch(this, "level." + name + ": a number");
                }
                out.put(name, p.getIntValue());
            }
            return out;
        }
    }
}
