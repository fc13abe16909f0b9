package io.trellis.server.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The API keys the management API accepts (EMQX's api_key:api_secret over HTTP basic auth).
 * Secrets are kept only as SHA-256 digests and compared in constant time; an unknown key is
 * compared against a dummy digest so its answer takes as long as a wrong secret's.
 */
public final class ApiKeys {
    private static final byte[] DUMMY_DIGEST = sha256("trellis-no-such-key");

    private final Map<String, byte[]> secretDigests = new HashMap<>();

    public ApiKeys add(String key, String secret) {
        if (key.isEmpty() || secret.isEmpty()) {
            throw new IllegalArgumentException("API key and secret must not be empty");
        }
        secretDigests.put(key, sha256(secret));
        return this;
    }

    public int size() {
        return secretDigests.size();
    }

    /** True if key exists and secret matches. */
    public boolean accepts(String key, String secret) {
        byte[] expected = secretDigests.getOrDefault(key, DUMMY_DIGEST);
        boolean match = MessageDigest.isEqual(expected, sha256(secret));
        return match && expected != DUMMY_DIGEST;
    }

    /** Checks an {@code Authorization: Basic ...} header value; null or malformed is refused. */
    public boolean acceptsBasicAuth(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorizationHeader.substring(6).trim()),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
        int colon = decoded.indexOf(':');
        return colon > 0 && accepts(decoded.substring(0, colon), decoded.substring(colon + 1));
    }

    /**
     * Reads a bootstrap file of {@code key:secret} lines ({@code #} comments and blank lines
     * allowed), as EMQX's {@code api_key.bootstrap_file}. A bad line is an error naming the file
     * and line number, never the line's content (it may hold a secret).
     */
    public static List<String[]> parseBootstrapFile(Path file) throws ApiKeyFileException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ApiKeyFileException("api_key.bootstrap_file " + file + ": cannot read ("
                    + e.getClass().getSimpleName() + "); fix the path or set api_key.bootstrap_file = \"\"");
        }
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String where = "api_key.bootstrap_file " + file + ":" + (i + 1) + ": ";
            if (colon < 0) {
                throw new ApiKeyFileException(where + "not a key:secret line (write one api_key:api_secret per line)");
            }
            String key = line.substring(0, colon).strip();
            String secret = line.substring(colon + 1).strip();
            if (key.isEmpty() || secret.isEmpty()) {
                throw new ApiKeyFileException(where + (key.isEmpty() ? "empty key" : "empty secret")
                        + " (write one api_key:api_secret per line)");
            }
            if (!key.matches("[A-Za-z0-9_.-]+")) {
                throw new ApiKeyFileException(where + "the key may hold only letters, digits, '_', '-' and '.'");
            }
            pairs.add(new String[] {key, secret});
        }
        return pairs;
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A bad bootstrap file; the message names file and line, never a secret. */
    public static final class ApiKeyFileException extends Exception {
        public ApiKeyFileException(String message) {
            super(message, null, false, false);
        }
    }
}
