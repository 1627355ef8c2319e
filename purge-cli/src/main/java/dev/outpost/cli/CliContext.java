package dev.outpost.cli;

import org.jspecify.annotations.Nullable;
import dev.outpost.config.OutpostJson;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a command runs with: its output streams, the environment and the home directory (so tests
 * can give their own), and where the control plane is and which token to present.
 */
final class CliContext {

    static final String ENV_URL = "OUTPOST_CONTROL_PLANE";
    static final String ENV_TOKEN = "OUTPOST_TOKEN";
    static final String FILE = ".config/outpost/cli.yaml";

    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;
    final @Nullable Path home;

    CliContext(PrintStream out, PrintStream err, Map<String, String> env, @Nullable Path home) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.home = home;
    }

    /** The CLI's own file in the user's home: {@code control-plane} and {@code token}. */
    record CliFile(@Nullable String controlPlane, @Nullable String token) {
        static final CliFile NONE = new CliFile(null, null);
    }

    CliFile file() {
        if (home == null) {
            return CliFile.NONE;
        }
        Path f = home.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return CliFile.NONE;
        }
        try {
            CliFile c = OutpostJson.yaml().readValue(Files.readString(f), CliFile.class);
            return c == null ? CliFile.NONE : c;
        } catch (IOException e) {
            @Nullable String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new CliException(f + ": " + (why == null ? "unreadable" : why.lines().findFirst().orElse(why)));
        }
    }

    /** The API client for these settings: flags win over the environment, which wins over the file. */
    ApiClient client(String urlFlag, String tokenFlag) {
        String url = urlFlag;
        String token = tokenFlag;
        if (url == null || url.isBlank()) {
            url = env.get(ENV_URL);
        }
        if (token == null || token.isBlank()) {
            token = env.get(ENV_TOKEN);
        }
        if (url == null || url.isBlank() || token == null || token.isBlank()) {
            CliFile f = file();
            url = url == null || url.isBlank() ? f.controlPlane() : url;
            token = token == null || token.isBlank() ? f.token() : token;
        }
        if (url == null || url.isBlank()) {
            throw CliException.usage("no control plane: give --control-plane URL, set " + ENV_URL + ", or put control-plane: in ~/" + FILE);
        }
        if (token == null || token.isBlank()) {
            throw CliException.usage("no token: give --token TOKEN, set " + ENV_TOKEN + ", or put token: in ~/" + FILE);
        }
        URI base;
        try {
            base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("control plane URL is malformed: '" + url + "'");
        }
        if (base.getScheme() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https")) || base.getHost() == null) {
            throw CliException.usage("control plane URL must be http(s)://HOST[:PORT], is '" + url + "'");
        }
        return new ApiClient(base, token);
    }
}
