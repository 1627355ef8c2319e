package dev.outpost.loadtest.report;

import java.util.List;

/** A free-form table of a section (a curve, per-round detail, a contributed benchmark's figures). */
public record Table(String title, List<String> header, List<List<String>> rows) {

    public Table {
        header = List.copyOf(header);
        rows = rows.stream().map(List::copyOf).toList();
    }
}
