package dev.outpost.edge.semantics;

import dev.outpost.edge.http.HttpDates;
import dev.outpost.testing.ManualClock;
import java.net.http.HttpResponse;

/** Small readers of responses shared by the semantics tests. */
final class Exchanges {

    private Exchanges() {
    }

    /** This node's Cache-Status member (the tests' edge is the only cache). */
    static String cacheStatus(HttpResponse<?> r) {
        return r.headers().firstValue("Cache-Status").orElse(null);
    }

    static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    /** The HTTP date {@code seconds} from the clock's now. */
    static String date(ManualClock clock, long seconds) {
        return HttpDates.format(clock.millis() + seconds * 1000);
    }
}
