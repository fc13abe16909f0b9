/**
 * Client authorization: EMQX's acl.conf file source ({@link io.trellis.security.authz.AclFile}),
 * the built-in database source ({@link io.trellis.security.authz.BuiltInAuthzDatabase}), the HTTP
 * source ({@link io.trellis.security.authz.HttpAuthzSource}, an
 * {@link io.trellis.security.authz.AsyncAuthzSource}), the
 * {@link io.trellis.security.authz.Authorizer} chain of sources with {@code no_match} (synchronous,
 * or asynchronous without waiting on a thread), and the per-connection
 * {@link io.trellis.security.authz.AuthzCache}. Topic filter containment lives in
 * {@code TopicFilters} because this module must not depend on the mqtt module.
 */
package io.trellis.security.authz;
