package dev.lakelifecycle.api.retention;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import java.time.Instant;
import java.util.List;

/**
 * What a retention run dropped and expired, or would have in a dry run (same shape either way).
 *
 * @param table the table
 * @param policy the resolved policy applied
 * @param cutoff the cutoff used, or {@code null} when retention is forever
 * @param dryRun whether nothing was changed
 * @param partitionsEvaluated live partitions looked at
 * @param partitionsDropped partitions dropped (or that would be), oldest first
 * @param snapshotsExpired snapshots expired (or that would be), oldest first
 */
public record RetentionResult(TableId table, ResolvedRetention policy, Instant cutoff, boolean dryRun,
    int partitionsEvaluated, List<DroppedPartition> partitionsDropped, List<TableSnapshot> snapshotsExpired) {

  public RetentionResult {
    partitionsDropped = List.copyOf(partitionsDropped);
    snapshotsExpired = List.copyOf(snapshotsExpired);
  }

  /**
   * One dropped partition.
   *
   * @param partition e.g. {@code hour=2026-01-15-10}
   * @param files live files it held
   * @param bytes their bytes
   * @param rows their rows
   */
  public record DroppedPartition(String partition, int files, long bytes, long rows) {}

  public long rowsDropped() {
    return partitionsDropped.stream().mapToLong(DroppedPartition::rows).sum();
  }
}
