package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.CommitConflictException;
import java.time.Duration;

/**
 * One configured compaction of one table. Setters override the configuration's {@code compaction.*}
 * values for this run only; each may be called once.
 */
public interface CompactionAction {
  /** Output file size to aim for, in bytes. Default {@code compaction.target-file-size} (128 MiB). */
  CompactionAction targetFileSizeBytes(long bytes);

  /**
   * Fewest small files a partition needs to be compacted (it is also compacted when its small files add
   * up to one target file). Default {@code compaction.min-input-files} (10); at least 2.
   */
  CompactionAction minInputFiles(int files);

  /**
   * How long after a partition's end it stays open for late writers and is not compacted.
   * Default {@code compaction.max-wait} (5 minutes).
   */
  CompactionAction maxWait(Duration wait);

  /** Compact open partitions too. Default {@code false}. */
  CompactionAction force(boolean force);

  /**
   * Order of execution: oldest window first ({@link CompactionPlan.Order#AGE}), or the largest backlog first.
   * Default {@code compaction.order} ({@code AGE}).
   */
  default CompactionAction order(CompactionPlan.Order order) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support ordering");
  }

  /**
   * Caps the input files of this run; eligible groups beyond it are reported as
   * {@link CompactionPlan.Reason#DEFERRED_BY_CAP}, never silently skipped. A group is never split by the cap, but
   * the first group always runs. Default {@code compaction.max_files_per_run}; 0 means no cap.
   */
  default CompactionAction maxFiles(int files) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support caps");
  }

  /** Caps the input bytes of this run, like {@link #maxFiles(int)}. Default {@code compaction.max_bytes_per_run}; 0 = no cap. */
  default CompactionAction maxBytes(long bytes) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support caps");
  }

  /** Receives progress per chunk. Default {@link CompactionListener#NONE}. */
  default CompactionAction listener(CompactionListener listener) {
    throw new UnsupportedOperationException(getClass().getName() + " does not support listeners");
  }

  /** Plans without changing anything, explaining why each live file is included or skipped. */
  CompactionPlan plan();

  /**
   * Plans (or resumes the pending checkpoint's plan) and executes it in chunks, committing and
   * checkpointing after each.
   *
   * @throws CommitConflictException only if a chunk still conflicts after its retries; earlier chunks stay committed
   */
  CompactionResult execute();
}
