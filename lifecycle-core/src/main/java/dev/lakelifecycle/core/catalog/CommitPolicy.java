package dev.lakelifecycle.core.catalog;

import java.time.Duration;

/**
 * How a commit retries after losing a race, and how much a table remembers.
 *
 * @param maxAttempts how many writes of a version document one commit tries before it gives up with a
 *     {@link dev.lakelifecycle.api.CommitConflictException}
 * @param baseBackoff the first pause between attempts; each pause is random in [c/2, c] where c doubles
 *     from {@code baseBackoff} up to {@code maxBackoff}, so that racing writers spread out
 * @param maxBackoff the longest pause
 * @param rememberedKeys how many commit keys of expired appends a table remembers (newest kept), so that
 *     an append retried after its snapshot expired is still recognised
 */
record CommitPolicy(int maxAttempts, Duration baseBackoff, Duration maxBackoff, int rememberedKeys) {
  /** How many commit keys of expired appends a table remembers by default. */
  static final int DEFAULT_REMEMBERED_KEYS = 10_000;

  /**
   * 16 attempts, pauses from 5 ms doubling up to 2 s (about 17 s in all in the worst case: replicas contending
   * for one table should rather wait than fail a flush), 10,000 remembered keys.
   */
  static final CommitPolicy DEFAULT = new CommitPolicy(16, Duration.ofMillis(5), Duration.ofSeconds(2),
      DEFAULT_REMEMBERED_KEYS);

  CommitPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    if (baseBackoff.isNegative() || baseBackoff.isZero() || maxBackoff.compareTo(baseBackoff) < 0) {
      throw new IllegalArgumentException("backoff must satisfy 0 < base <= max, got " + baseBackoff + " and "
          + maxBackoff);
    }
    if (rememberedKeys < 0) {
      throw new IllegalArgumentException("rememberedKeys must not be negative, got " + rememberedKeys);
    }
  }
}
