package dev.lakelifecycle.core.internal.staging;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before retrying a failed background flush: exponential from {@code initial}, doubling per
 * consecutive failure up to {@code max}, with "equal jitter" (a uniformly random point in the upper half of the
 * exponential step), so that many stagers failing on one outage do not retry in lockstep yet never retry at once.
 * Configured by {@code staging.retry_initial_backoff_ms} and {@code staging.retry_max_backoff_ms}.
 */
record RetryBackoff(Duration initial, Duration max) {
  RetryBackoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
  }

  /** The wait before retry number {@code failures} (1 after the first failure), in milliseconds, at least 1. */
  long delayMillis(int failures) {
    long cap = Math.max(1, max.toMillis());
    long step = Math.max(1, initial.toMillis());
    for (int i = 1; i < failures && step < cap; i++) {
      step = Math.min(cap, step * 2);
    }
    step = Math.min(step, cap);
    long half = step / 2;
    return half + ThreadLocalRandom.current().nextLong(step - half + 1);
  }
}
