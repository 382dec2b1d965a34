package dev.lakelifecycle.core.catalog;

import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.NoSuchTableException;
import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.catalog.Metadata.ExpiredKeys;
import dev.lakelifecycle.core.catalog.Metadata.Manifest;
import dev.lakelifecycle.core.catalog.Metadata.ManifestRef;
import dev.lakelifecycle.core.catalog.Metadata.SnapshotEntry;
import dev.lakelifecycle.core.catalog.Metadata.VersionDoc;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A handle on one table of a {@link ManifestCatalog}. Reads come from the state the handle last loaded;
 * commits are serialised per handle and race other handles and processes through create-if-absent
 * writes of the next version document (see {@code package-info.java}).
 */
final class ManifestTable implements CatalogTable {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestTable.class);

  static final String ADDED_FILES = "added-files";
  static final String ADDED_RECORDS = "added-records";
  static final String REMOVED_FILES = "removed-files";
  static final String REMOVED_RECORDS = "removed-records";
  static final String REMOVED_PARTITIONS = "removed-partitions";
  static final String TOTAL_FILES = "total-files";
  static final String TOTAL_RECORDS = "total-records";

  private final ManifestCatalog catalog;
  private final MetadataStore meta;
  private final ObjectStore store;
  private final Clock clock;
  private final CommitPolicy policy;
  private final TableId id;
  private final String tablePrefix;
  private final String metaPrefix;
  private final AtomicReference<TableState> state;

  ManifestTable(ManifestCatalog catalog, MetadataStore meta, Clock clock, CommitPolicy policy, TableState initial) {
    this.catalog = catalog;
    this.meta = meta;
    this.store = meta.store();
    this.clock = clock;
    this.policy = policy;
    this.id = initial.doc.table();
    this.tablePrefix = MetadataStore.tablePrefix(id);
    this.metaPrefix = MetadataStore.metaKey(id, "");
    this.state = new AtomicReference<>(initial);
  }

  // ---- reads -----------------------------------------------------------------------------------

  @Override
  public TableId id() {
    return id;
  }

  @Override
  public String location() {
    return meta.tableLocation(id);
  }

  @Override
  public TableSchema schema() {
    return state.get().doc.schema();
  }

  @Override
  public PartitionSpec partitionSpec() {
    return state.get().doc.spec();
  }

  @Override
  public Optional<TableSnapshot> currentSnapshot() {
    return state.get().current();
  }

  @Override
  public List<TableSnapshot> snapshots() {
    return state.get().snapshots();
  }

  @Override
  public List<DataFile> liveFiles() {
    return state.get().liveFiles;
  }

  @Override
  public void refresh() {
    catalog.ensureOpen();
    advance(reload(state.get()));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Looks in this handle's state first; on a miss, in the latest committed version (without moving
   * this handle), so that a stager recovering from a crash sees appends committed by any process.
   */
  @Override
  public Optional<TableSnapshot> findAppend(String commitKey) {
    Objects.requireNonNull(commitKey, "commitKey");
    catalog.ensureOpen();
    TableState s = state.get();
    Optional<TableSnapshot> found = lookupAppend(s, commitKey);
    if (found.isPresent()) {
      return found;
    }
    TableState latest = reload(s);
    return latest.version() == s.version() ? Optional.empty() : lookupAppend(latest, commitKey);
  }

  private Optional<TableSnapshot> lookupAppend(TableState s, String commitKey) {
    TableSnapshot retained = s.appendKeys().get(commitKey);
    if (retained != null) {
      return Optional.of(retained);
    }
    return Optional.ofNullable(expiredKeys(s).byKey().get(commitKey));
  }

  private ExpiredKeys expiredKeys(TableState s) {
    return s.doc.expiredKeys() == null ? ExpiredKeys.NONE : meta.expiredKeys(id, s.doc.expiredKeys(), false);
  }

  @Override
  public Set<String> referencedLocations() {
    catalog.ensureOpen();
    return Collections.unmodifiableSet(meta.referencedLocations(id));
  }

  /** Streams the valid set manifest by manifest (see {@link CatalogTable#forEachReferencedLocation}). */
  @Override
  public void forEachReferencedLocation(Consumer<String> action) {
    Objects.requireNonNull(action, "action");
    catalog.ensureOpen();
    meta.forEachReferencedLocation(id, action);
  }

  // ---- commits ---------------------------------------------------------------------------------

  @Override
  public TableSnapshot commitAppend(String commitKey, List<DataFile> files) {
    Objects.requireNonNull(commitKey, "commitKey");
    Objects.requireNonNull(files, "files");
    if (commitKey.isBlank()) {
      throw new IllegalArgumentException("Cannot append to " + id + ": the commit key is blank; pass a key "
          + "unique per logical append, e.g. the flushed range of batches");
    }
    Map<String, DataFile> added = validateNew("append to", files);
    return commit("append " + commitKey, (base, ctx) -> {
      Optional<TableSnapshot> earlier = lookupAppend(base, commitKey);
      if (earlier.isPresent()) {
        LOG.debug("Append {} to {} was committed before as snapshot {}; not committing again", commitKey, id,
            earlier.get().snapshotId());
        return new Outcome<>(earlier.get(), null);
      }
      rejectAlreadyLive(base, added, "append to");
      Map<String, List<DataFile>> changed = new TreeMap<>();
      long records = 0;
      for (DataFile f : added.values()) {
        changed.computeIfAbsent(f.partition(), p -> new ArrayList<>(base.files.getOrDefault(p, List.of()))).add(f);
        records += f.recordCount();
      }
      Map<String, String> summary = new LinkedHashMap<>();
      summary.put(TableSnapshot.COMMIT_KEY, commitKey);
      summary.put(ADDED_FILES, Integer.toString(added.size()));
      summary.put(ADDED_RECORDS, Long.toString(records));
      TableState next = withFiles(base, ctx, TableSnapshot.Operation.APPEND, summary, changed);
      return new Outcome<>(next.current().orElseThrow(), next);
    });
  }

  @Override
  public TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
      Map<String, String> summary) {
    Objects.requireNonNull(removed, "removed");
    Objects.requireNonNull(added, "added");
    Map<String, String> userSummary = summary == null ? Map.of() : Map.copyOf(summary);
    if (removed.isEmpty() && added.isEmpty()) {
      throw new IllegalArgumentException("Cannot replace files in " + id
          + ": both the removed and the added files are empty; there is nothing to commit");
    }
    Map<String, DataFile> toRemove = new LinkedHashMap<>();
    for (DataFile f : removed) {
      Objects.requireNonNull(f, "removed file");
      if (toRemove.put(meta.normalise(f.location()), f) != null) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Cannot replace files in %s: file %s is listed twice among the removed files", id, f.location()));
      }
    }
    Map<String, DataFile> toAdd = validateNew("replace files in", added);
    for (String key : toAdd.keySet()) {
      if (toRemove.containsKey(key)) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Cannot replace files in %s: file %s is both removed and added", id, store.location(key)));
      }
    }
    TableState planned = state.get();
    return commit("replace", (base, ctx) -> {
      Map<String, DataFile> live = base.byKey(meta::normalise);
      for (Map.Entry<String, DataFile> r : toRemove.entrySet()) {
        if (!live.containsKey(r.getKey())) {
          throw new CommitConflictException(String.format(Locale.ROOT,
              "Cannot commit to %s: file %s is no longer live%s (re-plan and retry)", id, r.getValue().location(),
              removedBy(planned, base, r.getValue())));
        }
      }
      rejectAlreadyLive(base, toAdd, "replace files in");
      Map<String, List<DataFile>> changed = new TreeMap<>();
      Set<String> removedLocations = new HashSet<>();
      long removedRecords = 0;
      for (DataFile f : toRemove.values()) {
        DataFile liveFile = live.get(meta.normalise(f.location()));
        // Remove the live record (the caller's copy may spell the location differently).
        removedLocations.add(liveFile.location());
        removedRecords += liveFile.recordCount();
        changed.computeIfAbsent(liveFile.partition(), p -> new ArrayList<>(base.files.get(p)));
      }
      for (List<DataFile> files : changed.values()) {
        files.removeIf(f -> removedLocations.contains(f.location()));
      }
      long addedRecords = 0;
      for (DataFile f : toAdd.values()) {
        changed.computeIfAbsent(f.partition(), p -> new ArrayList<>(base.files.getOrDefault(p, List.of()))).add(f);
        addedRecords += f.recordCount();
      }
      Map<String, String> s = new LinkedHashMap<>(userSummary);
      s.remove(TableSnapshot.COMMIT_KEY);
      s.put(REMOVED_FILES, Integer.toString(toRemove.size()));
      s.put(REMOVED_RECORDS, Long.toString(removedRecords));
      s.put(ADDED_FILES, Integer.toString(toAdd.size()));
      s.put(ADDED_RECORDS, Long.toString(addedRecords));
      TableState next = withFiles(base, ctx, TableSnapshot.Operation.REPLACE, s, changed);
      return new Outcome<>(next.current().orElseThrow(), next);
    });
  }

  @Override
  public Optional<TableSnapshot> commitDropPartitions(Collection<String> partitions) {
    Objects.requireNonNull(partitions, "partitions");
    Set<String> wanted = new TreeSet<>();
    for (String p : partitions) {
      try {
        PartitionSpec.startOf(p);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("Cannot drop partitions of " + id + ": " + e.getMessage(), e);
      }
      wanted.add(p);
    }
    return commit("drop partitions", (base, ctx) -> {
      Map<String, List<DataFile>> changed = new TreeMap<>();
      long files = 0;
      long records = 0;
      for (String p : wanted) {
        List<DataFile> live = base.files.get(p);
        if (live != null) {
          changed.put(p, List.of());
          files += live.size();
          records += live.stream().mapToLong(DataFile::recordCount).sum();
        }
      }
      if (changed.isEmpty()) {
        return new Outcome<Optional<TableSnapshot>>(Optional.empty(), null);
      }
      Map<String, String> s = new LinkedHashMap<>();
      s.put(REMOVED_PARTITIONS, String.join(",", changed.keySet()));
      s.put(REMOVED_FILES, Long.toString(files));
      s.put(REMOVED_RECORDS, Long.toString(records));
      TableState next = withFiles(base, ctx, TableSnapshot.Operation.DELETE, s, changed);
      return new Outcome<>(next.current(), next);
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>Writes a version document with the new schema and a {@code schema-id} one higher, the same snapshots and
   * the same current snapshot; no manifest is written. Re-applied on the latest version after a lost race, so
   * a column another writer added first is skipped (same definition) or refused (another definition).
   */
  @Override
  public TableSchema addColumns(List<TableSchema.Column> columns) {
    List<TableSchema.Column> added = List.copyOf(Objects.requireNonNull(columns, "columns"));
    if (added.isEmpty()) {
      return schema();
    }
    String names = added.stream().map(TableSchema.Column::name).collect(Collectors.joining(", "));
    return commit("add columns " + names, (base, ctx) -> {
      TableSchema current = base.doc.schema();
      TableSchema next;
      try {
        next = current.withAddedColumns(added);
      } catch (SchemaMismatchException e) {
        throw new SchemaMismatchException(String.format(Locale.ROOT, "Cannot evolve the schema of %s: %s", id,
            e.getMessage()), e);
      }
      if (next == current) {
        return new Outcome<>(current, null);
      }
      VersionDoc doc = new VersionDoc(ctx.version, ctx.commitId, base.doc.commitId(), ctx.now, id, next,
          base.doc.schemaId() + 1, base.doc.spec(), base.currentId(), base.doc.snapshots(), base.doc.expiredKeys());
      return new Outcome<>(next, TableState.ofSorted(doc, base.manifests, base.files, base.byKeyIfBuilt()));
    });
  }

  /** The id of the schema this handle shows: 0 at creation, one more per schema change. */
  int schemaId() {
    return state.get().doc.schemaId();
  }

  @Override
  public List<TableSnapshot> expireSnapshots(int retainLast, Instant olderThan, Set<Long> pinned) {
    if (retainLast < 1) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Cannot expire snapshots of %s: retainLast is %d, it must be at least 1 (the current snapshot is always "
              + "kept)", id, retainLast));
    }
    Objects.requireNonNull(olderThan, "olderThan");
    Set<Long> keep = Set.copyOf(Objects.requireNonNull(pinned, "pinned"));
    return commit("expire snapshots", (base, ctx) -> {
      List<SnapshotEntry> all = base.doc.snapshots();
      List<SnapshotEntry> retained = new ArrayList<>();
      List<TableSnapshot> expired = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        SnapshotEntry e = all.get(i);
        boolean newest = i >= all.size() - retainLast;
        boolean current = Objects.equals(base.currentId(), e.id());
        if (newest || current || keep.contains(e.id()) || !e.snapshot().committedAt().isBefore(olderThan)) {
          retained.add(e);
        } else {
          expired.add(e.snapshot());
        }
      }
      if (expired.isEmpty()) {
        return new Outcome<List<TableSnapshot>>(List.of(), null);
      }
      String keysName = base.doc.expiredKeys();
      List<TableSnapshot> forgotten = expired.stream()
          .filter(s -> s.operation() == TableSnapshot.Operation.APPEND && s.summary().containsKey(TableSnapshot.COMMIT_KEY))
          .toList();
      if (!forgotten.isEmpty()) {
        List<TableSnapshot> remembered = new ArrayList<>(expiredKeys(base).appends());
        remembered.addAll(forgotten);
        remembered.sort(Comparator.comparingLong(TableSnapshot::snapshotId));
        if (remembered.size() > policy.rememberedKeys()) {
          remembered = remembered.subList(remembered.size() - policy.rememberedKeys(), remembered.size());
        }
        keysName = ctx.stage("keys-", MetadataJson.writeExpiredKeys(ExpiredKeys.of(remembered)));
      }
      VersionDoc doc = new VersionDoc(ctx.version, ctx.commitId, base.doc.commitId(), ctx.now, id, base.doc.schema(),
          base.doc.schemaId(), base.doc.spec(),
          base.currentId(), retained, keysName);
      return new Outcome<>(List.copyOf(expired),
          TableState.ofSorted(doc, base.manifests, base.files, base.byKeyIfBuilt()));
    });
  }

  // ---- commit machinery ------------------------------------------------------------------------

  /** What one attempt of a change produced: the caller's result and the next state, or none to commit. */
  private record Outcome<R>(R result, TableState next) {}

  /** One logical change, re-applied to a newer base after each lost race. */
  @FunctionalInterface
  private interface Change<R> {
    Outcome<R> apply(TableState base, Attempt ctx);
  }

  /** One attempt at committing: the version it tries, a unique id, and the objects it must write first. */
  private static final class Attempt {
    final long version;
    final String commitId = UUID.randomUUID().toString();
    final Instant now;
    final Map<String, byte[]> objects = new LinkedHashMap<>();

    Attempt(long version, Instant now) {
      this.version = version;
      this.now = now;
    }

    /** Registers a new immutable object and returns its name (relative to {@code _lifecycle/}). */
    String stage(String prefix, byte[] content) {
      String name = prefix + UUID.randomUUID() + ".json";
      objects.put(name, content);
      return name;
    }
  }

  private record Pending<R>(long version, Outcome<R> outcome) {}

  /**
   * Applies {@code change} to the latest state and commits it with a create-if-absent write of the next
   * version document, re-applying it on top of whatever won when another writer got there first.
   *
   * <p>A write that fails ambiguously (a timeout after the object landed, or a 412 answering the retry
   * of a request that had succeeded) is remembered by its commit id; each later reload checks whether a
   * version carrying one of those ids exists before anything is committed again, so a landed attempt is
   * never applied twice.
   */
  private synchronized <R> R commit(String what, Change<R> change) {
    catalog.ensureOpen();
    Map<String, Pending<R>> unresolved = new HashMap<>();
    TableState base = state.get();
    StorageException lastStorageFailure = null;
    for (int attempt = 1; ; attempt++) {
      Pending<R> landed = landed(base, unresolved);
      if (landed != null) {
        advance(base);
        return landed.outcome().result();
      }
      Attempt ctx = new Attempt(base.version() + 1, clock.instant());
      Outcome<R> outcome = change.apply(base, ctx);
      if (outcome.next() == null) {
        advance(base);
        return outcome.result();
      }
      catalog.writeAll(id, ctx.objects);
      try {
        meta.putVersion(outcome.next().doc);
        if (!landedBehindNewerHistory(ctx)) {
          advance(outcome.next());
          LOG.debug("Committed {} to {} as version {} (attempt {})", what, id, ctx.version, attempt);
          return outcome.result();
        }
        lastStorageFailure = null;
        LOG.warn("Version {} of {} had been swept as superseded before this handle wrote it again; the write is "
            + "withdrawn and {} re-applied on the latest version", ctx.version, id, what);
      } catch (PreconditionFailedException e) {
        lastStorageFailure = null;
        unresolved.put(ctx.commitId, new Pending<>(ctx.version, outcome));
        LOG.debug("Commit of {} to {} lost the race for version {} (attempt {}); re-applying on the latest",
            what, id, ctx.version, attempt);
      } catch (StorageException e) {
        lastStorageFailure = e;
        unresolved.put(ctx.commitId, new Pending<>(ctx.version, outcome));
        if (!e.isRetryable()) {
          TableState latest = reload(base);
          landed = landed(latest, unresolved);
          if (landed != null) {
            advance(latest);
            return landed.outcome().result();
          }
          throw new StorageException(String.format(Locale.ROOT,
              "Cannot commit %s to %s: writing version %s failed (%s); the commit did not land and the table is "
                  + "unchanged", what, id, meta.location(id, MetadataStore.versionName(ctx.version)), e.getMessage()),
              e, false);
        }
        LOG.warn("Writing version {} of {} failed ambiguously ({}); checking whether it landed before retrying",
            ctx.version, id, e.getMessage());
      }
      if (attempt >= policy.maxAttempts()) {
        TableState latest = reload(base);
        landed = landed(latest, unresolved);
        if (landed != null) {
          advance(latest);
          return landed.outcome().result();
        }
        if (lastStorageFailure != null) {
          throw new StorageException(String.format(Locale.ROOT,
              "Cannot commit %s to %s: writing the next version failed on attempt %d of %d (%s); the commit did "
                  + "not land and the table is unchanged; retry when the store recovers",
              what, id, attempt, policy.maxAttempts(), lastStorageFailure.getMessage()), lastStorageFailure, true);
        }
        throw new CommitConflictException(String.format(Locale.ROOT,
            "Cannot commit %s to %s: other writers committed first on each of %d attempts (latest version %d); "
                + "retry later, or reduce the number of concurrent writers to this table",
            what, id, attempt, latest.version()));
      }
      pause(attempt);
      base = reload(base);
    }
  }

  /**
   * Whether the version just written landed behind a newer history, and was withdrawn. Create-if-absent of
   * {@code v<N+1>} proves nothing when {@code v<N+1>} existed once and was deleted by the orphan sweeper
   * (old versions are unreferenced): a handle that is stale by many commits would "commit" a version that
   * no reader ever takes, since readers take the newest, and its change would be lost silently. So after
   * every write, the first newer version, if any, must have been built on this write; otherwise the write
   * is deleted again (nobody references it) and the commit is re-applied on the latest version.
   */
  private boolean landedBehindNewerHistory(Attempt ctx) {
    return withdrawnAsGhost(ctx.version, ctx.commitId);
  }

  /** See {@link #landedBehindNewerHistory}: deletes and reports a version of ours that no successor built on. */
  private boolean withdrawnAsGhost(long version, String commitId) {
    OptionalLong next = meta.firstVersionAfter(id, version);
    if (next.isEmpty()) {
      return false;
    }
    String parent;
    try {
      parent = meta.readVersion(id, next.getAsLong()).parentCommitId();
    } catch (ObjectNotFoundException e) {
      parent = null; // swept too: it is older still than the newest versions, so not built on this write
    }
    if (commitId.equals(parent)) {
      return false;
    }
    meta.deleteVersion(id, version);
    return true;
  }

  /** The pending attempt that became a version in {@code latest}'s history, if any; forgets those that did not. */
  private <R> Pending<R> landed(TableState latest, Map<String, Pending<R>> unresolved) {
    if (unresolved.isEmpty()) {
      return null;
    }
    Map<Long, String> idsByVersion = new HashMap<>();
    for (Pending<R> p : new ArrayList<>(unresolved.values())) {
      if (p.version() > latest.version()) {
        continue;
      }
      String winner = idsByVersion.computeIfAbsent(p.version(), v -> commitIdOf(latest, v));
      Pending<R> ours = winner == null ? null : unresolved.get(winner);
      if (ours != null && (ours.version() == latest.version() || !withdrawnAsGhost(ours.version(), winner))) {
        LOG.info("Commit to {} landed as version {} although its write reported a failure", id, ours.version());
        return ours;
      }
      unresolved.values().removeIf(q -> q.version() == p.version());
    }
    return null;
  }

  private String commitIdOf(TableState latest, long version) {
    if (version == latest.version()) {
      return latest.doc.commitId();
    }
    try {
      return meta.readVersion(id, version).commitId();
    } catch (ObjectNotFoundException e) {
      // Versions are only deleted by the sweeper long after they stop being the newest two; one that
      // vanished within a single commit was not ours to lose.
      LOG.warn("Version {} of {} vanished before it could be checked: {}", version, id, e.getMessage());
      return null;
    }
  }

  private TableState reload(TableState base) {
    TableState latest = meta.loadLatest(id, base.version());
    if (latest == null) {
      throw new NoSuchTableException(String.format(Locale.ROOT,
          "Table %s no longer exists: no version document under %s; create it again", id, meta.metadataLocation(id)));
    }
    return latest;
  }

  /** Makes {@code s} this handle's state unless a newer one is already there. */
  private void advance(TableState s) {
    state.accumulateAndGet(s, (old, candidate) -> candidate.version() >= old.version() ? candidate : old);
  }

  private void pause(int attempt) {
    long ceiling = Math.min(policy.maxBackoff().toNanos(), policy.baseBackoff().toNanos() << Math.min(attempt - 1, 20));
    long nanos = ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LifecycleException(String.format(Locale.ROOT,
          "Cannot commit to %s: interrupted while waiting to retry after a concurrent commit; refresh the table "
              + "to see whether the commit landed", id), e);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /**
   * The next state after replacing the live files of the {@code changed} partitions (an empty list
   * drops the partition): new manifests for those partitions, a new manifest list, a new snapshot.
   */
  private TableState withFiles(TableState base, Attempt ctx, TableSnapshot.Operation op, Map<String, String> summary,
      Map<String, List<DataFile>> changed) {
    TreeMap<String, ManifestRef> refs = new TreeMap<>(base.manifests);
    TreeMap<String, List<DataFile>> files = new TreeMap<>(base.files);
    // Carry the location index over, updating only the changed partitions, so a commit does not
    // normalise every live location of the table again.
    Map<String, DataFile> baseIndex = base.byKeyIfBuilt();
    Map<String, DataFile> index = baseIndex == null ? null : new HashMap<>(baseIndex);
    for (Map.Entry<String, List<DataFile>> e : changed.entrySet()) {
      String partition = e.getKey();
      if (index != null) {
        for (DataFile old : base.files.getOrDefault(partition, List.of())) {
          index.remove(meta.normalise(old.location()));
        }
        for (DataFile f : e.getValue()) {
          index.put(meta.normalise(f.location()), f);
        }
      }
      if (e.getValue().isEmpty()) {
        refs.remove(partition);
        files.remove(partition);
        continue;
      }
      List<DataFile> sorted = new ArrayList<>(e.getValue());
      sorted.sort(TableState.BY_LOCATION);
      String name = ctx.stage("manifest-", MetadataJson.writeManifest(new Manifest(partition, sorted)));
      refs.put(partition, new ManifestRef(name, partition, sorted.size(),
          sorted.stream().mapToLong(DataFile::recordCount).sum()));
      files.put(partition, List.copyOf(sorted));
    }
    Map<String, String> s = new LinkedHashMap<>(summary);
    s.put(TOTAL_FILES, Long.toString(refs.values().stream().mapToLong(ManifestRef::fileCount).sum()));
    s.put(TOTAL_RECORDS, Long.toString(refs.values().stream().mapToLong(ManifestRef::recordCount).sum()));
    String list = ctx.stage("snap-", MetadataJson.writeManifestList(new ArrayList<>(refs.values())));
    TableSnapshot snapshot = new TableSnapshot(ctx.version, base.currentId(), ctx.now, op, s);
    List<SnapshotEntry> snapshots = new ArrayList<>(base.doc.snapshots());
    snapshots.add(new SnapshotEntry(snapshot, list));
    VersionDoc doc = new VersionDoc(ctx.version, ctx.commitId, base.doc.commitId(), ctx.now, id, base.doc.schema(),
          base.doc.schemaId(), base.doc.spec(),
        snapshot.snapshotId(), snapshots, base.doc.expiredKeys());
    return TableState.ofSorted(doc, refs, files, index);
  }

  /**
   * Checks files about to be added: each inside this table's location (and outside its metadata
   * directory), with a valid partition of the table's granularity, none listed twice.
   *
   * @return the files by normalised key, in the given order
   */
  private Map<String, DataFile> validateNew(String verb, Collection<DataFile> files) {
    PartitionSpec.Granularity granularity = partitionSpec().granularity();
    Map<String, DataFile> byKey = new LinkedHashMap<>();
    for (DataFile f : files) {
      Objects.requireNonNull(f, "data file");
      Optional<String> key = store.keyOf(f.location());
      if (key.isEmpty() || !key.get().startsWith(tablePrefix) || key.get().startsWith(metaPrefix)) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Cannot %s %s: file %s is outside the table's data location %s (or inside its metadata directory %s); "
                + "write data files under the table location", verb, id, f.location(), location(),
            meta.metadataLocation(id)));
      }
      PartitionSpec.Granularity g;
      try {
        PartitionSpec.startOf(f.partition());
        g = PartitionSpec.granularityOf(f.partition());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(String.format(Locale.ROOT, "Cannot %s %s: file %s: %s", verb, id,
            f.location(), e.getMessage()), e);
      }
      if (g != granularity) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Cannot %s %s: file %s has partition '%s' but the table is partitioned by %s",
            verb, id, f.location(), f.partition(), partitionSpec()));
      }
      if (byKey.put(store.location(key.get()), f) != null) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Cannot %s %s: file %s is listed twice", verb, id, f.location()));
      }
    }
    return byKey;
  }

  private void rejectAlreadyLive(TableState base, Map<String, DataFile> added, String verb) {
    Map<String, DataFile> live = base.byKey(meta::normalise);
    for (Map.Entry<String, DataFile> a : added.entrySet()) {
      if (live.containsKey(a.getKey())) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Cannot %s %s: file %s is already live in snapshot %s; adding it again would count its rows twice",
            verb, id, a.getValue().location(), base.currentId()));
      }
    }
  }

  /**
   * Best effort: names the snapshot after {@code planned} that removed {@code file}, by walking the
   * retained snapshots' manifests for its partition. Only runs on a conflict.
   */
  private String removedBy(TableState planned, TableState latest, DataFile file) {
    String wanted = meta.normalise(file.location());
    boolean seenLive = planned.byKey(meta::normalise).containsKey(wanted);
    for (SnapshotEntry e : latest.doc.snapshots()) {
      if (planned.currentId() != null && e.id() <= planned.currentId()) {
        continue;
      }
      try {
        boolean live = false;
        for (ManifestRef ref : meta.manifestList(id, e.manifestList(), false)) {
          if (ref.partition().equals(file.partition())) {
            live = meta.manifest(id, ref.manifest(), false).files().stream()
                .anyMatch(f -> meta.normalise(f.location()).equals(wanted));
          }
        }
        if (seenLive && !live) {
          return String.format(Locale.ROOT, ": it was removed by snapshot %d (%s)", e.id(),
              e.snapshot().operation().name().toLowerCase(Locale.ROOT));
        }
        seenLive |= live;
      } catch (LifecycleException ex) {
        LOG.debug("Cannot tell which snapshot of {} removed {}: {}", id, file.location(), ex.getMessage());
        return "";
      }
    }
    return seenLive ? "" : " (it is not live in any snapshot since this handle was loaded)";
  }

  @Override
  public String toString() {
    return "ManifestTable[" + id + " @ version " + state.get().version() + "]";
  }
}
