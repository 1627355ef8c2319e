package dev.outpost.loadtest.report;

import java.util.List;

/** A whole run: when, how, on what machine, and the sections in their fixed order. */
public record Report(String startedUtc, String mode, String durationText, List<String[]> machine, List<String> runNotes,
                     List<Section> sections) {

    public Report {
        machine = List.copyOf(machine);
        runNotes = List.copyOf(runNotes);
        sections = List.copyOf(sections);
    }

    public List<Target> targets() {
        return sections.stream().flatMap(s -> s.targets().stream()).toList();
    }
}
