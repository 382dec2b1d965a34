package dev.lakelifecycle.api.sweep;

import dev.lakelifecycle.api.IncompleteValidSetException;
import java.time.Duration;

/** One configured sweep; each setter may be called once. */
public interface SweepAction {
  /**
   * Only files last modified more than {@code gracePeriod} ago may be deleted. Default
   * {@code sweep.grace-period} (24 hours).
   *
   * @throws IllegalArgumentException if below {@code sweep.min-grace-period} (1 hour)
   */
  SweepAction olderThan(Duration gracePeriod);

  /** Identify and report orphans without deleting. Default {@code sweep.dry-run} (false). */
  SweepAction dryRun(boolean dryRun);

  /** Keys per delete call. Default {@code sweep.batch-size} (1000); 1 to 1000. */
  SweepAction batchSize(int keys);

  /**
   * Runs the sweep.
   *
   * @throws IncompleteValidSetException if the valid set could not be built completely; nothing is deleted
   */
  SweepResult execute();
}
