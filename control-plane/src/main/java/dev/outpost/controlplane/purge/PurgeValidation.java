package dev.outpost.controlplane.purge;

import dev.outpost.config.fleet.Purge;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** What a purge's values must look like, so a typo is refused instead of silently purging nothing. */
final class PurgeValidation {

    static final int MAX_VALUES = 1000;
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?(:\\d{1,5})?");
    private static final Pattern TAG = Pattern.compile("[\\x21-\\x7e&&[^,\"\\\\]]{1,256}");

    private PurgeValidation() {
    }

    static List<String> problems(Purge p) {
        List<String> out = new ArrayList<>();
        if (p.values().size() > MAX_VALUES) {
            out.add("too many values: " + p.values().size() + " (at most " + MAX_VALUES + " per purge)");
            return out;
        }
        for (int i = 0; i < p.values().size(); i++) {
            String v = p.values().get(i);
            String where = "values[" + i + "]: ";
            switch (p.kind()) {
                case URL, PREFIX -> {
                    String problem = url(v);
                    if (problem != null) {
                        out.add(where + problem);
                    }
                }
                case HOST -> {
                    if (v == null || !HOST.matcher(v).matches()) {
                        out.add(where + "not a host name: '" + v + "'");
                    }
                }
                case TAG -> {
                    if (v == null || !TAG.matcher(v).matches()) {
                        out.add(where + "not a surrogate key: '" + v + "' (1 to 256 visible characters,"
                                + " no spaces, commas, quotes or backslashes)");
                    }
                }
                case ALL -> out.add(where + "purge all takes no values");
            }
        }
        return out;
    }

    private static String url(String v) {
        if (v == null || v.isBlank()) {
            return "empty URL";
        }
        try {
            URI u = new URI(v);
            if (u.getScheme() == null || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))) {
                return "not an http or https URL: '" + v + "'";
            }
            if (u.getHost() == null) {
                return "URL without a host: '" + v + "'";
            }
            return null;
        } catch (URISyntaxException e) {
            return "malformed URL: '" + v + "' (" + e.getReason() + ")";
        }
    }
}
