package dev.outpost.loadtest.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CpuListTest {

    @Test
    void countsTasksetLists() {
        assertThat(CpuList.count("0")).isEqualTo(1);
        assertThat(CpuList.count("0-1")).isEqualTo(2);
        assertThat(CpuList.count("0-1,3")).isEqualTo(3);
        assertThat(CpuList.count("0,2-5")).isEqualTo(5);
        assertThat(CpuList.serverCores(Optional.empty())).isEqualTo(1);
        assertThat(CpuList.serverCores(Optional.of("0-1"))).isEqualTo(2);
    }

    @Test
    void oneCoreOfTwoLeavesTheOtherToTheLoadGenerator() {
        CpuList.Placement p = CpuList.place(1, 2);
        assertThat(p).isEqualTo(new CpuList.Placement(1, "0", "1", false));
        assertThat(p.describe()).contains("systems on CPU 0", "on CPU 1 (a core of their own)");
    }

    @Test
    void everyCoreSharedWithTheLoadGeneratorIsSaidPlainly() {
        CpuList.Placement p = CpuList.place(2, 2);
        assertThat(p).isEqualTo(new CpuList.Placement(2, "0-1", "0-1", true));
        assertThat(p.describe()).contains("systems on CPU 0-1", "not pinned to a CPU of its own", "sharing them");
        assertThat(CpuList.place(4, 8)).isEqualTo(new CpuList.Placement(4, "0-3", "4-7", false));
        assertThatThrownBy(() -> CpuList.place(3, 2)).hasMessageContaining("2 CPU(s)");
        assertThatThrownBy(() -> CpuList.place(0, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
