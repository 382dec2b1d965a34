package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.TableId;
import java.time.Instant;

/**
 * The table's compaction checkpoint as an operator reads it.
 *
 * @param table the table
 * @param state where the last run stands
 * @param cursor next unprocessed group
 * @param totalGroups groups in the checkpointed plan
 * @param chunksCompleted chunks committed over the plan's life
 * @param lastError the last chunk failure, or {@code null}
 * @param updatedAt when the checkpoint was last written, or {@code null} if none
 */
public record CompactionStatus(TableId table, State state, int cursor, int totalGroups, int chunksCompleted,
    String lastError, Instant updatedAt) {
  /** Checkpoint state. */
  public enum State { IDLE, PENDING, COMPLETED, FAILED }
}
