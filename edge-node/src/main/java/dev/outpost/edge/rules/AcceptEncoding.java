package dev.outpost.edge.rules;

import java.util.List;
import java.util.Locale;

/**
 * Folds a client's Accept-Encoding to the encodings the node asks upstream for: {@code br, gzip},
 * {@code br}, {@code gzip} or {@code identity}. The folded value is both the cache-key part and
 * the Accept-Encoding sent upstream, so variants stay few (four) however clients spell their
 * preferences, and a client never gets an encoding it did not accept.
 */
public final class AcceptEncoding {

    private AcceptEncoding() {
    }

    public static String preferred(List<String> lines) {
        boolean br = false;
        boolean gzip = false;
        boolean star = false;
        for (String line : lines) {
            for (String part : line.split(",")) {
                String[] p = part.trim().toLowerCase(Locale.ROOT).split(";");
                String coding = p[0].trim();
                double q = 1;
                for (int i = 1; i < p.length; i++) {
                    String param = p[i].trim();
                    if (param.startsWith("q=")) {
                        try {
                            q = Double.parseDouble(param.substring(2));
                        } catch (NumberFormatException e) {
                            q = 0;
                        }
                    }
                }
                if (q <= 0) {
                    continue;
                }
                switch (coding) {
                    case "br" -> br = true;
                    case "gzip", "x-gzip" -> gzip = true;
                    case "*" -> star = true;
                    default -> {
                    }
                }
            }
        }
        br |= star;
        gzip |= star;
        if (br && gzip) {
            return "br, gzip";
        }
        return br ? "br" : gzip ? "gzip" : "identity";
    }
}
