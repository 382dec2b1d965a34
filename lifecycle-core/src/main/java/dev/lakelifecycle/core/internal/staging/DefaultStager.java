package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.staging.FlushResult;
import dev.lakelifecycle.api.staging.Stager;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.internal.parquet.BatchParquetWriter;
import dev.lakelifecycle.core.internal.parquet.RowSlice;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stager: holds appended batches per table and flushes each table to one Parquet file per partition touched,
 * committed with one idempotent catalog append.
 *
 * <p><b>Staged batches live in memory only.</b> {@code append} returns once the batch is accepted in this
 * process; a crash before the next successful flush loses it. The durable local spool (fsync before
 * {@code append} returns, recovery on restart) is a later change; until then {@link #close()} flushes
 * everything and logs at ERROR what it could not flush.
 *
 * <p>Behaviour:
 * <ul>
 *   <li>{@code append} checks the batch schema against the table's (naming every differing column) and that no
 *       row has a null partition timestamp. A {@link RowBatch} is immutable and kept as is; any other batch (an
 *       {@code ArrowBatch} over vectors the caller refills) is copied column-wise before {@code append} returns.
 *       When the table's thresholds ({@link LifecycleConfig.Staging#flushFor}: rows, estimated in-memory bytes,
 *       age of the oldest batch by the clock) are reached, the calling thread flushes the table. A failure of that
 *       flush does not fail the append (the batch was accepted; failing would invite a duplicate re-append): it
 *       is logged and counted, and the batches stay staged for the next flush.</li>
 *   <li>A flush takes the table's queued batches atomically (later appends go to the next flush), groups their
 *       rows by partition without copying them, writes {@code <table key>/data/<partition>/<writerId>-<uuid>.parquet}
 *       per partition and commits all files with one {@code commitAppend}. Its commit key is
 *       {@code <writerId>-<session>-<n>}: the session is random per stager instance, so that a writer id reused
 *       after a restart never collides with an earlier commit; {@code n} counts the table's flushes.</li>
 *   <li>A failed flush puts its batches back at the front of the queue, in order, and counts them as retried.
 *       The next flush retries exactly that range with the same commit key, so an append whose acknowledgement
 *       was lost is found ({@link CatalogTable#findAppend}) instead of being added twice. Files of a failed write
 *       are deleted; files offered to a commit whose outcome is unknown are kept and reused by the retry (deleting
 *       them could destroy committed data).</li>
 *   <li>Thread-safe: appends to any tables from any threads; flushes of different tables run in parallel, flushes
 *       of one table are serialised.</li>
 * </ul>
 *
 * <p>Metrics (tags {@code tenant}, {@code dataset}, {@code table}), named after the Timestore staging runbook's:
 * gauges {@code lifecycle.staging.queue.depth} ({@code metric=batches|rows}), {@code lifecycle.staging.queue.bytes}
 * (estimated heap bytes) and {@code lifecycle.staging.oldest.age} (seconds), all read when scraped; timer
 * {@code lifecycle.staging.flush.duration} and counters {@code lifecycle.staging.flush.batches} and
 * {@code lifecycle.staging.flush.rows} ({@code outcome=success|failure}); counter
 * {@code lifecycle.staging.retried.batches} (batches returned to the queue by a failed flush).
 */
public final class DefaultStager implements Stager {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultStager.class);
  private static final Pattern WRITER_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final long MICROS_PER_HOUR = 3_600_000_000L;
  private static final long MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

  private final ObjectStore store;
  private final TableCatalog catalog;
  private final LifecycleConfig.Staging config;
  private final Clock clock;
  private final MeterRegistry registry;
  private final String writerId;
  private final String commitKeyPrefix;
  private final BatchParquetWriter writer;
  private final ConcurrentHashMap<TableId, TableStage> tables = new ConcurrentHashMap<>();
  private final Map<TableId, StagingMeters> meters = new ConcurrentHashMap<>();
  /** Appends stage under the read lock; close takes the write lock, so no append lands after close's flush. */
  private final ReadWriteLock closeLock = new ReentrantReadWriteLock();
  private boolean closed;

  /**
   * @param registry where the staging meters go; {@code null} records nothing
   * @param writerId 1-64 characters of {@code A-Z a-z 0-9 _ . -}; names this writer in file names, commit keys
   *     and {@link DataFile#writerId()}
   * @throws IllegalArgumentException if {@code writerId} is invalid
   */
  public DefaultStager(ObjectStore store, TableCatalog catalog, LifecycleConfig.Staging config, Clock clock,
      MeterRegistry registry, String writerId) {
    this.store = Objects.requireNonNull(store, "store");
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.registry = registry != null ? registry : new CompositeMeterRegistry();
    if (writerId == null || !WRITER_ID.matcher(writerId).matches()) {
      throw new IllegalArgumentException("writer id '" + writerId
          + "' must be 1-64 characters of A-Z, a-z, 0-9, '_', '.', '-'");
    }
    this.writerId = writerId;
    this.commitKeyPrefix = writerId + "-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    this.writer = new BatchParquetWriter(store, writerId, clock);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Returns once the batch is staged in memory (see the class comment), after flushing the table in this
   * thread if that reached its thresholds. An empty batch is accepted and ignored.
   *
   * @throws IllegalStateException if the stager is closed
   */
  @Override
  public void append(TableId table, RecordBatch batch) {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(batch, "batch");
    TableStage stage = stage(table);
    if (!batch.schema().equals(stage.schema)) {
      throw new SchemaMismatchException(String.format(Locale.ROOT,
          "Cannot append to %s: the batch schema %s differs from the table schema %s: %s "
              + "(build the batch with the table's schema, TableCatalog.loadTable(%s).schema())",
          table, batch.schema(), stage.schema, String.join("; ", SchemaDiff.differences(batch.schema(), stage.schema)),
          table));
    }
    int rows = batch.rowCount();
    for (int r = 0; r < rows; r++) {
      if (batch.isNull(stage.partitionColumn, r)) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Cannot append to %s: row %d has a null in partition column '%s' (the table is partitioned by %s; every "
                + "row needs a timestamp there)", table, r, stage.spec.timestampColumn(), stage.spec));
      }
    }
    if (rows == 0) {
      return;
    }
    TableStage.Staged staged = keep(batch);
    closeLock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("Cannot append to " + table + ": the stager is closed");
      }
      stage.add(staged);
    } finally {
      closeLock.readLock().unlock();
    }
    if (stage.due(clock.instant())) {
      try {
        flushIfDue(stage);
      } catch (RuntimeException e) {
        // The batch is accepted: failing the append would make the caller append it again, twice in the end.
        LOG.warn("Flush of {} after an append failed; its batches stay staged and the next flush retries them", table, e);
      }
    }
  }

  /** A batch that cannot change any more: a RowBatch as is, anything else copied. */
  private TableStage.Staged keep(RecordBatch batch) {
    if (batch instanceof RowBatch || batch instanceof ColumnarBatch) {
      return new TableStage.Staged(batch, batch.rowCount(), estimateBytes(batch), clock.instant());
    }
    ColumnarBatch copy = ColumnarBatch.copyOf(batch);
    return new TableStage.Staged(copy, copy.rowCount(), copy.estimatedBytes(), clock.instant());
  }

  /** Approximate heap bytes of a row-oriented batch: per row an Object[], per value a box or a String/byte[]. */
  private static long estimateBytes(RecordBatch batch) {
    if (batch instanceof ColumnarBatch c) {
      return c.estimatedBytes();
    }
    TableSchema schema = batch.schema();
    int rows = batch.rowCount();
    long bytes = rows * (16L + 4L * schema.size());
    for (int c = 0; c < schema.size(); c++) {
      switch (schema.column(c).type()) {
        case STRING -> {
          for (int r = 0; r < rows; r++) {
            if (!batch.isNull(c, r)) {
              bytes += ColumnarBatch.stringBytes(batch.getString(c, r));
            }
          }
        }
        case BINARY -> {
          for (int r = 0; r < rows; r++) {
            if (!batch.isNull(c, r)) {
              bytes += 16 + batch.getBytes(c, r).length;
            }
          }
        }
        default -> bytes += 16L * rows;
      }
    }
    return bytes;
  }

  /**
   * {@inheritDoc}
   *
   * <p>First retries a range whose flush failed (same batches, same commit key), then flushes what else is
   * queued. Waits for a flush of the same table running in another thread.
   *
   * @throws LifecycleException (typically a {@link dev.lakelifecycle.api.StorageException}) as the store or the
   *     catalog threw it; the batches stay staged
   */
  @Override
  public FlushResult flush(TableId table) {
    Objects.requireNonNull(table, "table");
    TableStage stage = tables.get(table);
    if (stage == null) {
      return new FlushResult(table, 0, 0, List.of(), null);
    }
    stage.flushLock.lock();
    try {
      return flushLocked(stage);
    } finally {
      stage.flushLock.unlock();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Tries every table even if one fails; then throws the first failure, the others suppressed in it.
   */
  @Override
  public List<FlushResult> flushAll() {
    return flushEach(false);
  }

  /**
   * Flushes every table whose staged batches reach a threshold now (rows, bytes, or the oldest batch's age by
   * the clock): what a periodic scheduler should call. Tries every due table even if one fails; then throws the
   * first failure, the others suppressed in it.
   *
   * @return one result per table flushed
   */
  public List<FlushResult> flushDue() {
    return flushEach(true);
  }

  private List<FlushResult> flushEach(boolean onlyDue) {
    List<TableStage> stages = new ArrayList<>(tables.values());
    stages.sort(Comparator.comparing(s -> s.id.path()));
    List<FlushResult> results = new ArrayList<>();
    RuntimeException failure = null;
    for (TableStage stage : stages) {
      if (!stage.hasQueued()) {
        continue;
      }
      try {
        FlushResult r = onlyDue ? flushIfDue(stage) : flush(stage.id);
        if (r != null && r.batches() > 0) {
          results.add(r);
        }
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else if (failure != e) {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    return results;
  }

  /** Flushes {@code stage} if it is still due once its flush lock is held; {@code null} if it was not. */
  private FlushResult flushIfDue(TableStage stage) {
    stage.flushLock.lock();
    try {
      // Another thread may have flushed while this one waited for the lock.
      return stage.due(clock.instant()) ? flushLocked(stage) : null;
    } finally {
      stage.flushLock.unlock();
    }
  }

  private FlushResult flushLocked(TableStage stage) {
    int batches = 0;
    long rows = 0;
    List<DataFile> files = new ArrayList<>();
    TableSnapshot snapshot = null;
    // At most two ranges: a failed range retried alone under its key, then everything queued after it.
    for (int pass = 0; pass < 2; pass++) {
      TableStage.Taken taken = stage.take();
      if (taken == null) {
        break;
      }
      FlushResult r = flushRange(stage, taken);
      batches += r.batches();
      rows += r.rows();
      files.addAll(r.files());
      snapshot = r.snapshot();
      if (!taken.retry()) {
        break;
      }
    }
    return new FlushResult(stage.id, batches, rows, files, snapshot);
  }

  private FlushResult flushRange(TableStage stage, TableStage.Taken taken) {
    StagingMeters m = metersOf(stage);
    long start = System.nanoTime();
    String key = taken.attempt().commitKey();
    long rows = taken.rows();
    List<DataFile> files = taken.attempt().files();
    try {
      TableSnapshot snapshot = null;
      if (files != null) {
        // The last attempt's commit failed without telling whether it landed: ask before writing again.
        Optional<TableSnapshot> earlier = stage.table.findAppend(key);
        if (earlier.isPresent()) {
          snapshot = earlier.get();
          LOG.info("Flush of {} with commit key {} had committed as snapshot {} although it reported a failure",
              stage.id, key, snapshot.snapshotId());
        } else if (!allExist(files)) {
          deleteQuietly(files, stage.id);
          files = null;
        }
      }
      if (snapshot == null) {
        if (files == null) {
          files = writeFiles(stage, taken.batches());
        }
        snapshot = stage.table.commitAppend(key, files);
      }
      stage.committed();
      m.success(System.nanoTime() - start, taken.batches().size(), rows);
      LOG.debug("Flushed {}: {} batches, {} rows, {} files, snapshot {}, commit key {}", stage.id,
          taken.batches().size(), rows, files.size(), snapshot.snapshotId(), key);
      return new FlushResult(stage.id, taken.batches().size(), rows, files, snapshot);
    } catch (RuntimeException | Error e) {
      // files is non-null here only if they were (or may have been) offered to a commit: keep them for the retry.
      stage.restore(taken, new TableStage.Attempt(key, taken.batches().size(), files));
      m.failure(System.nanoTime() - start, taken.batches().size(), rows);
      LOG.warn("Flush of {} failed ({} batches, {} rows, commit key {}); the batches stay staged and the next flush "
          + "retries them with the same key", stage.id, taken.batches().size(), rows, key, e);
      throw e;
    }
  }

  private boolean allExist(List<DataFile> files) {
    for (DataFile f : files) {
      Optional<String> key = store.keyOf(f.location());
      if (key.isEmpty() || store.stat(key.get()).isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /** Writes one file per partition; on failure deletes what it wrote and rethrows. */
  private List<DataFile> writeFiles(TableStage stage, List<TableStage.Staged> batches) {
    Map<String, List<RowSlice>> partitions = partition(stage, batches);
    List<DataFile> written = new ArrayList<>(partitions.size());
    try {
      for (Map.Entry<String, List<RowSlice>> e : partitions.entrySet()) {
        String key = stage.dataPrefix + e.getKey() + "/" + writerId + "-" + UUID.randomUUID() + ".parquet";
        written.add(writer.write(key, stage.schema, e.getKey(), e.getValue()));
      }
      return written;
    } catch (RuntimeException | Error e) {
      deleteQuietly(written, stage.id);
      throw e;
    }
  }

  /**
   * The rows of {@code batches} grouped by partition (sorted by name), each as slices of the batches in batch
   * order. A batch wholly inside one partition is sliced whole; no row is copied either way.
   */
  private static Map<String, List<RowSlice>> partition(TableStage stage, List<TableStage.Staged> batches) {
    long unit = stage.spec.granularity() == PartitionSpec.Granularity.HOUR ? MICROS_PER_HOUR : MICROS_PER_DAY;
    int pc = stage.partitionColumn;
    TreeMap<Long, List<RowSlice>> byBucket = new TreeMap<>();
    for (TableStage.Staged s : batches) {
      RecordBatch b = s.batch();
      int n = b.rowCount();
      long[] buckets = new long[n];
      boolean uniform = true;
      for (int r = 0; r < n; r++) {
        buckets[r] = Math.floorDiv(b.getLong(pc, r), unit);
        uniform &= buckets[r] == buckets[0];
      }
      if (uniform) {
        byBucket.computeIfAbsent(buckets[0], k -> new ArrayList<>()).add(RowSlice.all(b));
        continue;
      }
      Map<Long, int[]> counts = new HashMap<>();
      for (long bucket : buckets) {
        counts.computeIfAbsent(bucket, k -> new int[1])[0]++;
      }
      Map<Long, int[]> rows = new HashMap<>();
      Map<Long, int[]> fill = new HashMap<>();
      counts.forEach((bucket, count) -> {
        rows.put(bucket, new int[count[0]]);
        fill.put(bucket, new int[1]);
      });
      for (int r = 0; r < n; r++) {
        rows.get(buckets[r])[fill.get(buckets[r])[0]++] = r;
      }
      rows.forEach((bucket, positions) ->
          byBucket.computeIfAbsent(bucket, k -> new ArrayList<>()).add(RowSlice.of(b, positions)));
    }
    Map<String, List<RowSlice>> out = new TreeMap<>();
    byBucket.forEach((bucket, slices) -> out.put(stage.spec.partitionOfMicros(bucket * unit), slices));
    return out;
  }

  private void deleteQuietly(List<DataFile> files, TableId table) {
    if (files.isEmpty()) {
      return;
    }
    List<String> keys = new ArrayList<>(files.size());
    for (DataFile f : files) {
      store.keyOf(f.location()).ifPresent(keys::add);
    }
    try {
      DeleteResult result = store.delete(keys);
      if (!result.failed().isEmpty()) {
        LOG.warn("Could not delete uncommitted files of {} {}; the orphan sweep removes them after its grace period",
            table, result.failed());
      }
    } catch (RuntimeException e) {
      LOG.warn("Could not delete uncommitted files of {} {}; the orphan sweep removes them after its grace period",
          table, keys, e);
    }
  }

  @Override
  public long stagedRows(TableId table) {
    TableStage stage = tables.get(Objects.requireNonNull(table, "table"));
    return stage == null ? 0 : stage.stagedRows();
  }

  /**
   * Flushes every table, then refuses further appends. A table whose flush fails is logged at ERROR with the
   * rows it still holds: with this in-memory stager they are lost when the process exits. Never throws.
   */
  @Override
  public void close() {
    closeLock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      closeLock.writeLock().unlock();
    }
    for (TableStage stage : tables.values()) {
      try {
        flush(stage.id);
      } catch (RuntimeException e) {
        LOG.error("Closing the stager: flush of {} failed; {} rows in {} batches remain unflushed and are lost when "
            + "this process exits, because this stager keeps staged batches in memory only (the durable local "
            + "spool, a later change, keeps them across restarts)", stage.id, stage.stagedRows(),
            stage.stagedBatches(), e);
      }
    }
  }

  /** The stage of {@code table}, loading the table from the catalog on first use. */
  private TableStage stage(TableId table) {
    TableStage stage = tables.get(table);
    if (stage != null) {
      return stage;
    }
    // Loaded outside computeIfAbsent: catalog I/O must not block other tables' map bins.
    CatalogTable loaded = catalog.loadTable(table);
    TableStage created = newStage(table, loaded);
    TableStage raced = tables.putIfAbsent(table, created);
    if (raced != null) {
      return raced;
    }
    metersOf(created);
    return created;
  }

  /** The meters of a stage that won its table's slot in {@link #tables}; registered once. */
  private StagingMeters metersOf(TableStage stage) {
    return meters.computeIfAbsent(stage.id, id -> new StagingMeters(registry, stage, clock));
  }

  private TableStage newStage(TableId id, CatalogTable table) {
    TableSchema schema = table.schema();
    String column = table.partitionSpec().timestampColumn();
    int pc = schema.indexOf(column);
    if (pc < 0 || schema.column(pc).type() != TableSchema.Type.TIMESTAMP) {
      throw new SchemaMismatchException(String.format(Locale.ROOT,
          "Cannot stage for %s: partition column '%s' is not a timestamp column of the table schema %s "
              + "(recreate the table with a TIMESTAMP partition column)", id, column, schema));
    }
    // A table location may be spelled as a directory (trailing '/'); object keys never end with one.
    String location = table.location();
    while (location.endsWith("/")) {
      location = location.substring(0, location.length() - 1);
    }
    String base = store.keyOf(location).orElseThrow(() -> new LifecycleException(String.format(Locale.ROOT,
        "Cannot stage for %s: its location %s is outside the object store at %s (give the catalog and the "
            + "stager the same store)", id, table.location(), store.root())));
    String dataPrefix = (base.isEmpty() ? "" : base + "/") + "data/";
    return new TableStage(id, table, pc, dataPrefix, config.flushFor(id.path()), commitKeyPrefix);
  }
}
