package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.TableId;

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
}
