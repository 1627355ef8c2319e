package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.report.Section;

/** One scenario of the suite; {@link #run} never throws for a system's failure, it reports it. */
public interface Scenario {

    /** The name used with {@code --only}. */
    String id();

    String title();

    Section run(BenchContext ctx);
}
