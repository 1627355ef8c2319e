package dev.outpost.controlplane.dns;

import dev.outpost.config.Cidr;
import dev.outpost.config.DnsSettings;
import java.net.InetAddress;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Response rate limiting for UDP: a token bucket per source network (IPv4 /24 and IPv6 /56 by
 * default), so a spoofed victim's address can't be used to amplify traffic. Past the rate,
 * every {@code slip}-th response goes out truncated (an honest client retries over TCP, which
 * is never limited) and the others are dropped. Time comes from the injected clock.
 */
final class ResponseRateLimiter {

    enum Verdict { ANSWER, SLIP, DROP }

    private static final int MAX_BUCKETS = 100_000;

    private static final class Bucket {
        double tokens;
        long updatedMillis;
        int limited;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.updatedMillis = now;
        }
    }

    private final double rate;
    private final double burst;
    private final int slip;
    private final int v4Prefix;
    private final int v6Prefix;
    private final List<Cidr> exempt;
    private final InstantSource clock;
    private final ConcurrentHashMap<Key, Bucket> buckets = new ConcurrentHashMap<>();

    private record Key(long high, long low) {
    }

    ResponseRateLimiter(DnsSettings.DnsRateLimit settings, InstantSource clock) {
        this.rate = settings.responsesPerSecond();
        this.burst = settings.burst();
        this.slip = settings.slip();
        this.v4Prefix = settings.ipv4Prefix();
        this.v6Prefix = settings.ipv6Prefix();
        this.exempt = settings.exempt().stream().map(Cidr::parse).toList();
        this.clock = clock;
    }

    boolean enabled() {
        return rate > 0;
    }

    /** Whether a response to {@code source} may go out now. */
    Verdict check(InetAddress source) {
        if (rate <= 0) {
            return Verdict.ANSWER;
        }
        for (Cidr c : exempt) {
            if (c.contains(source)) {
                return Verdict.ANSWER;
            }
        }
        long now = clock.millis();
        Key key = keyOf(source);
        if (buckets.size() >= MAX_BUCKETS && !buckets.containsKey(key)) {
            sweep(now);
        }
        Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
        synchronized (b) {
            long elapsed = Math.max(0, now - b.updatedMillis);
            b.tokens = Math.min(burst, b.tokens + elapsed * rate / 1000.0);
            b.updatedMillis = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                b.limited = 0;
                return Verdict.ANSWER;
            }
            b.limited++;
            return slip > 0 && b.limited % slip == 0 ? Verdict.SLIP : Verdict.DROP;
        }
    }

    /** Forgets buckets that have refilled (they'd start full anyway); all of them if that is not enough. */
    private void sweep(long now) {
        buckets.entrySet().removeIf(e -> {
            Bucket b = e.getValue();
            synchronized (b) {
                return b.tokens + (now - b.updatedMillis) * rate / 1000.0 >= burst;
            }
        });
        if (buckets.size() >= MAX_BUCKETS) {
            buckets.clear();
        }
    }

    private Key keyOf(InetAddress source) {
        byte[] a = GeoIpDatabase.truncate(source, source.getAddress().length == 4 ? v4Prefix : v6Prefix).getAddress();
        long high = 0;
        long low = 0;
        for (int i = 0; i < a.length; i++) {
            if (i < 8) {
                high = high << 8 | (a[i] & 0xff);
            } else {
                low = low << 8 | (a[i] & 0xff);
            }
        }
        return new Key(a.length == 4 ? high | 1L << 40 : high, low);
    }
}
