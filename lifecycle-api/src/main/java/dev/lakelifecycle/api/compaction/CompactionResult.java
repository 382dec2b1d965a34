package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.TableId;
import java.util.List;

/**
 * What one {@link CompactionAction#execute()} did, counting this run only.
 *
 * @param table the table
 * @param resumed whether the run continued a pending checkpoint left by an earlier run
 * @param groupsCompacted rewrite groups committed
 * @param filesRemoved input files replaced
 * @param filesAdded output files written
 * @param bytesBefore bytes of the input files
 * @param bytesAfter bytes of the output files
 * @param rows rows rewritten (equal in and out)
 * @param chunksCompleted chunks committed
 * @param outcome how the run ended
 * @param quarantined files quarantined by this run (unreadable; left live and out of later plans)
 * @param filesDeferred eligible files left for a later run by a cap on files or bytes
 * @param bytesDeferred their bytes
 */
public record CompactionResult(TableId table, boolean resumed, int groupsCompacted, int filesRemoved, int filesAdded,
    long bytesBefore, long bytesAfter, long rows, int chunksCompleted, Outcome outcome,
    List<QuarantinedFile> quarantined, int filesDeferred, long bytesDeferred) {

  /** How a run ended. */
  public enum Outcome {
    /** The plan was executed to its end (possibly with files quarantined or deferred). */
    COMPLETED,
    /** Nothing was eligible. */
    NOTHING_TO_DO,
    /** Another worker (or another thread of this one) holds the table's lease; this run did nothing. */
    ALREADY_RUNNING
  }

  public CompactionResult {
    quarantined = List.copyOf(quarantined);
  }

  /** A completed run with nothing quarantined or deferred. */
  public CompactionResult(TableId table, boolean resumed, int groupsCompacted, int filesRemoved, int filesAdded,
      long bytesBefore, long bytesAfter, long rows, int chunksCompleted) {
    this(table, resumed, groupsCompacted, filesRemoved, filesAdded, bytesBefore, bytesAfter, rows, chunksCompleted,
        Outcome.COMPLETED, List.of(), 0, 0);
  }
}
