package io.trellis.security.authn;

/**
 * Counts of a user import, EMQX's fields: {@code success} new users, {@code override} existing
 * users replaced, {@code skipped} identical to what was stored, {@code failed} existing users left
 * alone because overriding was off.
 */
public record ImportResult(int total, int success, int override, int skipped, int failed) {}
