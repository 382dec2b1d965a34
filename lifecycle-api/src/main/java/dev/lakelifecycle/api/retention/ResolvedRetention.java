package dev.lakelifecycle.api.retention;

import dev.lakelifecycle.api.TableId;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The policy in force for one table after resolving global → tenant → dataset, with the tier each value
 * came from.
 *
 * @param table the table
 * @param retention how long data is kept
 * @param retentionTier the tier that set {@code retention}; {@link Tier#DEFAULT} when no tier did (keep forever)
 * @param gracePeriod added to the retention before dropping, against clock skew and late data
 * @param snapshotsToKeep newest snapshots always kept, at least 1
 * @param maxSnapshotAge snapshots older than this may expire (beyond the newest {@code snapshotsToKeep});
 *     {@code null} means age alone never expires a snapshot beyond the count
 */
public record ResolvedRetention(TableId table, Retention retention, Tier retentionTier, Duration gracePeriod,
    int snapshotsToKeep, Duration maxSnapshotAge) {

  /** Where a value came from. */
  public enum Tier { DEFAULT, GLOBAL, TENANT, DATASET }

  /**
   * The cutoff at {@code now}: {@code now − retention − gracePeriod}. A partition is dropped only when its
   * whole time range ends at or before the cutoff.
   *
   * @return the cutoff, or empty when retention is forever
   */
  public Optional<Instant> cutoff(Instant now) {
    if (retention.isForever()) {
      return Optional.empty();
    }
    return Optional.of(now.minus(retention.duration()).minus(gracePeriod));
  }
}
