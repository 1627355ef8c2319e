package dev.outpost.edge.hardening;

import dev.outpost.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One request written byte for byte on its own connection ({@code Connection: close}), and the
 * answer parsed: status, header fields, body, and whether the body was complete by its own
 * framing. For targets and fields that an HTTP client library would refuse or rewrite.
 */
final class Wire {

    private Wire() {
    }

    /** A parsed response. {@code complete} is false when the body ended before its framing said. */
    record Response(int status, Map<String, List<String>> headers, byte[] body, boolean complete, String raw) {

        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }

        String cacheStatus() {
            String cs = header("cache-status");
            return cs == null ? "" : cs;
        }
    }

    /** {@code METHOD target HTTP/1.1} with Host and Connection: close, plus extra header lines. */
    static Response get(int port, String method, String target, String host, String... extraLines) {
        StringBuilder sb = new StringBuilder().append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        if (host != null) {
            sb.append("Host: ").append(host).append("\r\n");
        }
        // first, as its own line: Undertow honours close only as the whole value of the first one
        sb.append("Connection: close\r\n");
        for (String line : extraLines) {
            sb.append(line).append("\r\n");
        }
        sb.append("\r\n");
        return send(port, sb.toString());
    }

    static Response send(int port, String request) {
        RawHttp.Exchange ex = RawHttp.send(port, request, 10_000);
        return parse(ex.response());
    }

    /** Parses one HTTP/1.1 response from what a connection delivered before it closed. */
    static Response parse(String raw) {
        int end = raw.indexOf("\r\n\r\n");
        if (!raw.startsWith("HTTP/") || end < 0) {
            return new Response(-1, Map.of(), raw.getBytes(StandardCharsets.ISO_8859_1), false, raw);
        }
        String[] lines = raw.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(lines[i].substring(colon + 1).trim());
        }
        byte[] rest = raw.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1);
        List<String> te = headers.get("transfer-encoding");
        List<String> cl = headers.get("content-length");
        if (te != null && te.get(0).equalsIgnoreCase("chunked")) {
            return dechunk(status, headers, rest, raw);
        }
        if (cl != null) {
            int length = Integer.parseInt(cl.get(0));
            boolean complete = rest.length >= length;
            byte[] body = java.util.Arrays.copyOf(rest, Math.min(length, rest.length));
            return new Response(status, headers, body, complete, raw);
        }
        return new Response(status, headers, rest, true, raw);
    }

    private static Response dechunk(int status, Map<String, List<String>> headers, byte[] rest, String raw) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int pos = 0;
        while (true) {
            int lineEnd = indexOf(rest, pos);
            if (lineEnd < 0) {
                return new Response(status, headers, out.toByteArray(), false, raw);
            }
            String sizeLine = new String(rest, pos, lineEnd - pos, StandardCharsets.ISO_8859_1);
            int semi = sizeLine.indexOf(';');
            int size;
            try {
                size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            } catch (NumberFormatException e) {
                return new Response(status, headers, out.toByteArray(), false, raw);
            }
            pos = lineEnd + 2;
            if (size == 0) {
                return new Response(status, headers, out.toByteArray(), indexOf(rest, pos) >= 0, raw);
            }
            if (pos + size + 2 > rest.length) {
                out.write(rest, pos, Math.min(size, rest.length - pos));
                return new Response(status, headers, out.toByteArray(), false, raw);
            }
            out.write(rest, pos, size);
            pos += size + 2;
        }
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
