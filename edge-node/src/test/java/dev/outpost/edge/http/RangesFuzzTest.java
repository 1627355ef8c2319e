package dev.outpost.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes Range evaluation: nothing throws; ranges answered are within the body, ordered and
 * disjoint, at most {@link Ranges#MAX_RANGES}; a single {@code bytes=a-b} agrees with a plain
 * reference; a bounded range found before the length is known lies within the one found after.
 */
class RangesFuzzTest {

    private static final HeaderSource STORED = new HeaderSource() {
        @Override
        public String first(String name) {
            return switch (name) {
                case "etag" -> "\"v1\"";
                case "last-modified" -> "Sun, 06 Nov 1994 08:49:37 GMT";
                default -> null;
            };
        }

        @Override
        public List<String> all(String name) {
            String v = first(name);
            return v == null ? List.of() : List.of(v);
        }
    };

    @Tag("long-fuzz")
    @FuzzTest(maxDuration = "15m")
    @DictionaryEntries({"bytes=", "-", ",", "\"v1\"", "W/", "Sun, 06 Nov 1994 08:49:37 GMT"})
    void longFuzz(FuzzedDataProvider data) {
        check(data);
    }

    static void check(FuzzedDataProvider data) {
        long length = data.consumeLong(0, Long.MAX_VALUE / 2);
        long a = data.consumeLong(0, 1 << 20);
        long b = data.consumeLong(0, 1 << 20);
        String ifRange = data.consumeBoolean() ? data.consumeString(40) : null;
        String range = data.consumeRemainingAsString();

        Ranges.Outcome o = Ranges.evaluate(range, ifRange, STORED, length);
        if (o instanceof Ranges.Partial p) {
            assertThat(p.ranges()).isNotEmpty().hasSizeLessThanOrEqualTo(Ranges.MAX_RANGES);
            long previousLast = -2;
            for (Ranges.Range r : p.ranges()) {
                assertThat(r.first()).isNotNegative().isLessThanOrEqualTo(r.last());
                assertThat(r.last()).isLessThan(length);
                assertThat(r.first()).as("ordered, disjoint, not adjacent").isGreaterThan(previousLast + 1);
                previousLast = r.last();
            }
        }
        Ranges.Range bounded = Ranges.boundedSingle(range, ifRange, STORED);
        if (bounded != null) {
            assertThat(bounded.first()).isNotNegative().isLessThanOrEqualTo(bounded.last());
            if (bounded.last() < length) {
                assertThat(o).isEqualTo(new Ranges.Partial(List.of(bounded)));
            }
        }

        // reference: one well-formed range, no If-Range
        long small = 1 + (length % (1 << 21));
        Ranges.Outcome single = Ranges.evaluate("bytes=" + a + "-" + b, null, STORED, small);
        if (b < a) {
            assertThat(single).isInstanceOf(Ranges.Full.class);
        } else if (a >= small) {
            assertThat(single).isInstanceOf(Ranges.Unsatisfiable.class);
        } else {
            assertThat(single).isEqualTo(new Ranges.Partial(List.of(new Ranges.Range(a, Math.min(b, small - 1)))));
        }
    }
}
