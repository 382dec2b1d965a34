package dev.lakelifecycle.core;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.Compactor;
import dev.lakelifecycle.api.retention.RetentionResolver;
import dev.lakelifecycle.api.staging.Stager;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.ObjectStoreProvider;
import dev.lakelifecycle.api.sweep.OrphanSweeper;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import dev.lakelifecycle.core.internal.compaction.DefaultCompactor;
import dev.lakelifecycle.core.internal.retention.DefaultRetentionResolver;
import dev.lakelifecycle.core.internal.staging.DefaultStager;
import dev.lakelifecycle.core.internal.sweep.DefaultOrphanSweeper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole lifecycle of Parquet data under one storage root, wired once and used from many threads:
 * <pre>{@code
 * try (Lifecycle lake = Lifecycle.builder().location("file:/var/lake/").build()) {
 *   lake.catalog().createTable(TableId.parse("acme/prod/logs"), schema, PartitionSpec.hourly("ts"));
 *   lake.stager().append(TableId.parse("acme/prod/logs"), batch);
 *   lake.compactor().compact(TableId.parse("acme/prod/logs")).execute();
 *   lake.start();   // or run compaction, retention and sweeping on the library's own schedule
 * }
 * }</pre>
 *
 * <p>{@link #start()} runs, for every table in the catalog, compaction every {@code compaction.interval_secs}
 * (default hourly), retention every {@code retention.interval_secs} (hourly) and orphan sweeping every
 * {@code sweep.interval_hours} (daily), each with up to {@code schedule.jitter_secs} of random delay, plus
 * flushes of the tables whose staging thresholds (rows, bytes, age) are reached, checked every
 * {@code schedule.flush_interval_ms}. A failing run is logged and retried at the next interval; it never stops the
 * schedule. {@link #close()} stops the schedule, flushes what is staged, and closes what the builder opened.
 *
 * <p><b>Several workers.</b> Any number of Lifecycles (threads or processes, each with its own writer id) may run
 * the schedule against one catalog and one shared checkpoint store: each table's compaction and sweep take a
 * lease on the table's checkpoint, renewed while they work, so one worker does a table at a time; a worker that
 * finds a table leased skips it (it is picked up by a later pass). Each pass visits the tables in a fresh random
 * order, so workers started together do not all contend for the same table first.
 */
public final class Lifecycle implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

  private final ObjectStore store;
  private final TableCatalog catalog;
  private final CheckpointStore checkpoints;
  private volatile LifecycleConfig config;
  private final Clock clock;
  private final MeterRegistry registry;
  private final String writerId;
  private final DefaultStager stager;
  private final DefaultCompactor compactor;
  private final DefaultRetentionResolver retention;
  private final DefaultOrphanSweeper sweeper;
  private final List<AutoCloseable> owned;
  private final Object lock = new Object();
  private ScheduledExecutorService scheduler;
  private boolean closed;
  /** Set first by {@link #close()}: scheduled passes take no further table, so the schedule drains quickly. */
  private volatile boolean stopping;

  private Lifecycle(Builder b, ObjectStore store, TableCatalog catalog, CheckpointStore checkpoints,
      List<AutoCloseable> owned) {
    this.store = store;
    this.catalog = catalog;
    this.checkpoints = checkpoints;
    this.config = b.config;
    this.clock = b.clock;
    this.registry = b.registry;
    this.writerId = b.writerId;
    this.owned = owned;
    this.stager = new DefaultStager(store, catalog, config.staging(), clock, registry, writerId);
    this.compactor = new DefaultCompactor(store, catalog, checkpoints, config.compaction(), clock, registry, writerId);
    this.retention = new DefaultRetentionResolver(catalog, checkpoints, config.retention(), clock, registry);
    this.sweeper = new DefaultOrphanSweeper(store, catalog, checkpoints, config.sweep(), clock, registry);
  }

  public static Builder builder() {
    return new Builder();
  }

  public ObjectStore store() {
    return store;
  }

  public TableCatalog catalog() {
    return catalog;
  }

  public CheckpointStore checkpointStore() {
    return checkpoints;
  }

  /** The configuration in force, including a retention reload. */
  public LifecycleConfig config() {
    return config;
  }

  /**
   * Replaces the retention settings while running, e.g. after the operator edited the TOML file
   * ({@code LifecycleConfig.load(file, System.getenv()).retention()}). Cached resolved policies are dropped, so
   * the next resolution and every later run use the new settings; a run already under way finishes with the old.
   */
  public void reloadRetention(LifecycleConfig.RetentionSettings settings) {
    synchronized (lock) {
      retention.reload(settings);
      config = config.toBuilder().retention(settings).build();
    }
  }

  /** This instance's writer id, recorded in files it writes and used as its lease owner. */
  public String writerId() {
    return writerId;
  }

  public Stager stager() {
    return stager;
  }

  public Compactor compactor() {
    return compactor;
  }

  public RetentionResolver retention() {
    return retention;
  }

  public OrphanSweeper sweeper() {
    return sweeper;
  }

  /**
   * Starts the schedule on the library's own two daemon threads. Idempotent.
   *
   * @throws IllegalStateException if closed
   */
  public void start() {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("Lifecycle is closed; build a new one to start again");
      }
      if (scheduler != null) {
        return;
      }
      ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(2, r -> {
        Thread t = new Thread(r, "lake-lifecycle-" + writerId);
        t.setDaemon(true);
        return t;
      });
      ex.setRemoveOnCancelPolicy(true);
      scheduler = ex;
      long flushMs = config.schedule().flushInterval().toMillis();
      ex.scheduleWithFixedDelay(guard("flush", t -> stager.flushDue(), false), flushMs, flushMs, TimeUnit.MILLISECONDS);
      schedule(ex, "compaction", config.compaction().interval(), t -> compactor.compact(t).execute());
      schedule(ex, "retention", config.retention().interval(), t -> retention.enforce(t).execute());
      schedule(ex, "sweep", config.sweep().interval(), t -> sweeper.sweep(t).execute());
    }
  }

  private void schedule(ScheduledExecutorService ex, String name, Duration every, Consumer<TableId> perTable) {
    long jitter = config.schedule().jitter().toMillis();
    long first = every.toMillis() + (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter + 1) : 0);
    ex.scheduleWithFixedDelay(guard(name, perTable, true), first, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs one scheduled pass; a failure is logged and never escapes, so the schedule survives it. */
  private Runnable guard(String name, Consumer<TableId> perTable, boolean eachTable) {
    return () -> {
      try {
        if (!eachTable) {
          perTable.accept(null);
          return;
        }
        // A fresh random order per pass and per worker: N workers started together spread over the tables
        // instead of all taking the lease race on the first one; a table another worker holds is skipped
        // (ALREADY_RUNNING) and comes round again in a later pass.
        List<TableId> tables = new ArrayList<>(catalog.listTables());
        Collections.shuffle(tables);
        for (TableId table : tables) {
          if (stopping || Thread.currentThread().isInterrupted()) {
            LOG.info("Scheduled {} pass stopped before {}: the Lifecycle is closing", name, table);
            return;
          }
          try {
            perTable.accept(table);
          } catch (RuntimeException e) {
            if (stopping) {
              LOG.info("Scheduled {} of {} stopped because the Lifecycle is closing: {}", name, table, e.toString());
            } else {
              LOG.warn("Scheduled {} of {} failed; it runs again at the next interval: {}", name, table,
                  e.toString(), e);
            }
          }
        }
      } catch (RuntimeException e) {
        LOG.warn("Scheduled {} failed; it runs again at the next interval: {}", name, e.toString(), e);
      }
    };
  }

  /**
   * Stops the schedule, flushes everything staged, and closes the store, catalog and checkpoint store if the
   * builder created them. Idempotent; never throws.
   *
   * <p>A running pass takes no further table; a compaction under way stops after the chunk it is in (committed
   * and checkpointed, its checkpoint left {@code PENDING} for any worker to resume) and a sweep after its current
   * delete batch (or within a few thousand keys of its listing), each releasing its lease. After
   * 30 s the scheduler's threads are interrupted; interrupted runs still release their leases before the
   * checkpoint store is closed (waiting up to 10 s more), so no lease of this worker outlives it.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      stopping = true;
      compactor.stopRuns();
      sweeper.stopRuns();
      if (scheduler != null) {
        scheduler.shutdown();
        try {
          if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
            scheduler.shutdownNow();
            if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
              LOG.warn("A scheduled run of {} did not stop within 40 s of close(); its lease lapses after its"
                  + " duration", writerId);
            }
          }
        } catch (InterruptedException e) {
          scheduler.shutdownNow();
          Thread.currentThread().interrupt();
        }
      }
    }
    closeQuietly(stager, "stager");
    for (int i = owned.size() - 1; i >= 0; i--) {
      closeQuietly(owned.get(i), "backend");
    }
  }

  private static void closeQuietly(AutoCloseable c, String what) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("Closing the {} failed: {}", what, e.toString(), e);
    }
  }

  /**
   * Configures a {@link Lifecycle}. Each setter may be called once; {@link #build()} checks the combination.
   * Only a storage location or store is required; everything else has a default.
   */
  public static final class Builder {
    private ObjectStore store;
    private URI location;
    private Map<String, String> storeProperties = Map.of();
    private TableCatalog catalog;
    private CheckpointStore checkpoints;
    private LifecycleConfig config;
    private Clock clock;
    private MeterRegistry registry;
    private String writerId;

    private Builder() {}

    /** The object store to use. Mutually exclusive with {@link #location(String)}. Not closed by the Lifecycle. */
    public Builder store(ObjectStore store) {
      requireUnset(this.store == null && this.location == null, "store or location", this.store != null ? this.store : this.location);
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * The storage root as a URI, e.g. {@code file:/var/lake/} or {@code s3://bucket/prefix/}; the store is found
     * by its scheme through {@link ObjectStoreProvider}s on the class path and closed with the Lifecycle.
     */
    public Builder location(String uri) {
      requireUnset(this.store == null && this.location == null, "store or location", this.store != null ? this.store : this.location);
      Objects.requireNonNull(uri, "uri");
      try {
        URI u = URI.create(uri.endsWith("/") ? uri : uri + "/");
        if (u.getScheme() == null) {
          throw new IllegalArgumentException("no scheme");
        }
        this.location = u;
      } catch (IllegalArgumentException e) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Invalid storage location '%s': expected a URI with a scheme such as file:/var/lake/ or s3://bucket/prefix/", uri), e);
      }
      return this;
    }

    /** Provider-specific properties for the store opened from {@link #location(String)} (region, endpoint...). Default none. */
    public Builder storeProperties(Map<String, String> properties) {
      this.storeProperties = Map.copyOf(properties);
      return this;
    }

    /** The table catalog. Default: a {@link ManifestCatalog} on the store. Not closed by the Lifecycle. */
    public Builder catalog(TableCatalog catalog) {
      requireUnset(this.catalog == null, "catalog", this.catalog);
      this.catalog = Objects.requireNonNull(catalog, "catalog");
      return this;
    }

    /** The checkpoint store. Default: JSON objects under {@code _checkpoints/} in the store. Not closed by the Lifecycle. */
    public Builder checkpointStore(CheckpointStore checkpoints) {
      requireUnset(this.checkpoints == null, "checkpoint store", this.checkpoints);
      this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
      return this;
    }

    /** The configuration. Default {@link LifecycleConfig#defaults()}. */
    public Builder config(LifecycleConfig config) {
      requireUnset(this.config == null, "config", this.config);
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** The clock for file ages, cutoffs, leases and windows. Default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      requireUnset(this.clock == null, "clock", this.clock);
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where metrics go. Default: none; nothing is recorded. */
    public Builder meterRegistry(MeterRegistry registry) {
      requireUnset(this.registry == null, "meter registry", this.registry);
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** Names this instance in written files and leases. Default: a random {@code lifecycle-xxxxxxxx}. */
    public Builder writerId(String writerId) {
      requireUnset(this.writerId == null, "writer id", this.writerId);
      if (writerId == null || !writerId.matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new IllegalArgumentException("writer id '" + writerId + "' must be 1-64 characters of A-Z, a-z, 0-9, '_', '.', '-'");
      }
      this.writerId = writerId;
      return this;
    }

    /**
     * Builds the Lifecycle.
     *
     * @throws InvalidConfigurationException if no store or location was given, or no provider (or two)
     *     serves the location's scheme
     */
    public Lifecycle build() {
      if (store == null && location == null) {
        throw new InvalidConfigurationException(
            "Cannot build a Lifecycle without storage: call store(ObjectStore) or location(\"file:/path/\")");
      }
      config = config != null ? config : LifecycleConfig.defaults();
      clock = clock != null ? clock : Clock.systemUTC();
      registry = registry != null ? registry : new CompositeMeterRegistry();
      writerId = writerId != null ? writerId : "lifecycle-" + UUID.randomUUID().toString().substring(0, 8);
      List<AutoCloseable> owned = new ArrayList<>();
      ObjectStore s = store != null ? store : openStore(location, storeProperties);
      if (store == null) {
        owned.add(s);
      }
      TableCatalog c = catalog;
      if (c == null) {
        c = new ManifestCatalog(s, clock);
        owned.add(c);
      }
      CheckpointStore cp = checkpoints;
      if (cp == null) {
        cp = new ObjectStoreCheckpointStore(s, "_checkpoints/", clock);
        owned.add(cp);
      }
      return new Lifecycle(this, s, c, cp, owned);
    }

    /** Opens the store of the one provider serving the location's scheme; a conflict on another scheme is ignored. */
    static ObjectStore openStore(URI location, Map<String, String> properties) {
      String scheme = location.getScheme().toLowerCase(Locale.ROOT);
      java.util.Set<String> known = new java.util.TreeSet<>();
      ObjectStoreProvider provider = null;
      for (ObjectStoreProvider p : ServiceLoader.load(ObjectStoreProvider.class)) {
        for (String sc : p.schemes()) {
          known.add(sc.toLowerCase(Locale.ROOT));
          if (!sc.equalsIgnoreCase(scheme)) {
            continue;
          }
          if (provider != null && provider.getClass() != p.getClass()) {
            throw new InvalidConfigurationException(String.format(Locale.ROOT,
                "Two object store providers claim scheme '%s': %s and %s (remove one from the class path, "
                    + "or pass a store explicitly with Lifecycle.builder().store(...))",
                scheme, provider.getClass().getName(), p.getClass().getName()));
          }
          provider = p;
        }
      }
      if (provider == null) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "No object store provider for scheme '%s' of %s (known: %s; for s3 add the lifecycle-s3 module)",
            scheme, location, known));
      }
      return provider.open(location, properties);
    }

    private static void requireUnset(boolean unset, String what, Object current) {
      if (!unset) {
        throw new IllegalStateException(what + " was already set to " + current);
      }
    }
  }
}
