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
