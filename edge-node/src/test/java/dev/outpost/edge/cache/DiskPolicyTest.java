package dev.outpost.edge.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The disk tier's policy alone: no RocksDB, just keys and the sketch. */
class DiskPolicyTest {

    private final DiskPolicy policy = new DiskPolicy(64L << 20);

    private void ask(String key, int times) {
        for (int i = 0; i < times; i++) {
            policy.recordAccess(key);
        }
    }

    @Test
    void theVictimIsTheFirstOfTheLeastPopularAndThoseAskedForMoreOftenAreRequeued() {
        ask("a", 3);
        ask("b", 1);
        ask("c", 5);
        ask("d", 1);
        ask("e", 2);
        DiskPolicy.Choice c = policy.choose(List.of("a", "b", "c", "d", "e"));
        assertThat(c).isNotNull();
        assertThat(c.victim()).isEqualTo(1);
        assertThat(c.victimFrequency()).isEqualTo(1);
        assertThat(c.requeue()).as("a, c and e beat the victim; d ties it and stays old").containsExactly(0, 2, 4);
    }

    @Test
    void onlyTheOldestSampleIsLookedAt() {
        List<String> oldest = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            oldest.add("k" + i);
            ask("k" + i, i < DiskPolicy.SAMPLE ? 4 : 0);
        }
        DiskPolicy.Choice c = policy.choose(oldest);
        assertThat(c).isNotNull();
        assertThat(c.victim()).as("the unpopular young entries are not candidates").isZero();
        assertThat(c.victimFrequency()).isEqualTo(4);
        assertThat(c.requeue()).isEmpty();
        assertThat(policy.choose(List.of())).isNull();
    }

    @Test
    void aNewcomerIsAdmittedWhenAskedForAtLeastAsOftenAsTheVictim() {
        ask("newcomer", 2);
        assertThat(policy.admits("newcomer", 1)).isTrue();
        assertThat(policy.admits("newcomer", 2)).as("ties go to the newcomer").isTrue();
        assertThat(policy.admits("newcomer", 3)).isFalse();
        assertThat(policy.admits("never-asked", 0)).isTrue();
    }

    @Test
    void countersSaturateAtFifteen() {
        ask("hot", 100);
        assertThat(policy.frequency("hot")).isEqualTo(15);
        assertThat(policy.frequency("cold")).isZero();
    }
}
