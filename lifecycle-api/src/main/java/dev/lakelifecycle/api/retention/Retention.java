package dev.lakelifecycle.api.retention;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a table's data is kept: a positive duration, or {@link #forever()}. "Keep forever" is a value a
 * tier sets on purpose; a tier that sets nothing for a table type inherits from the tier above.
 */
public final class Retention {
  private static final Retention FOREVER = new Retention(null);

  private final Duration duration;

  private Retention(Duration duration) {
    this.duration = duration;
  }

  /**
   * Keep data for {@code duration}.
   *
   * @throws IllegalArgumentException if not positive
   */
  public static Retention of(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("Retention must be positive, got " + duration);
    }
    return new Retention(duration);
  }

  /** Keep data for {@code days} days of 24 hours. */
  public static Retention days(long days) {
    return of(Duration.ofDays(days));
  }

  /** Never drop data. */
  public static Retention forever() {
    return FOREVER;
  }

  public boolean isForever() {
    return duration == null;
  }

  /**
   * The duration.
   *
   * @throws IllegalStateException for {@link #forever()}
   */
  public Duration duration() {
    if (duration == null) {
      throw new IllegalStateException("Retention is forever; it has no duration");
    }
    return duration;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Retention r && Objects.equals(r.duration, duration);
  }

  @Override
  public int hashCode() {
    return Objects.hashCode(duration);
  }

  @Override
  public String toString() {
    if (duration == null) {
      return "forever";
    }
    return duration.toHoursPart() == 0 && duration.toMinutesPart() == 0 && duration.toSecondsPart() == 0
        ? duration.toDays() + "d" : duration.toString();
  }
}
