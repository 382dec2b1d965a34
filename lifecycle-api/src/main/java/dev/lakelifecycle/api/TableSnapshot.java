package dev.lakelifecycle.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One committed version of a table.
 *
 * @param snapshotId unique within the table, increasing with each commit
 * @param parentId the snapshot this one was committed on, or {@code null} for the first
 * @param committedAt commit time from the catalog's clock
 * @param operation what the commit did
 * @param summary free-form facts about the commit (files and rows added/removed, the append's commit key)
 */
public record TableSnapshot(long snapshotId, Long parentId, Instant committedAt, Operation operation,
    Map<String, String> summary) {

  /** The kind of change a snapshot made. */
  public enum Operation {
    /** New files were added; nothing was removed. */
    APPEND,
    /** Files were swapped for others holding the same rows (compaction). */
    REPLACE,
    /** Files were removed (retention dropped partitions). */
    DELETE
  }

  /** Summary key holding the idempotency key of an append. */
  public static final String COMMIT_KEY = "commit-key";

  public TableSnapshot {
    Objects.requireNonNull(committedAt, "committedAt");
    Objects.requireNonNull(operation, "operation");
    summary = summary == null ? Map.of() : Map.copyOf(summary);
  }
}
