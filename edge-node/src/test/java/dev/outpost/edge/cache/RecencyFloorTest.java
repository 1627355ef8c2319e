package dev.outpost.edge.cache;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Where samples of the recency order start: up only to what a sample saw, down for every record written. */
class RecencyFloorTest {

    private static byte[] k(int v) {
        return new byte[] {0, (byte) v};
    }

    @Test
    void startsAtTheFirstKeyThenAtWhatTheLastSampleFoundOldest() {
        RecencyFloor floor = new RecencyFloor();
        RecencyFloor.Start s = floor.begin();
        assertThat(s.seek()).isNull();
        floor.advance(s, k(5));
        assertThat(floor.begin().seek()).isEqualTo(k(5));
    }

    @Test
    void aRecordWrittenWhileASampleLooksKeepsTheFloorWhereItWas() {
        RecencyFloor floor = new RecencyFloor();
        floor.advance(floor.begin(), k(5));
        RecencyFloor.Start s = floor.begin();
        floor.lower(k(7)); // written after the sample's iterator was made: it may not have seen it
        floor.advance(s, k(9));
        assertThat(floor.begin().seek()).isEqualTo(k(5));
    }

    @Test
    void aSampleThatBeganBeforeAnotherCannotUseTheOthersStamp() {
        RecencyFloor floor = new RecencyFloor();
        RecencyFloor.Start first = floor.begin();
        floor.lower(k(3));
        RecencyFloor.Start second = floor.begin();
        floor.advance(first, k(9)); // began before the record at 3 was reported
        assertThat(floor.begin().seek()).isNull();
        floor.advance(second, k(3));
        assertThat(floor.begin().seek()).isEqualTo(k(3));
    }

    @Test
    void aRecordBelowTheFloorLowersItAndNeverRaisesIt() {
        RecencyFloor floor = new RecencyFloor();
        floor.advance(floor.begin(), k(5));
        floor.lower(k(2));
        assertThat(floor.begin().seek()).isEqualTo(k(2));
        floor.lower(k(8));
        assertThat(floor.begin().seek()).isEqualTo(k(2));
        RecencyFloor.Start s = floor.begin();
        floor.advance(s, k(1)); // never down by a sample
        assertThat(floor.begin().seek()).isEqualTo(k(2));
    }

    @Test
    void keysCompareAsUnsignedBytes() {
        RecencyFloor floor = new RecencyFloor();
        floor.advance(floor.begin(), new byte[] {0x10});
        floor.lower(new byte[] {(byte) 0x90}); // above 0x10 unsigned, below it signed
        assertThat(floor.begin().seek()).isEqualTo(new byte[] {0x10});
    }

    @Test
    void aResetStartsFromTheFirstKeyAgain() {
        RecencyFloor floor = new RecencyFloor();
        RecencyFloor.Start s = floor.begin();
        floor.advance(s, k(5));
        RecencyFloor.Start before = floor.begin();
        floor.reset();
        floor.advance(before, k(9)); // a sample from before the reset moves nothing
        assertThat(floor.begin().seek()).isNull();
    }
}
