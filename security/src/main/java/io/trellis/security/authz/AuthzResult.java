package io.trellis.security.authz;

/** A source's answer: allow, deny, or no rule matched (the next source decides). */
public enum AuthzResult {
  ALLOW, DENY, NOMATCH
}
