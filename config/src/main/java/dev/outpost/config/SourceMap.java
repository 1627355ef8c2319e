package dev.outpost.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where each key of a config document was written, and which keys came from flags, so a
 * problem found after binding (a bad regex, an unknown origin, a port in use) can still be
 * reported at its file, line and column.
 */
public final class SourceMap {

    private final String file;
    private final Map<String, int[]> locations;
    private final Set<String> flags;

    private SourceMap(String file, Map<String, int[]> locations, Set<String> flags) {
        this.file = file;
        this.locations = locations;
        this.flags = flags;
    }

    /** A map for a document with no file (defaults and flags only). */
    public static SourceMap none(Set<String> flags) {
        return new SourceMap(null, Map.of(), Set.copyOf(flags));
    }

    /** Records the location of every key and array element of {@code text}. */
    public static SourceMap of(String file, String text, ObjectMapper mapper, Set<String> flags) {
        Map<String, int[]> locations = new HashMap<>();
        try (JsonParser p = mapper.getFactory().createParser(text)) {
            JsonToken t = p.nextToken();
            if (t != null) {
                walk(p, "", locations);
            }
        } catch (IOException | RuntimeException e) {
            // the binder reports syntax errors with their own location
        }
        return new SourceMap(file, locations, Set.copyOf(flags));
    }

    private static void walk(JsonParser p, String path, Map<String, int[]> out) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = path.isEmpty() ? p.currentName() : path + "." + p.currentName();
                out.put(key, loc(p.currentTokenLocation()));
                p.nextToken();
                walk(p, key, out);
            }
        } else if (t == JsonToken.START_ARRAY) {
            int i = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                String key = path + "[" + i++ + "]";
                out.put(key, loc(p.currentTokenLocation()));
                walk(p, key, out);
            }
        }
    }

    private static int[] loc(JsonLocation l) {
        return new int[] {l.getLineNr(), l.getColumnNr()};
    }

    /**
     * Where {@code path} was set: {@code file:line:col: path}, {@code flag --path}, or the
     * nearest enclosing key that was written, so a missing key points at its parent.
     */
    public String describe(String path) {
        String flag = null;
        for (String f : flags) {
            if (path != null && (path.equals(f) || path.startsWith(f + ".") || path.startsWith(f + "["))
                    && (flag == null || f.length() > flag.length())) {
                flag = f;
            }
        }
        if (flag != null) {
            return "flag --" + flag + (path.length() > flag.length() ? " (" + path + ")" : "");
        }
        String p = path == null ? "" : path;
        while (!p.isEmpty()) {
            int[] l = locations.get(p);
            if (l != null) {
                return (file == null ? "" : file + ":") + l[0] + ":" + l[1] + ": " + path;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut < 0 ? "" : p.substring(0, cut);
        }
        return (file == null ? "" : file + ": ") + (path == null || path.isEmpty() ? "(top level)" : path);
    }

    /** The file this map describes, or null. */
    public String file() {
        return file;
    }
}
