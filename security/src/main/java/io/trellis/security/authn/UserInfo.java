package io.trellis.security.authn;

/** What listing users shows: never a hash or salt (as EMQX's {@code format_user_info}). */
public record UserInfo(String userId, boolean superuser) {}
