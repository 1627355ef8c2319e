package dev.outpost.testing;

/** Reads samples from the Prometheus text format that the nodes' {@code /metrics} endpoints serve. */
public final class PrometheusText {

    private PrometheusText() {
    }

    /**
     * Sum of the samples of metric {@code name} whose labels include all of {@code labels}
     * (name, value, name, value...); NaN when there is none.
     */
    public static double sum(String metricsText, String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (String line : metricsText.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            if (!rest.startsWith("{") && !rest.startsWith(" ")) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                if (!rest.contains(labels[i] + "=\"" + labels[i + 1] + "\"")) {
                    all = false;
                    break;
                }
            }
            if (all) {
                found = true;
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return found ? sum : Double.NaN;
    }
}
