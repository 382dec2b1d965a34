package dev.lakelifecycle.iceberg;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.IncompleteValidSetException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.SortOrder;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.DeleteFiles;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.Metrics;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.StatisticsFile;
import org.apache.iceberg.PartitionStatisticsFile;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableMetadata;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.parquet.ParquetUtil;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.mapping.NameMapping;
import org.apache.iceberg.mapping.NameMappingParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One handle on an Iceberg table (see {@link IcebergTableCatalog}). Holds its own Iceberg
 * {@link Table}, so it shows the snapshot it was loaded or refreshed at.
 */
final class IcebergCatalogTable implements CatalogTable {
  private static final Logger LOG = LoggerFactory.getLogger(IcebergCatalogTable.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, List<String>>> FILES_TYPE = new TypeReference<>() {};
  /** How many expired appends' keys a table remembers in its properties. */
  static final int REMEMBERED_APPENDS = 1000;
  /** How often a schema change is re-applied after losing a commit race. */
  static final int SCHEMA_ATTEMPTS = 16;

  private final IcebergTableCatalog owner;
  private final TableId id;
  private final TableIdentifier ident;
  private final Table table;
  private View view;
  /** Delete-applying rewrites done since the last replace commit, by input location (see {@link #rewriteGroup}). */
  private final Map<String, IcebergDeleteRewrite.Result> rewrites = new HashMap<>();

  IcebergCatalogTable(IcebergTableCatalog owner, TableId id, TableIdentifier ident, Table table) {
    this.owner = owner;
    this.id = id;
    this.ident = ident;
    this.table = table;
    // Fail at load, not at first use, for tables this library cannot maintain.
    IcebergConversions.fromIceberg(table.schema(), ident.toString());
    IcebergConversions.fromIceberg(table.spec(), ident.toString());
  }

  @Override
  public TableId id() {
    return id;
  }

  @Override
  public String location() {
    return table.location();
  }

  @Override
  public synchronized TableSchema schema() {
    return IcebergConversions.fromIceberg(table.schema(), ident.toString());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Through Iceberg's {@code UpdateSchema.addColumn} (optional columns, fresh field ids; Iceberg also extends
   * the table's name mapping, by which files written without field ids are read). A commit that loses to a
   * concurrent writer is re-applied on the refreshed table, up to {@value #SCHEMA_ATTEMPTS} times.
   */
  @Override
  public synchronized TableSchema addColumns(List<TableSchema.Column> columns) {
    List<TableSchema.Column> wanted = List.copyOf(columns);
    if (wanted.isEmpty()) {
      return schema();
    }
    CommitFailedException lost = null;
    for (int attempt = 1; attempt <= SCHEMA_ATTEMPTS; attempt++) {
      table.refresh();
      TableSchema current = schema();
      TableSchema next;
      try {
        next = current.withAddedColumns(wanted);
      } catch (SchemaMismatchException e) {
        throw new SchemaMismatchException(String.format(Locale.ROOT, "Cannot evolve the schema of %s: %s", id,
            e.getMessage()), e);
      }
      if (next == current) {
        return current;
      }
      org.apache.iceberg.UpdateSchema update = table.updateSchema();
      for (TableSchema.Column c : next.columns().subList(current.size(), next.size())) {
        // The column's Iceberg type, by the same mapping createTable uses.
        Schema one = IcebergConversions.toIceberg(TableSchema.builder().column(c.name(), c.type()).build());
        update.addColumn(c.name(), one.findField(c.name()).type());
      }
      try {
        update.commit();
        return schema();
      } catch (CommitFailedException e) {
        lost = e;
        LOG.debug("Schema change of {} lost a race (attempt {}); re-applying on the refreshed table", id, attempt);
      }
    }
    throw new CommitConflictException(String.format(Locale.ROOT,
        "Cannot add columns %s to %s: other writers committed first on each of %d attempts (%s); retry later",
        wanted.stream().map(TableSchema.Column::name).toList(), id, SCHEMA_ATTEMPTS, lost.getMessage()), lost);
  }

  @Override
  public synchronized PartitionSpec partitionSpec() {
    return IcebergConversions.fromIceberg(table.spec(), ident.toString());
  }

  /**
   * The table's current Iceberg sort order. Only identity transforms of top-level columns can be applied by
   * compaction; an order with another transform (bucket, truncate, hour…) is reported as unsorted, so outputs
   * are not sorted and not recorded as sorted by it (logged at info).
   */
  @Override
  public synchronized SortOrder sortOrder() {
    return IcebergConversions.fromIceberg(table.sortOrder(), table.schema(), ident.toString());
  }

  @Override
  public synchronized Optional<TableSnapshot> currentSnapshot() {
    Snapshot s = table.currentSnapshot();
    return s == null ? Optional.empty() : Optional.of(toSnapshot(s));
  }

  @Override
  public synchronized List<TableSnapshot> snapshots() {
    List<TableSnapshot> out = new ArrayList<>();
    for (Snapshot s : table.snapshots()) {
      out.add(toSnapshot(s));
    }
    return out;
  }

  @Override
  public synchronized void refresh() {
    table.refresh();
  }

  /**
   * {@inheritDoc}
   *
   * <p>The location of the metadata file this handle's {@code TableMetadata} was read from: Iceberg writes a new,
   * uniquely named metadata file for every commit, schema changes included. Empty for metadata not read from a
   * file (none yet written).
   */
  @Override
  public synchronized Optional<String> metadataVersion() {
    return Optional.ofNullable(ops().current().metadataFileLocation());
  }

  @Override
  public synchronized List<DataFile> liveFiles() {
    return view().files;
  }

  @Override
  public synchronized Map<DataFile, String> filesKeptFromRewrite() {
    return view().kept;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Rewrites the group when a row-level delete file of the handle's snapshot may apply to one of its inputs
   * (its partition holds one, or the table holds a global equality delete): see {@link IcebergDeleteRewrite}. The
   * result is kept for the next {@link #commitReplace}, which commits it validated from the snapshot read here. A
   * data file whose own rows cannot be read is {@linkplain Rewrite#unreadable() left out} (its delete files stay,
   * and keep applying to it), and a group one of whose delete files cannot be read is
   * {@linkplain Rewrite#kept() left alone}.
   *
   * @throws CommitConflictException also if the table has a sort order (its files with deletes are
   *     {@linkplain #filesKeptFromRewrite() kept from rewrites}, so such a group is stale: re-plan)
   */
  @Override
  public synchronized Optional<Rewrite> rewriteGroup(List<DataFile> inputs, RewriteSettings sizes,
      java.util.function.Supplier<String> nextLocation) {
    View v = view();
    if (inputs.isEmpty()) {
      return Optional.empty();
    }
    List<org.apache.iceberg.DataFile> files = new ArrayList<>();
    boolean withDeletes = false;
    for (DataFile f : inputs) {
      org.apache.iceberg.DataFile live = v.byLocation.get(f.location());
      if (live == null) {
        throw new CommitConflictException(String.format(Locale.ROOT, "Cannot rewrite %s of %s: no longer live at"
            + " snapshot %s; re-plan from the current snapshot", f.location(), id, v.snapshotId));
      }
      files.add(live);
      withDeletes |= v.hasDeletes(live, table.specs());
    }
    if (!withDeletes) {
      return Optional.empty();
    }
    if (!sortOrder().isUnsorted()) {
      throw new CommitConflictException(String.format(Locale.ROOT, "Cannot rewrite %s of %s: row-level deletes"
          + " were committed to their partition since the plan, and files with deletes of a sorted table are kept"
          + " from rewrites; re-plan from the current snapshot", inputs.stream().map(DataFile::location).toList(),
          id));
    }
    String partition = inputs.get(0).partition();
    IcebergDeleteRewrite.Result r = IcebergDeleteRewrite.rewrite(table, id, table.snapshot(v.snapshotId),
        partitionSpec(), partition, files, sizes, nextLocation);
    if (r.kept() != null) {
      Map<DataFile, String> kept = new LinkedHashMap<>();
      inputs.forEach(f -> kept.put(f, r.kept()));
      return Optional.of(new Rewrite(List.of(), List.of(), Map.of(), kept));
    }
    r.inputs().forEach(l -> rewrites.put(l, r));
    Instant now = Instant.now();
    List<DataFile> out = new ArrayList<>();
    for (org.apache.iceberg.DataFile f : r.outputs().values()) {
      out.add(new DataFile(f.location(), partition, f.fileSizeInBytes(), f.recordCount(), "", now, Map.of()));
    }
    Map<DataFile, String> unreadable = new LinkedHashMap<>();
    List<DataFile> rewritten = new ArrayList<>();
    for (DataFile f : inputs) {
      String why = r.unreadable().get(f.location());
      if (why != null) {
        unreadable.put(f, why);
      } else if (r.inputs().contains(f.location())) {
        rewritten.add(f);
      }
    }
    return Optional.of(new Rewrite(out, rewritten, unreadable, Map.of()));
  }

  @Override
  public synchronized Optional<TableSnapshot> findAppend(String commitKey) {
    table.refresh();
    return findAppend(ops().current(), commitKey);
  }

  @Override
  public synchronized TableSnapshot commitAppend(String commitKey, List<DataFile> files) {
    if (commitKey == null || commitKey.isBlank()) {
      throw new IllegalArgumentException("Append to " + id + " needs a non-blank commit key");
    }
    List<org.apache.iceberg.DataFile> converted = convert(files);
    table.refresh();
    Optional<TableSnapshot> done = findAppend(ops().current(), commitKey);
    if (done.isPresent()) {
      LOG.info("Append {} to {} already committed as snapshot {}; not committing again", commitKey, id,
          done.get().snapshotId());
      return done.get();
    }
    ensureNameMapping();
    AppendFiles append = table.newFastAppend();
    converted.forEach(append::appendFile);
    append.set(IcebergTableCatalog.COMMIT_KEY_PROPERTY, commitKey);
    append.set(IcebergTableCatalog.FILES_PROPERTY, filesJson(files));
    try {
      append.commit();
    } catch (LifecycleTableOperations.DuplicateAppendException e) {
      table.refresh();
      return e.existing;
    } catch (CommitFailedException e) {
      throw new CommitConflictException(String.format(Locale.ROOT,
          "Append %s to %s lost every commit retry to concurrent writers: %s; retry the flush (it is idempotent)",
          commitKey, id, e.getMessage()), e);
    }
    return toSnapshot(table.currentSnapshot());
  }

  /**
   * {@inheritDoc}
   *
   * <p>One Iceberg {@code RewriteFiles} commit, validated from the snapshot the inputs were read at (the oldest
   * {@link #rewriteGroup} read of them, else this handle's snapshot): a delete, overwrite or row-level delete of
   * an input committed since then fails it. On format version 2 and later the added files take that snapshot's
   * sequence number as their data sequence number, so equality deletes committed meanwhile still apply to their
   * rows (apache/iceberg#10312). Position-delete files that only reference removed files are removed with them.
   *
   * @throws IllegalStateException if a removed file has row-level deletes and was not rewritten by
   *     {@link #rewriteGroup} (its deleted rows would come back), or an added output of that rewrite comes without
   *     all of its inputs; the table is unchanged
   */
  @Override
  public synchronized TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
      Map<String, String> summary) {
    try {
      return replace(removed, added, summary);
    } finally {
      // A rewrite is committed by the next replace or not at all: a retry rewrites again.
      rewrites.clear();
    }
  }

  private TableSnapshot replace(Collection<DataFile> removed, Collection<DataFile> added, Map<String, String> summary) {
    Map<String, IcebergDeleteRewrite.Result> used = new LinkedHashMap<>();
    Set<String> removedLocations = new HashSet<>();
    removed.forEach(f -> removedLocations.add(f.location()));
    for (DataFile f : removed) {
      IcebergDeleteRewrite.Result r = rewrites.get(f.location());
      if (r != null) {
        used.putIfAbsent(f.location(), r);
      }
    }
    Map<String, org.apache.iceberg.DataFile> written = new HashMap<>();
    for (IcebergDeleteRewrite.Result r : rewrites.values()) {
      written.putAll(r.outputs());
    }
    List<DataFile> toConvert = new ArrayList<>();
    List<org.apache.iceberg.DataFile> addedFiles = new ArrayList<>();
    for (DataFile f : added) {
      org.apache.iceberg.DataFile out = written.get(f.location());
      if (out == null) {
        toConvert.add(f);
        continue;
      }
      IcebergDeleteRewrite.Result r = rewrites.values().stream().filter(x -> x.outputs().containsKey(f.location()))
          .findFirst().orElseThrow();
      if (!removedLocations.containsAll(r.inputs())) {
        throw new IllegalStateException(String.format(Locale.ROOT, "Cannot replace files in %s: output %s of a"
            + " delete-applying rewrite is added without removing all of its inputs %s; the table is unchanged", id,
            f.location(), r.inputs()));
      }
      addedFiles.add(out);
    }
    View planned = view();
    Map<String, org.apache.iceberg.DataFile> live = planned.byLocation;
    List<String> missing = removed.stream().map(DataFile::location).filter(l -> !live.containsKey(l)).toList();
    if (!missing.isEmpty()) {
      throw new CommitConflictException(String.format(Locale.ROOT,
          "Cannot replace files in %s: %s no longer live at snapshot %s; re-plan from the current snapshot", id,
          missing, planned.snapshotId));
    }
    List<String> unapplied = removed.stream().filter(f -> !used.containsKey(f.location())
        && planned.hasDeletes(live.get(f.location()), table.specs())).map(DataFile::location).toList();
    if (!unapplied.isEmpty()) {
      throw new IllegalStateException(String.format(Locale.ROOT, "Cannot replace %s in %s: row-level deletes apply"
          + " to them at snapshot %s and they were not rewritten by CatalogTable.rewriteGroup, so their deleted rows"
          + " would come back; the table is unchanged (rewrite them through rewriteGroup)", unapplied, id,
          planned.snapshotId));
    }
    // The compactor's own outputs: their metrics come from their footers.
    addedFiles.addAll(convert(toConvert));
    ensureNameMapping();
    RewriteFiles rewrite = table.newRewrite();
    Snapshot start = planned.snapshotId == null ? null : table.snapshot(planned.snapshotId);
    for (IcebergDeleteRewrite.Result r : used.values()) {
      if (start == null || r.snapshot().sequenceNumber() < start.sequenceNumber()) {
        start = r.snapshot();
      }
    }
    if (start != null) {
      // Validation from the snapshot the rows were read at: a concurrent delete, overwrite or position delete
      // touching a source file fails the commit instead of resurrecting rows.
      rewrite.validateFromSnapshot(start.snapshotId());
      if (ops().current().formatVersion() >= 2) {
        // The outputs hold rows as of that snapshot: equality deletes committed after it must still apply to them.
        rewrite.dataSequenceNumber(start.sequenceNumber());
      }
    }
    for (DataFile f : removed) {
      rewrite.deleteFile(live.get(f.location()));
    }
    // A referenced file that is not live any more (replaced by an earlier rewrite that left this delete file for
    // a file it could not take, such as a quarantined one) needs it no more than a removed one.
    Set<String> unneeded = new HashSet<>(removedLocations);
    for (IcebergDeleteRewrite.Result r : used.values()) {
      r.positionDeletes().values().stream().filter(java.util.Objects::nonNull).flatMap(Set::stream)
          .filter(l -> !live.containsKey(l)).forEach(unneeded::add);
    }
    Collection<DeleteFile> obsolete = IcebergDeleteRewrite.obsoletePositionDeletes(
        new HashSet<>(used.values()), unneeded);
    obsolete.forEach(rewrite::deleteFile);
    addedFiles.forEach(rewrite::addFile);
    if (summary != null) {
      summary.forEach(rewrite::set);
    }
    rewrite.set(IcebergTableCatalog.FILES_PROPERTY, filesJson(added));
    try {
      rewrite.commit();
    } catch (ValidationException | CommitFailedException e) {
      table.refresh();
      throw new CommitConflictException(String.format(Locale.ROOT,
          "Cannot replace %s in %s planned at snapshot %s: %s; the table is unchanged, re-plan from the current"
              + " snapshot", removed.stream().map(DataFile::location).toList(), id, planned.snapshotId,
          e.getMessage()), e);
    }
    if (!obsolete.isEmpty()) {
      LOG.info("Replace in {} removed {} position-delete files whose data files were all rewritten", id,
          obsolete.size());
    }
    return toSnapshot(table.currentSnapshot());
  }

  @Override
  public synchronized Optional<TableSnapshot> commitDropPartitions(Collection<String> partitions) {
    if (partitions.isEmpty()) {
      return Optional.empty();
    }
    PartitionSpec spec = partitionSpec();
    String column = spec.timestampColumn();
    Expression filter = Expressions.alwaysFalse();
    for (String p : new java.util.TreeSet<>(partitions)) {
      long start = IcebergConversions.micros(PartitionSpec.startOf(p));
      long end = IcebergConversions.micros(PartitionSpec.endOf(p));
      filter = Expressions.or(filter, Expressions.and(Expressions.greaterThanOrEqual(column, start),
          Expressions.lessThan(column, end)));
    }
    table.refresh();
    if (table.currentSnapshot() == null || !anyFileMatches(filter)) {
      return Optional.empty();
    }
    DeleteFiles delete = table.newDelete().deleteFromRowFilter(filter);
    delete.set("lifecycle.dropped-partitions", String.join(",", new java.util.TreeSet<>(partitions)));
    try {
      delete.commit();
    } catch (ValidationException | CommitFailedException e) {
      table.refresh();
      throw new CommitConflictException(String.format(Locale.ROOT,
          "Cannot drop partitions %s of %s: %s; the table is unchanged, retry", partitions, id, e.getMessage()), e);
    }
    return Optional.of(toSnapshot(table.currentSnapshot()));
  }

  private boolean anyFileMatches(Expression filter) {
    try (CloseableIterable<org.apache.iceberg.FileScanTask> tasks = table.newScan().filter(filter).planFiles()) {
      return tasks.iterator().hasNext();
    } catch (IOException e) {
      throw new StorageException("Cannot plan files of " + id + " to drop partitions", e);
    }
  }

  /**
   * Expires snapshots the way Iceberg's {@code ExpireSnapshots} does, ref by ref: {@code retainLast} and
   * {@code olderThan} are the defaults for {@code main} and for every branch without its own
   * {@code min-snapshots-to-keep} / {@code max-snapshot-age-ms}; a branch keeps its head and its ancestors
   * until both its count and its age allow expiry; a tag keeps its snapshot while the tag lives; a ref older
   * than its {@code max-ref-age-ms} (or the table's {@code history.expire.max-ref-age-ms}) is removed, as
   * Iceberg removes it; snapshots on no ref expire once older than {@code olderThan}. Iceberg chooses, then
   * the {@code pinned} ids are taken out of its choice, and exactly the remaining ids are expired. Files are
   * left for the orphan sweeper.
   */
  @Override
  public synchronized List<TableSnapshot> expireSnapshots(int retainLast, Instant olderThan, Set<Long> pinned) {
    if (retainLast < 1) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Cannot expire snapshots of %s with retainLast %d: retainLast must be at least 1", id, retainLast));
    }
    table.refresh();
    TableMetadata meta = ops().current();
    if (meta.snapshots().isEmpty()) {
      return List.of();
    }
    // Instant.MAX and other far-future cutoffs do not fit in epoch milliseconds: every snapshot is older.
    long cutoff = olderThan.isAfter(Instant.ofEpochMilli(Long.MAX_VALUE)) ? Long.MAX_VALUE : olderThan.toEpochMilli();
    // A dry run of Iceberg's own retention rules (per branch, tag and table property) names the candidates.
    List<Snapshot> chosen = table.expireSnapshots().expireOlderThan(cutoff).retainLast(retainLast).apply();
    List<Snapshot> expire = chosen.stream().filter(s -> !pinned.contains(s.snapshotId()))
        .sorted(Comparator.comparingLong(Snapshot::timestampMillis).thenComparingLong(Snapshot::snapshotId))
        .toList();
    if (expire.isEmpty()) {
      return List.of();
    }
    rememberAppends(meta, expire);
    org.apache.iceberg.ExpireSnapshots update = table.expireSnapshots()
        // Only the ids chosen above expire: the earliest cutoff and the smallest count keep Iceberg from
        // expiring more by age or count at commit time, which would not know the pinned snapshots.
        .expireOlderThan(Long.MIN_VALUE)
        .retainLast(1)
        // Files become unreferenced, not deleted: the orphan sweeper deletes them after its grace period,
        // so a reader still on an expired snapshot keeps working meanwhile.
        .cleanExpiredFiles(false);
    for (Snapshot s : expire) {
      update.expireSnapshotId(s.snapshotId());
    }
    try {
      update.commit();
    } catch (CommitFailedException | IllegalArgumentException e) {
      // IllegalArgumentException: a ref was moved onto a chosen snapshot concurrently ("still referenced").
      table.refresh();
      throw new CommitConflictException(String.format(Locale.ROOT,
          "Cannot expire snapshots %s of %s: %s; none expired, retry (expiry re-plans from the current refs)",
          expire.stream().map(Snapshot::snapshotId).toList(), id, e.getMessage()), e);
    }
    table.refresh();
    Set<Long> remaining = new HashSet<>();
    table.snapshots().forEach(s -> remaining.add(s.snapshotId()));
    return expire.stream().filter(s -> !remaining.contains(s.snapshotId())).map(IcebergCatalogTable::toSnapshot)
        .toList();
  }

  /** Records expiring appends' keys in the table properties, so a retried flush stays idempotent. */
  private void rememberAppends(TableMetadata meta, List<Snapshot> expiring) {
    Map<String, String> add = new LinkedHashMap<>();
    for (Snapshot s : expiring) {
      String key = s.summary() == null ? null : s.summary().get(IcebergTableCatalog.COMMIT_KEY_PROPERTY);
      if (key != null) {
        add.put(IcebergTableCatalog.REMEMBERED_PREFIX + key, encode(toSnapshot(s)));
      }
    }
    if (add.isEmpty()) {
      return;
    }
    TreeMap<Long, List<String>> byTime = new TreeMap<>();
    for (Map.Entry<String, String> e : meta.properties().entrySet()) {
      if (e.getKey().startsWith(IcebergTableCatalog.REMEMBERED_PREFIX)) {
        TableSnapshot s = decode(e.getValue());
        byTime.computeIfAbsent(s.committedAt().toEpochMilli(), k -> new ArrayList<>()).add(e.getKey());
      }
    }
    int excess = byTime.values().stream().mapToInt(List::size).sum() + add.size() - REMEMBERED_APPENDS;
    org.apache.iceberg.UpdateProperties update = table.updateProperties();
    add.forEach(update::set);
    for (List<String> keys : byTime.values()) {
      for (String k : keys) {
        if (excess-- <= 0) {
          break;
        }
        update.remove(k);
      }
    }
    update.commit();
  }

  @Override
  public Set<String> referencedLocations() {
    Set<String> out = new HashSet<>();
    forEachReferencedLocation(out::add);
    return out;
  }

  @Override
  public void forEachReferencedLocation(java.util.function.Consumer<String> action) {
    TableMetadata meta;
    FileIO io;
    try {
      Table fresh = owner.iceberg().loadTable(ident);
      meta = ((org.apache.iceberg.HasTableOperations) fresh).operations().current();
      io = fresh.io();
    } catch (RuntimeException e) {
      throw new IncompleteValidSetException(String.format(Locale.ROOT,
          "Cannot read the metadata of Iceberg table %s: %s; the valid set is incomplete, so nothing may be swept",
          ident, e.getMessage()), e);
    }
    try {
      action.accept(meta.metadataFileLocation());
      meta.previousFiles().forEach(entry -> action.accept(entry.file()));
      for (StatisticsFile f : meta.statisticsFiles()) {
        action.accept(f.path());
      }
      for (PartitionStatisticsFile f : meta.partitionStatisticsFiles()) {
        action.accept(f.path());
      }
      String hint = meta.location() + "/metadata/version-hint.text";
      if (exists(io, hint)) {
        action.accept(hint);
      }
      Set<String> seenManifests = new HashSet<>();
      for (Snapshot s : meta.snapshots()) {
        if (s.manifestListLocation() != null) {
          action.accept(s.manifestListLocation());
        }
        for (ManifestFile m : s.allManifests(io)) {
          if (!seenManifests.add(m.path())) {
            continue;
          }
          action.accept(m.path());
          if (m.content() == org.apache.iceberg.ManifestContent.DATA) {
            try (ManifestReader<org.apache.iceberg.DataFile> r = ManifestFiles.read(m, io, meta.specsById())) {
              for (org.apache.iceberg.DataFile f : r) {
                action.accept(f.location());
              }
            }
          } else {
            try (ManifestReader<DeleteFile> r = ManifestFiles.readDeleteManifest(m, io, meta.specsById())) {
              for (DeleteFile f : r) {
                action.accept(f.location());
              }
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IncompleteValidSetException(String.format(Locale.ROOT,
          "Cannot read the metadata of Iceberg table %s: %s; the valid set is incomplete, so nothing may be swept",
          ident, e.getMessage()), e);
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Whether a file exists; some FileIOs (Iceberg's in-memory one) answer "no" by throwing NotFound. */
  private static boolean exists(FileIO io, String location) {
    try {
      return io.newInputFile(location).exists();
    } catch (org.apache.iceberg.exceptions.NotFoundException absent) {
      return false;
    }
  }

  private org.apache.iceberg.TableOperations ops() {
    return ((org.apache.iceberg.HasTableOperations) table).operations();
  }

  /** Sets the default name mapping so Iceberg readers can read Parquet files written without field ids. */
  private void ensureNameMapping() {
    if (!table.properties().containsKey(TableProperties.DEFAULT_NAME_MAPPING)) {
      table.updateProperties()
          .set(TableProperties.DEFAULT_NAME_MAPPING, NameMappingParser.toJson(MappingUtil.create(table.schema())))
          .commit();
    }
  }

  /**
   * Iceberg records for our files, with the metrics iceberg-parquet reads from each file's footer under the
   * table's {@link MetricsConfig} (column sizes, value, null and NaN counts, bounds truncated as configured):
   * exactly what Iceberg's own Parquet writer records, so scan planning prunes our files as it prunes its own.
   */
  private List<org.apache.iceberg.DataFile> convert(Collection<DataFile> files) {
    PartitionSpec spec = partitionSpec();
    String base = location().endsWith("/") ? location() : location() + "/";
    for (DataFile f : files) {
      if (!f.location().startsWith(base)) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Data file %s is not under the location %s of table %s: write it under the table's location", f.location(),
            location(), id));
      }
    }
    MetricsConfig metricsConfig = MetricsConfig.forTable(table);
    String mappingJson = table.properties().get(TableProperties.DEFAULT_NAME_MAPPING);
    // Our writer sets no Parquet field ids: columns are matched to the schema by name, as readers do.
    NameMapping mapping = mappingJson != null ? NameMappingParser.fromJson(mappingJson)
        : MappingUtil.create(table.schema());
    List<org.apache.iceberg.DataFile> out = new ArrayList<>();
    for (DataFile f : files) {
      Metrics metrics = fileMetrics(f, metricsConfig, mapping);
      org.apache.iceberg.DataFile converted = IcebergConversions.toIceberg(f, spec, table.spec(), table.schema(),
          ident.toString(), metrics);
      if (f.sortOrderId() != 0) {
        org.apache.iceberg.SortOrder order = table.sortOrders().get(f.sortOrderId());
        if (order == null) {
          throw new IllegalArgumentException(String.format(Locale.ROOT, "Data file %s is recorded as sorted by sort"
              + " order %d, which table %s does not have (it has %s); record one of its orders or 0", f.location(),
              f.sortOrderId(), id, table.sortOrders().keySet()));
        }
        converted = DataFiles.builder(table.spec()).copy(converted).withSortOrder(order).build();
      }
      out.add(converted);
    }
    return out;
  }

  /** The file's metrics as Iceberg computes them, or null (with a warning) for a file that does not exist. */
  private Metrics fileMetrics(DataFile f, MetricsConfig metricsConfig, NameMapping mapping) {
    Metrics metrics;
    try {
      metrics = ParquetUtil.fileMetrics(table.io().newInputFile(f.location(), f.sizeBytes()), metricsConfig, mapping);
    } catch (org.apache.iceberg.exceptions.NotFoundException absent) {
      // Committing a file that is not (yet) there is the caller's business, as in Iceberg itself; its
      // metrics can then only come from the statistics the caller gave.
      LOG.warn("Data file {} of {} does not exist; committing it with the column statistics given, not the file's",
          f.location(), id);
      return null;
    } catch (StorageException e) {
      throw e;
    } catch (org.apache.iceberg.exceptions.RuntimeIOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot read the Parquet footer of data file %s of %s: %s; retry", f.location(), id, e.getMessage()), e);
    } catch (RuntimeException e) {
      // Parquet reports a file that is not Parquet (bad magic, short footer) with a plain RuntimeException.
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Cannot read the Parquet footer of data file %s of %s (%d bytes stated): %s; commit only complete Parquet"
              + " files", f.location(), id, f.sizeBytes(), e.getMessage()), e);
    }
    if (metrics.recordCount() != null && metrics.recordCount() != f.recordCount()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Data file %s of %s has %d rows in its footer but %d were stated; commit it with its real row count",
          f.location(), id, metrics.recordCount(), f.recordCount()));
    }
    return metrics;
  }

  private static String filesJson(Collection<DataFile> files) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (DataFile f : files) {
      m.put(f.location(), List.of(f.writerId(), f.createdAt().toString()));
    }
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode file facts as JSON", e);
    }
  }

  private static Map<String, List<String>> parseFiles(Snapshot s) {
    String json = s.summary() == null ? null : s.summary().get(IcebergTableCatalog.FILES_PROPERTY);
    if (json == null) {
      return Map.of();
    }
    try {
      return JSON.readValue(json, FILES_TYPE);
    } catch (JsonProcessingException e) {
      LOG.warn("Snapshot {} has an unreadable {} summary; writer ids of its files are unknown", s.snapshotId(),
          IcebergTableCatalog.FILES_PROPERTY, e);
      return Map.of();
    }
  }

  private View view() {
    Snapshot current = table.currentSnapshot();
    Long sid = current == null ? null : current.snapshotId();
    if (view != null && java.util.Objects.equals(view.snapshotId, sid)) {
      return view;
    }
    view = current == null ? new View(null, List.of(), Map.of(), Map.of(), Set.of(), false) : readView(current);
    return view;
  }

  private View readView(Snapshot current) {
    FileIO io = table.io();
    PartitionSpec spec = partitionSpec();
    int specId = table.spec().specId();
    Schema schema = table.schema();
    Map<Long, Snapshot> bySequence = new HashMap<>();
    Instant oldest = null;
    for (Snapshot s : table.snapshots()) {
      bySequence.put(s.sequenceNumber(), s);
      Instant at = Instant.ofEpochMilli(s.timestampMillis());
      oldest = oldest == null || at.isBefore(oldest) ? at : oldest;
    }
    // Partitions with row-level deletes: their data files are rewritten by rewriteGroup, which applies the
    // deletes, or, in a sorted table, left alone (that rewrite cannot sort).
    boolean sorted = !sortOrder().isUnsorted();
    Set<String> deletedPartitions = new HashSet<>();
    boolean globalDeletes = false;
    try {
      for (ManifestFile m : current.deleteManifests(io)) {
        try (ManifestReader<DeleteFile> r = ManifestFiles.readDeleteManifest(m, io, table.specs())) {
          for (DeleteFile d : r) {
            org.apache.iceberg.PartitionSpec ds = table.specs().get(d.specId());
            if (ds.isUnpartitioned() && d.content() == FileContent.EQUALITY_DELETES) {
              globalDeletes = true;
            }
            deletedPartitions.add(d.specId() + "/" + ds.partitionToPath(d.partition()));
          }
        }
      }
      List<DataFile> files = new ArrayList<>();
      Map<String, org.apache.iceberg.DataFile> byLocation = new HashMap<>();
      Map<Long, Map<String, List<String>>> facts = new HashMap<>();
      int skipped = 0;
      Map<DataFile, String> kept = new LinkedHashMap<>();
      for (ManifestFile m : current.dataManifests(io)) {
        try (ManifestReader<org.apache.iceberg.DataFile> r = ManifestFiles.read(m, io, table.specs())) {
          for (org.apache.iceberg.DataFile f : r) {
            org.apache.iceberg.PartitionSpec fs = table.specs().get(f.specId());
            String path = fs.partitionToPath(f.partition());
            if (f.specId() != specId
                || sorted && (globalDeletes || deletedPartitions.contains(f.specId() + "/" + path))) {
              skipped++;
              String why = f.specId() != specId
                  ? String.format(Locale.ROOT, "written under partition spec %d, not the current spec %d: files of"
                      + " different specs are never merged", f.specId(), specId)
                  : String.format(Locale.ROOT, "%s holds row-level delete files (%s) and the table has a sort"
                      + " order: the rewrite that applies deletes writes unsorted files, so such files are left"
                      + " as they are", globalDeletes ? "the table" : "its partition " + path, globalDeletes
                      ? "global equality deletes" : "position or equality deletes");
              String partition = f.specId() == specId ? IcebergConversions.partitionOf(spec, f.partition()) : null;
              kept.put(IcebergConversions.fromIceberg(f, partition != null ? partition : path, schema, "",
                  Instant.ofEpochMilli(current.timestampMillis())), why);
              continue;
            }
            String partition = IcebergConversions.partitionOf(spec, f.partition());
            if (partition == null) {
              skipped++;
              continue;
            }
            Long seq = f.fileSequenceNumber();
            Snapshot adder = seq == null ? null : bySequence.get(seq);
            List<String> fact = adder == null ? null
                : facts.computeIfAbsent(adder.snapshotId(), k -> parseFiles(adder)).get(f.location());
            String writer = fact == null ? "" : fact.get(0);
            // Without a record of the write, the adding snapshot's time, or else the oldest retained
            // snapshot's, which is no earlier than the file: files never look older than they are.
            Instant created = fact != null ? Instant.parse(fact.get(1))
                : adder != null ? Instant.ofEpochMilli(adder.timestampMillis()) : oldest;
            org.apache.iceberg.DataFile copy = f.copy();
            byLocation.put(copy.location(), copy);
            files.add(IcebergConversions.fromIceberg(copy, partition, schema, writer, created)
                .withSortOrderId(copy.sortOrderId() == null ? 0 : copy.sortOrderId()));
          }
        }
      }
      if (skipped > 0) {
        LOG.debug("{} of snapshot {}: {} data files left out of the live set (other spec or row-level deletes)", id,
            current.snapshotId(), skipped);
      }
      files.sort(Comparator.comparing(DataFile::partition).thenComparing(DataFile::location));
      return new View(current.snapshotId(), List.copyOf(files), byLocation, java.util.Collections.unmodifiableMap(kept),
          Set.copyOf(deletedPartitions), globalDeletes);
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot read the manifests of %s at snapshot %d", id,
          current.snapshotId()), e);
    }
  }

  /** The snapshot (retained, or remembered after expiry) that committed an append with this key. */
  static Optional<TableSnapshot> findAppend(TableMetadata meta, String key) {
    for (Snapshot s : meta.snapshots()) {
      if (s.summary() != null && key.equals(s.summary().get(IcebergTableCatalog.COMMIT_KEY_PROPERTY))) {
        return Optional.of(toSnapshot(s));
      }
    }
    String remembered = meta.properties().get(IcebergTableCatalog.REMEMBERED_PREFIX + key);
    return remembered == null ? Optional.empty() : Optional.of(decode(remembered));
  }

  static TableSnapshot toSnapshot(Snapshot s) {
    Map<String, String> summary = new HashMap<>();
    if (s.summary() != null) {
      for (Map.Entry<String, String> e : s.summary().entrySet()) {
        if (e.getKey().equals(IcebergTableCatalog.COMMIT_KEY_PROPERTY)) {
          summary.put(TableSnapshot.COMMIT_KEY, e.getValue());
        } else if (!e.getKey().equals(IcebergTableCatalog.FILES_PROPERTY)) {
          summary.put(e.getKey(), e.getValue());
        }
      }
    }
    return new TableSnapshot(s.snapshotId(), s.parentId(), Instant.ofEpochMilli(s.timestampMillis()),
        operation(s.operation()), summary);
  }

  private static TableSnapshot.Operation operation(String op) {
    if (op == null) {
      return TableSnapshot.Operation.APPEND;
    }
    return switch (op) {
      case "append" -> TableSnapshot.Operation.APPEND;
      case "delete" -> TableSnapshot.Operation.DELETE;
      default -> TableSnapshot.Operation.REPLACE;
    };
  }

  /** A remembered append: id, parent id (or empty), commit time in epoch ms, operation, then the summary. */
  private static String encode(TableSnapshot s) {
    try {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", s.snapshotId());
      m.put("parent", s.parentId());
      m.put("at", s.committedAt().toEpochMilli());
      m.put("op", s.operation().name());
      m.put("summary", new TreeMap<>(s.summary()));
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode snapshot " + s.snapshotId(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private static TableSnapshot decode(String json) {
    try {
      Map<String, Object> m = JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
      Number parent = (Number) m.get("parent");
      return new TableSnapshot(((Number) m.get("id")).longValue(), parent == null ? null : parent.longValue(),
          Instant.ofEpochMilli(((Number) m.get("at")).longValue()),
          TableSnapshot.Operation.valueOf((String) m.get("op")), (Map<String, String>) m.get("summary"));
    } catch (JsonProcessingException | RuntimeException e) {
      throw new StorageException("Cannot read a remembered append from the table properties: " + json, e);
    }
  }

  /**
   * The handle's snapshot as this library sees it.
   *
   * @param deletedPartitions {@code specId/partition path} of each partition holding a row-level delete file
   * @param globalDeletes whether an equality delete of an unpartitioned spec applies to every partition
   */
  private record View(Long snapshotId, List<DataFile> files, Map<String, org.apache.iceberg.DataFile> byLocation,
      Map<DataFile, String> kept, Set<String> deletedPartitions, boolean globalDeletes) {

    /** Whether a row-level delete file of this snapshot may apply to {@code f}. */
    boolean hasDeletes(org.apache.iceberg.DataFile f, Map<Integer, org.apache.iceberg.PartitionSpec> specs) {
      return f != null && (globalDeletes
          || deletedPartitions.contains(f.specId() + "/" + specs.get(f.specId()).partitionToPath(f.partition())));
    }
  }
}
