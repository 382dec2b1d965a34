package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.core.LifecycleConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The staged batches of one table: a FIFO queue guarded by this object's monitor (appends and takes are short),
 * and a flush lock that serialises the table's flushes (held for the whole write and commit).
 *
 * <p>A flush {@link #take() takes} a range of batches out of the queue. On success the range is
 * {@link #committed committed}; on failure it is {@link #restore restored} to the front of the queue, in order,
 * with its {@link Attempt}, and the next take returns exactly that range again under the same commit key, so a
 * commit whose acknowledgement was lost is recognised by the catalog instead of adding the rows twice.
 */
final class TableStage {
  /** One accepted batch: immutable, with its size and acceptance time. */
  record Staged(RecordBatch batch, int rows, long bytes, Instant stagedAt) {}

  /**
   * One flush of a range of batches.
   *
   * @param commitKey the idempotency key of the range's catalog append, the same on every retry of the range
   * @param batches how many batches from the front of the queue the range holds
   * @param files files already offered to a commit whose outcome is unknown, reused by the retry; or {@code null}
   */
  record Attempt(String commitKey, int batches, List<DataFile> files) {}

  /** Batches taken for one flush. {@code retry} says the range failed before and keeps its commit key. */
  record Taken(List<Staged> batches, Attempt attempt, boolean retry) {
    long rows() {
      long n = 0;
      for (Staged s : batches) {
        n += s.rows();
      }
      return n;
    }
  }

  final TableId id;
  final CatalogTable table;
  final TableSchema schema;
  final PartitionSpec spec;
  final int partitionColumn;
  /** Key prefix of the table's data files, ending with {@code /}. */
  final String dataPrefix;
  final LifecycleConfig.Flush limits;
  final ReentrantLock flushLock = new ReentrantLock();
  private final String commitKeyPrefix;

  // Guarded by this.
  private final ArrayDeque<Staged> queue = new ArrayDeque<>();
  private long queuedRows;
  private long queuedBytes;
  private int inFlightBatches;
  private long inFlightRows;
  private long inFlightBytes;
  private Instant inFlightOldest;
  private Attempt retry;
  private long flushSequence;

  TableStage(TableId id, CatalogTable table, int partitionColumn, String dataPrefix, LifecycleConfig.Flush limits,
      String commitKeyPrefix) {
    this.id = id;
    this.table = table;
    this.schema = table.schema();
    this.spec = table.partitionSpec();
    this.partitionColumn = partitionColumn;
    this.dataPrefix = dataPrefix;
    this.limits = limits;
    this.commitKeyPrefix = commitKeyPrefix;
  }

  synchronized void add(Staged s) {
    queue.addLast(s);
    queuedRows += s.rows();
    queuedBytes += s.bytes();
  }

  /**
   * Takes the next range to flush: the failed range if there is one (exactly its batches, same key), else
   * every queued batch under a new commit key. {@code null} if nothing is queued.
   */
  synchronized Taken take() {
    if (queue.isEmpty()) {
      return null;
    }
    boolean isRetry = retry != null;
    Attempt attempt = isRetry ? retry : new Attempt(commitKeyPrefix + (++flushSequence), queue.size(), null);
    List<Staged> out = new ArrayList<>(attempt.batches());
    for (int i = 0; i < attempt.batches() && !queue.isEmpty(); i++) {
      Staged s = queue.pollFirst();
      out.add(s);
      queuedRows -= s.rows();
      queuedBytes -= s.bytes();
      inFlightRows += s.rows();
      inFlightBytes += s.bytes();
    }
    inFlightBatches = out.size();
    inFlightOldest = out.get(0).stagedAt();
    return new Taken(out, attempt, isRetry);
  }

  /** Puts a failed range back at the front of the queue, in order, to be retried as {@code attempt}. */
  synchronized void restore(Taken taken, Attempt attempt) {
    List<Staged> batches = taken.batches();
    for (int i = batches.size() - 1; i >= 0; i--) {
      Staged s = batches.get(i);
      queue.addFirst(s);
      queuedRows += s.rows();
      queuedBytes += s.bytes();
    }
    clearInFlight();
    retry = attempt;
  }

  /** Forgets a range once committed. */
  synchronized void committed() {
    clearInFlight();
    retry = null;
  }

  private void clearInFlight() {
    inFlightBatches = 0;
    inFlightRows = 0;
    inFlightBytes = 0;
    inFlightOldest = null;
  }

  /** Whether the queued batches reach a flush threshold at {@code now}: rows, bytes or the oldest batch's age. */
  synchronized boolean due(Instant now) {
    if (queue.isEmpty()) {
      return false;
    }
    return queuedRows >= limits.maxRows() || queuedBytes >= limits.maxBytes()
        || Duration.between(queue.peekFirst().stagedAt(), now).compareTo(limits.maxAge()) >= 0;
  }

  synchronized boolean hasQueued() {
    return !queue.isEmpty();
  }

  /** Rows accepted and not yet committed: queued and being flushed. */
  synchronized long stagedRows() {
    return queuedRows + inFlightRows;
  }

  synchronized int stagedBatches() {
    return queue.size() + inFlightBatches;
  }

  synchronized long stagedBytes() {
    return queuedBytes + inFlightBytes;
  }

  /** Seconds since the oldest uncommitted batch was accepted, 0 if none. */
  synchronized double oldestAgeSeconds(Instant now) {
    Instant oldest = inFlightOldest != null ? inFlightOldest : queue.isEmpty() ? null : queue.peekFirst().stagedAt();
    return oldest == null ? 0 : Math.max(0, Duration.between(oldest, now).toNanos() / 1e9);
  }
}
