package dev.lakelifecycle.core.internal.compaction;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before retrying a failed chunk. Short and bounded: a conflicting commit is retried after
 * the competing writer has usually finished, not after minutes.
 */
@FunctionalInterface
interface ChunkBackoff {
  /** No wait at all (tests). */
  ChunkBackoff NONE = retry -> { };

  /**
   * Waits before retry number {@code retry} (1 for the first retry).
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  void pause(int retry) throws InterruptedException;

  /**
   * Exponential backoff with full jitter: a random wait in {@code [0, min(cap, base * 2^(retry-1))]}.
   *
   * @param base the first retry's upper bound, e.g. 200 ms
   * @param cap the largest wait, e.g. 5 s
   */
  static ChunkBackoff exponential(Duration base, Duration cap) {
    return retry -> {
      long bound = Math.min(cap.toMillis(), base.toMillis() << Math.min(20, Math.max(0, retry - 1)));
      long wait = bound <= 0 ? 0 : ThreadLocalRandom.current().nextLong(bound + 1);
      if (wait > 0) {
        Thread.sleep(wait);
      }
    };
  }
}
