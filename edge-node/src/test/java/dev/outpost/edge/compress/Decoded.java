package dev.outpost.edge.compress;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.aayushatharva.brotli4j.decoder.DirectDecompress;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;

/** Decodes a body by its Content-Encoding with the same libraries' decoders, for tests. */
public final class Decoded {

    private Decoded() {
    }

    public static byte[] decode(String encoding, byte[] body) {
        if (encoding.equals("br")) {
            // the one-shot decoder: brotli4j's BrotliInputStream stops early on multi-megabyte bodies
            Brotli4jLoader.ensureAvailability();
            try {
                DirectDecompress d = Decoder.decompress(body);
                if (d.getResultStatus() != DecoderJNI.Status.DONE) {
                    throw new IOException("brotli: " + d.getResultStatus());
                }
                return d.getDecompressedData();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try (InputStream in = open(encoding, new ByteArrayInputStream(body))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream open(String encoding, InputStream in) throws IOException {
        return switch (encoding) {
            case "gzip" -> new GZIPInputStream(in);
            case "zstd" -> new ZstdInputStream(in);
            case "identity" -> in;
            default -> throw new IllegalArgumentException(encoding);
        };
    }
}
