package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.TableId;
import java.time.Duration;

/**
 * Receives progress of compaction runs, once per chunk. Called on the compacting thread after the chunk's commit
 * and checkpoint; keep it quick. A listener that throws is logged and ignored: it never breaks a run.
 */
@FunctionalInterface
public interface CompactionListener {
  /** Does nothing; the default. */
  CompactionListener NONE = progress -> { };

  /** A chunk finished (committed and checkpointed). */
  void onChunk(ChunkProgress progress);

  /**
   * One finished chunk.
   *
   * @param table the table
   * @param chunkId e.g. {@code chunk-3}
   * @param chunkIndex 0-based index of the chunk in the plan
   * @param totalChunks chunks in the plan
   * @param filesRemoved input files replaced by this chunk
   * @param filesAdded output files written by this chunk
   * @param bytesBefore input bytes of this chunk
   * @param bytesAfter output bytes of this chunk
   * @param filesQuarantined inputs of this chunk quarantined as unreadable
   * @param attempts attempts the chunk took (1 = no retry)
   * @param duration wall time of the chunk
   */
  record ChunkProgress(TableId table, String chunkId, int chunkIndex, int totalChunks, int filesRemoved,
      int filesAdded, long bytesBefore, long bytesAfter, int filesQuarantined, int attempts, Duration duration) {}
}
