package dev.outpost.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TraceReplayTest {

    @Test
    void recognisesHitsOfEverySystem() {
        assertThat(TraceReplay.saysHit("edge-1; hit; ttl=294")).isTrue();
        assertThat(TraceReplay.saysHit("HIT")).isTrue();
        assertThat(TraceReplay.saysHit("hit")).isTrue();
        assertThat(TraceReplay.saysHit("edge-1; fwd=miss; stored")).isFalse();
        assertThat(TraceReplay.saysHit("MISS")).isFalse();
        assertThat(TraceReplay.saysHit("edge-1; fwd=stale; fwd-status=304")).isFalse();
        assertThat(TraceReplay.saysHit("")).isFalse();
        assertThat(TraceReplay.saysHit("white")).isFalse();
    }
}
