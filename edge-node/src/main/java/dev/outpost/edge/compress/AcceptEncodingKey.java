package dev.outpost.edge.compress;

import java.util.List;

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
        int n = Math.min(allowed.size(), 8);
        double[] q = new double[n];
        int named = 0; // bit i: allowed.get(i) was named
        double star = -1;
        for (String line : lines) {
            int len = line.length();
            int i = 0;
            while (i < len) {
                // one member: coding [ OWS ";" OWS q=qvalue ] ..., up to the next comma
                while (i < len && (line.charAt(i) == ' ' || line.charAt(i) == '\t' || line.charAt(i) == ',')) {
                    i++;
                }
                int start = i;
                while (i < len && line.charAt(i) != ';' && line.charAt(i) != ',' && line.charAt(i) != ' '
                        && line.charAt(i) != '\t') {
                    i++;
                }
                int end = i;
                double weight = 1;
                while (i < len && line.charAt(i) != ',') {
                    char c = line.charAt(i);
                    if ((c == 'q' || c == 'Q') && i + 1 < len && line.charAt(i + 1) == '=' && isParamStart(line, i)) {
                        int v = i + 2;
                        int ve = v;
                        while (ve < len && line.charAt(ve) != ',' && line.charAt(ve) != ';' && line.charAt(ve) != ' '
                                && line.charAt(ve) != '\t') {
                            ve++;
                        }
                        weight = qvalue(line, v, ve);
                        i = ve;
                    } else {
                        i++;
                    }
                }
                if (end == start) {
                    continue;
                }
                int clen = end - start;
                if (clen == 1 && line.charAt(start) == '*') {
                    star = Math.max(star, weight);
                    continue;
                }
                boolean xgzip = clen == 6 && line.regionMatches(true, start, "x-gzip", 0, 6);
                for (int k = 0; k < n; k++) {
                    String a = allowed.get(k);
                    boolean match = xgzip ? a.equals("gzip") : a.length() == clen && line.regionMatches(true, start, a, 0, clen);
                    if (match) {
                        // a coding named twice keeps its highest weight
                        q[k] = (named & (1 << k)) != 0 ? Math.max(q[k], weight) : weight;
                        named |= 1 << k;
                        break;
                    }
                }
            }
        }
        int best = -1;
        double bestQ = 0;
        for (int k = 0; k < n; k++) {
            double w = (named & (1 << k)) != 0 ? q[k] : Math.max(star, 0);
            if (w > bestQ) {
                best = k;
                bestQ = w;
            }
        }
        return best < 0 ? IDENTITY : allowed.get(best);
    }

    /** Whether the {@code q} at {@code i} starts a parameter: only whitespace since the last ';'. */
    private static boolean isParamStart(String line, int i) {
        for (int j = i - 1; j >= 0; j--) {
            char c = line.charAt(j);
            if (c == ';') {
                return true;
            }
            if (c != ' ' && c != '\t') {
                return false;
            }
        }
        return false;
    }

    /** A qvalue (RFC 9110 §12.4.2): 0 to 1 with up to three decimals; anything else refuses (0). */
    private static double qvalue(String line, int from, int to) {
        int len = to - from;
        if (len < 1 || len > 5) {
            return 0;
        }
        char first = line.charAt(from);
        if (first != '0' && first != '1') {
            return 0;
        }
        double v = first - '0';
        if (len == 1) {
            return v;
        }
        if (line.charAt(from + 1) != '.') {
            return 0;
        }
        double scale = 0.1;
        for (int i = from + 2; i < to; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                return 0;
            }
            v += (c - '0') * scale;
            scale /= 10;
        }
        return v > 1 ? 0 : v;
    }
}
