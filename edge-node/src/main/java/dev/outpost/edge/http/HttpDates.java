package dev.outpost.edge.http;

import org.jspecify.annotations.Nullable;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * HTTP dates (RFC 9110 §5.6.7): IMF-fixdate written, and the three formats of the RFC read,
 * each exactly as its grammar says, so that an invalid {@code Expires} is recognised as such
 * and means "already expired" (RFC 9111 §5.3). Parsing never throws: an invalid date is
 * {@link #INVALID}.
 *
 * <p>Read:
 * <ul>
 *   <li>IMF-fixdate {@code Sun, 06 Nov 1994 08:49:37 GMT}: two-digit day, four-digit year;</li>
 *   <li>RFC 850 {@code Sunday, 06-Nov-94 08:49:37 GMT}: full day name, dashes, two-digit year;</li>
 *   <li>asctime {@code Sun Nov  6 08:49:37 1994}: the day is two digits or a space and a digit.</li>
 * </ul>
 * Everything else is invalid: two-digit years outside RFC 850, dashes where spaces belong,
 * doubled spaces, one-digit hours, missing comma, a zone other than {@code GMT}, trailing text
 * (so several dates in one line, a list, are invalid too).
 *
 * <p>Leniencies kept, each one the RFC allows a recipient:
 * <ul>
 *   <li>Day names, month names and {@code GMT} are matched without regard to case. The grammar
 *       is case-sensitive, but a mis-cased name leaves no doubt about the instant, and RFC 9110
 *       §5.6.7 lets recipients accept what they can read unambiguously.</li>
 *   <li>The day name is not checked against the date: the instant is fully given by the rest,
 *       and the RFC does not ask recipients to cross-check.</li>
 *   <li>A second of 60 (a leap second, which the grammar allows) is read as 59.</li>
 *   <li>Whitespace around the value is not part of it (RFC 9110 §5.5) and is ignored.</li>
 *   <li>RFC 850 two-digit years are read with a fixed pivot (00-69 are 20xx, 70-99 19xx) rather
 *       than the RFC's window of 50 years from now, which would need a clock here; senders of
 *       that form have been gone for decades, and the two agree until 2020 + 49.</li>
 * </ul>
 */
public final class HttpDates {

    /** Returned for a value that is absent or present but not a date. */
    public static final long INVALID = Long.MIN_VALUE;

    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] LONG_DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    private static final String[] MONTH_NAMES = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    private HttpDates() {
    }

    /** Epoch milliseconds of an HTTP date, or {@link #INVALID}. */
    public static long parse(@Nullable String value) {
        if (value == null) {
            return INVALID;
        }
        String v = value.strip();
        try {
            if (v.length() == 29 && v.charAt(3) == ',') {
                return imfFixdate(v);
            }
            if (v.length() == 24 && v.charAt(3) == ' ') {
                return asctime(v);
            }
            int comma = v.indexOf(',');
            if (comma > 0) {
                return rfc850(v, comma);
            }
            return INVALID;
        } catch (DateTimeException | IllegalArgumentException e) {
            return INVALID;
        }
    }

    /** {@code Sun, 06 Nov 1994 08:49:37 GMT} */
    private static long imfFixdate(String v) {
        name(v, 0, DAYS);
        expect(v, 3, ", ");
        int day = digits(v, 5, 2);
        expect(v, 7, " ");
        int month = name(v, 8, MONTH_NAMES);
        expect(v, 11, " ");
        int year = digits(v, 12, 4);
        expect(v, 16, " ");
        long t = at(year, month, day, v, 17);
        expect(v, 25, " ");
        gmt(v, 26);
        return t;
    }

    /** {@code Sunday, 06-Nov-94 08:49:37 GMT} */
    private static long rfc850(String v, int comma) {
        name(v.substring(0, comma), 0, LONG_DAYS);
        int i = comma;
        if (v.length() != i + 24) {
            throw new IllegalArgumentException("length");
        }
        expect(v, i, ", ");
        int day = digits(v, i + 2, 2);
        expect(v, i + 4, "-");
        int month = name(v, i + 5, MONTH_NAMES);
        expect(v, i + 8, "-");
        int yy = digits(v, i + 9, 2);
        expect(v, i + 11, " ");
        long t = at(yy < 70 ? 2000 + yy : 1900 + yy, month, day, v, i + 12);
        expect(v, i + 20, " ");
        gmt(v, i + 21);
        return t;
    }

    /** {@code Sun Nov  6 08:49:37 1994} */
    private static long asctime(String v) {
        name(v, 0, DAYS);
        expect(v, 3, " ");
        int month = name(v, 4, MONTH_NAMES);
        expect(v, 7, " ");
        int day = v.charAt(8) == ' ' ? digits(v, 9, 1) : digits(v, 8, 2);
        expect(v, 10, " ");
        int year = digits(v, 20, 4);
        expect(v, 19, " ");
        return at(year, month, day, v, 11);
    }

    /** The index (1-based for months, any for days) of the name at {@code from}, compared without case. */
    private static int name(String v, int from, String[] names) {
        for (int i = 0; i < names.length; i++) {
            String n = names[i];
            if (names == LONG_DAYS ? v.length() == n.length() && v.equalsIgnoreCase(n)
                    : v.regionMatches(true, from, n, 0, n.length())) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("name");
    }

    private static void expect(String v, int at, String literal) {
        if (!v.startsWith(literal, at)) {
            throw new IllegalArgumentException("expected '" + literal + "'");
        }
    }

    private static void gmt(String v, int at) {
        if (v.length() != at + 3 || !v.regionMatches(true, at, "GMT", 0, 3)) {
            throw new IllegalArgumentException("zone");
        }
    }

    private static int digits(String v, int from, int count) {
        int n = 0;
        for (int i = from; i < from + count; i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("digit");
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /** The instant of a date and the time-of-day {@code HH:MM:SS} at {@code from}. */
    private static long at(int year, int month, int day, String v, int from) {
        int hour = digits(v, from, 2);
        expect(v, from + 2, ":");
        int minute = digits(v, from + 3, 2);
        expect(v, from + 5, ":");
        int second = digits(v, from + 6, 2);
        if (second > 60) {
            throw new IllegalArgumentException("second");
        }
        return LocalDateTime.of(year, month, day, hour, minute, Math.min(59, second))
                .toInstant(ZoneOffset.UTC).toEpochMilli();
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
