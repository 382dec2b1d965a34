package dev.lakelifecycle.api;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;

/**
 * Time partitioning of a table on one {@link TableSchema.Type#TIMESTAMP} column, in UTC.
 *
 * <p>A partition is named by a single path segment: {@code hour=2026-01-15-10} for {@link Granularity#HOUR}
 * and {@code day=2026-01-15} for {@link Granularity#DAY}. The partition covers the half-open range
 * {@code [startOf(p), endOf(p))}. A partition is also the compaction <em>window</em>.
 */
public final class PartitionSpec {
  /** How wide one partition is. */
  public enum Granularity {
    HOUR("hour", ChronoUnit.HOURS, DateTimeFormatter.ofPattern("yyyy-MM-dd-HH", Locale.ROOT)),
    DAY("day", ChronoUnit.DAYS, DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT));

    private final String field;
    private final ChronoUnit unit;
    private final DateTimeFormatter format;

    Granularity(String field, ChronoUnit unit, DateTimeFormatter format) {
      this.field = field;
      this.unit = unit;
      this.format = format.withZone(ZoneOffset.UTC);
    }

    /** The partition field name used in paths: {@code hour} or {@code day}. */
    public String field() {
      return field;
    }
  }

  private final String timestampColumn;
  private final Granularity granularity;

  private PartitionSpec(String timestampColumn, Granularity granularity) {
    if (timestampColumn == null || timestampColumn.isBlank()) {
      throw new IllegalArgumentException("Partition spec needs a timestamp column name, got '" + timestampColumn + "'");
    }
    this.timestampColumn = timestampColumn;
    this.granularity = Objects.requireNonNull(granularity, "granularity");
  }

  /** Hourly partitions on {@code timestampColumn}. */
  public static PartitionSpec hourly(String timestampColumn) {
    return new PartitionSpec(timestampColumn, Granularity.HOUR);
  }

  /** Daily partitions on {@code timestampColumn}. */
  public static PartitionSpec daily(String timestampColumn) {
    return new PartitionSpec(timestampColumn, Granularity.DAY);
  }

  /** Partitions of the given granularity on {@code timestampColumn}. */
  public static PartitionSpec of(String timestampColumn, Granularity granularity) {
    return new PartitionSpec(timestampColumn, granularity);
  }

  /** The timestamp column partitions are derived from. */
  public String timestampColumn() {
    return timestampColumn;
  }

  public Granularity granularity() {
    return granularity;
  }

  /** The partition holding {@code timestamp}, e.g. {@code day=2026-01-15}. */
  public String partitionOf(Instant timestamp) {
    return granularity.field + "=" + granularity.format.format(timestamp);
  }

  /** The partition holding a timestamp given in microseconds since the epoch (UTC). */
  public String partitionOfMicros(long epochMicros) {
    return partitionOf(Instant.EPOCH.plus(epochMicros, ChronoUnit.MICROS));
  }

  /**
   * The inclusive start of a partition.
   *
   * @throws IllegalArgumentException if {@code partition} is not an {@code hour=} or {@code day=} value
   */
  public static Instant startOf(String partition) {
    Granularity g = granularityOf(partition);
    String value = partition.substring(g.field.length() + 1);
    try {
      if (g == Granularity.DAY) {
        return LocalDate.parse(value, g.format).atStartOfDay(ZoneOffset.UTC).toInstant();
      }
      return LocalDateTime.parse(value, g.format).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("Invalid partition '" + partition + "': expected "
          + (g == Granularity.DAY ? "day=yyyy-MM-dd" : "hour=yyyy-MM-dd-HH"), e);
    }
  }

  /** The exclusive end of a partition: its start plus one hour or one day. */
  public static Instant endOf(String partition) {
    return startOf(partition).plus(1, granularityOf(partition).unit);
  }

  /**
   * The granularity a partition value was written with.
   *
   * @throws IllegalArgumentException if the value has neither prefix
   */
  public static Granularity granularityOf(String partition) {
    if (partition != null) {
      for (Granularity g : Granularity.values()) {
        if (partition.startsWith(g.field + "=")) {
          return g;
        }
      }
    }
    throw new IllegalArgumentException("Invalid partition '" + partition
        + "': expected hour=yyyy-MM-dd-HH or day=yyyy-MM-dd");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PartitionSpec p && p.timestampColumn.equals(timestampColumn) && p.granularity == granularity;
  }

  @Override
  public int hashCode() {
    return Objects.hash(timestampColumn, granularity);
  }

  @Override
  public String toString() {
    return granularity.field + "(" + timestampColumn + ")";
  }
}
