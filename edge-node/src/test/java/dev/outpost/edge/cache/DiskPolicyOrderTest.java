package dev.outpost.edge.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The policy's admission rule and eviction loop over an order kept in a list: what the node's
 * evictor and the simulator both run, without RocksDB.
 */
class DiskPolicyOrderTest {

    private static final long MAX = 100_000;

    private final DiskPolicy policy = new DiskPolicy(MAX);

    /** Keys oldest first, each with its size; records what the policy did to it. */
    private static final class ListOrder implements DiskPolicy.Order<String, RuntimeException> {
        final Map<String, Long> sizes = new LinkedHashMap<>();
        final List<String> evicted = new ArrayList<>();
        final List<String> requeued = new ArrayList<>();
        long reserved;
        boolean stopped;

        ListOrder add(String key, long size) {
            sizes.put(key, size);
            return this;
        }

        List<String> keys() {
            return List.copyOf(sizes.keySet());
        }

        @Override
        public long usedBytes() {
            return reserved + sizes.values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public long entries() {
            return sizes.size();
        }

        @Override
        public List<String> oldest() {
            return keys().subList(0, Math.min(DiskPolicy.SAMPLE, sizes.size()));
        }

        @Override
        public String key(String entry) {
            return entry;
        }

        @Override
        public void requeue(List<String> spared) {
            for (String k : spared) {
                requeued.add(k);
                sizes.put(k, sizes.remove(k)); // to the young end
            }
        }

        @Override
        public void evict(String victim) {
            evicted.add(victim);
            sizes.remove(victim);
        }

        @Override
        public boolean stopped() {
            return stopped;
        }
    }

    private void ask(String key, int times) {
        for (int i = 0; i < times; i++) {
            policy.recordAccess(key);
        }
    }

    private static ListOrder full(int n, long size) {
        ListOrder o = new ListOrder();
        for (int i = 0; i < n; i++) {
            o.add(String.format("k%02d", i), size);
        }
        return o;
    }

    @Test
    void anObjectThatFitsIsAdmittedWhateverItsPopularity() {
        ListOrder o = full(8, 10_000);
        for (String k : o.keys()) {
            ask(k, 1);
        }
        assertThat(policy.admits("cold", 20_000, o)).isTrue();
        assertThat(policy.admits("cold", 20_001, o)).as("one byte past the bound: popularity decides").isFalse();
    }

    @Test
    void anObjectOverAQuarterOfTheBoundIsNeverAdmitted() {
        ask("huge", 15);
        assertThat(policy.admits("huge", MAX / 4, new ListOrder())).isTrue();
        assertThat(policy.admits("huge", MAX / 4 + 1, new ListOrder())).isFalse();
    }

    @Test
    void whenFullANewcomerMustBeAskedForAtLeastAsOftenAsTheVictim() {
        ListOrder o = full(10, 10_000);
        for (String k : o.keys()) {
            ask(k, 2);
        }
        ask("new", 1);
        assertThat(policy.admits("new", 1_000, o)).isFalse();
        ask("new", 1);
        assertThat(policy.admits("new", 1_000, o)).as("ties go to the newcomer").isTrue();
        assertThat(o.evicted).as("admission only asks, it evicts nothing").isEmpty();
    }

    @Test
    void anUnknownLengthIsJudgedAsATypicalEntry() {
        ListOrder o = full(9, 10_000); // 90,000 of 100,000: a typical entry (10,000) still fits
        assertThat(policy.admits("cold", -1, o)).isTrue();
        o.add("k09", 10_001); // now a typical entry (10,000) does not
        for (String k : o.keys()) {
            ask(k, 1);
        }
        assertThat(policy.admits("cold", -1, o)).isFalse();
        assertThat(policy.admits("cold", -1, new ListOrder())).as("an empty tier: nothing to compare").isTrue();
    }

    @Test
    void evictionTakesVictimsUntilTheTargetAndRequeuesThoseAskedForMoreOften() {
        ListOrder o = full(30, 1_000);
        ask("k00", 3);
        ask("k01", 1);
        ask("k03", 2);
        policy.evictTo(o, 27_000);
        assertThat(o.usedBytes()).isEqualTo(27_000);
        assertThat(o.evicted).as("the first of the least popular of each sample").containsExactly("k02", "k04", "k05");
        assertThat(o.requeued).as("spared once, then at the young end, out of the next samples")
                .containsExactly("k00", "k01", "k03");
        List<String> keys = o.keys();
        assertThat(keys.get(0)).isEqualTo("k06");
        assertThat(keys.subList(keys.size() - 3, keys.size())).containsExactly("k00", "k01", "k03");
    }

    @Test
    void evictionLooksOnlyAtTheOldestSample() {
        ListOrder o = new ListOrder();
        for (int i = 0; i < 20; i++) {
            String k = String.format("k%02d", i);
            o.add(k, 1_000);
            ask(k, i < DiskPolicy.SAMPLE ? 5 : 0);
        }
        policy.evictTo(o, 19_000);
        assertThat(o.evicted).as("the unpopular young entries are not candidates").containsExactly("k00");
        assertThat(o.requeued).isEmpty();
    }

    @Test
    void evictionStopsWhenTheOrderIsEmptyOrStopped() {
        ListOrder empty = new ListOrder();
        empty.reserved = MAX * 2; // reservations of fills under way, nothing to evict
        policy.evictTo(empty, 0);
        assertThat(empty.evicted).isEmpty();

        ListOrder o = full(5, 10_000);
        o.stopped = true;
        policy.evictTo(o, 0);
        assertThat(o.evicted).isEmpty();
    }

    @Test
    void roomIsMadeOnlyWhenTheNewBytesDoNotFit() {
        assertThat(policy.roomTarget(90_000, 10_000)).as("fits exactly").isEqualTo(-1);
        assertThat(policy.roomTarget(90_000, 10_001)).isEqualTo(MAX - 10_001);
        assertThat(policy.roomTarget(MAX * 2, 0)).as("nothing to make room for").isEqualTo(-1);
        assertThat(policy.roomTarget(0, MAX * 2)).as("never below zero").isZero();
    }

    @Test
    void pastItsBoundTheTierIsEvictedToOnePercentUnderIt() {
        assertThat(policy.overBound(MAX)).isFalse();
        assertThat(policy.overBound(MAX + 1)).isTrue();
        assertThat(policy.evictionTarget()).isEqualTo(99_000);
        assertThat(DiskPolicy.EVICTION_TARGET).isEqualTo(0.99);
    }

    @Test
    void recencyBucketsAreMinutes() {
        assertThat(DiskPolicy.bucket(59_999)).isZero();
        assertThat(DiskPolicy.bucket(60_000)).isEqualTo(1);
        assertThat(DiskPolicy.bucket(3_600_000)).isEqualTo(60);
    }
}
