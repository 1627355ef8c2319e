package dev.outpost.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.outpost.config.CacheSettings;
import dev.outpost.config.Rule;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes Cache-Control and targeted-field parsing and the storage decision built on them:
 * nothing throws, every delta-seconds value is absent, invalid or within [0, 2^31], and
 * {@code max-age} agrees with a plain reference parser of delta-seconds.
 */
class CacheControlFuzzTest {

    private static final StoragePolicy POLICY = new StoragePolicy(CacheSettings.DEFAULT);
    private static final BigInteger CAP = BigInteger.valueOf(CacheControl.DELTA_MAX);

    @Tag("long-fuzz")
    @FuzzTest(maxDuration = "15m")
    @DictionaryEntries({"max-age=", "s-maxage=", "no-cache", "no-store", "private", "public", "must-revalidate",
            "must-understand", "stale-while-revalidate=", "stale-if-error=", "\"", ",", "=", "?0", "?1", ";", "(", ")"})
    void longFuzz(FuzzedDataProvider data) {
        check(data);
    }

    static void check(FuzzedDataProvider data) {
        String token = data.consumeString(40);
        String line = data.consumeString(200);
        String targeted = data.consumeString(200);
        int status = data.consumeInt(100, 599);
        String rest = data.consumeRemainingAsString();

        // a plain reference for delta-seconds
        CacheControl single = CacheControl.parse("max-age=" + token);
        long expected;
        if (!token.isEmpty() && token.chars().allMatch(c -> c >= '0' && c <= '9')) {
            expected = new BigInteger(token).min(CAP).longValueExact();
        } else {
            expected = CacheControl.INVALID;
        }
        if (token.indexOf(',') < 0 && token.indexOf('"') < 0 && token.equals(CacheControl.ows(token))) {
            assertThat(single.maxAge()).as("max-age=%s", token).isEqualTo(expected);
        }

        CacheControl cc = CacheControl.parse(line);
        deltasInRange(cc, true);
        CacheControl lines = CacheControl.parse(List.of(line, rest));
        deltasInRange(lines, true);
        CacheControl t = CacheControl.parseTargeted(List.of(targeted));
        if (t != null) {
            deltasInRange(t, false);
        }
        for (String f : cc.noCacheFields()) {
            assertThat(CacheControl.isToken(f)).as("field name %s", f).isTrue();
            assertThat(f).isEqualTo(f.toLowerCase(Locale.ROOT));
        }
        for (String f : cc.privateFields()) {
            assertThat(CacheControl.isToken(f)).as("field name %s", f).isTrue();
        }

        Map<String, List<String>> fields = new HashMap<>();
        fields.put("cache-control", List.of(line));
        fields.put("cdn-cache-control", List.of(targeted));
        fields.put("expires", List.of(rest));
        fields.put("last-modified", List.of(rest));
        fields.put("date", List.of(token));
        fields.put("age", List.of(token));
        HeaderSource h = new HeaderSource() {
            @Override
            public String first(String name) {
                List<String> v = fields.get(name);
                return v == null ? null : v.get(0);
            }

            @Override
            public List<String> all(String name) {
                return fields.getOrDefault(name, List.of());
            }
        };
        StoreDecision d = POLICY.decide(false, false, status, h, Rule.BUILT_IN, 1_700_000_000_000L, 1_700_000_001_000L);
        if (d.store()) {
            assertThat(d.lifetime()).isNotNegative();
            assertThat(d.correctedInitialAge()).isNotNegative();
            assertThat(d.staleIfError()).isNotNegative();
            assertThat(d.staleWhileRevalidate()).isNotNegative();
        } else {
            assertThat(d.reason()).isNotBlank();
        }
        StoragePolicy.effective(h);
        new ArrayList<>(d.stripFields());
    }

    private static void deltasInRange(CacheControl cc, boolean invalidAllowed) {
        for (long v : new long[] {cc.maxAge(), cc.sMaxAge(), cc.staleWhileRevalidate(), cc.staleIfError(), cc.minFresh(),
                cc.maxStale()}) {
            boolean ok = v == CacheControl.ABSENT || (invalidAllowed && v == CacheControl.INVALID)
                    || (v >= 0 && v <= CacheControl.DELTA_MAX);
            assertThat(ok).as("delta-seconds %d", v).isTrue();
        }
    }
}
