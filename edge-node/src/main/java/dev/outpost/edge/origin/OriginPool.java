package dev.outpost.edge.origin;

import dev.outpost.config.OriginConfig;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One origin: a pool of servers behind a name. Chooses a server per fetch (round robin) and
 * retries idempotent fetches that got no response on the next server, at most
 * {@code retry.attempts} times.
 */
public final class OriginPool implements Upstream {

    private final OriginConfig config;
    private final OkHttpClient client;
    private final List<HttpUrl> servers;
    private final AtomicInteger next = new AtomicInteger();

    public OriginPool(OriginConfig config, OkHttpClient base) {
        this.config = config;
        this.client = base.newBuilder()
                .connectTimeout(config.connectTimeout())
                .readTimeout(config.readTimeout())
                .writeTimeout(config.readTimeout())
                .callTimeout(config.totalTimeout().isZero() ? Duration.ZERO : config.totalTimeout())
                .build();
        List<HttpUrl> list = new ArrayList<>();
        for (OriginConfig.Server s : config.servers()) {
            list.add(HttpUrl.get(s.url()));
        }
        this.servers = List.copyOf(list);
    }

    public OriginConfig config() {
        return config;
    }

    @Override
    public UpstreamResponse fetch(UpstreamRequest request) throws UpstreamException {
        int attempts = request.idempotent() ? 1 + Math.min(config.retry().attempts(), servers.size() - 1) : 1;
        int start = Math.floorMod(next.getAndIncrement(), servers.size());
        UpstreamException last = null;
        for (int i = 0; i < attempts; i++) {
            HttpUrl server = servers.get((start + i) % servers.size());
            try {
                return send(server, request);
            } catch (UpstreamException e) {
                last = e;
                if (e.kind() == UpstreamException.Kind.TIMEOUT) {
                    break; // a slow origin is not made faster by asking again
                }
            }
        }
        throw last;
    }

    private UpstreamResponse send(HttpUrl server, UpstreamRequest request) throws UpstreamException {
        Request.Builder b = new Request.Builder().url(url(server, request.target()));
        for (int i = 0; i < request.headerNames().size(); i++) {
            b.addHeader(request.headerNames().get(i), request.headerValues().get(i));
        }
        if (config.hostHeader() != null) {
            b.header("Host", config.hostHeader());
        }
        b.method(request.method(), request.body());
        try {
            Response response = client.newCall(b.build()).execute();
            return new UpstreamResponse(response, server.scheme() + "://" + server.host() + ":" + server.port(), () -> { });
        } catch (IOException e) {
            throw classify(server, e);
        }
    }

    static HttpUrl url(HttpUrl server, String target) {
        String base = server.toString();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        HttpUrl url = HttpUrl.parse(base + target);
        if (url == null) {
            throw new IllegalArgumentException("cannot build upstream URL from " + target);
        }
        return url;
    }

    /** Maps an I/O failure before the response head to what the client will be told. */
    static UpstreamException classify(HttpUrl server, IOException e) {
        String where = server.host() + ":" + server.port();
        if (e instanceof SocketTimeoutException || (e instanceof InterruptedIOException && String.valueOf(e.getMessage()).contains("timeout"))) {
            return new UpstreamException(UpstreamException.Kind.TIMEOUT, "timeout from " + where, e);
        }
        if (e instanceof ConnectException || e instanceof NoRouteToHostException || e instanceof UnknownHostException) {
            return new UpstreamException(UpstreamException.Kind.CONNECT, "cannot connect to " + where + ": " + e.getMessage(), e);
        }
        if (e instanceof ProtocolException || String.valueOf(e.getMessage()).startsWith("Unexpected status line")) {
            return new UpstreamException(UpstreamException.Kind.PROTOCOL, "invalid response from " + where + ": " + e.getMessage(), e);
        }
        return new UpstreamException(UpstreamException.Kind.CONNECT, "connection to " + where + " failed: " + e.getMessage(), e);
    }
}
