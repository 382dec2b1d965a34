package dev.lakelifecycle.core.catalog;

import java.time.Duration;

/**
 * How a commit retries after losing a race: at most {@code maxAttempts} writes of a version document,
 * pausing between them for a random time in [c/2, c] where c doubles from {@code baseBackoff} up to
 * {@code maxBackoff}, so that racing writers spread out instead of colliding again.
 */
record CommitPolicy(int maxAttempts, Duration baseBackoff, Duration maxBackoff) {
  /** 10 attempts, pauses from 5 ms doubling up to 1 s (about 3 s in all in the worst case). */
  static final CommitPolicy DEFAULT = new CommitPolicy(10, Duration.ofMillis(5), Duration.ofSeconds(1));

  CommitPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    if (baseBackoff.isNegative() || baseBackoff.isZero() || maxBackoff.compareTo(baseBackoff) < 0) {
      throw new IllegalArgumentException("backoff must satisfy 0 < base <= max, got " + baseBackoff + " and "
          + maxBackoff);
    }
  }
}
