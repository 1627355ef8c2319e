package dev.outpost.edge.compress;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.BrotliOutputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encoders the node can run: gzip from the JDK's Deflater always; Brotli (brotli4j) and zstd
 * (zstd-jni) when their native libraries load on this platform. Each is a streaming encoder:
 * what is written to it comes out compressed into the given output as its buffers fill, so a
 * body of any length is encoded in bounded memory.
 */
public final class Encoders {

    private static final Logger LOG = LoggerFactory.getLogger(Encoders.class);
    private static final int BUFFER = 16 * 1024;
    private static final List<String> AVAILABLE = probe();

    private Encoders() {
    }

    private static List<String> probe() {
        List<String> out = new ArrayList<>(List.of("gzip"));
        try {
            Brotli4jLoader.ensureAvailability();
            out.add("br");
        } catch (Throwable e) {
            LOG.warn("Brotli is not available on this platform, compression rules skip br: {}", e.toString());
        }
        try {
            com.github.luben.zstd.util.Native.load();
            out.add("zstd");
        } catch (Throwable e) {
            LOG.warn("zstd is not available on this platform, compression rules skip zstd: {}", e.toString());
        }
        return List.copyOf(out);
    }

    /** Whether this node can encode with {@code encoding}. */
    public static boolean available(String encoding) {
        return AVAILABLE.contains(encoding);
    }

    /** The rule's encodings that this node can run, in the rule's order (one answer per distinct list, kept). */
    public static List<String> usable(List<String> wanted) {
        List<String> known = USABLE.get(wanted);
        if (known != null) {
            return known;
        }
        List<String> out = List.copyOf(filter(wanted));
        if (USABLE.size() < 1024) { // rules' lists: a handful per config
            USABLE.put(List.copyOf(wanted), out);
        }
        return out;
    }

    private static final java.util.Map<List<String>, List<String>> USABLE = new java.util.concurrent.ConcurrentHashMap<>();

    private static List<String> filter(List<String> wanted) {
        List<String> out = new ArrayList<>(wanted.size());
        for (String e : wanted) {
            if (AVAILABLE.contains(e)) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * A streaming encoder writing into {@code out}; closing it writes the encoding's trailer and
     * closes {@code out}.
     */
    public static OutputStream open(String encoding, int level, OutputStream out) throws IOException {
        return switch (encoding) {
            case "gzip" -> new LeveledGzip(out, level);
            // a 512 KiB window (as nginx's brotli module): bounded memory per encode, and output
            // that leaves the encoder as the body goes, not only at its end
            case "br" -> new BrotliOutputStream(out, new Encoder.Parameters().setQuality(level).setWindow(19), BUFFER);
            case "zstd" -> new ZstdOutputStreamNoFinalizer(out, level);
            default -> throw new IllegalArgumentException("unknown encoding " + encoding);
        };
    }

    /** A streaming decoder of {@code encoding} over {@code in}; closing it closes {@code in}. */
    public static java.io.InputStream decoder(String encoding, java.io.InputStream in) throws IOException {
        return switch (encoding) {
            case "gzip" -> new java.util.zip.GZIPInputStream(in, BUFFER);
            case "br" -> new com.aayushatharva.brotli4j.decoder.BrotliInputStream(in, BUFFER);
            case "zstd" -> new com.github.luben.zstd.ZstdInputStreamNoFinalizer(in);
            default -> throw new IllegalArgumentException("unknown encoding " + encoding);
        };
    }

    /** The JDK's gzip stream at a chosen Deflater level (its own constructor takes none). */
    private static final class LeveledGzip extends GZIPOutputStream {
        LeveledGzip(OutputStream out, int level) throws IOException {
            super(out, BUFFER);
            def.setLevel(level);
        }
    }
}
