package dev.lakelifecycle.core.catalog;

import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.NoSuchTableException;
import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableAlreadyExistsException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.catalog.Metadata.VersionDoc;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link TableCatalog}: each table keeps its metadata as versioned JSON manifest objects
 * under {@code <table location>/_lifecycle/} in an {@link ObjectStore}, and commits by writing the next
 * version with create-if-absent. It needs nothing but the store: no database, no lock service, no
 * coordinator; any number of processes may share one store. The layout and the commit protocol are
 * described in the {@linkplain dev.lakelifecycle.core.catalog package documentation}.
 *
 * <pre>{@code
 * TableCatalog catalog = ManifestCatalog.create(new LocalObjectStore(Path.of("/var/lake")));
 * CatalogTable table = catalog.createTable(TableId.parse("acme/prod/logs"), schema, PartitionSpec.hourly("ts"));
 * table.commitAppend("flush-42", files);
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} does not close the store, which the caller owns.
 */
public final class ManifestCatalog implements TableCatalog {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestCatalog.class);

  private final ObjectStore store;
  private final Clock clock;
  private final CommitPolicy policy;
  private final MetadataStore meta;
  private final ExecutorService writers;
  private volatile boolean closed;

  /**
   * A catalog on {@code store} whose snapshots take their commit times from {@code clock}.
   *
   * @param store where tables live; table {@code t/d/n} is under key prefix {@code t/d/n/}
   * @param clock the source of commit times (expiry by age compares against them)
   */
  public ManifestCatalog(ObjectStore store, Clock clock) {
    this(store, clock, CommitPolicy.DEFAULT);
  }

  ManifestCatalog(ObjectStore store, Clock clock, CommitPolicy policy) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.meta = new MetadataStore(store);
    ThreadPoolExecutor pool = new ThreadPoolExecutor(PARALLEL_WRITES, PARALLEL_WRITES, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "lake-manifest-writer-" + WRITER_THREADS.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    this.writers = pool;
  }

  /** How many metadata objects of one commit are written at once (a commit touching many partitions). */
  private static final int PARALLEL_WRITES = 8;
  private static final AtomicInteger WRITER_THREADS = new AtomicInteger();

  /**
   * Writes a commit's new immutable objects, in parallel when there are several (one manifest per
   * changed partition), and returns when all are written.
   *
   * @throws StorageException the first failure; the commit must not go on
   */
  void writeAll(TableId id, Map<String, byte[]> objects) {
    if (objects.size() <= 2) {
      objects.forEach((name, content) -> meta.putObject(id, name, content));
      return;
    }
    List<Future<?>> pending = new ArrayList<>();
    for (Map.Entry<String, byte[]> o : objects.entrySet()) {
      pending.add(writers.submit(() -> meta.putObject(id, o.getKey(), o.getValue())));
    }
    RuntimeException failure = null;
    for (Future<?> f : pending) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause() instanceof RuntimeException r ? r
              : new StorageException("Cannot write metadata of " + id + ": " + e.getCause(), e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        pending.forEach(p -> p.cancel(true));
        throw new LifecycleException(String.format(Locale.ROOT,
            "Cannot commit to %s: interrupted while writing its metadata; the table is unchanged", id), e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** A catalog on {@code store} with the system UTC clock. */
  public static ManifestCatalog create(ObjectStore store) {
    return new ManifestCatalog(store, Clock.systemUTC());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Writes version 0 of the table (schema and partition spec, no snapshot) with create-if-absent,
   * so of two racing creators exactly one succeeds.
   *
   * @throws TableAlreadyExistsException if any version of the table exists
   */
  @Override
  public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(spec, "spec");
    ensureOpen();
    if (schema.indexOf(spec.timestampColumn()) < 0
        || schema.column(spec.timestampColumn()).type() != TableSchema.Type.TIMESTAMP) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Cannot create table %s: partition column '%s' must be a TIMESTAMP column of the schema %s",
          id, spec.timestampColumn(), schema));
    }
    if (meta.exists(id)) {
      throw alreadyExists(id, null);
    }
    VersionDoc doc = new VersionDoc(0, UUID.randomUUID().toString(), null, clock.instant(), id, schema, 0, spec, null,
        List.of(), null);
    try {
      meta.putVersion(doc);
    } catch (PreconditionFailedException e) {
      if (!wroteVersionZero(doc)) {
        throw alreadyExists(id, e);
      }
    } catch (StorageException e) {
      // The write may have landed although it reported a failure: read it back before deciding.
      if (!wroteVersionZero(doc)) {
        if (meta.exists(id)) {
          throw alreadyExists(id, e);
        }
        throw e;
      }
    }
    LOG.info("Created table {} at {}", id, meta.tableLocation(id));
    return new ManifestTable(this, meta, clock, policy, TableState.of(doc, Map.of(), Map.of()));
  }

  private boolean wroteVersionZero(VersionDoc doc) {
    try {
      return meta.readVersion(doc.table(), 0).commitId().equals(doc.commitId());
    } catch (ObjectNotFoundException e) {
      return false;
    }
  }

  private TableAlreadyExistsException alreadyExists(TableId id, Throwable cause) {
    return new TableAlreadyExistsException(String.format(Locale.ROOT,
        "Cannot create table %s: it already exists at %s; load it with loadTable (or loadOrCreateTable)",
        id, meta.tableLocation(id)), cause);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Lists the table's version documents, reads the newest, its current snapshot's manifest list and
   * manifests.
   *
   * @throws dev.lakelifecycle.api.LifecycleException naming the object if a metadata object is missing or corrupt
   */
  @Override
  public CatalogTable loadTable(TableId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    TableState s = meta.loadLatest(id, -1);
    if (s == null) {
      throw new NoSuchTableException(String.format(Locale.ROOT,
          "Cannot load table %s: it does not exist (no version document under %s); create it with createTable",
          id, meta.metadataLocation(id)));
    }
    return new ManifestTable(this, meta, clock, policy, s);
  }

  @Override
  public boolean tableExists(TableId id) {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    return meta.exists(id);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Walks the store's keys in order but jumps over each {@code tenant/dataset/table/} prefix once it
   * has checked that prefix for a version document, so the cost is about two listing requests per
   * table plus one per stray key outside any table, not one per data file.
   */
  @Override
  public List<TableId> listTables() {
    ensureOpen();
    TreeSet<String> found = new TreeSet<>();
    String startAfter = null;
    while (true) {
      Optional<ObjectInfo> next;
      try (Stream<ObjectInfo> listing = store.list("", startAfter)) {
        next = listing.findFirst();
      }
      if (next.isEmpty()) {
        break;
      }
      String key = next.get().key();
      String[] parts = key.split("/", 4);
      String skip = key;
      if (parts.length == 4) {
        int invalid = firstInvalidPart(parts);
        String prefix = String.join("/", Arrays.asList(parts).subList(0, invalid < 0 ? 3 : invalid + 1)) + "/";
        if (invalid < 0) {
          TableId id = TableId.of(parts[0], parts[1], parts[2]);
          if (!found.contains(id.path()) && meta.exists(id)) {
            found.add(id.path());
          }
        }
        skip = after(prefix, key);
      }
      startAfter = skip;
    }
    List<TableId> tables = new ArrayList<>();
    for (String path : found) {
      tables.add(TableId.parse(path));
    }
    return tables;
  }

  private static int firstInvalidPart(String[] parts) {
    for (int i = 0; i < 3; i++) {
      try {
        TableId.of(i == 0 ? parts[0] : "a", i == 1 ? parts[1] : "a", i == 2 ? parts[2] : "a");
      } catch (IllegalArgumentException e) {
        return i;
      }
    }
    return -1;
  }

  /**
   * A {@code startAfter} that skips every key beginning with {@code prefix} (which ends with {@code /}),
   * and is never before {@code key}, so that the walk always advances.
   */
  private static String after(String prefix, String key) {
    // Every key outside the prefix that sorts after it differs from it at a position before the
    // prefix ends with a larger character, so it sorts after prefix + U+FFFF too. Keys under the prefix
    // that contain supplementary characters may sort later still; then the walk moves one key at a time.
    String jump = prefix + '\uFFFF';
    byte[] a = jump.getBytes(StandardCharsets.UTF_8);
    byte[] b = key.getBytes(StandardCharsets.UTF_8);
    return Arrays.compareUnsigned(a, b) >= 0 ? jump : key;
  }

  /** Releases the metadata cache and writer threads. Does not close the store. Idempotent. */
  @Override
  public void close() {
    closed = true;
    writers.shutdownNow();
    meta.clear();
  }

  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("This ManifestCatalog is closed; create a new one on the store");
    }
  }

  @Override
  public String toString() {
    return "ManifestCatalog[" + store.root() + "]";
  }
}
