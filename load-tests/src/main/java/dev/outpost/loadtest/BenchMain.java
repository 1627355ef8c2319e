package dev.outpost.loadtest;

/** Entry point of the benchmark suite. */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) {
        System.out.println("usage: load-tests/run [--quick]");
    }
}
