/**
 * What happens when a network partition ends ({@code cluster.autoheal}): telling a partition from
 * a restart, holding the sides apart until the operator merges them when autoheal is off, and the
 * rule that leaves one session per client id when the sides merge.
 */
package io.trellis.cluster.heal;
