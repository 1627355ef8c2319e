package dev.outpost.loadtest.scenario;

import java.util.ArrayList;
import java.util.List;

/** Alternation of systems across rounds: round r starts with the r-th system. */
final class Rotation {

    private Rotation() {
    }

    static <T> List<T> rotate(List<T> items, int round) {
        if (items.isEmpty()) {
            return List.of();
        }
        int shift = Math.floorMod(round, items.size());
        List<T> out = new ArrayList<>(items.subList(shift, items.size()));
        out.addAll(items.subList(0, shift));
        return out;
    }
}
