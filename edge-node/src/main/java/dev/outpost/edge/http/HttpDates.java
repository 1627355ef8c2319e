package dev.outpost.edge.http;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;

/**
 * HTTP dates (RFC 9110 §5.6.7): IMF-fixdate written, and the two obsolete forms (RFC 850 and
 * asctime) read too. Parsing never throws: an invalid date is {@link #INVALID}, which callers
 * treat as the RFC says (an invalid Expires means already expired). Two-digit years of RFC 850
 * dates are read with a fixed pivot (00-69 are 20xx, 70-99 19xx) rather than the RFC's window of
 * 50 years from now, which would need a clock here; senders of that form have been gone for
 * decades.
 */
public final class HttpDates {

    /** Returned for a value that is present but not a date. */
    public static final long INVALID = Long.MIN_VALUE;

    private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] MONTH_NAMES = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    private HttpDates() {
    }

    /** Epoch milliseconds of an HTTP date, or {@link #INVALID}. */
    public static long parse(String value) {
        if (value == null) {
            return INVALID;
        }
        String v = value.trim();
        try {
            int comma = v.indexOf(',');
            String[] p;
            if (comma > 0) {
                p = v.substring(comma + 1).trim().split("[ \\-]+");
                // IMF-fixdate: 06 Nov 1994 08:49:37 GMT ; RFC 850: 06-Nov-94 08:49:37 GMT
                if (p.length != 5 || !p[4].equals("GMT")) {
                    return INVALID;
                }
                int day = Integer.parseInt(p[0]);
                int month = month(p[1]);
                int year = Integer.parseInt(p[2]);
                if (p[2].length() == 2) {
                    year += year < 70 ? 2000 : 1900;
                } else if (p[2].length() != 4) {
                    return INVALID;
                }
                return at(year, month, day, p[3]);
            }
            // asctime: Sun Nov  6 08:49:37 1994
            p = v.split(" +");
            if (p.length != 5) {
                return INVALID;
            }
            return at(Integer.parseInt(p[4]), month(p[1]), Integer.parseInt(p[2]), p[3]);
        } catch (RuntimeException e) {
            return INVALID;
        }
    }

    private static int month(String s) {
        String m = s.toLowerCase(Locale.ROOT);
        for (int i = 0; i < 12; i++) {
            if (MONTHS[i].equals(m)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("month");
    }

    private static long at(int year, int month, int day, String time) {
        String[] t = time.split(":");
        if (t.length != 3) {
            throw new IllegalArgumentException("time");
        }
        LocalDateTime dt = LocalDateTime.of(LocalDate.of(year, month, day),
                LocalTime.of(Integer.parseInt(t[0]), Integer.parseInt(t[1]), Math.min(59, Integer.parseInt(t[2]))));
        return dt.toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    /** IMF-fixdate of epoch milliseconds, e.g. {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
    public static String format(long epochMillis) {
        ZonedDateTime t = java.time.Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC);
        DayOfWeek dow = t.getDayOfWeek();
        StringBuilder sb = new StringBuilder(29);
        sb.append(DAYS[dow.getValue() - 1]).append(", ");
        two(sb, t.getDayOfMonth()).append(' ').append(MONTH_NAMES[t.getMonthValue() - 1]).append(' ').append(t.getYear()).append(' ');
        two(sb, t.getHour()).append(':');
        two(sb, t.getMinute()).append(':');
        two(sb, t.getSecond()).append(" GMT");
        return sb.toString();
    }

    private static StringBuilder two(StringBuilder sb, int n) {
        return sb.append((char) ('0' + n / 10)).append((char) ('0' + n % 10));
    }
}
