package dev.outpost.controlplane.api;

import dev.outpost.config.ControlPlaneConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Bearer tokens and their scopes. Only SHA-256 digests of the configured tokens are kept, and a
 * presented token is compared against every one of them with {@link MessageDigest#isEqual}, so
 * neither its length nor how much of it matched shows in the time taken. Tokens are never
 * logged.
 */
final class TokenAuth {

    private record Grant(byte[] digest, Set<Scope> scopes) {
    }

    private final List<Grant> grants = new ArrayList<>();

    TokenAuth(ControlPlaneConfig c) {
        add(c.token(), EnumSet.allOf(Scope.class));
        add(c.writeToken(), EnumSet.of(Scope.READ, Scope.WRITE));
        add(c.readToken(), EnumSet.of(Scope.READ));
        add(c.nodeToken(), EnumSet.of(Scope.NODE));
    }

    private void add(String token, Set<Scope> scopes) {
        if (token != null && !token.isBlank()) {
            grants.add(new Grant(digest(token), scopes));
        }
    }

    /** The scopes of the token in an {@code Authorization} header; null when it is missing or unknown. */
    Set<Scope> scopes(String authorization) {
        if (authorization == null || authorization.length() < 8
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        byte[] presented = digest(authorization.substring(7).trim());
        Set<Scope> found = null;
        for (Grant g : grants) {
            // no early exit: every grant is compared
            if (MessageDigest.isEqual(g.digest, presented) && found == null) {
                found = g.scopes;
            }
        }
        return found;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
