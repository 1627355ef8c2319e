package dev.outpost.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A number of bytes as operators write it in config and flags: {@code 256MiB}, {@code 10GB},
 * {@code 512k} or a plain byte count. Binary and decimal suffixes both mean powers of 1024, as
 * nginx and Varnish read them, so {@code 1GB} and {@code 1GiB} are the same size.
 */
public record DataSize(long bytes) implements Comparable<DataSize> {

    private static final Pattern FORMAT =
            Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b?)", Pattern.CASE_INSENSITIVE);

    public DataSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("size must not be negative: " + bytes);
        }
    }

    public static DataSize ofBytes(long bytes) {
        return new DataSize(bytes);
    }

    public static DataSize ofKibibytes(long k) {
        return new DataSize(Math.multiplyExact(k, 1024L));
    }

    public static DataSize ofMebibytes(long m) {
        return new DataSize(Math.multiplyExact(m, 1024L * 1024));
    }

    public static DataSize ofGibibytes(long g) {
        return new DataSize(Math.multiplyExact(g, 1024L * 1024 * 1024));
    }

    /** Parses {@code 256MiB}, {@code 1.5g}, {@code 4096}; throws IllegalArgumentException naming the text. */
    public static DataSize parse(String text) {
        String t = text == null ? "" : text.trim();
        Matcher m = FORMAT.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "not a size: '" + text + "' (use bytes or a suffix such as 64KiB, 256MiB, 10GiB)");
        }
        if (!m.group(3).isEmpty() && m.group(2).isEmpty() && m.group(3).toLowerCase(Locale.ROOT).startsWith("i")) {
            throw new IllegalArgumentException("not a size: '" + text + "'");
        }
        double number = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 1024L;
            case "m" -> 1024L * 1024;
            case "g" -> 1024L * 1024 * 1024;
            case "t" -> 1024L * 1024 * 1024 * 1024;
            default -> 1L;
        };
        double bytes = number * unit;
        if (bytes > Long.MAX_VALUE) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        return new DataSize((long) bytes);
    }

    @Override
    public int compareTo(DataSize o) {
        return Long.compare(bytes, o.bytes);
    }

    @Override
    public String toString() {
        long b = bytes;
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int i = 0;
        while (i < units.length - 1 && b >= 1024 && b % 1024 == 0) {
            b /= 1024;
            i++;
        }
        return b + units[i];
    }
}
