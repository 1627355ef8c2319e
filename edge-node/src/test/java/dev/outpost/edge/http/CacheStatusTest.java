package dev.outpost.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CacheStatusTest {

    @Test
    void aHitsPrefixAndItsSecondsReadAsTheBuiltMember() {
        for (long millis : new long[] {294_900, 0, 999, -1_500, 86_400_000L * 365}) {
            assertThat(CacheStatus.hitTtlPrefix("edge-1") + millis / 1000)
                    .isEqualTo(CacheStatus.hit("edge-1").ttl(millis).toString());
        }
        String quoted = CacheStatus.identifier("1 edge");
        assertThat(CacheStatus.hitTtlPrefix(quoted) + 5).isEqualTo("\"1 edge\"; hit; ttl=5");
    }
}
