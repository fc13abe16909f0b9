/**
 * Client authorization: EMQX's acl.conf file source ({@link io.trellis.security.authz.AclFile}),
 * the {@link io.trellis.security.authz.Authorizer} chain of sources with {@code no_match}, and the
 * per-connection {@link io.trellis.security.authz.AuthzCache}. Topic filter containment lives in
 * {@code TopicFilters} because this module must not depend on the mqtt module.
 */
package io.trellis.security.authz;
