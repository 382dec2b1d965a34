package dev.lakelifecycle.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One immutable Parquet data file that a table snapshot references.
 *
 * @param location the full location of the file as the {@link dev.lakelifecycle.api.storage.ObjectStore}
 *     names it ({@code file:/lake/acme/prod/logs/data/day=2026-01-15/f.parquet}, {@code s3://bucket/...})
 * @param partition the partition value, e.g. {@code day=2026-01-15} (see {@link PartitionSpec})
 * @param sizeBytes size of the file in bytes, at least 0
 * @param recordCount number of rows, at least 0
 * @param writerId who wrote it (a stager or compactor instance id); informational
 * @param createdAt when the file was written
 * @param columnStats per-column statistics from the Parquet footer, keyed by column name; empty if unknown
 * @param sortOrderId the {@link dev.lakelifecycle.api.catalog.SortOrder#orderId()} the file's rows are sorted by;
 *     {@code 0} (the default) when they are not known to be sorted
 */
public record DataFile(
    String location,
    String partition,
    long sizeBytes,
    long recordCount,
    String writerId,
    Instant createdAt,
    Map<String, ColumnStats> columnStats,
    int sortOrderId) {

  /**
   * Statistics of one column in one file.
   *
   * @param nullCount number of null values
   * @param min the smallest value in display form (ISO-8601 for timestamps), or {@code null} if unknown
   * @param max the largest value in display form, or {@code null} if unknown
   */
  public record ColumnStats(long nullCount, String min, String max) {}

  public DataFile {
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(createdAt, "createdAt");
    if (sizeBytes < 0 || recordCount < 0) {
      throw new IllegalArgumentException("DataFile " + location + ": size and record count must be >= 0");
    }
    writerId = writerId == null ? "" : writerId;
    columnStats = columnStats == null ? Map.of() : Map.copyOf(columnStats);
    if (sortOrderId < 0) {
      throw new IllegalArgumentException("DataFile " + location + ": sort order id must be >= 0 (0 = unsorted)");
    }
  }

  /** A file not known to be sorted (sort order id 0). */
  public DataFile(String location, String partition, long sizeBytes, long recordCount, String writerId,
      Instant createdAt, Map<String, ColumnStats> columnStats) {
    this(location, partition, sizeBytes, recordCount, writerId, createdAt, columnStats, 0);
  }

  /** This file recorded as sorted by the order with id {@code id} (0 = not known to be sorted). */
  public DataFile withSortOrderId(int id) {
    return new DataFile(location, partition, sizeBytes, recordCount, writerId, createdAt, columnStats, id);
  }
}
