package dev.lakelifecycle.core.internal.compaction;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.lakelifecycle.api.CheckpointConflictException;
import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.SortOrder;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionAction;
import dev.lakelifecycle.api.compaction.CompactionListener;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.compaction.CompactionStatus;
import dev.lakelifecycle.api.compaction.Compactor;
import dev.lakelifecycle.api.compaction.QuarantinedFile;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.internal.LeaseKeeper;
import dev.lakelifecycle.core.internal.TableLayout;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compaction engine: plans per partition (see {@link CompactionPlanner}), then merges the plan's groups
 * with a streaming rewrite ({@link StreamingRewriter}: small row groups merged page by page without decoding
 * values by {@link PageMerge}, decoded column by column where that does not apply) in chunks of up to
 * {@code compaction.chunk-partitions} groups, one catalog replace commit and one checkpoint write per chunk (the
 * Timestore runbook's chunked, resumable compaction). A table with a {@link SortOrder} is rewritten by
 * {@link SortingRewriter} instead (a k-way merge by the sort key; outputs recorded with the order's id).
 *
 * <p><b>Checkpoint.</b> Id {@code compaction/<tenant>/<dataset>/<table>}, with the pending plan's inputs stored
 * once in {@code compaction-plan/<tenant>/<dataset>/<table>}; layout in {@link PlanState}. A run
 * takes the checkpoint's lease ({@code compaction.lease_duration_secs}, default 5 minutes, renewed by every
 * checkpoint write: about two per chunk, one recording the chunk's output keys before they are written and one
 * moving the cursor; and by a timer whenever a third of it passes without a write, so a step longer than the
 * lease keeps it, see {@link LeaseKeeper}), so replicas
 * never compact one table at once; a run that finds the lease held by another owner does nothing and returns
 * {@link CompactionResult.Outcome#ALREADY_RUNNING}. A run that loses its lease (a process paused past it while
 * another worker took over) stops at its next step with a {@link CheckpointConflictException}, before committing
 * the chunk at hand, and deletes that chunk's outputs; the holder resumes from the checkpoint. An
 * expired lease lets the next run resume (the ParqueDB runbook's stuck-window reset). A {@code PENDING} plan is
 * resumed at its cursor with its stored settings; otherwise a fresh plan is made and stored. Completed checkpoints
 * are kept for {@code compaction.checkpoint_ttl_hours} (24 h) and then removed by {@link #cleanup(TableId)}.
 *
 * <p><b>Crash safety.</b> Output locations are recorded in the checkpoint before they are written (the orphan
 * sweeper keeps them). Each chunk's commit summary carries the plan id and chunk id, so a chunk that committed
 * just before a crash is recognised on resume (its commit is visible, or its recorded outputs are live) and not
 * redone. A chunk whose inputs changed concurrently is re-planned from the still-live inputs; groups left with
 * fewer than two are skipped with a note. A conflicting commit leaves the table unchanged; the outputs are
 * deleted and the chunk is retried, up to {@code compaction.max-chunk-retries} times with a short backoff; a
 * chunk that still conflicts ends the run with a {@link CommitConflictException} naming the table and chunk
 * (status {@code FAILED}, {@code lastError} set; earlier chunks stay committed).
 *
 * <p><b>Quarantine.</b> An input that cannot be read (corrupt, truncated, encrypted, rows disagreeing with the
 * table) is quarantined with its error in checkpoint {@code compaction-quarantine/<table path>} (metadata
 * {@code files: [{location, partition, error, quarantinedAt}]}), before the chunk's commit; the other inputs of its
 * group are merged without it and the run goes on. Quarantined files stay live and are left out of plans until
 * {@link #clearQuarantine(TableId, Collection)}.
 *
 * <p><b>Metrics</b> (tags {@code tenant}, {@code dataset}, {@code table}): counters {@code lifecycle.compaction.runs},
 * {@code .failures}, {@code .files.compacted}, {@code .bytes.compacted}, {@code .chunks}, {@code .chunk.retries},
 * {@code .files.quarantined}, {@code .files.deferred}, {@code .bytes.deferred}, {@code .row.groups} (extra tag
 * {@code path}: {@code paged} merged page by page, {@code decoded} decoded and re-encoded, {@code copied} copied
 * whole); timers
 * {@code lifecycle.compaction.duration} and {@code .chunk.duration}; distribution summary
 * {@code lifecycle.compaction.chunk.attempts}.
 *
 * <p>Thread-safe; concurrent runs on different tables proceed independently.
 */
public final class DefaultCompactor implements Compactor {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultCompactor.class);

  /** Summary keys of each chunk's replace commit. */
  static final String SUMMARY_PLAN_ID = "compaction.plan-id";
  static final String SUMMARY_CHUNK = "compaction.chunk";
  static final String SUMMARY_GROUPS = "compaction.groups";
  static final String SUMMARY_ATTEMPT = "compaction.attempt";
  static final String SUMMARY_WRITER = "compaction.writer-id";
  /** Checkpoint id prefix of the quarantine, followed by the table path. */
  static final String QUARANTINE_PREFIX = "compaction-quarantine/";
  /** Checkpoint id prefix of a pending plan's inputs, followed by the table path. */
  static final String PLAN_PREFIX = "compaction-plan/";

  /** The steps of a chunk at which tests make the process die. */
  enum Step { BEFORE_WRITE, AFTER_WRITE, AFTER_COMMIT, AFTER_CHECKPOINT }

  /** Called at each {@link Step}; tests halt the JVM there. */
  @FunctionalInterface
  interface StepHook {
    StepHook NONE = (step, chunkId) -> { };

    void at(Step step, String chunkId);
  }

  private final ObjectStore store;
  private final TableCatalog catalog;
  private final CheckpointStore checkpoints;
  private final LifecycleConfig.Compaction config;
  private final Clock clock;
  private final MeterRegistry registry;
  private final String writerId;
  private final ChunkBackoff backoff;
  private final StreamingRewriter rewriter;
  private final SortingRewriter sorter;
  private volatile StepHook hook = StepHook.NONE;
  /** Set by {@link #stopRuns()}: runs stop at their next chunk boundary and no new run starts. */
  private volatile boolean stopping;
  /** Footer schemas by location: data files are immutable, so repeated plans need not reread them. */
  private final Cache<String, CompactionPlanner.FileSchema> schemas =
      Caffeine.newBuilder().maximumSize(50_000).build();
  /** Tables this instance is compacting: the lease is per owner, and all threads here share one owner. */
  private final Set<TableId> running = ConcurrentHashMap.newKeySet();

  /**
   * @param store where the table's data files live
   * @param catalog the tables
   * @param checkpoints where plans and progress are kept
   * @param config thresholds and chunking ({@code [compaction]})
   * @param clock the time source for windows, leases and file times
   * @param registry where metrics go; {@code null} records nothing
   * @param writerId this instance's id: the lease owner and the prefix of output file names
   */
  public DefaultCompactor(ObjectStore store, TableCatalog catalog, CheckpointStore checkpoints,
      LifecycleConfig.Compaction config, Clock clock, MeterRegistry registry, String writerId) {
    this(store, catalog, checkpoints, config, clock, registry, writerId,
        ChunkBackoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(5)));
  }

  DefaultCompactor(ObjectStore store, TableCatalog catalog, CheckpointStore checkpoints,
      LifecycleConfig.Compaction config, Clock clock, MeterRegistry registry, String writerId, ChunkBackoff backoff) {
    this.store = Objects.requireNonNull(store, "store");
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.registry = registry != null ? registry : new CompositeMeterRegistry();
    this.writerId = Objects.requireNonNull(writerId, "writerId");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.rewriter = new StreamingRewriter(store);
    this.sorter = new SortingRewriter(store);
  }

  /**
   * Makes every run of this instance stop after the chunk it is in (committed and checkpointed; the checkpoint
   * stays {@code PENDING}, and any worker resumes it) and release its lease; later runs do nothing. Called by
   * {@code Lifecycle.close()}; irreversible.
   */
  public void stopRuns() {
    stopping = true;
  }

  /** Whether {@link #stopRuns()} was called (tests). */
  boolean stopRequested() {
    return stopping;
  }

  /** Installs a hook called at each step of each chunk (crash tests). */
  void stepHook(StepHook h) {
    this.hook = Objects.requireNonNull(h, "hook");
  }

  private Duration lease() {
    return config.leaseDuration();
  }

  @Override
  public CompactionAction compact(TableId table) {
    return new Action(Objects.requireNonNull(table, "table"));
  }

  static String checkpointId(TableId table) {
    return "compaction/" + table.path();
  }

  /** The plan checkpoint: the inputs of the pending plan's groups (see {@link PlanState}). */
  static String planCheckpointId(TableId table) {
    return PLAN_PREFIX + table.path();
  }

  static String quarantineId(TableId table) {
    return QUARANTINE_PREFIX + table.path();
  }

  // ---------------------------------------------------------------- status

  @Override
  public CompactionStatus status(TableId table) {
    Instant now = clock.instant();
    Optional<Checkpoint> found = checkpoints.get(checkpointId(table));
    CompactionStatus.State state = CompactionStatus.State.IDLE;
    int cursor = 0;
    int totalGroups = 0;
    int chunksCompleted = 0;
    String lastError = null;
    Instant updatedAt = null;
    String leaseOwner = null;
    Instant leaseExpiresAt = null;
    Set<String> planPartitions = new HashSet<>();
    if (found.isPresent()) {
      Checkpoint cp = found.get();
      updatedAt = cp.updatedAt();
      if (cp.leaseHeldAt(now)) {
        leaseOwner = cp.leaseOwner();
        leaseExpiresAt = cp.leaseExpiresAt();
      }
      if (PlanState.hasPlan(cp)) {
        state = switch (cp.status()) {
          case PENDING -> CompactionStatus.State.PENDING;
          case COMPLETED -> CompactionStatus.State.COMPLETED;
          case FAILED -> CompactionStatus.State.FAILED;
        };
        cursor = cp.cursor();
        totalGroups = PlanState.totalGroups(cp);
        chunksCompleted = (int) PlanState.num(cp.stats().get("chunksCompleted"));
        Object err = cp.stats().get("lastError");
        lastError = err == null ? null : err.toString();
        if (cp.status() == Checkpoint.Status.PENDING) {
          PlanState ps = PlanState.from(cp);
          for (PlanState.StoredGroup g : ps.groups) {
            if (!ps.completedGroupIds.contains(g.id()) && !ps.skippedGroups.containsKey(g.id())) {
              planPartitions.add(g.partition());
            }
          }
        }
      }
    }
    boolean live = found.isPresent() && found.get().leaseHeldAt(now);
    int processing = live ? planPartitions.size() : 0;
    int stuck = live ? 0 : planPartitions.size();

    Map<String, QuarantinedFile> quarantine = readQuarantine(table);
    // The backlog, cheaply: small files per closed window, without reading footers.
    CatalogTable t = catalog.loadTable(table);
    Duration maxWait = config.maxWaitFor(table.path(), table.table());
    Map<String, Integer> smallPerPartition = new HashMap<>();
    for (DataFile f : t.liveFiles()) {
      if (f.sizeBytes() < config.minFileSizeBytes() && !quarantine.containsKey(normalise(f.location()))) {
        smallPerPartition.merge(f.partition(), 1, Integer::sum);
      }
    }
    int pending = 0;
    long pendingFiles = 0;
    Duration oldest = Duration.ZERO;
    for (Map.Entry<String, Integer> e : smallPerPartition.entrySet()) {
      if (e.getValue() < 2 || planPartitions.contains(e.getKey())) {
        continue;
      }
      Instant closes = CompactionPlanner.closesAt(e.getKey(), maxWait);
      if (closes != null && now.isBefore(closes)) {
        continue;
      }
      pending++;
      pendingFiles += e.getValue();
      if (closes != null && Duration.between(closes, now).compareTo(oldest) > 0) {
        oldest = Duration.between(closes, now);
      }
    }
    if (!live) {
      pending += stuck;
    }

    LifecycleConfig.Health h = config.health();
    List<String> critical = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    check(stuck, h.stuckWarning(), h.stuckCritical(), "windows stuck past their lease", critical, warnings);
    check(pending, h.pendingWindowsWarning(), h.pendingWindowsCritical(), "pending windows", critical, warnings);
    check(pendingFiles, h.pendingFilesWarning(), h.pendingFilesCritical(), "pending files", critical, warnings);
    check(quarantine.size(), h.quarantinedWarning(), h.quarantinedCritical(), "quarantined files", critical,
        warnings);
    if (oldest.compareTo(h.oldestPendingCritical()) > 0) {
      critical.add(String.format(Locale.ROOT, "oldest pending window is %s old (> critical %s)", oldest,
          h.oldestPendingCritical()));
    } else if (oldest.compareTo(h.oldestPendingWarning()) > 0) {
      warnings.add(String.format(Locale.ROOT, "oldest pending window is %s old (> warning %s)", oldest,
          h.oldestPendingWarning()));
    }
    if (state == CompactionStatus.State.FAILED) {
      warnings.add("last run failed: " + lastError);
    }
    List<String> issues = new ArrayList<>(critical);
    issues.addAll(warnings);
    CompactionStatus.Health health = !critical.isEmpty() ? CompactionStatus.Health.UNHEALTHY
        : !warnings.isEmpty() ? CompactionStatus.Health.DEGRADED : CompactionStatus.Health.HEALTHY;
    return new CompactionStatus(table, state, cursor, totalGroups, chunksCompleted, lastError, updatedAt, pending,
        processing, stuck, oldest, pendingFiles, quarantine.size(), leaseOwner, leaseExpiresAt, health, issues);
  }

  private static void check(long value, long warning, long critical, String what, List<String> crit,
      List<String> warn) {
    if (value > critical) {
      crit.add(String.format(Locale.ROOT, "%d %s (> critical %d)", value, what, critical));
    } else if (value > warning) {
      warn.add(String.format(Locale.ROOT, "%d %s (> warning %d)", value, what, warning));
    }
  }

  // ---------------------------------------------------------------- quarantine and cleanup

  @Override
  public List<QuarantinedFile> quarantined(TableId table) {
    List<QuarantinedFile> out = new ArrayList<>(readQuarantine(table).values());
    out.sort((a, b) -> a.quarantinedAt().compareTo(b.quarantinedAt()));
    return out;
  }

  @Override
  public int clearQuarantine(TableId table, Collection<String> locations) {
    Set<String> keys = new HashSet<>();
    locations.forEach(l -> keys.add(normalise(l)));
    int[] cleared = {0};
    updateQuarantine(table, files -> {
      int before = files.size();
      if (keys.isEmpty()) {
        files.clear();
      } else {
        files.keySet().removeAll(keys);
      }
      cleared[0] = before - files.size();
    });
    schemas.invalidateAll();
    LOG.info("Released {} file(s) of {} from compaction quarantine", cleared[0], table);
    return cleared[0];
  }

  @Override
  public boolean cleanup(TableId table) {
    Instant now = clock.instant();
    Optional<Checkpoint> cp = checkpoints.get(checkpointId(table));
    if (cp.isEmpty() || cp.get().status() != Checkpoint.Status.COMPLETED || cp.get().leaseHeldAt(now)
        || cp.get().updatedAt().plus(config.checkpointTtl()).isAfter(now)) {
      return false;
    }
    boolean deleted = checkpoints.delete(cp.get().id(), cp.get().version());
    if (deleted) {
      deletePlanInputs(table, 0);
      LOG.info("Removed completed compaction checkpoint {} (older than the TTL of {})", cp.get().id(),
          config.checkpointTtl());
    }
    return deleted;
  }

  private Map<String, QuarantinedFile> readQuarantine(TableId table) {
    Map<String, QuarantinedFile> out = new LinkedHashMap<>();
    checkpoints.get(quarantineId(table)).ifPresent(cp -> {
      if (cp.metadata().get("files") instanceof List<?> list) {
        for (Object o : list) {
          if (o instanceof Map<?, ?> m && m.get("location") instanceof String loc) {
            Object at = m.get("quarantinedAt");
            out.put(normalise(loc), new QuarantinedFile(loc, m.get("partition") == null ? null
                : String.valueOf(m.get("partition")), String.valueOf(m.get("error")),
                at == null ? Instant.EPOCH : Instant.parse(String.valueOf(at))));
          }
        }
      }
    });
    return out;
  }

  private void quarantine(TableId table, List<QuarantinedFile> add) {
    if (add.isEmpty()) {
      return;
    }
    updateQuarantine(table, files -> add.forEach(q -> files.putIfAbsent(normalise(q.location()), q)));
    registry.counter("lifecycle.compaction.files.quarantined", tags(table)).increment(add.size());
    add.forEach(q -> LOG.warn("Quarantined {} of {}: {} (it stays live; clear it with"
        + " Compactor.clearQuarantine after repairing or replacing it)", q.location(), table, q.error()));
  }

  private void updateQuarantine(TableId table, java.util.function.Consumer<Map<String, QuarantinedFile>> change) {
    String id = quarantineId(table);
    for (int attempt = 0; ; attempt++) {
      Optional<Checkpoint> current = checkpoints.get(id);
      Map<String, QuarantinedFile> files = readQuarantine(table);
      change.accept(files);
      List<Object> list = new ArrayList<>();
      for (QuarantinedFile q : files.values()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("location", q.location());
        m.put("partition", q.partition());
        m.put("error", q.error());
        m.put("quarantinedAt", q.quarantinedAt().toString());
        list.add(m);
      }
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("kind", "compaction-quarantine");
      meta.put("files", list);
      Checkpoint base = current.orElse(Checkpoint.pending(id));
      try {
        checkpoints.compareAndSet(base.withStatus(Checkpoint.Status.COMPLETED).withMetadata(meta), base.version());
        return;
      } catch (CheckpointConflictException raced) {
        if (attempt >= 16) {
          throw raced;
        }
      }
    }
  }

  private static Tags tags(TableId table) {
    return Tags.of("tenant", table.tenant(), "dataset", table.dataset(), "table", table.table());
  }

  // ---------------------------------------------------------------- the action

  /** One configured compaction; each setter may be called once. */
  private final class Action implements CompactionAction {
    private final TableId table;
    private Long target;
    private Integer minInputFiles;
    private Duration maxWait;
    private Boolean force;
    private CompactionPlan.Order order;
    private Integer maxFiles;
    private Long maxBytes;
    private CompactionListener listener;

    Action(TableId table) {
      this.table = table;
    }

    @Override
    public CompactionAction targetFileSizeBytes(long bytes) {
      requireUnset(target, "targetFileSizeBytes");
      if (bytes <= 0) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "targetFileSizeBytes must be > 0, got %d (e.g. 134217728 for 128 MiB)", bytes));
      }
      target = bytes;
      return this;
    }

    @Override
    public CompactionAction minInputFiles(int files) {
      requireUnset(minInputFiles, "minInputFiles");
      if (files < 2) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "minInputFiles must be >= 2, got %d (a single file is never rewritten alone)", files));
      }
      minInputFiles = files;
      return this;
    }

    @Override
    public CompactionAction maxWait(Duration wait) {
      requireUnset(maxWait, "maxWait");
      if (wait == null || wait.isNegative()) {
        throw new IllegalArgumentException("maxWait must be a duration >= 0, got " + wait);
      }
      maxWait = wait;
      return this;
    }

    @Override
    public CompactionAction force(boolean f) {
      requireUnset(force, "force");
      force = f;
      return this;
    }

    @Override
    public CompactionAction order(CompactionPlan.Order o) {
      requireUnset(order, "order");
      order = Objects.requireNonNull(o, "order (AGE, BYTES or FILES)");
      return this;
    }

    @Override
    public CompactionAction maxFiles(int files) {
      requireUnset(maxFiles, "maxFiles");
      if (files < 0) {
        throw new IllegalArgumentException("maxFiles must be >= 0 (0 = no cap), got " + files);
      }
      maxFiles = files;
      return this;
    }

    @Override
    public CompactionAction maxBytes(long bytes) {
      requireUnset(maxBytes, "maxBytes");
      if (bytes < 0) {
        throw new IllegalArgumentException("maxBytes must be >= 0 (0 = no cap), got " + bytes);
      }
      maxBytes = bytes;
      return this;
    }

    @Override
    public CompactionAction listener(CompactionListener l) {
      requireUnset(listener, "listener");
      listener = Objects.requireNonNull(l, "listener (use CompactionListener.NONE for none)");
      return this;
    }

    private void requireUnset(Object value, String name) {
      if (value != null) {
        throw new IllegalStateException(String.format(Locale.ROOT,
            "%s was already set to %s for this compaction of %s (call each setter once)", name, value, table));
      }
    }

    CompactionPlanner.Settings settings() {
      long t = target != null ? target : config.targetFileSizeBytes();
      long min = target != null ? t * 3 / 4 : config.minFileSizeBytes();
      return new CompactionPlanner.Settings(t, min,
          minInputFiles != null ? minInputFiles : config.minInputFiles(),
          maxWait != null ? maxWait : config.maxWaitFor(table.path(), table.table()),
          force != null && force,
          order != null ? order : config.order(),
          maxFiles != null ? maxFiles : config.maxFilesPerRun(),
          maxBytes != null ? maxBytes : config.maxBytesPerRun());
    }

    @Override
    public CompactionPlan plan() {
      return planOn(catalog.loadTable(table), settings(), readQuarantine(table));
    }

    @Override
    public CompactionResult execute() {
      return run(table, settings(), listener != null ? listener : CompactionListener.NONE);
    }
  }

  private CompactionPlan planOn(CatalogTable t, CompactionPlanner.Settings settings,
      Map<String, QuarantinedFile> quarantine) {
    List<DataFile> live = t.liveFiles();
    // Files the sorting rewrite or the catalog cannot take are decided here, with their reason, not planned.
    List<CompactionPlan.Decision> outside = new ArrayList<>(sorter.unsortable(t.sortOrder(), live,
        settings.minFileSizeBytes(), config.memoryBudgetBytes(), config.rowGroupSizeBytes()));
    t.filesKeptFromRewrite().forEach((f, why) -> outside.add(new CompactionPlan.Decision(f,
        CompactionPlan.Reason.KEPT_BY_CATALOG, why)));
    return SortingRewriter.withDecisions(CompactionPlanner.plan(t.id(), SortingRewriter.without(live, outside),
        settings, clock.instant(), this::schemaOf, f -> {
      QuarantinedFile q = quarantine.isEmpty() ? null : quarantine.get(normalise(f.location()));
      return q == null ? null : q.error();
    }), outside);
  }

  private CompactionPlanner.FileSchema schemaOf(DataFile f) {
    CompactionPlanner.FileSchema cached = schemas.getIfPresent(f.location());
    if (cached != null) {
      return cached;
    }
    CompactionPlanner.FileSchema read = rewriter.schemaOf(f);
    if (read.schema() != null) {
      schemas.put(f.location(), read);
    }
    return read;
  }

  // ---------------------------------------------------------------- execution

  /** This run's counts and the checkpoint as last written. */
  private final class Run {
    final TableId table;
    /** Store key prefix of the table's data files, from the catalog's table location; set when executing. */
    String dataPrefix;
    final Tags tags;
    final CompactionListener listener;
    /** The checkpoint as last written; {@link #lease} owns the latest copy (renewals bump its version). */
    Checkpoint cp;
    /** Renews the lease while the run works and serialises the run's writes with the renewals. */
    LeaseKeeper lease;
    boolean resumed;
    /** Version of the plan checkpoint this run wrote or read; 0 if none. */
    long planVersion;
    int groups;
    int filesRemoved;
    int filesAdded;
    long bytesBefore;
    long bytesAfter;
    long rows;
    int chunks;
    int filesDeferred;
    long bytesDeferred;
    final List<QuarantinedFile> quarantined = new ArrayList<>();

    Run(TableId table, Checkpoint cp, CompactionListener listener) {
      this.table = table;
      this.cp = cp;
      this.listener = listener;
      this.tags = tags(table);
    }

    CompactionResult result(CompactionResult.Outcome outcome) {
      return new CompactionResult(table, resumed, groups, filesRemoved, filesAdded, bytesBefore, bytesAfter, rows,
          chunks, outcome, quarantined, filesDeferred, bytesDeferred);
    }

    /**
     * Writes the checkpoint under the lease; the state is copied, so later changes do not alias it.
     *
     * @throws CheckpointConflictException if the lease was lost (now or found by a renewal)
     */
    void write(Checkpoint.Status status, int cursor, PlanState state) {
      Map<String, Object> metadata = state.metadata();
      Map<String, Object> stats = state.stats();
      cp = lease.update(c -> c.withStatus(status).withCursor(cursor).withMetadata(metadata).withStats(stats));
    }
  }

  private static CompactionResult empty(TableId table, CompactionResult.Outcome outcome) {
    return new CompactionResult(table, false, 0, 0, 0, 0, 0, 0, 0, outcome, List.of(), 0, 0);
  }

  private CompactionResult run(TableId table, CompactionPlanner.Settings settings, CompactionListener listener) {
    long started = System.nanoTime();
    Tags tags = tags(table);
    if (stopping) {
      throw new IllegalStateException(String.format(Locale.ROOT,
          "Cannot compact %s: the Lifecycle of %s is closed (build a new one to compact)", table, writerId));
    }
    if (!running.add(table)) {
      LOG.info("Compaction of {} is already running in this instance ({}); this run does nothing", table, writerId);
      return empty(table, CompactionResult.Outcome.ALREADY_RUNNING);
    }
    String id = checkpointId(table);
    try {
      Optional<Checkpoint> leased = checkpoints.tryAcquireLease(id, writerId, lease(), clock.instant());
      if (leased.isEmpty()) {
        String holder = checkpoints.get(id).map(Checkpoint::leaseOwner).orElse("another worker");
        LOG.info("Compaction of {} skipped: its checkpoint {} is leased by {} (it resumes there)", table, id, holder);
        return empty(table, CompactionResult.Outcome.ALREADY_RUNNING);
      }
      registry.counter("lifecycle.compaction.runs", tags).increment();
      Run run = new Run(table, leased.get(), listener);
      run.lease = LeaseKeeper.start(checkpoints, leased.get(), lease(), clock, "Compaction of " + table);
      try {
        CompactionResult result = execute(run, settings);
        LOG.info("Compacted {}: {}", table, result);
        return result;
      } catch (RuntimeException e) {
        registry.counter("lifecycle.compaction.failures", tags).increment();
        throw e;
      } finally {
        run.lease.close();
        release(id);
      }
    } finally {
      running.remove(table);
      registry.timer("lifecycle.compaction.duration", tags).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Gives the lease up. A run stopped by an interrupt (a closing scheduler) still releases it: the interrupt flag
   * is cleared for the store call (interruptible I/O would otherwise fail it and leave the lease held until it
   * lapses) and set again after.
   */
  private void release(String id) {
    boolean interrupted = Thread.interrupted();
    try {
      checkpoints.releaseLease(id, writerId);
    } catch (RuntimeException e) {
      LOG.warn("Could not release the compaction lease on {} (it lapses after {})", id, lease(), e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private CompactionResult execute(Run run, CompactionPlanner.Settings settings) {
    CatalogTable t = catalog.loadTable(run.table);
    run.dataPrefix = TableLayout.dataPrefix(store, t);
    PlanState state = null;
    if (run.cp.status() == Checkpoint.Status.PENDING && PlanState.hasPlan(run.cp)) {
      Optional<Checkpoint> inputs = checkpoints.get(planCheckpointId(run.table));
      state = PlanState.from(run.cp, inputs).orElse(null);
      run.planVersion = inputs.map(Checkpoint::version).orElse(0L);
      if (state == null) {
        // Only a crash between storing a new plan's inputs and its progress leaves them apart: plan afresh.
        LOG.warn("Compaction plan {} of {} cannot be resumed: its inputs are not in {}; planning afresh",
            run.cp.metadata().get("planId"), run.table, planCheckpointId(run.table));
      } else {
        run.resumed = true;
        LOG.info("Resuming compaction plan {} of {} at group {} of {}", state.planId, run.table, run.cp.cursor(),
            state.groups.size());
      }
    }
    if (state == null) {
      Map<String, QuarantinedFile> quarantine = readQuarantine(run.table);
      CompactionPlan plan = planOn(t, settings, quarantine);
      List<QuarantinedFile> unreadable = new ArrayList<>();
      for (CompactionPlan.Decision d : plan.decisions(CompactionPlan.Reason.QUARANTINED)) {
        if (!quarantine.containsKey(normalise(d.file().location()))) {
          unreadable.add(new QuarantinedFile(d.file().location(), d.file().partition(), d.detail(),
              clock.instant()));
        }
      }
      quarantine(run.table, unreadable);
      run.quarantined.addAll(unreadable);
      run.filesDeferred = plan.deferredFiles();
      run.bytesDeferred = plan.deferredBytes();
      if (run.filesDeferred > 0) {
        registry.counter("lifecycle.compaction.files.deferred", run.tags).increment(run.filesDeferred);
        registry.counter("lifecycle.compaction.bytes.deferred", run.tags).increment(run.bytesDeferred);
        LOG.info("Compaction of {} defers {} eligible file(s), {} B, to later runs (cap of {} files / {} B per run)",
            run.table, run.filesDeferred, run.bytesDeferred, settings.maxFiles(), settings.maxBytes());
      }
      Long base = t.currentSnapshot().map(TableSnapshot::snapshotId).orElse(null);
      state = PlanState.fresh(plan, UUID.randomUUID().toString(), base, clock.instant(),
          settings.targetFileSizeBytes(), config.chunkPartitions(), PlanState.hasPlan(run.cp) ? run.cp : null);
      if (!plan.isEmpty()) {
        // The plan checkpoint is not leased itself: a run that lost the table's lease must not replace the
        // holder's plan inputs, so the lease is confirmed (renewed if due) first.
        run.lease.check();
        run.planVersion = storePlanInputs(run.table, state).version();
      }
      run.write(plan.isEmpty() ? Checkpoint.Status.COMPLETED : Checkpoint.Status.PENDING, 0, state);
      if (plan.isEmpty()) {
        return run.result(CompactionResult.Outcome.NOTHING_TO_DO);
      }
      LOG.info("Planned compaction {} of {}: {} groups of {} files ({} B) in {} chunks on snapshot {}",
          state.planId, run.table, plan.groups().size(), plan.inputFiles(), plan.inputBytes(), state.chunks.size(),
          base);
    }
    while (run.cp.cursor() < state.groups.size()) {
      if (stopping) {
        throw new LifecycleException(String.format(Locale.ROOT,
            "Compaction of %s stopped at group %d of %d of plan %s: its Lifecycle is closing (the checkpoint stays"
                + " pending and the lease is released; the next run on any worker resumes there)", run.table,
            run.cp.cursor(), state.groups.size(), state.planId));
      }
      runChunk(run, t, state, state.chunkAt(run.cp.cursor()));
    }
    state.lastError = null;
    run.write(Checkpoint.Status.COMPLETED, state.groups.size(), state);
    deletePlanInputs(run.table, run.planVersion);
    return run.result(CompactionResult.Outcome.COMPLETED);
  }

  /**
   * Stores a new plan's inputs in the plan checkpoint, before the leased checkpoint names the plan. Only the
   * holder of the table's lease writes it, so a conflict means the lease was lost.
   */
  private Checkpoint storePlanInputs(TableId table, PlanState state) {
    String id = planCheckpointId(table);
    Optional<Checkpoint> current = checkpoints.get(id);
    Checkpoint base = current.orElse(Checkpoint.pending(id));
    return checkpoints.compareAndSet(base.withStatus(Checkpoint.Status.PENDING)
        .withMetadata(state.planMetadata()), base.version());
  }

  /**
   * Removes the inputs of a finished plan: at {@code version} if this run wrote or read them (no need to read the
   * whole plan back), else whatever is there. One left behind is replaced by the next plan or by cleanup.
   */
  private void deletePlanInputs(TableId table, long version) {
    String id = planCheckpointId(table);
    try {
      if (version > 0) {
        checkpoints.delete(id, version);
      } else {
        checkpoints.get(id).ifPresent(cp -> checkpoints.delete(cp.id(), cp.version()));
      }
    } catch (RuntimeException e) {
      LOG.warn("Could not remove the finished plan's inputs {} (cleanup removes them later)",
          planCheckpointId(table), e);
    }
  }

  /** A commit that failed in a way that leaves its outcome unknown; carries the original failure. */
  private static final class UnknownCommitOutcome extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient RuntimeException original;

    UnknownCommitOutcome(RuntimeException original) {
      super(original.getMessage(), original, false, false);
      this.original = original;
    }
  }

  /** The groups of a chunk as they will be rewritten this attempt. */
  private record Work(PlanState.StoredGroup group, List<DataFile> inputs) {}

  private void runChunk(Run run, CatalogTable t, PlanState state, PlanState.Chunk chunk) {
    long started = System.nanoTime();
    int retries = 0;
    while (true) {
      t.refresh();
      Map<String, DataFile> live = byLocation(t.liveFiles());
      if (alreadyCommitted(t, state, chunk, live)) {
        LOG.info("Chunk {} of compaction plan {} of {} was committed before the last run stopped;"
            + " advancing the checkpoint", chunk.id(), state.planId, run.table);
        state.chunksCompleted++;
        advance(run, state, chunk, List.of(), 0, started, true);
        return;
      }
      List<Work> work = new ArrayList<>();
      for (String gid : chunk.groupIds()) {
        if (state.completedGroupIds.contains(gid) || state.skippedGroups.containsKey(gid)) {
          continue;
        }
        PlanState.StoredGroup g = state.group(gid);
        List<DataFile> liveInputs = new ArrayList<>();
        for (PlanState.Input in : g.inputs()) {
          DataFile f = live.get(normalise(in.location()));
          if (f != null) {
            liveInputs.add(f);
          }
        }
        if (liveInputs.size() < 2) {
          String note = String.format(Locale.ROOT, "skipped: only %d of its %d inputs are still live (changed"
              + " concurrently by retention or another writer); they are planned again by the next run",
              liveInputs.size(), g.inputs().size());
          state.skippedGroups.put(gid, note);
          LOG.info("Group {} of {} {}", gid, run.table, note);
        } else {
          if (liveInputs.size() < g.inputs().size()) {
            LOG.info("Group {} of {}: {} of its {} inputs changed concurrently; rewriting the {} still live",
                gid, run.table, g.inputs().size() - liveInputs.size(), g.inputs().size(), liveInputs.size());
          }
          work.add(new Work(g, liveInputs));
        }
      }
      if (work.isEmpty()) {
        advance(run, state, chunk, List.of(), 0, started, false);
        return;
      }

      int attempt = state.attempts.merge(chunk.id(), 1, Integer::sum);
      state.outputLocations = new ArrayList<>();
      state.outputChunkId = chunk.id();
      // Each group's first output key is recorded in this one write (a group rarely needs a second output):
      // one checkpoint write per chunk rather than one per output file keeps checkpointing under 2 % of a
      // chunk's time even on a remote database.
      Map<String, String> firstKeys = new HashMap<>();
      for (Work w : work) {
        String key = outputKey(run, w.group().partition());
        firstKeys.put(w.group().id(), key);
        state.outputLocations.add(store.location(key));
      }
      run.write(Checkpoint.Status.PENDING, run.cp.cursor(), state);
      hook.at(Step.BEFORE_WRITE, chunk.id());

      List<String> keys = new ArrayList<>();
      List<Work> merged = new ArrayList<>();
      List<StreamingRewriter.Result> results = new ArrayList<>();
      List<DataFile> removed = new ArrayList<>();
      List<DataFile> added = new ArrayList<>();
      List<QuarantinedFile> quarantinedNow = new ArrayList<>();
      StreamingRewriter.Settings sizes = new StreamingRewriter.Settings(state.targetFileSizeBytes,
          config.rowGroupSizeBytes(), config.fastPathRowGroupBytes(), config.memoryBudgetBytes());
      RuntimeException failure;
      try {
        SortOrder order = t.sortOrder();
        for (Work w : work) {
          String partition = w.group().partition();
          String[] reserved = {firstKeys.get(w.group().id())};
          java.util.function.Supplier<String> nextKey = () -> {
            String key = reserved[0];
            reserved[0] = null;
            if (key == null) {
              // Recorded before the output is written, so the orphan sweeper keeps it.
              key = outputKey(run, partition);
              state.outputLocations.add(store.location(key));
              run.write(Checkpoint.Status.PENDING, run.cp.cursor(), state);
            } else {
              run.lease.check(); // stop at once if the lease was lost; renew it if a write is due
            }
            keys.add(key);
            return key;
          };
          // Inputs with the catalog's row-level deletes are rewritten by the catalog, which applies them
          // (CatalogRewrite); a table with a sort order gets sorted outputs (SortingRewriter), recorded with its id.
          StreamingRewriter.Result r = CatalogRewrite.of(t, store, w.inputs(), sizes, nextKey).orElseGet(() ->
              order.isUnsorted() ? rewriter.rewrite(run.table.path(), w.group().id(), w.inputs(), sizes, nextKey)
                  : sorter.rewrite(run.table.path(), w.group().id(), w.inputs(), sizes, nextKey, order));
          for (StreamingRewriter.Rejected q : r.quarantined()) {
            quarantinedNow.add(new QuarantinedFile(q.file().location(), q.file().partition(), q.error(),
                clock.instant()));
          }
          for (StreamingRewriter.Rejected x : r.excluded()) {
            LOG.info("Group {} of {}: {} left in place: {}", w.group().id(), run.table, x.file().location(),
                x.error());
          }
          // No outputs but merged inputs: every row was deleted (a catalog rewrite that applied row-level
          // deletes), so the inputs are removed with nothing in their place.
          if (r.outputs().isEmpty() && r.merged().isEmpty()) {
            String note = String.format(Locale.ROOT, "skipped: fewer than 2 of its %d inputs could be merged"
                + " (%d quarantined, %d left in place%s)", w.inputs().size(), r.quarantined().size(),
                r.excluded().size(), r.excluded().isEmpty() ? "" : ": " + r.excluded().get(0).error());
            state.skippedGroups.put(w.group().id(), note);
            continue;
          }
          merged.add(new Work(w.group(), r.merged()));
          results.add(r);
          removed.addAll(r.merged());
          for (StreamingRewriter.Output o : r.outputs()) {
            added.add(new DataFile(store.location(o.key()), partition, o.info().size(), o.rows(), writerId,
                clock.instant(), Map.of(), order.orderId()));
          }
        }
        hook.at(Step.AFTER_WRITE, chunk.id());
        // Quarantined before the commit: a crash in between leaves them quarantined (they are unreadable either
        // way) and the commit is recognised or redone on resume.
        quarantine(run.table, quarantinedNow);
        run.quarantined.addAll(quarantinedNow);
        // Only a run that still holds the lease commits, with at least two thirds of it left (renewed now if due):
        // a run whose lease was lost during a long step stops here, so the new holder never sees this chunk twice.
        run.lease.check();
        failure = merged.isEmpty() ? null : commit(run, t, state, chunk, attempt, merged, removed, added);
      } catch (UnknownCommitOutcome e) {
        // The outputs may be committed: keep them (the checkpoint names them) and let the next run decide.
        throw e.original;
      } catch (CheckpointConflictException lostLease) {
        // The lease is gone (or another writer moved the quarantine): nothing was committed, and the new holder
        // redoes this chunk with outputs of its own, so these are removed (the sweeper catches what remains).
        rewriter.deleteQuietly(keys);
        throw lostLease;
      } catch (RuntimeException e) {
        failure = e;
      }
      if (failure == null) {
        hook.at(Step.AFTER_COMMIT, chunk.id());
        long chunkBefore = 0;
        long chunkAfter = 0;
        int chunkOutputs = 0;
        state.chunksCompleted++;
        for (int i = 0; i < merged.size(); i++) {
          long in = merged.get(i).inputs().stream().mapToLong(DataFile::sizeBytes).sum();
          state.bytes += in;
          chunkBefore += in;
          state.rows += results.get(i).rows();
          for (StreamingRewriter.Output o : results.get(i).outputs()) {
            state.bytesAfter += o.info().size();
            chunkAfter += o.info().size();
            chunkOutputs++;
          }
        }
        count(run, merged, results);
        advance(run, state, chunk, merged, attempt, started, true);
        hook.at(Step.AFTER_CHECKPOINT, chunk.id());
        long nanos = System.nanoTime() - started;
        registry.timer("lifecycle.compaction.chunk.duration", run.tags).record(nanos, TimeUnit.NANOSECONDS);
        registry.summary("lifecycle.compaction.chunk.attempts", run.tags).record(attempt);
        int removedCount = removed.size();
        notify(run.listener, new CompactionListener.ChunkProgress(run.table, chunk.id(), state.chunks.indexOf(chunk),
            state.chunks.size(), removedCount, chunkOutputs, chunkBefore, chunkAfter, quarantinedNow.size(), attempt,
            Duration.ofNanos(nanos)));
        return;
      }

      rewriter.deleteQuietly(keys);
      boolean retryable = failure instanceof CommitConflictException || failure instanceof StorageException;
      String what = String.format(Locale.ROOT, "chunk %s (groups %s) of compaction plan %s of %s, attempt %d: %s",
          chunk.id(), String.join(",", chunk.groupIds()), state.planId, run.table, attempt, failure.getMessage());
      if (retryable && retries < config.maxChunkRetries()) {
        retries++;
        registry.counter("lifecycle.compaction.chunk.retries", run.tags).increment();
        LOG.warn("Retrying {} ({} of {} retries)", what, retries, config.maxChunkRetries());
        state.lastError = what;
        state.outputLocations = new ArrayList<>();
        state.outputChunkId = null;
        run.write(Checkpoint.Status.PENDING, run.cp.cursor(), state);
        pause(run.table, retries);
        continue;
      }
      fail(run, state, what, failure);
      if (failure instanceof CommitConflictException) {
        throw new CommitConflictException(String.format(Locale.ROOT,
            "Cannot compact %s: chunk %s still conflicts with concurrent changes after %d retries (%s);"
                + " earlier chunks stay committed, the next run re-plans from the current table",
            run.table, chunk.id(), retries, failure.getMessage()), failure);
      }
      throw failure;
    }
  }

  /**
   * Commits a chunk's replace. Returns {@code null} on success or the failure to handle. A failure other than
   * a conflict leaves it unknown whether the commit took effect, so the table is read again: if the commit is
   * visible it succeeded; if it cannot be told, the outputs must be kept and the run stops (the next run
   * recognises the commit, or re-plans).
   */
  private RuntimeException commit(Run run, CatalogTable t, PlanState state, PlanState.Chunk chunk, int attempt,
      List<Work> work, List<DataFile> removed, List<DataFile> added) {
    Map<String, String> summary = new LinkedHashMap<>();
    summary.put(SUMMARY_PLAN_ID, state.planId);
    summary.put(SUMMARY_CHUNK, chunk.id());
    summary.put(SUMMARY_GROUPS, String.join(",", work.stream().map(w -> w.group().id()).toList()));
    summary.put(SUMMARY_ATTEMPT, Integer.toString(attempt));
    summary.put(SUMMARY_WRITER, writerId);
    try {
      t.commitReplace(removed, added, summary);
      return null;
    } catch (CommitConflictException conflict) {
      return conflict;
    } catch (RuntimeException unknownOutcome) {
      boolean visible;
      try {
        t.refresh();
        visible = commitVisible(t, state.planId, chunk.id(), Integer.toString(attempt));
      } catch (RuntimeException cannotTell) {
        unknownOutcome.addSuppressed(cannotTell);
        LOG.error("Cannot tell whether chunk {} of {} committed; keeping its outputs {} (recorded in the checkpoint;"
            + " the next run recognises the commit or re-plans)", chunk.id(), run.table, state.outputLocations,
            unknownOutcome);
        throw new UnknownCommitOutcome(unknownOutcome);
      }
      if (visible) {
        LOG.warn("Commit of chunk {} of {} reported {} but took effect", chunk.id(), run.table,
            unknownOutcome.toString());
        return null;
      }
      return unknownOutcome;
    }
  }

  /** A new, unique output key in {@code partition} of the run's table. */
  private String outputKey(Run run, String partition) {
    return run.dataPrefix + partition + "/" + writerId + "-c-" + UUID.randomUUID() + ".parquet";
  }

  /**
   * Whether a chunk committed in an earlier run that stopped before checkpointing it: its commit is in the
   * table's history, or an output recorded for it is live (outputs are uniquely named and only that commit
   * adds them; a recorded key may never have been written, when its group ended up with no output).
   */
  private boolean alreadyCommitted(CatalogTable t, PlanState state, PlanState.Chunk chunk, Map<String, DataFile> live) {
    if (chunk.id().equals(state.outputChunkId)
        && state.outputLocations.stream().anyMatch(l -> live.containsKey(normalise(l)))) {
      return true;
    }
    return state.attempts.getOrDefault(chunk.id(), 0) > 0 && commitVisible(t, state.planId, chunk.id(), null);
  }

  private static boolean commitVisible(CatalogTable t, String planId, String chunkId, String attempt) {
    for (TableSnapshot s : t.snapshots()) {
      if (s.operation() == TableSnapshot.Operation.REPLACE && planId.equals(s.summary().get(SUMMARY_PLAN_ID))
          && chunkId.equals(s.summary().get(SUMMARY_CHUNK))
          && (attempt == null || attempt.equals(s.summary().get(SUMMARY_ATTEMPT)))) {
        return true;
      }
    }
    return false;
  }

  private void advance(Run run, PlanState state, PlanState.Chunk chunk, List<Work> committed, int attempt,
      long startedNanos, boolean countChunk) {
    long chunkBytes = 0;
    for (Work w : committed) {
      state.completedGroupIds.add(w.group().id());
      chunkBytes += w.group().inputBytes();
    }
    if (countChunk && committed.isEmpty()) {
      // Recognised as committed by an earlier run: every group not skipped is done.
      for (String gid : chunk.groupIds()) {
        if (!state.skippedGroups.containsKey(gid)) {
          state.completedGroupIds.add(gid);
        }
      }
    }
    if (countChunk) {
      state.addHistory(chunk.id(), chunkBytes, Math.max(attempt, state.attempts.getOrDefault(chunk.id(), 0)),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos), clock.instant());
    }
    state.outputLocations = new ArrayList<>();
    state.outputChunkId = null;
    run.write(Checkpoint.Status.PENDING, chunk.end(), state);
  }

  private void count(Run run, List<Work> work, List<StreamingRewriter.Result> results) {
    long inFiles = 0;
    long inBytes = 0;
    for (Work w : work) {
      inFiles += w.inputs().size();
      for (DataFile f : w.inputs()) {
        inBytes += f.sizeBytes();
      }
    }
    run.groups += work.size();
    run.filesRemoved += (int) inFiles;
    run.bytesBefore += inBytes;
    int paged = 0;
    int decoded = 0;
    int copied = 0;
    for (StreamingRewriter.Result r : results) {
      paged += r.rowGroups().paged();
      decoded += r.rowGroups().decoded();
      copied += r.rowGroups().copied();
      run.filesAdded += r.outputs().size();
      for (StreamingRewriter.Output o : r.outputs()) {
        run.bytesAfter += o.info().size();
      }
      run.rows += r.rows();
    }
    run.chunks++;
    registry.counter("lifecycle.compaction.chunks", run.tags).increment();
    registry.counter("lifecycle.compaction.files.compacted", run.tags).increment(inFiles);
    registry.counter("lifecycle.compaction.bytes.compacted", run.tags).increment(inBytes);
    registry.counter("lifecycle.compaction.row.groups", run.tags.and("path", "paged")).increment(paged);
    registry.counter("lifecycle.compaction.row.groups", run.tags.and("path", "decoded")).increment(decoded);
    registry.counter("lifecycle.compaction.row.groups", run.tags.and("path", "copied")).increment(copied);
  }

  /** A listener that throws is logged and ignored: progress reporting never breaks a run. */
  private static void notify(CompactionListener listener, CompactionListener.ChunkProgress progress) {
    try {
      listener.onChunk(progress);
    } catch (RuntimeException e) {
      LOG.warn("Compaction listener {} failed on {} (ignored; the run goes on)", listener, progress, e);
    }
  }

  private void fail(Run run, PlanState state, String what, RuntimeException failure) {
    LOG.error("Compaction of {} failed: {}", run.table, what, failure);
    state.lastError = what;
    state.outputLocations = new ArrayList<>();
    state.outputChunkId = null;
    try {
      run.write(Checkpoint.Status.FAILED, run.cp.cursor(), state);
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  private void pause(TableId table, int retry) {
    try {
      backoff.pause(retry);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LifecycleException(String.format(Locale.ROOT,
          "Compaction of %s was interrupted while waiting to retry a chunk (its checkpoint stays pending;"
              + " rerun to resume)", table), e);
    }
  }

  private Map<String, DataFile> byLocation(List<DataFile> files) {
    Map<String, DataFile> m = new HashMap<>();
    for (DataFile f : files) {
      m.put(normalise(f.location()), f);
    }
    return m;
  }

  /** The store key of a location, so that equivalent spellings of one object compare equal. */
  private String normalise(String location) {
    return store.keyOf(location).orElse(location);
  }
}
