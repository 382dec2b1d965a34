package dev.lakelifecycle.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that tests move by hand, so that ages, grace periods, leases and windows are driven
 * deterministically instead of by sleeping. Thread-safe. Always UTC.
 */
public final class MutableClock extends Clock {
  private final AtomicReference<Instant> now;

  private MutableClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  /** A clock standing at {@code start}. */
  public static MutableClock at(Instant start) {
    return new MutableClock(start);
  }

  /** A clock standing at the given ISO-8601 instant, e.g. {@code 2026-01-15T10:00:00Z}. */
  public static MutableClock at(String isoInstant) {
    return new MutableClock(Instant.parse(isoInstant));
  }

  /** Moves the clock forward (or back, for a negative amount) and returns the new time. */
  public Instant advance(Duration amount) {
    return now.updateAndGet(t -> t.plus(amount));
  }

  public void set(Instant instant) {
    now.set(instant);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    if (!ZoneOffset.UTC.equals(zone)) {
      throw new UnsupportedOperationException("MutableClock is always UTC");
    }
    return this;
  }
}
