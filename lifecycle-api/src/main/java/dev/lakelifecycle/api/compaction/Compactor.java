package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.TableId;
import java.util.Collection;
import java.util.List;

/**
 * Rewrites small files into large ones, partition by partition, in checkpointed chunks:
 * <pre>{@code
 * CompactionPlan plan = compactor.compact(table).plan();          // dry run that explains every file
 * CompactionResult result = compactor.compact(table).execute();   // resumes a crashed run at its cursor
 * }</pre>
 */
public interface Compactor {
  /** Starts configuring a compaction of {@code table}; nothing happens until {@code plan()} or {@code execute()}. */
  CompactionAction compact(TableId table);

  /** The state of the table's compaction checkpoint, or {@link CompactionStatus.State#IDLE} if none. */
  CompactionStatus status(TableId table);

  /**
   * The table's quarantined files, oldest first.
   *
   * @throws UnsupportedOperationException if this compactor does not quarantine
   */
  default List<QuarantinedFile> quarantined(TableId table) {
    throw new UnsupportedOperationException(getClass().getName() + " does not quarantine files");
  }

  /**
   * Releases files from quarantine, so the next plan considers them again (after repairing or replacing them).
   *
   * @param locations the files' locations; an empty collection releases every quarantined file of the table
   * @return how many files were released
   * @throws UnsupportedOperationException if this compactor does not quarantine
   */
  default int clearQuarantine(TableId table, Collection<String> locations) {
    throw new UnsupportedOperationException(getClass().getName() + " does not quarantine files");
  }

  /**
   * Removes the table's completed compaction checkpoint when it is older than the checkpoint TTL (default 24 h,
   * {@code compaction.checkpoint_ttl_hours}); pending, failed and leased checkpoints are kept.
   *
   * @return whether a checkpoint was removed
   * @throws UnsupportedOperationException if this compactor keeps no checkpoints
   */
  default boolean cleanup(TableId table) {
    throw new UnsupportedOperationException(getClass().getName() + " keeps no checkpoints to clean up");
  }
}
