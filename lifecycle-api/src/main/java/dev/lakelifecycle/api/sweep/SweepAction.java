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
   * Whether candidates are checked against a freshly reloaded catalog right before deletion, so that a file
   * committed while the sweep ran survives (the SignalDB runbook's {@code revalidate_before_delete}). Default
   * {@code sweep.revalidate} (true). Turning it off saves one catalog read per sweep and is safe only when
   * nothing commits files older than the grace period while sweeps run.
   */
  default SweepAction revalidate(boolean revalidate) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support revalidate(boolean)");
  }

  /**
   * What to do with references whose scheme or authority differs from the store's. Default
   * {@code sweep.prefix_mismatch_mode} ({@link PrefixMismatchMode#FAIL}).
   */
  default SweepAction prefixMismatchMode(PrefixMismatchMode mode) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support prefixMismatchMode()");
  }

  /**
   * Receives every orphan, deletion and failure as it happens, in key order; {@link SweepResult} keeps only
   * a bounded sample. Default {@link SweepListener#NONE}.
   */
  default SweepAction listener(SweepListener listener) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support listener()");
  }

  /**
   * Runs the sweep.
   *
   * @throws IncompleteValidSetException if the valid set could not be built completely, or references
   *     mismatch the store's scheme or authority under {@link PrefixMismatchMode#FAIL}; nothing is deleted
   */
  SweepResult execute();
}
