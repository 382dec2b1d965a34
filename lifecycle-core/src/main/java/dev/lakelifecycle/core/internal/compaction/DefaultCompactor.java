package dev.lakelifecycle.core.internal.compaction;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionAction;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.compaction.CompactionStatus;
import dev.lakelifecycle.api.compaction.Compactor;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.LifecycleConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
 * The compaction engine: plans per partition (see {@link CompactionPlanner}), then rewrites the plan's groups
 * in chunks of up to {@code compaction.chunk-partitions} groups, one catalog replace commit and one checkpoint
 * write per chunk (the Timestore runbook's chunked, resumable compaction).
 *
 * <p><b>Checkpoint.</b> Id {@code compaction/<tenant>/<dataset>/<table>}; layout in {@link PlanState}. A run
 * takes the checkpoint's lease (5 minutes, renewed by every checkpoint write, including one after each rewritten
 * group), so replicas never compact one table at once; a run that finds the lease held by another owner does
 * nothing and returns an empty result. A {@code PENDING} plan is resumed at its cursor with its stored settings;
 * otherwise a fresh plan is made and stored.
 *
 * <p><b>Crash safety.</b> Output locations are recorded in the checkpoint before they are written (the orphan
 * sweeper keeps them). Each chunk's commit summary carries the plan id and chunk id, so a chunk that committed
 * just before a crash is recognised on resume (its commit is visible, or its recorded outputs are live) and not
 * redone. A chunk whose inputs changed concurrently is re-planned from the still-live inputs; groups left with
 * fewer than two are skipped with a note. A conflicting commit leaves the table unchanged; the outputs are
 * deleted and the chunk is retried, up to {@code compaction.max-chunk-retries} times with a short backoff.
 *
 * <p><b>Metrics</b> (tags {@code tenant}, {@code dataset}, {@code table}): {@code lifecycle.compaction.runs},
 * {@code .failures}, {@code .files.compacted}, {@code .bytes.compacted}, {@code .chunks}, {@code .chunk.retries}
 * (counters) and {@code lifecycle.compaction.duration} (timer).
 *
 * <p>Thread-safe; concurrent runs on different tables proceed independently.
 */
public final class DefaultCompactor implements Compactor {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultCompactor.class);

  /** How long a run's lease lasts without a checkpoint write. */
  static final Duration LEASE_TTL = Duration.ofMinutes(5);

  /** Summary keys of each chunk's replace commit. */
  static final String SUMMARY_PLAN_ID = "compaction.plan-id";
  static final String SUMMARY_CHUNK = "compaction.chunk";
  static final String SUMMARY_GROUPS = "compaction.groups";
  static final String SUMMARY_ATTEMPT = "compaction.attempt";
  static final String SUMMARY_WRITER = "compaction.writer-id";

  private final ObjectStore store;
  private final TableCatalog catalog;
  private final CheckpointStore checkpoints;
  private final LifecycleConfig.Compaction config;
  private final Clock clock;
  private final MeterRegistry registry;
  private final String writerId;
  private final ChunkBackoff backoff;
  private final GroupRewriter rewriter;
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
    this.rewriter = new GroupRewriter(store);
  }

  @Override
  public CompactionAction compact(TableId table) {
    return new Action(Objects.requireNonNull(table, "table"));
  }

  @Override
  public CompactionStatus status(TableId table) {
    Optional<Checkpoint> found = checkpoints.get(checkpointId(table));
    if (found.isEmpty()) {
      return new CompactionStatus(table, CompactionStatus.State.IDLE, 0, 0, 0, null, null);
    }
    Checkpoint cp = found.get();
    if (!PlanState.hasPlan(cp)) {
      // Only a lease was ever taken: no plan has been stored.
      return new CompactionStatus(table, CompactionStatus.State.IDLE, 0, 0, 0, null, cp.updatedAt());
    }
    CompactionStatus.State state = switch (cp.status()) {
      case PENDING -> CompactionStatus.State.PENDING;
      case COMPLETED -> CompactionStatus.State.COMPLETED;
      case FAILED -> CompactionStatus.State.FAILED;
    };
    Object lastError = cp.stats().get("lastError");
    return new CompactionStatus(table, state, cp.cursor(), PlanState.totalGroups(cp),
        (int) PlanState.num(cp.stats().get("chunksCompleted")), lastError == null ? null : lastError.toString(),
        cp.updatedAt());
  }

  static String checkpointId(TableId table) {
    return "compaction/" + table.path();
  }

  /** One configured compaction; each setter may be called once. */
  private final class Action implements CompactionAction {
    private final TableId table;
    private Long target;
    private Integer minInputFiles;
    private Duration maxWait;
    private Boolean force;

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
          maxWait != null ? maxWait : config.maxWait(),
          force != null && force);
    }

    @Override
    public CompactionPlan plan() {
      return planOn(catalog.loadTable(table), settings());
    }

    @Override
    public CompactionResult execute() {
      return run(table, settings());
    }
  }

  private CompactionPlan planOn(CatalogTable t, CompactionPlanner.Settings settings) {
    return CompactionPlanner.plan(t.id(), t.liveFiles(), settings, clock.instant(), this::schemaOf);
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
    final Tags tags;
    Checkpoint cp;
    boolean resumed;
    int groups;
    int filesRemoved;
    int filesAdded;
    long bytesBefore;
    long bytesAfter;
    long rows;
    int chunks;

    Run(TableId table, Checkpoint cp) {
      this.table = table;
      this.cp = cp;
      this.tags = Tags.of("tenant", table.tenant(), "dataset", table.dataset(), "table", table.table());
    }

    CompactionResult result() {
      return new CompactionResult(table, resumed, groups, filesRemoved, filesAdded, bytesBefore, bytesAfter, rows,
          chunks);
    }

    /** Writes the checkpoint under the lease; the state is copied, so later changes do not alias it. */
    void write(Checkpoint.Status status, int cursor, PlanState state) {
      cp = checkpoints.writeUnderLease(cp.withStatus(status).withCursor(cursor).withMetadata(state.metadata())
          .withStats(state.stats()), LEASE_TTL, clock.instant());
    }
  }

  private CompactionResult run(TableId table, CompactionPlanner.Settings settings) {
    long started = System.nanoTime();
    Tags tags = Tags.of("tenant", table.tenant(), "dataset", table.dataset(), "table", table.table());
    if (!running.add(table)) {
      LOG.info("Compaction of {} is already running in this instance ({}); this run does nothing", table, writerId);
      return new CompactionResult(table, false, 0, 0, 0, 0, 0, 0, 0);
    }
    String id = checkpointId(table);
    try {
      Optional<Checkpoint> leased = checkpoints.tryAcquireLease(id, writerId, LEASE_TTL, clock.instant());
      if (leased.isEmpty()) {
        String holder = checkpoints.get(id).map(Checkpoint::leaseOwner).orElse("another worker");
        LOG.info("Compaction of {} skipped: its checkpoint {} is leased by {} (it resumes there)", table, id, holder);
        return new CompactionResult(table, false, 0, 0, 0, 0, 0, 0, 0);
      }
      registry.counter("lifecycle.compaction.runs", tags).increment();
      Run run = new Run(table, leased.get());
      try {
        CompactionResult result = execute(run, settings);
        LOG.info("Compacted {}: {}", table, result);
        return result;
      } catch (RuntimeException e) {
        registry.counter("lifecycle.compaction.failures", tags).increment();
        throw e;
      } finally {
        try {
          checkpoints.releaseLease(id, writerId);
        } catch (RuntimeException e) {
          LOG.warn("Could not release the compaction lease on {} (it lapses after {})", id, LEASE_TTL, e);
        }
      }
    } finally {
      running.remove(table);
      registry.timer("lifecycle.compaction.duration", tags).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }
  }

  private CompactionResult execute(Run run, CompactionPlanner.Settings settings) {
    CatalogTable t = catalog.loadTable(run.table);
    PlanState state;
    if (run.cp.status() == Checkpoint.Status.PENDING && PlanState.hasPlan(run.cp)) {
      state = PlanState.from(run.cp);
      run.resumed = true;
      LOG.info("Resuming compaction plan {} of {} at group {} of {}", state.planId, run.table, run.cp.cursor(),
          state.groups.size());
    } else {
      CompactionPlan plan = planOn(t, settings);
      Long base = t.currentSnapshot().map(TableSnapshot::snapshotId).orElse(null);
      state = PlanState.fresh(plan, UUID.randomUUID().toString(), base, clock.instant(),
          settings.targetFileSizeBytes(), config.chunkPartitions(), PlanState.hasPlan(run.cp) ? run.cp : null);
      run.write(plan.isEmpty() ? Checkpoint.Status.COMPLETED : Checkpoint.Status.PENDING, 0, state);
      if (plan.isEmpty()) {
        return run.result();
      }
      LOG.info("Planned compaction {} of {}: {} groups of {} files ({} B) in {} chunks on snapshot {}",
          state.planId, run.table, plan.groups().size(), plan.inputFiles(), plan.inputBytes(), state.chunks.size(),
          base);
    }
    while (run.cp.cursor() < state.groups.size()) {
      runChunk(run, t, state, state.chunkAt(run.cp.cursor()));
    }
    state.lastError = null;
    run.write(Checkpoint.Status.COMPLETED, state.groups.size(), state);
    return run.result();
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
      List<String> keys = new ArrayList<>();
      List<String> locations = new ArrayList<>();
      for (Work w : work) {
        String key = run.table.path() + "/data/" + w.group().partition() + "/" + writerId + "-c-"
            + UUID.randomUUID() + ".parquet";
        keys.add(key);
        locations.add(store.location(key));
      }
      // Recorded before anything is written, so the orphan sweeper keeps in-flight outputs.
      state.outputLocations = locations;
      state.outputChunkId = chunk.id();
      run.write(Checkpoint.Status.PENDING, run.cp.cursor(), state);

      List<GroupRewriter.Output> outputs = new ArrayList<>();
      List<DataFile> removed = new ArrayList<>();
      List<DataFile> added = new ArrayList<>();
      RuntimeException failure;
      try {
        for (int i = 0; i < work.size(); i++) {
          Work w = work.get(i);
          GroupRewriter.Output out = rewriter.rewrite(run.table.path(), w.group().id(), w.inputs(), keys.get(i));
          outputs.add(out);
          removed.addAll(w.inputs());
          added.add(new DataFile(store.location(out.key()), w.group().partition(), out.info().size(), out.rows(),
              writerId, clock.instant(), Map.of()));
          // A heartbeat: renews the lease, so a long chunk is not taken over by another replica.
          run.write(Checkpoint.Status.PENDING, run.cp.cursor(), state);
        }
        failure = commit(run, t, state, chunk, attempt, work, removed, added);
      } catch (UnknownCommitOutcome e) {
        // The outputs may be committed: keep them (the checkpoint names them) and let the next run decide.
        throw e.original;
      } catch (RuntimeException e) {
        failure = e;
      }
      if (failure == null) {
        state.chunksCompleted++;
        for (int i = 0; i < work.size(); i++) {
          state.bytes += work.get(i).group().inputBytes();
          state.rows += outputs.get(i).rows();
          state.bytesAfter += outputs.get(i).info().size();
        }
        count(run, work, outputs);
        advance(run, state, chunk, work, attempt, started, true);
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

  /**
   * Whether a chunk committed in an earlier run that stopped before checkpointing it: its commit is in the
   * table's history, or the outputs recorded for it are live (outputs are uniquely named and only that
   * commit adds them).
   */
  private boolean alreadyCommitted(CatalogTable t, PlanState state, PlanState.Chunk chunk, Map<String, DataFile> live) {
    if (chunk.id().equals(state.outputChunkId) && !state.outputLocations.isEmpty()
        && state.outputLocations.stream().allMatch(l -> live.containsKey(normalise(l)))) {
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

  private void count(Run run, List<Work> work, List<GroupRewriter.Output> outputs) {
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
    run.filesAdded += outputs.size();
    run.bytesBefore += inBytes;
    for (GroupRewriter.Output o : outputs) {
      run.bytesAfter += o.info().size();
      run.rows += o.rows();
    }
    run.chunks++;
    registry.counter("lifecycle.compaction.chunks", run.tags).increment();
    registry.counter("lifecycle.compaction.files.compacted", run.tags).increment(inFiles);
    registry.counter("lifecycle.compaction.bytes.compacted", run.tags).increment(inBytes);
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
