package dev.outpost.loadtest.system;

/** The caches the suite compares; Outpost is always the first column, the peers follow. */
public enum SystemKind {
    OUTPOST("Outpost"),
    NGINX("nginx"),
    VARNISH("Varnish"),
    /** Apache Traffic Server; {@code --systems ats}. */
    ATS("ATS");

    private final String display;

    SystemKind(String display) {
        this.display = display;
    }

    public String display() {
        return display;
    }

    /** Lower-case name used in flags and file names. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
