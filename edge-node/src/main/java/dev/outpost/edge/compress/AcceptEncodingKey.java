package dev.outpost.edge.compress;

import java.util.List;
import java.util.Locale;

/**
 * Folds a client's Accept-Encoding (RFC 9110 §12.5.3) to the single encoding the node sends it:
 * the allowed encoding with the highest q-value, ties broken by the rule's order; {@code identity}
 * when the client accepts none of them (or sent no Accept-Encoding). {@code x-gzip} counts as
 * {@code gzip}; {@code *} gives its q-value to every encoding not named; {@code q=0} refuses.
 */
public final class AcceptEncodingKey {

    /** The token of an uncompressed representation. */
    public static final String IDENTITY = "identity";

    private AcceptEncodingKey() {
    }

    /**
     * @param lines the request's Accept-Encoding field lines
     * @param allowed the encodings the rule offers (and the node can produce), in preference order
     */
    public static String choose(List<String> lines, List<String> allowed) {
        if (lines.isEmpty() || allowed.isEmpty()) {
            return IDENTITY;
        }
        double[] q = new double[allowed.size()];
        boolean[] named = new boolean[allowed.size()];
        double star = -1;
        for (String line : lines) {
            for (String part : line.split(",")) {
                String[] p = part.trim().toLowerCase(Locale.ROOT).split(";");
                String coding = p[0].trim();
                if (coding.isEmpty()) {
                    continue;
                }
                double weight = 1;
                for (int i = 1; i < p.length; i++) {
                    String param = p[i].trim();
                    if (param.startsWith("q=")) {
                        weight = qvalue(param.substring(2).trim());
                    }
                }
                if (coding.equals("x-gzip")) {
                    coding = "gzip";
                }
                if (coding.equals("*")) {
                    star = Math.max(star, weight);
                    continue;
                }
                int i = allowed.indexOf(coding);
                if (i >= 0) {
                    // a coding named twice keeps its highest weight
                    q[i] = named[i] ? Math.max(q[i], weight) : weight;
                    named[i] = true;
                }
            }
        }
        int best = -1;
        double bestQ = 0;
        for (int i = 0; i < allowed.size(); i++) {
            double w = named[i] ? q[i] : Math.max(star, 0);
            if (w > bestQ) {
                best = i;
                bestQ = w;
            }
        }
        return best < 0 ? IDENTITY : allowed.get(best);
    }

    /** A qvalue (RFC 9110 §12.4.2): 0 to 1 with up to three decimals; anything else refuses (0). */
    private static double qvalue(String text) {
        if (text.isEmpty() || text.length() > 5) {
            return 0;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9') && c != '.') {
                return 0;
            }
        }
        try {
            double v = Double.parseDouble(text);
            return v >= 0 && v <= 1 ? v : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
