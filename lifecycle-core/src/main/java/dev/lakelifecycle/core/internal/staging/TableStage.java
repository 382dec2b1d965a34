package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.core.LifecycleConfig;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The staged records of one table: their index (a FIFO of {@link TableSpool.Entry}, in sequence order, guarded by
 * this object's monitor), the table's spool files, and a flush lock that serialises the table's flushes.
 *
 * <p>A flush reads a {@link Range} from the front of the queue without removing it; only its commit removes it.
 * A range whose flush failed, or whose intent a restart found in the spool, is retried exactly (same records,
 * same commit key) before anything else, so a commit whose acknowledgement was lost is recognised by the
 * catalog instead of adding the rows twice.
 */
final class TableStage {
  /** The catalog side of a table, loaded on first need (a recovered spool may exist before its table loads). */
  record Bound(CatalogTable table, TableSchema schema, PartitionSpec spec, int partitionColumn, String dataPrefix) {}

  /**
   * A range of records to flush.
   *
   * @param retry whether the range was attempted before (then the catalog is asked for its key first)
   * @param files files already offered to a commit whose outcome is unknown, reused by the retry; or {@code null}
   */
  record Range(long first, long last, List<TableSpool.Entry> entries, boolean retry, List<DataFile> files) {
    long rows() {
      long n = 0;
      for (TableSpool.Entry e : entries) {
        n += e.rows();
      }
      return n;
    }

    long bytes() {
      long n = 0;
      for (TableSpool.Entry e : entries) {
        n += e.frameBytes();
      }
      return n;
    }
  }

  /** A failed (or recovered) range to retry: its bounds and the files of an ambiguous commit. */
  private record Retry(long first, long last, List<DataFile> files) {}

  final TableId id;
  final TableSpool spool;
  final LifecycleConfig.Flush limits;
  final ReentrantLock flushLock = new ReentrantLock();
  /** Serialises schema changes of the table made by appends (held across the catalog commit, never with this). */
  final Object schemaLock = new Object();
  /** Set while a background flush of this table is queued or running. */
  final AtomicBoolean flushScheduled = new AtomicBoolean();
  /** Consecutive failed background flushes (flush thread only). */
  int backgroundFailures;
  private volatile Bound bound;

  // Guarded by this.
  private final ArrayDeque<TableSpool.Entry> queue = new ArrayDeque<>();
  private long rows;
  private long bytes;
  private Retry retry;

  // Guarded by the stager's guardrail lock: bytes and batches reserved by appends in progress or staged.
  long reservedBytes;
  int reservedBatches;

  TableStage(TableId id, TableSpool spool, LifecycleConfig.Flush limits) {
    this.id = id;
    this.spool = spool;
    this.limits = limits;
  }

  Bound bound() {
    return bound;
  }

  void bind(Bound b) {
    this.bound = b;
  }

  synchronized void add(TableSpool.Entry e) {
    queue.addLast(e);
    rows += e.rows();
    bytes += e.frameBytes();
  }

  /** Marks the range recorded as the spool's intent (restart) for an exact retry. */
  synchronized void retryRange(long first, long last) {
    retry = new Retry(first, last, null);
  }

  /** Sequence number of the last queued record, or -1. */
  synchronized long lastSeq() {
    return queue.isEmpty() ? -1 : queue.peekLast().seq();
  }

  /**
   * The next range to flush: the range to retry if there is one, else the durable records from the front of the
   * queue, at most {@code maxRows} rows and {@code maxBytes} spool bytes (at least one record), none after
   * {@code upTo}. {@code null} if there is nothing to flush.
   */
  synchronized Range next(long maxRows, long maxBytes, long upTo) {
    if (retry != null) {
      List<TableSpool.Entry> out = new ArrayList<>();
      for (TableSpool.Entry e : queue) {
        if (e.seq() > retry.last()) {
          break;
        }
        if (e.seq() >= retry.first()) {
          out.add(e);
        }
      }
      return new Range(retry.first(), retry.last(), out, true, retry.files());
    }
    return fresh(-1, maxRows, maxBytes, upTo);
  }

  /**
   * The fresh range that follows the records up to {@code after} (which a flush is writing or committing now),
   * bounded like {@link #next}; {@code null} if there is none or a range waits for its retry. Read without being
   * removed, like every range: only its commit removes it.
   */
  synchronized Range nextAfter(long after, long maxRows, long maxBytes, long upTo) {
    return retry != null ? null : fresh(after, maxRows, maxBytes, upTo);
  }

  private Range fresh(long after, long maxRows, long maxBytes, long upTo) {
    List<TableSpool.Entry> out = new ArrayList<>();
    long r = 0;
    long b = 0;
    for (TableSpool.Entry e : queue) {
      if (e.seq() <= after) {
        continue;
      }
      if (e.seq() > upTo || e.segment().synced < e.offset() + e.frameBytes()) {
        break;
      }
      if (!out.isEmpty() && (r + e.rows() > maxRows || b + e.frameBytes() > maxBytes)) {
        break;
      }
      out.add(e);
      r += e.rows();
      b += e.frameBytes();
    }
    return out.isEmpty() ? null : new Range(out.get(0).seq(), out.get(out.size() - 1).seq(), out, false, null);
  }

  /** Remembers a failed range for an exact retry. */
  synchronized void failed(Range range, List<DataFile> offeredFiles) {
    retry = new Retry(range.first(), range.last(), offeredFiles);
  }

  /** Forgets every record up to {@code last} once committed; returns {bytes, batches} removed. */
  synchronized long[] committed(long last) {
    long b = 0;
    long n = 0;
    while (!queue.isEmpty() && queue.peekFirst().seq() <= last) {
      TableSpool.Entry e = queue.pollFirst();
      rows -= e.rows();
      bytes -= e.frameBytes();
      b += e.frameBytes();
      n++;
    }
    retry = null;
    return new long[] {b, n};
  }

  /** Whether the staged records reach a flush threshold at {@code now}: rows, bytes or the oldest one's age. */
  synchronized boolean due(Instant now) {
    if (queue.isEmpty()) {
      return false;
    }
    return rows >= limits.maxRows() || bytes >= limits.maxBytes()
        || now.toEpochMilli() - queue.peekFirst().stagedAtMillis() >= limits.maxAge().toMillis();
  }

  synchronized boolean hasQueued() {
    return !queue.isEmpty();
  }

  /** Rows accepted and not yet committed. */
  synchronized long stagedRows() {
    return rows;
  }

  synchronized int stagedBatches() {
    return queue.size();
  }

  /** Spool bytes of the records not yet committed. */
  synchronized long stagedBytes() {
    return bytes;
  }

  /** Seconds since the oldest uncommitted record was accepted, 0 if none. */
  synchronized double oldestAgeSeconds(Instant now) {
    return queue.isEmpty() ? 0 : Math.max(0, (now.toEpochMilli() - queue.peekFirst().stagedAtMillis()) / 1e3);
  }
}
