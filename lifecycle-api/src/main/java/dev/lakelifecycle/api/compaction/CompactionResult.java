package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.TableId;

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
 */
public record CompactionResult(TableId table, boolean resumed, int groupsCompacted, int filesRemoved, int filesAdded,
    long bytesBefore, long bytesAfter, long rows, int chunksCompleted) {}
