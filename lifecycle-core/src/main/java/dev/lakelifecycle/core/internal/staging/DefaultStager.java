package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.SchemaEvolutionUnsupportedException;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.StagerFullException;
import dev.lakelifecycle.api.StorageException;
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
import dev.lakelifecycle.core.internal.TableLayout;
import dev.lakelifecycle.core.internal.parquet.BatchParquetWriter;
import dev.lakelifecycle.core.internal.parquet.RowSlice;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stager: a durable local spool per table in front of Parquet writes, flushed to one Parquet file per
 * partition touched and committed with one idempotent catalog append per flushed range.
 *
 * <p><b>Durability.</b> {@code append} encodes the batch column-wise into one checksummed record
 * ({@link SpoolCodec}), writes it to the table's spool segment and returns only once the record is forced to
 * disk: under {@code staging.durability = group} (default) appends in flight together share one fsync done by a
 * sync thread, under {@code batch} each append forces its own write. A batch whose {@code append} returned
 * survives a crash of the process (and of the host, if the spool directory is on a persistent disk).
 *
 * <p><b>Spool directory.</b> {@code <staging.directory>/<writer id>/}, where {@code staging.directory} defaults to
 * {@code <java.io.tmpdir>/lake-lifecycle-staging/<first 16 hex digits of SHA-256 of the store root URI>}. It must
 * not be inside the object store's root (the orphan sweeper would see it): that is refused. The directory is
 * locked while this stager is open; a second stager with the same writer id and directory is refused. It
 * records the store root it stages for; opening it for another store is refused. At start-up the stager also
 * adopts the spools of other writer ids under the same {@code staging.directory} that no live stager holds
 * (e.g. left by a crashed instance with a random writer id): it flushes their records, under their own commit
 * keys, in the background, then deletes them. Its own recovered records (complete records kept, a torn tail cut
 * off, committed ranges skipped) count toward the guardrails at once and are flushed at open: in the background
 * when {@code staging.background_flush} is on (the constructor returns without waiting for storage), in the
 * constructor when it is off (the caller chose to run flushes in its own threads; when the constructor returns the
 * recovered records are committed, or, if that flush failed, logged at WARN and still staged for the next flush,
 * append or {@link #close()}).
 *
 * <p><b>Flushing.</b> A table flushes when its staged rows, spool bytes or oldest record's age reach its
 * thresholds ({@link LifecycleConfig.Staging#flushFor}), on {@link #flush}, {@link #flushAll}, {@link #flushDue}
 * and {@link #close()}. By default ({@code staging.background_flush = true}) a table that reaches a threshold is
 * flushed by the stager's flush thread, which also checks record ages every second; a failed background flush is
 * retried after an exponential backoff with jitter ({@link RetryBackoff}). With background flushing off, the
 * appending thread flushes before its {@code append} returns (a failure of that flush does not fail the append).
 * A flush streams records from disk in ranges of at most the table's {@code max_rows}/{@code max_bytes}, so the
 * heap it needs is bounded by configuration, not by the backlog: while one range is written and committed, the
 * next {@link #ENCODE_AHEAD} ranges (cores - 1, 1 to 3) have their files written by encoder threads, so at most
 * {@code 1 + ENCODE_AHEAD} ranges' open row groups are held at once, and a backlog is encoded on every core.
 * Ranges still commit one at a time in sequence order. For each range it writes
 * {@code <table>/data/<partition>/<writerId>-<uuid>.parquet} per partition touched, records the range as the
 * spool's flush intent, and commits all files with one {@code commitAppend} keyed
 * {@code <spool name>-<spool id>-<first seq>-<last seq>}: a key derived from the records alone, so it is the same
 * after a restart. A failed range is retried with the same key; a restart that finds an intent asks
 * {@link CatalogTable#findAppend} first, so a commit whose acknowledgement was lost is recognised instead of
 * adding the rows twice. Committed segments are deleted.
 *
 * <p><b>Guardrails.</b> Per table {@code staging.max_dataset_bytes} of spool bytes and {@code staging.max_pending}
 * batches; over all tables {@code staging.max_total_bytes} if set. Records recovered at start-up count. When an
 * append would exceed one, {@code staging.full_policy = block} asks for a flush and waits up to
 * {@code staging.block_timeout_ms} for room, {@code reject} refuses at once; a refusal is a
 * {@link StagerFullException} and is counted by reason. A batch larger than a byte limit on its own is always
 * refused (no wait could make room for it).
 *
 * <p><b>Schemas.</b> One schema per table, which grows only by nullable columns. Batch columns are matched to the
 * table's by name. A batch is accepted when every column it shares with the table has the table's type and
 * nullability, every table column it lacks is nullable (its rows read null there: older producers keep working),
 * and every column the table lacks is nullable: then the table first gains those columns, at the end of its schema,
 * in one {@link CatalogTable#addColumns} commit (once: later batches of that schema match the table). Anything else
 * is a {@link SchemaMismatchException} naming each refused column, and the table is unchanged. A flush writes every
 * file with the table's schema as of the flush: records staged before the table gained a column (also those
 * recovered from the spool after a crash) are written with nulls there, so all files of a flush share one schema.
 *
 * <p>Thread-safe: appends to any tables from any threads (encoding runs in the appending threads, so it scales
 * with them); flushes of different tables may run in parallel, flushes of one table are serialised.
 */
public final class DefaultStager implements Stager {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultStager.class);
  /** How long a new stager waits for its own spool while a sibling adopting it holds it. */
  private static final Duration OWN_SPOOL_WAIT = Duration.ofSeconds(5);
  private static final Pattern WRITER_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final long MICROS_PER_HOUR = 3_600_000_000L;
  private static final long MICROS_PER_DAY = 24 * MICROS_PER_HOUR;
  /**
   * Ranges a flush encodes ahead of the one it commits: one per core beyond the flushing thread's own, at least
   * one, at most three (each holds the open row groups of one range).
   */
  static final int ENCODE_AHEAD = Math.max(1, Math.min(3, Runtime.getRuntime().availableProcessors() - 1));
  /** Spool segments roll at this size; committed segments are deleted whole. */
  static final long SEGMENT_BYTES = 64L << 20;
  private static final String STORE_FILE = "store";

  private final ObjectStore store;
  private final TableCatalog catalog;
  private final LifecycleConfig.Staging config;
  private final Clock clock;
  private final MeterRegistry registry;
  private final String writerId;
  private final BatchParquetWriter writer;
  private final Spool spool;
  private final String commitKeyPrefix;
  private final GroupSync sync;
  private final RetryBackoff backoff;
  private final ScheduledThreadPoolExecutor flusher;
  /**
   * Writes the Parquet files of the ranges after the one a flush is committing, so that a backlog of several
   * ranges is encoded on every core ({@link #ENCODE_AHEAD} threads) while the flushing thread commits in order.
   */
  private final ThreadPoolExecutor encoders;
  private final ConcurrentHashMap<TableId, TableStage> tables = new ConcurrentHashMap<>();
  private final Map<TableId, StagingMeters> meters = new ConcurrentHashMap<>();
  /** Appends stage under the read lock; close takes the write lock, so no append lands after close's flush. */
  private final ReadWriteLock closeLock = new ReentrantReadWriteLock();
  private final ReentrantLock room = new ReentrantLock();
  private final Condition roomFreed = room.newCondition();
  /** Guarded by room. */
  private long reservedTotal;
  private volatile boolean closing;
  private boolean closed;

  /**
   * Opens the stager's spool under {@code config.directory()} (see the class comment), recovers what it holds
   * and flushes it: in the background, or before returning when {@code staging.background_flush} is off (a failure
   * of that flush is logged and leaves the records staged; it does not fail the constructor).
   *
   * @param registry where the staging meters go; {@code null} records nothing
   * @param writerId 1-64 characters of {@code A-Z a-z 0-9 _ . -}; names this writer in file names, commit keys,
   *     {@link DataFile#writerId()} and its spool directory
   * @throws IllegalArgumentException if {@code writerId} is invalid
   * @throws InvalidConfigurationException if the spool directory is inside the store's root, holds data of another
   *     store, or is held by another open stager
   * @throws StorageException if the spool directory cannot be created or read
   */
  public DefaultStager(ObjectStore store, TableCatalog catalog, LifecycleConfig.Staging config, Clock clock,
      MeterRegistry registry, String writerId) {
    this(store, catalog, config, clock, registry, writerId, null);
  }

  /** Opens the spool at {@code adopted} (already locked) instead of the stager's own: used to drain a sibling. */
  private DefaultStager(ObjectStore store, TableCatalog catalog, LifecycleConfig.Staging config, Clock clock,
      MeterRegistry registry, String writerId, Spool adopted) {
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
    this.writer = new BatchParquetWriter(store, writerId, clock);
    this.backoff = new RetryBackoff(config.retryInitialBackoff(), config.retryMaxBackoff());
    Path parent = stagingDirectory(store, config);
    this.spool = adopted != null ? adopted : openOwnSpool(parent.resolve(writerId));
    this.commitKeyPrefix = spool.dir.getFileName() + "-" + spool.id + "-";
    this.sync = new GroupSync("lake-lifecycle-spool-sync-" + writerId);
    ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "lake-lifecycle-flush-" + writerId);
      t.setDaemon(true);
      return t;
    });
    ex.setRemoveOnCancelPolicy(true);
    ex.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.flusher = ex;
    ThreadPoolExecutor enc = new ThreadPoolExecutor(ENCODE_AHEAD, ENCODE_AHEAD, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "lake-lifecycle-encode-" + writerId);
          t.setDaemon(true);
          return t;
        });
    enc.allowCoreThreadTimeOut(true);
    this.encoders = enc;
    try {
      recover();
    } catch (IOException | RuntimeException e) {
      sync.close();
      flusher.shutdownNow();
      encoders.shutdownNow();
      spool.close();
      throw e instanceof LifecycleException le ? le : new StorageException(String.format(Locale.ROOT,
          "Cannot recover the staging spool %s: %s (check the directory is readable and writable)", spool.dir, e), e);
    }
    if (adopted == null) {
      Gauge.builder("lifecycle.staging.disk.usage", this, DefaultStager::diskBytes).tag("component", "total")
          .baseUnit("bytes").description("Bytes of all spool segment files of this stager on local disk")
          .strongReference(true).register(this.registry);
      // Adopted spools drain in the background. Recovered records of this spool drain in the background too
      // when background flushing is on (the constructor must not wait for storage); with it off the caller has
      // chosen to run flushes in its own threads, so opening is one of those flushes (see the class comment).
      flusher.execute(() -> adoptSiblings(parent));
      if (config.backgroundFlush()) {
        flusher.scheduleWithFixedDelay(this::checkAges, 1, 1, TimeUnit.SECONDS);
        for (TableStage s : tables.values()) {
          if (s.hasQueued()) {
            requestFlush(s);
          }
        }
      } else {
        flushRecovered();
      }
    }
  }

  /** The directory holding the spools of all writer ids: configured, or derived from the store root. */
  static Path stagingDirectory(ObjectStore store, LifecycleConfig.Staging config) {
    Path dir = config.directory();
    if (dir == null) {
      try {
        byte[] h = MessageDigest.getInstance("SHA-256").digest(store.root().toString().getBytes(StandardCharsets.UTF_8));
        dir = Path.of(System.getProperty("java.io.tmpdir"), "lake-lifecycle-staging", HexFormat.of().formatHex(h, 0, 8));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from this JVM", e);
      }
    }
    dir = dir.toAbsolutePath().normalize();
    if ("file".equalsIgnoreCase(store.root().getScheme())) {
      Path root = Path.of(store.root()).toAbsolutePath().normalize();
      if (dir.startsWith(root)) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Invalid configuration: staging.directory = %s is inside the object store root %s; allowed: a local "
                + "directory outside it (the orphan sweeper would delete the spool's files)", dir, root));
      }
    }
    return dir;
  }

  private Spool openOwnSpool(Path dir) {
    try {
      Spool s = Spool.tryOpen(dir);
      // A sibling starting up on the same staging.directory locks every spool no live stager holds, to adopt
      // what crashed writers left; it may have just taken ours. Adopting an empty spool takes milliseconds and a
      // full one a flush: wait for it, then report a live duplicate.
      long deadline = System.nanoTime() + OWN_SPOOL_WAIT.toNanos();
      for (long backoff = 5; s == null && System.nanoTime() < deadline; backoff = Math.min(backoff * 2, 250)) {
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        s = Spool.tryOpen(dir);
      }
      if (s == null) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Cannot open the staging spool %s: another stager holds it, still after %d s (one open Lifecycle per "
                + "writer id and staging.directory: give each instance its own writerId, or close the other one "
                + "first)", dir, OWN_SPOOL_WAIT.toSeconds()));
      }
      try {
        checkStore(s);
      } catch (RuntimeException | IOException e) {
        s.close();
        throw e;
      }
      return s;
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot open the staging spool %s: %s (check staging.directory is a writable local directory)", dir, e), e);
    }
  }

  /** Records the store root in a new spool; refuses a spool that holds data of another store. */
  private boolean checkStore(Spool s) throws IOException {
    Path f = s.dir.resolve(STORE_FILE);
    String root = store.root().toString();
    if (!Files.exists(f)) {
      Files.writeString(f, root + "\n", StandardCharsets.UTF_8);
      return true;
    }
    String recorded = Files.readString(f, StandardCharsets.UTF_8).trim();
    if (recorded.equals(root)) {
      return true;
    }
    throw new InvalidConfigurationException(String.format(Locale.ROOT,
        "Cannot open the staging spool %s for store %s: it holds data staged for store %s (point staging.directory "
            + "elsewhere, or open it with that store so its data is flushed there)", s.dir, root, recorded));
  }

  /** Scans every table of the spool and queues its complete, uncommitted records. */
  private void recover() throws IOException {
    for (TableId id : spool.tables()) {
      TableStage stage = stageOf(id);
      TableSpool.ScanResult r = stage.spool.recover(stage::add);
      TableSpool.State st = stage.spool.state();
      if (st.hasIntent()) {
        stage.retryRange(st.intentFirst(), st.intentLast());
      }
      room.lock();
      try {
        stage.reservedBytes += stage.stagedBytes();
        stage.reservedBatches += stage.stagedBatches();
        reservedTotal += stage.stagedBytes();
      } finally {
        room.unlock();
      }
      metersOf(stage).recovered(r.records(), r.tornRecords());
      if (r.records() > 0 || r.tornRecords() > 0) {
        LOG.info("Recovered the staging spool of {} in {}: {} batches ({} rows) to flush, {} torn records cut off{}",
            id, stage.spool.dir, r.records(), stage.stagedRows(), r.tornRecords(),
            st.hasIntent() ? ", an unconfirmed flush of records " + st.intentFirst() + "-" + st.intentLast() : "");
      }
    }
  }

  /**
   * Flushes every table that holds recovered records, in the opening thread (background flushing off). A failed
   * flush is logged and leaves its records staged: the next flush, due check, append or {@code close()} retries
   * them under the same commit key, so opening never fails because storage is down.
   */
  private void flushRecovered() {
    List<TableStage> stages = new ArrayList<>(tables.values());
    stages.sort(Comparator.comparing(s -> s.id.path()));
    for (TableStage stage : stages) {
      if (!stage.hasQueued()) {
        continue;
      }
      try {
        FlushResult r = flush(stage.id);
        LOG.info("Flushed {} batches ({} rows) of {} recovered from the staging spool at open", r.batches(), r.rows(),
            stage.id);
      } catch (RuntimeException e) {
        LOG.warn("Flushing the records of {} recovered from the staging spool at open failed; they stay staged and "
            + "the next flush, append or close() retries them", stage.id, e);
      }
    }
  }

  /** Drains spools of other writer ids that no live stager holds (e.g. left by a crashed instance). */
  private void adoptSiblings(Path parent) {
    List<Path> siblings;
    try (Stream<Path> s = Files.list(parent)) {
      siblings = s.filter(Files::isDirectory).filter(p -> !p.equals(spool.dir)).sorted().toList();
    } catch (IOException e) {
      LOG.warn("Could not list {} for staging spools left by other writers", parent, e);
      return;
    }
    for (Path dir : siblings) {
      try {
        Spool other = Spool.tryOpen(dir);
        if (other == null) {
          continue;
        }
        DefaultStager drain;
        try {
          if (!store.root().toString().equals(readStore(other))) {
            other.close();
            continue;
          }
          drain = new DefaultStager(store, catalog, config, clock, null, writerId, other);
        } catch (RuntimeException e) {
          other.close();
          throw e;
        }
        LOG.info("Adopting the staging spool {} left by another writer: flushing its records", dir);
        drain.close();
      } catch (IOException | RuntimeException e) {
        LOG.warn("Could not adopt the staging spool {}; it stays on disk and is tried again at the next start", dir, e);
      }
    }
  }

  private static String readStore(Spool s) throws IOException {
    Path f = s.dir.resolve(STORE_FILE);
    return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8).trim() : "";
  }

  /**
   * {@inheritDoc}
   *
   * <p>Returns once the batch is durable in the spool (see the class comment). An empty batch is accepted and
   * ignored. An {@code ArrowBatch}'s vectors are copied buffer by buffer, so the root may be refilled afterwards.
   *
   * @throws StagerFullException if a guardrail refused the batch (at once under {@code reject}, after
   *     {@code staging.block_timeout_ms} under {@code block}); nothing was staged
   * @throws StorageException if the spool could not be written or forced (check the disk); the batch may or may not
   *     be staged
   * @throws IllegalArgumentException if a non-nullable column holds a null, or a batch encodes to more than 2 GiB
   * @throws IllegalStateException if the stager is closed
   */
  @Override
  public void append(TableId table, RecordBatch batch) {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(batch, "batch");
    TableStage stage = stage(table);
    TableStage.Bound b = bound(stage);
    int pc = b.partitionColumn();
    if (!batch.schema().equals(b.schema())) {
      b = admit(stage, b, batch.schema());
      pc = batch.schema().indexOf(b.spec().timestampColumn());
    }
    int rows = batch.rowCount();
    for (int r = 0; r < rows; r++) {
      if (batch.isNull(pc, r)) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Cannot append to %s: row %d has a null in partition column '%s' (the table is partitioned by %s; every "
                + "row needs a timestamp there)", table, r, b.spec().timestampColumn(), b.spec()));
      }
    }
    if (rows == 0) {
      return;
    }
    SpoolCodec.Out frame = SpoolCodec.encode(batch, clock.millis());
    int length = frame.pos;
    closeLock.readLock().lock();
    try {
      if (closed || closing) {
        throw new IllegalStateException("Cannot append to " + table + ": the stager is closed");
      }
      reserve(stage, length);
      TableSpool.Entry entry;
      try {
        boolean durableNow = config.durability() == LifecycleConfig.Staging.Durability.BATCH;
        synchronized (stage.spool) {
          entry = stage.spool.append(frame.buf, length, rows, SpoolCodec.i64(frame.buf, SpoolCodec.FRAME_HEADER),
              durableNow);
          // Queued in sequence order: the queue and the spool agree on record order.
          stage.add(entry);
        }
      } catch (IOException e) {
        release(stage, length, 1);
        throw new StorageException(String.format(Locale.ROOT,
            "Cannot stage a batch of %d rows for %s in %s: %s (check the staging directory's disk; nothing was "
                + "staged)", rows, table, stage.spool.dir, e), e);
      }
      if (config.durability() == LifecycleConfig.Staging.Durability.GROUP) {
        sync.awaitDurable(stage.spool, entry);
      }
    } finally {
      closeLock.readLock().unlock();
    }
    if (stage.due(clock.instant())) {
      if (config.backgroundFlush()) {
        requestFlush(stage);
      } else {
        try {
          flushIfDue(stage);
        } catch (RuntimeException e) {
          // The batch is durable: failing the append would make the caller append it again, twice in the end.
          LOG.warn("Flush of {} after an append failed; its batches stay staged and the next flush retries them",
              table, e);
        }
      }
    }
  }

  /**
   * Checks a batch whose schema is not the table's (see the class comment), first adding its new nullable columns
   * to the table if it has any; returns the table binding the batch fits.
   */
  private TableStage.Bound admit(TableStage stage, TableStage.Bound b, TableSchema batchSchema) {
    SchemaDiff.Fit fit = SchemaDiff.fit(batchSchema, b.schema());
    if (fit.refused().isEmpty() && batchSchema.indexOf(b.spec().timestampColumn()) < 0) {
      // Nullable partition column: still needed in every row.
      fit = new SchemaDiff.Fit(fit.added(), List.of(String.format(Locale.ROOT, "missing partition column '%s'",
          b.spec().timestampColumn())), fit.source());
    }
    if (!fit.refused().isEmpty()) {
      throw new SchemaMismatchException(String.format(Locale.ROOT,
          "Cannot append to %s: the batch schema %s does not fit the table schema %s: %s (a batch may omit nullable "
              + "columns and add nullable columns; build it with the table's schema, TableCatalog.loadTable(%s)"
              + ".schema())", stage.id, batchSchema, b.schema(), SchemaDiff.explain(batchSchema, b.schema(), fit),
          stage.id));
    }
    if (fit.added().isEmpty()) {
      return b;
    }
    synchronized (stage.schemaLock) {
      // Another append may have added the columns while this one waited.
      TableStage.Bound now = stage.bound();
      SchemaDiff.Fit again = SchemaDiff.fit(batchSchema, now.schema());
      if (again.added().isEmpty() && again.refused().isEmpty()) {
        return now;
      }
      TableSchema evolved;
      try {
        evolved = now.table().addColumns(fit.added());
      } catch (SchemaEvolutionUnsupportedException e) {
        throw new SchemaMismatchException(String.format(Locale.ROOT,
            "Cannot append to %s: the batch adds columns %s to the table schema %s, but the table's catalog cannot "
                + "evolve schemas (%s); build the batch with the table's schema", stage.id,
            again.added().stream().map(TableSchema.Column::name).toList(), now.schema(), e.getMessage()), e);
      } catch (SchemaMismatchException e) {
        throw new SchemaMismatchException(String.format(Locale.ROOT, "Cannot append to %s: %s", stage.id,
            e.getMessage()), e);
      }
      TableStage.Bound next = new TableStage.Bound(now.table(), evolved, now.spec(),
          evolved.indexOf(now.spec().timestampColumn()), now.dataPrefix());
      // Bound before the batch is staged: a flush that takes the record reads this binding or a newer one.
      stage.bind(next);
      LOG.info("Schema of {} evolved for a batch with new columns {}: now {}", stage.id,
          again.added().stream().map(TableSchema.Column::name).toList(), evolved);
      SchemaDiff.Fit last = SchemaDiff.fit(batchSchema, evolved);
      if (!last.fits()) {
        throw new SchemaMismatchException(String.format(Locale.ROOT,
            "Cannot append to %s: the table schema is %s after adding the batch's columns, and the batch schema %s "
                + "still does not fit it (%s); retry the append", stage.id, evolved, batchSchema,
            SchemaDiff.explain(batchSchema, evolved, last)));
      }
      return next;
    }
  }

  /** Reserves room for one record of {@code bytes}, applying the full policy. */
  private void reserve(TableStage stage, long bytes) {
    long deadline = System.nanoTime() + config.blockTimeout().toNanos();
    boolean block = config.fullPolicy() == LifecycleConfig.Staging.FullPolicy.BLOCK;
    room.lock();
    try {
      while (true) {
        StagerFullException.Reason reason = full(stage, bytes);
        if (reason == null) {
          stage.reservedBytes += bytes;
          stage.reservedBatches++;
          reservedTotal += bytes;
          return;
        }
        long left = deadline - System.nanoTime();
        boolean hopeless = reason == StagerFullException.Reason.TABLE_BYTES && bytes > config.maxTableBytes()
            || reason == StagerFullException.Reason.TOTAL_BYTES && bytes > config.maxTotalBytes();
        if (!block || left <= 0 || hopeless || closing) {
          metersOf(stage).dropped(reason);
          throw refusal(stage, bytes, reason, block && !hopeless);
        }
        room.unlock();
        try {
          makeRoom(stage, reason);
        } finally {
          room.lock();
        }
        if (full(stage, bytes) != null) {
          try {
            roomFreed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            metersOf(stage).dropped(reason);
            throw refusal(stage, bytes, reason, true);
          }
        }
      }
    } finally {
      room.unlock();
    }
  }

  /** The guardrail {@code bytes} more would break, or {@code null}. Called with {@code room} held. */
  private StagerFullException.Reason full(TableStage stage, long bytes) {
    if (stage.reservedBatches >= config.maxPending()) {
      return StagerFullException.Reason.QUEUE_FULL;
    }
    if (stage.reservedBytes + bytes > config.maxTableBytes()) {
      return StagerFullException.Reason.TABLE_BYTES;
    }
    if (config.maxTotalBytes() > 0 && reservedTotal + bytes > config.maxTotalBytes()) {
      return StagerFullException.Reason.TOTAL_BYTES;
    }
    return null;
  }

  private StagerFullException refusal(TableStage stage, long bytes, StagerFullException.Reason reason, boolean waited) {
    String limit = switch (reason) {
      case QUEUE_FULL -> String.format(Locale.ROOT, "it holds %d staged batches, staging.max_pending = %d",
          stage.reservedBatches, config.maxPending());
      case TABLE_BYTES -> String.format(Locale.ROOT,
          "it holds %d staged bytes, this batch needs %d more, staging.max_dataset_bytes = %d",
          stage.reservedBytes, bytes, config.maxTableBytes());
      case TOTAL_BYTES -> String.format(Locale.ROOT,
          "all tables hold %d staged bytes, this batch needs %d more, staging.max_total_bytes = %d",
          reservedTotal, bytes, config.maxTotalBytes());
    };
    return new StagerFullException(stage.id, reason, String.format(Locale.ROOT,
        "Cannot stage a batch for %s: %s%s (%s); nothing was staged: retry later, throttle producers, or raise "
            + "the limit", stage.id, reason.tag(), waited
            ? String.format(Locale.ROOT, " after waiting %d ms for flushes to make room", config.blockTimeout().toMillis())
            : "", limit));
  }

  private void release(TableStage stage, long bytes, long batches) {
    room.lock();
    try {
      stage.reservedBytes -= bytes;
      stage.reservedBatches -= (int) batches;
      reservedTotal -= bytes;
      roomFreed.signalAll();
    } finally {
      room.unlock();
    }
  }

  /** Asks for flushes that free room: the table, or for the total limit every table with data, largest first. */
  private void makeRoom(TableStage stage, StagerFullException.Reason reason) {
    List<TableStage> targets = new ArrayList<>();
    if (reason == StagerFullException.Reason.TOTAL_BYTES) {
      targets.addAll(tables.values());
      targets.sort(Comparator.comparingLong(TableStage::stagedBytes).reversed());
    } else {
      targets.add(stage);
    }
    for (TableStage t : targets) {
      if (!t.hasQueued()) {
        continue;
      }
      if (config.backgroundFlush()) {
        requestFlush(t);
      } else if (t.flushLock.tryLock()) {
        try {
          flushLocked(t);
        } catch (RuntimeException e) {
          LOG.debug("Flush of {} to make room failed; the append keeps waiting", t.id, e);
        } finally {
          t.flushLock.unlock();
        }
      }
    }
  }

  /** Queues a background flush of {@code stage} unless one is queued or running. */
  private void requestFlush(TableStage stage) {
    if (closing || !stage.flushScheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      flusher.execute(() -> backgroundFlush(stage));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      stage.flushScheduled.set(false);
    }
  }

  private void backgroundFlush(TableStage stage) {
    if (closing) {
      stage.flushScheduled.set(false);
      return;
    }
    try {
      flush(stage.id);
      stage.backgroundFailures = 0;
      stage.flushScheduled.set(false);
      if (stage.due(clock.instant()) || hasWaiters()) {
        requestFlush(stage);
      }
    } catch (RuntimeException e) {
      int n = ++stage.backgroundFailures;
      long delay = backoff.delayMillis(n);
      LOG.warn("Background flush of {} failed (attempt {}); its batches stay staged and it is retried in {} ms",
          stage.id, n, delay, e);
      try {
        flusher.schedule(() -> backgroundFlush(stage), delay, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        stage.flushScheduled.set(false);
      }
    }
  }

  private boolean hasWaiters() {
    room.lock();
    try {
      return room.hasWaiters(roomFreed);
    } finally {
      room.unlock();
    }
  }

  private void checkAges() {
    try {
      for (TableStage s : tables.values()) {
        if (s.due(clock.instant())) {
          requestFlush(s);
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("Checking staged tables against their flush thresholds failed; it runs again in a second", e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Flushes every record staged when called (first a range whose flush failed, under its own key), in ranges of
   * at most the table's {@code max_rows}/{@code max_bytes}. Waits for a flush of the same table running in another
   * thread.
   *
   * @throws LifecycleException (typically a {@link StorageException}) as the store, the catalog or the spool threw
   *     it; the batches stay staged
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

  /** A range whose files an encoder thread writes while earlier ranges commit. */
  private record Ahead(TableStage.Range range, FutureTask<List<DataFile>> files, AtomicBoolean claimed) {}

  /**
   * Flushes the table's records up to the last one staged now, range by range, committing in sequence order.
   * While one range is written and committed in this thread, the next {@link #ENCODE_AHEAD} fresh ranges are
   * written by encoder threads (only their files: each still commits in turn, under its own key, after the ones
   * before it). When a range fails, the files written ahead for later ranges are deleted; those ranges stay
   * staged.
   */
  private FlushResult flushLocked(TableStage stage) {
    TableStage.Bound b = bound(stage);
    long upTo = stage.lastSeq();
    int batches = 0;
    long rows = 0;
    List<DataFile> files = new ArrayList<>();
    TableSnapshot snapshot = null;
    ArrayDeque<Ahead> ahead = new ArrayDeque<>();
    try {
      while (true) {
        TableStage.Range range;
        List<DataFile> written = null;
        if (!ahead.isEmpty()) {
          Ahead a = ahead.pollFirst();
          range = a.range();
          written = awaitAhead(stage, a);
        } else {
          range = stage.next(stage.limits.maxRows(), stage.limits.maxBytes(), upTo);
          if (range == null) {
            break;
          }
        }
        if (!range.retry()) {
          encodeAhead(stage, b, ahead, range.last(), upTo);
        }
        FlushResult r = flushRange(stage, b, range, written);
        batches += r.batches();
        rows += r.rows();
        files.addAll(r.files());
        snapshot = r.snapshot() != null ? r.snapshot() : snapshot;
        if (range.last() >= upTo) {
          break;
        }
      }
    } finally {
      discardAhead(stage, ahead);
    }
    return new FlushResult(stage.id, batches, rows, files, snapshot);
  }

  /** Hands the fresh ranges after {@code after} (up to {@code upTo}) to encoder threads, {@link #ENCODE_AHEAD} deep. */
  private void encodeAhead(TableStage stage, TableStage.Bound b, ArrayDeque<Ahead> ahead, long after, long upTo) {
    long last = ahead.isEmpty() ? after : ahead.peekLast().range().last();
    while (ahead.size() < ENCODE_AHEAD && last < upTo && !encoders.isShutdown()) {
      TableStage.Range next = stage.nextAfter(last, stage.limits.maxRows(), stage.limits.maxBytes(), upTo);
      if (next == null) {
        return;
      }
      // Whoever claims the range first writes it: the encoder when it starts, or the flushing thread when it
      // reaches a range the encoder has not started (FutureTask.cancel cannot tell "not started" from "running").
      AtomicBoolean claimed = new AtomicBoolean();
      FutureTask<List<DataFile>> task = new FutureTask<>(
          () -> claimed.compareAndSet(false, true) ? writeFiles(stage, b, next) : null);
      try {
        encoders.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return;
      }
      ahead.addLast(new Ahead(next, task, claimed));
      last = next.last();
    }
  }

  /**
   * The files written ahead for {@code a}, or {@code null} if this thread should write them itself: the encoder
   * had not started (another table's flush kept it busy), or its write failed (the inline write retries it once
   * and fails the range the usual way if that fails too).
   */
  private List<DataFile> awaitAhead(TableStage stage, Ahead a) {
    if (a.claimed().compareAndSet(false, true)) {
      return null;
    }
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return a.files().get();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } catch (ExecutionException e) {
      LOG.debug("Writing the files of {} records {}-{} ahead failed; writing them again in the flushing thread",
          stage.id, a.range().first(), a.range().last(), e);
      return null;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Cancels the ranges written ahead that will not be committed now and deletes their files. */
  private void discardAhead(TableStage stage, ArrayDeque<Ahead> ahead) {
    while (!ahead.isEmpty()) {
      List<DataFile> files = awaitAhead(stage, ahead.pollFirst());
      if (files != null) {
        deleteQuietly(files, stage.id);
      }
    }
  }

  /**
   * Writes (unless {@code written} holds its files already) and commits one range.
   *
   * @param written files an encoder wrote for this fresh range, not yet offered to any commit; or {@code null}
   */
  private FlushResult flushRange(TableStage stage, TableStage.Bound b, TableStage.Range range,
      List<DataFile> written) {
    StagingMeters m = metersOf(stage);
    long start = System.nanoTime();
    String key = commitKeyPrefix + range.first() + "-" + range.last();
    int batches = range.entries().size();
    long rows = range.rows();
    List<DataFile> files = range.files();
    boolean offered = files != null;
    try {
      TableSnapshot snapshot = null;
      if (range.retry()) {
        // The range may have committed before a crash or a lost acknowledgement: ask before writing again.
        Optional<TableSnapshot> earlier = b.table().findAppend(key);
        if (earlier.isPresent()) {
          snapshot = earlier.get();
          LOG.info("Flush of {} with commit key {} had committed as snapshot {} although no success was recorded",
              stage.id, key, snapshot.snapshotId());
        } else if (files != null && !allExist(files)) {
          deleteQuietly(files, stage.id);
          files = null;
          offered = false;
        }
      }
      if (snapshot == null && range.entries().isEmpty()) {
        LOG.error("Flush intent of {} names records {}-{} that the spool no longer holds and the catalog has not "
            + "committed; nothing is left to flush for them", stage.id, range.first(), range.last());
      } else if (snapshot == null) {
        if (files == null) {
          files = written != null ? written : writeFiles(stage, b, range);
          written = null;
        }
        stage.spool.writeIntent(range.first(), range.last());
        offered = true;
        snapshot = b.table().commitAppend(key, files);
      }
      stage.spool.committed(range.last());
      long[] removed = stage.committed(range.last());
      release(stage, removed[0], removed[1]);
      m.success(System.nanoTime() - start, batches, rows);
      List<DataFile> out = files == null ? List.of() : files;
      LOG.debug("Flushed {}: {} batches, {} rows, {} files, commit key {}", stage.id, batches, rows, out.size(), key);
      return new FlushResult(stage.id, batches, rows, snapshot != null && files == null ? List.of() : out, snapshot);
    } catch (RuntimeException | Error e) {
      // Files offered to a commit whose outcome is unknown are kept: the retry reuses them under the same key.
      // Files never offered are deleted now rather than left to the orphan sweep.
      stage.failed(range, offered ? files : null);
      if (!offered && files != null) {
        deleteQuietly(files, stage.id);
      }
      if (written != null) {
        deleteQuietly(written, stage.id);
      }
      m.failure(System.nanoTime() - start, batches, rows);
      LOG.warn("Flush of {} failed ({} batches, {} rows, commit key {}); the batches stay staged and the next flush "
          + "retries them with the same key", stage.id, batches, rows, key, e);
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

  /**
   * Streams the range's records from the spool into one Parquet file per partition; on failure deletes what it
   * wrote and rethrows. Holds one decoded record at a time, plus the writers' open row groups.
   */
  private List<DataFile> writeFiles(TableStage stage, TableStage.Bound b, TableStage.Range range) {
    // The binding as of now, not as of the flush's start: an append that added columns bound the wider schema
    // before staging its record, so every record of the range fits this schema.
    b = stage.bound();
    long unit = b.spec().granularity() == PartitionSpec.Granularity.HOUR ? MICROS_PER_HOUR : MICROS_PER_DAY;
    int pc = b.partitionColumn();
    TreeMap<Long, BatchParquetWriter.FileWriter> open = new TreeMap<>();
    List<DataFile> written = new ArrayList<>();
    TableSchema lastSchema = b.schema();
    int[] lastSource = null;
    try {
      for (TableSpool.Entry e : range.entries()) {
        byte[] payload = stage.spool.read(e);
        SpoolBatch staged = SpoolCodec.decode(payload, payload.length);
        RecordBatch batch = staged;
        if (!staged.schema().equals(b.schema())) {
          if (!staged.schema().equals(lastSchema)) {
            SchemaDiff.Fit fit = SchemaDiff.fit(staged.schema(), b.schema());
            if (!fit.refused().isEmpty() || !fit.added().isEmpty()) {
              throw new SchemaMismatchException(String.format(Locale.ROOT,
                  "Cannot flush staged record %d of %s: its schema %s does not fit the table schema %s: %s (the "
                      + "table was recreated with another schema while batches were staged; recreate it with the "
                      + "staged schema to flush them)", e.seq(), stage.id, staged.schema(), b.schema(),
                  String.join("; ", SchemaDiff.differences(staged.schema(), b.schema()))));
            }
            lastSchema = staged.schema();
            lastSource = fit.source();
          }
          batch = new ProjectedBatch(staged, b.schema(), lastSource);
        }
        for (Map.Entry<Long, RowSlice> p : partition(batch, pc, unit).entrySet()) {
          BatchParquetWriter.FileWriter w = open.get(p.getKey());
          if (w == null) {
            String partition = b.spec().partitionOfMicros(p.getKey() * unit);
            String key = b.dataPrefix() + partition + "/" + writerId + "-" + UUID.randomUUID() + ".parquet";
            w = writer.open(key, b.schema(), partition);
            open.put(p.getKey(), w);
          }
          w.write(p.getValue());
        }
      }
      while (!open.isEmpty()) {
        written.add(open.pollFirstEntry().getValue().finish());
      }
      return written;
    } catch (RuntimeException | Error e) {
      open.values().forEach(BatchParquetWriter.FileWriter::abort);
      deleteQuietly(written, stage.id);
      throw e;
    }
  }

  /**
   * The rows of {@code batch} by partition bucket, in bucket order, as slices; a batch wholly inside one bucket is
   * sliced whole. Buckets are looked up in a small array (a batch spans few of them), so no value is boxed per row.
   */
  private static Map<Long, RowSlice> partition(RecordBatch batch, int pc, long unit) {
    int n = batch.rowCount();
    int[] bucketOf = new int[n];
    long[] buckets = new long[4];
    int[] counts = new int[4];
    int distinct = 0;
    int last = -1;
    for (int r = 0; r < n; r++) {
      long bucket = Math.floorDiv(batch.getLong(pc, r), unit);
      int i = last >= 0 && buckets[last] == bucket ? last : -1;
      for (int j = 0; i < 0 && j < distinct; j++) {
        if (buckets[j] == bucket) {
          i = j;
        }
      }
      if (i < 0) {
        if (distinct == buckets.length) {
          buckets = Arrays.copyOf(buckets, distinct * 2);
          counts = Arrays.copyOf(counts, distinct * 2);
        }
        i = distinct++;
        buckets[i] = bucket;
      }
      counts[i]++;
      bucketOf[r] = i;
      last = i;
    }
    if (distinct == 1) {
      return Map.of(buckets[0], RowSlice.all(batch));
    }
    int[][] rows = new int[distinct][];
    for (int i = 0; i < distinct; i++) {
      rows[i] = new int[counts[i]];
      counts[i] = 0;
    }
    for (int r = 0; r < n; r++) {
      int i = bucketOf[r];
      rows[i][counts[i]++] = r;
    }
    Map<Long, RowSlice> out = new TreeMap<>();
    for (int i = 0; i < distinct; i++) {
      out.put(buckets[i], RowSlice.of(batch, rows[i]));
    }
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

  /** The directory of this stager's spool. */
  public Path spoolDirectory() {
    return spool.dir;
  }

  private long diskBytes() {
    long n = 0;
    for (TableStage s : tables.values()) {
      n += s.spool.diskBytes();
    }
    return n;
  }

  /**
   * Refuses further appends, stops the background flushing, flushes every table, and releases the spool. A table
   * whose flush fails keeps its records on disk, logged at WARN: the next stager opened on the same directory and
   * writer id (or any stager on the same {@code staging.directory}) recovers and flushes them. When everything was
   * committed the spool directory is deleted. Never throws.
   */
  @Override
  public void close() {
    closing = true;
    room.lock();
    try {
      roomFreed.signalAll();
    } finally {
      room.unlock();
    }
    closeLock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      closeLock.writeLock().unlock();
    }
    flusher.shutdown();
    try {
      if (!flusher.awaitTermination(60, TimeUnit.SECONDS)) {
        LOG.warn("A background flush of the stager {} did not end within 60 s; closing anyway", writerId);
        flusher.shutdownNow();
      }
    } catch (InterruptedException e) {
      flusher.shutdownNow();
      Thread.currentThread().interrupt();
    }
    boolean allCommitted = true;
    for (TableStage stage : tables.values()) {
      try {
        flush(stage.id);
      } catch (RuntimeException e) {
        allCommitted = false;
        LOG.warn("Closing the stager: flush of {} failed; its {} rows in {} batches stay in the spool {} and are "
            + "flushed by the next stager opened on it", stage.id, stage.stagedRows(), stage.stagedBatches(),
            stage.spool.dir, e);
      }
    }
    encoders.shutdown();
    sync.close();
    for (TableStage stage : tables.values()) {
      stage.spool.close();
      allCommitted &= stage.spool.isEmpty() && !stage.hasQueued();
    }
    if (allCommitted) {
      try {
        spool.deleteAll();
      } catch (IOException e) {
        LOG.warn("Could not delete the emptied staging spool {}; the next stager on it finds nothing to flush",
            spool.dir, e);
      }
    }
    spool.close();
  }

  /**
   * Stops this stager as a crash would, for tests: no flush, nothing deleted; the spool files stay as written and
   * the directory lock is released so that a new stager can recover them.
   */
  void abandon() {
    closing = true;
    closed = true;
    flusher.shutdownNow();
    try {
      flusher.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    encoders.shutdownNow();
    sync.close();
    tables.values().forEach(s -> s.spool.close());
    spool.close();
  }

  /** The stage of {@code table}, creating it (spool side only) on first use. */
  private TableStage stageOf(TableId table) {
    return tables.computeIfAbsent(table, id -> new TableStage(id, new TableSpool(id,
        TableSpool.dirOf(spool.dir, id), SEGMENT_BYTES), config.flushFor(id.path())));
  }

  /** The stage of {@code table} with its catalog side loaded. */
  private TableStage stage(TableId table) {
    TableStage s = tables.get(table);
    if (s != null && s.bound() != null) {
      return s;
    }
    // Loaded before the stage exists, so an unknown table leaves nothing behind.
    TableStage.Bound b = s == null ? load(table) : null;
    s = stageOf(table);
    if (b != null && s.bound() == null) {
      s.bind(b);
    }
    metersOf(s);
    return s;
  }

  /** The catalog side of {@code stage}, loading it on first need. */
  private TableStage.Bound bound(TableStage stage) {
    TableStage.Bound b = stage.bound();
    if (b == null) {
      synchronized (stage) {
        b = stage.bound();
        if (b == null) {
          b = load(stage.id);
          stage.bind(b);
        }
      }
    }
    return b;
  }

  /** The meters of a stage; registered once. */
  private StagingMeters metersOf(TableStage stage) {
    return meters.computeIfAbsent(stage.id, id -> new StagingMeters(registry, stage, clock));
  }

  private TableStage.Bound load(TableId id) {
    CatalogTable table = catalog.loadTable(id);
    TableSchema schema = table.schema();
    String column = table.partitionSpec().timestampColumn();
    int pc = schema.indexOf(column);
    if (pc < 0 || schema.column(pc).type() != TableSchema.Type.TIMESTAMP) {
      throw new SchemaMismatchException(String.format(Locale.ROOT,
          "Cannot stage for %s: partition column '%s' is not a timestamp column of the table schema %s "
              + "(recreate the table with a TIMESTAMP partition column)", id, column, schema));
    }
    String dataPrefix = TableLayout.dataPrefix(store, table);
    return new TableStage.Bound(table, schema, table.partitionSpec(), pc, dataPrefix);
  }
}
