package dev.outpost.loadtest.report;

/** A goal of issue 7 and whether this run met it, with by how much it falls short when not. */
public record Target(String goal, Status status, String detail) {

    /** The verdict. */
    public enum Status {
        MET("met"),
        NOT_MET("NOT met"),
        NOT_MEASURED("not measured");

        private final String text;

        Status(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }
}
