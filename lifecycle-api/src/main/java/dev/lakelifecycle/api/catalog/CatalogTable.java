package dev.lakelifecycle.api.catalog;

import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.IncompleteValidSetException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.SchemaEvolutionUnsupportedException;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A handle on one table at the snapshot it was loaded or last {@link #refresh() refreshed} at. Every
 * commit is atomic and optimistic: it applies to the latest committed snapshot (re-reading it if
 * another writer got there first) and either takes effect whole or not at all. After a successful
 * commit the handle shows the new snapshot.
 *
 * <p>Handles are thread-safe; commits through one handle are serialised.
 */
public interface CatalogTable {

  TableId id();

  /** The table's root location; every data and metadata file of the table is under it. */
  String location();

  /**
   * The table's current schema as of this handle's last load, {@link #refresh()} or commit. It only ever grows
   * by nullable columns at the end ({@link #addColumns}); data files written under an earlier schema lack the
   * later columns, and readers must read those as null.
   */
  TableSchema schema();

  /**
   * Adds nullable columns at the end of the table's schema, in one commit that races other writers through the
   * catalog's optimistic protocol like any other commit (after Iceberg's {@code UpdateSchema.addColumn}). This is
   * the only schema change the library makes: columns are never removed, renamed, retyped, reordered or made
   * required, since files already written could no longer be read as the table. Data files and snapshots are
   * unchanged; rows of files written before read as null in the added columns. The commit does not create a
   * snapshot.
   *
   * <p>Idempotent per column: a column the table already has with the same type and nullability is skipped, so
   * writers racing to add the same column all succeed and exactly one of them changes the schema. Columns
   * another writer added meanwhile are kept (they come before the new ones).
   *
   * <p>Default: throws {@link SchemaEvolutionUnsupportedException}, so that catalogs written before this method
   * existed keep compiling and refuse clearly.
   *
   * @param columns the columns to add, in order; each must be nullable; an empty list commits nothing
   * @return the table's schema after the change (this handle shows it from then on), including columns other
   *     writers added
   * @throws SchemaMismatchException if a column is not nullable, or the table has a column of that name with
   *     another type or nullability; the message names each such column and the table is unchanged
   * @throws SchemaEvolutionUnsupportedException if this catalog cannot change a table's schema
   * @throws CommitConflictException if other writers won every commit attempt; the table is unchanged by this call
   */
  default TableSchema addColumns(List<TableSchema.Column> columns) {
    throw new SchemaEvolutionUnsupportedException(String.format(Locale.ROOT,
        "Cannot add columns %s to %s: its catalog table %s does not support schema evolution (implement "
            + "CatalogTable.addColumns, or write batches with the table's schema %s)",
        columns.stream().map(TableSchema.Column::name).toList(), id(), getClass().getName(), schema()));
  }

  PartitionSpec partitionSpec();

  /**
   * The order the table wants rows of each data file in; compaction writes its outputs sorted by it and
   * records its {@link SortOrder#orderId()} on them. Default: {@link SortOrder#unsorted()} (outputs keep input
   * order), for catalogs that keep no sort order.
   */
  default SortOrder sortOrder() {
    return SortOrder.unsorted();
  }

  /** The snapshot this handle shows, or empty for a table with no commit yet. */
  Optional<TableSnapshot> currentSnapshot();

  /** Every retained snapshot, oldest first; the last is {@link #currentSnapshot()}. */
  List<TableSnapshot> snapshots();

  /** Reloads the latest committed snapshot. */
  void refresh();

  /**
   * An opaque token naming the version of the table's metadata this handle shows (as of its last load,
   * {@link #refresh()} or commit). It changes with every commit of any kind (appends, replaces, partition drops,
   * snapshot expiry, schema changes) and never takes a value it had before, so two equal tokens of one table
   * mean that nothing was committed between the two reads. Tokens are compared only for equality; their format
   * is the catalog's business (the manifest catalog: version number and commit id; Iceberg: the metadata file's
   * location). The orphan sweeper uses it to skip rebuilding a valid set that cannot have changed.
   *
   * <p>Default: empty, meaning unknown: callers must assume the table may have changed.
   *
   * @return the token, or empty if this catalog does not track one
   */
  default Optional<String> metadataVersion() {
    return Optional.empty();
  }

  /** The data files live in {@link #currentSnapshot()}, sorted by partition then location. */
  List<DataFile> liveFiles();

  /** The live files whose partition matches. */
  default List<DataFile> liveFiles(Predicate<String> partitionFilter) {
    return liveFiles().stream().filter(f -> partitionFilter.test(f.partition())).collect(Collectors.toList());
  }

  /**
   * Data files of the current snapshot that {@link #liveFiles()} leaves out because this catalog cannot let a
   * rewrite take them, each with why, so that compaction can say so in its plan
   * ({@link dev.lakelifecycle.api.compaction.CompactionPlan.Reason#KEPT_BY_CATALOG}). The Iceberg catalog keeps
   * files of an older partition spec, and files with row-level deletes of a table with a sort order (its
   * {@link #rewriteGroup delete-applying rewrite} writes unsorted outputs). Default: none.
   */
  default Map<DataFile, String> filesKeptFromRewrite() {
    return Map.of();
  }

  /**
   * Sizes a {@link #rewriteGroup catalog rewrite} writes to.
   *
   * @param targetFileSizeBytes output file size to aim for, bytes (outputs roll there); &gt; 0
   * @param rowGroupSizeBytes output row group size, uncompressed bytes; &gt; 0
   * @param memoryBudgetBytes heap the rewrite may use for buffered output, bytes; the row group is capped at a
   *     quarter of it; &gt; 0
   */
  record RewriteSettings(long targetFileSizeBytes, long rowGroupSizeBytes, long memoryBudgetBytes) {
    public RewriteSettings {
      if (targetFileSizeBytes <= 0 || rowGroupSizeBytes <= 0 || memoryBudgetBytes <= 0) {
        throw new IllegalArgumentException(String.format(Locale.ROOT, "Rewrite sizes must be > 0, got target %d B,"
            + " row group %d B, memory budget %d B", targetFileSizeBytes, rowGroupSizeBytes, memoryBudgetBytes));
      }
    }
  }


  /**
   * What a {@linkplain #rewriteGroup catalog rewrite of one group} did.
   *
   * @param outputs the files written, each at a location {@code nextLocation} gave; empty if every row of
   *     {@code rewritten} was deleted, or if nothing was rewritten
   * @param rewritten the inputs whose remaining rows are in {@code outputs}: the caller's {@link #commitReplace}
   *     removes exactly these; empty if the group was left alone
   * @param unreadable inputs whose own data cannot be read (corrupt page, truncated file, garbage footer), each
   *     with why (naming the file and the fix); they are left out, stay live, and the caller should quarantine them
   * @param kept inputs left in place for a reason other than their own data (e.g. a row-level delete file that
   *     applies to them cannot be read, so rewriting them would bring deleted rows back), each with why; when this
   *     is not empty nothing of the group was rewritten ({@code outputs} and {@code rewritten} are empty)
   */
  record Rewrite(List<DataFile> outputs, List<DataFile> rewritten, Map<DataFile, String> unreadable,
      Map<DataFile, String> kept) {
    public Rewrite {
      outputs = List.copyOf(outputs);
      rewritten = List.copyOf(rewritten);
      unreadable = Map.copyOf(unreadable);
      kept = Map.copyOf(kept);
    }
  }

  /**
   * Rewrites live data files whose rows only the catalog can read correctly, for compaction: files that row-level
   * deletes of the catalog's format apply to (Iceberg position and equality deletes). Compaction offers every
   * group of inputs here first; if this returns empty, it merges the files' Parquet rows itself.
   *
   * <p>When it rewrites, the catalog reads the inputs as of {@link #currentSnapshot()} with their deletes applied,
   * streaming (never a whole input in memory), and writes the remaining rows, unsorted, to new files at locations
   * taken from {@code nextLocation} in order (each under {@link #location()}; the caller records them before
   * they are written, so a crash leaves nothing the orphan sweeper does not know). The outputs are then committed
   * by the caller through {@link #commitReplace} with exactly {@link Rewrite#rewritten()} removed; that commit also
   * removes the row-level delete files that no longer apply to any live file, and fails with a
   * {@link CommitConflictException} if a delete touching an input was committed since this read.
   *
   * <p>An input whose own data cannot be read does not fail the group: it is reported in
   * {@link Rewrite#unreadable()} (the caller quarantines it) and the rest is rewritten without it. A group that
   * cannot be rewritten safely at all (a delete file that applies to it cannot be read) is reported in
   * {@link Rewrite#kept()} with nothing written.
   *
   * <p>Default: empty (no catalog-side rewrite; catalogs without row-level deletes need none).
   *
   * @param inputs live data files of one partition, all of {@link #liveFiles()}
   * @param sizes sizes to write to
   * @param nextLocation gives the location of the next output file; called once per output
   * @return the rewrite (outputs with {@link DataFile#sortOrderId()} 0), or empty if compaction may merge these
   *     inputs itself
   * @throws CommitConflictException if an input is no longer live or can no longer be rewritten here (a delete
   *     landed since the plan); nothing was written that the caller must keep, re-plan
   * @throws dev.lakelifecycle.api.StorageException if the store fails (outputs written so far are removed; retry)
   */
  default Optional<Rewrite> rewriteGroup(List<DataFile> inputs, RewriteSettings sizes,
      Supplier<String> nextLocation) {
    return Optional.empty();
  }

  /**
   * The snapshot that committed the append with this key, if any retained or expired-but-remembered
   * snapshot did. Stagers use it to recognise a flush that committed before a crash.
   */
  Optional<TableSnapshot> findAppend(String commitKey);

  /**
   * Adds files. Idempotent by {@code commitKey}: if an append with that key was already committed, nothing
   * changes and that earlier snapshot is returned, so a retried flush never adds rows twice.
   *
   * @param commitKey caller-chosen key unique per logical append, e.g. the flushed range of batches
   * @param files the files to add; their locations must be under {@link #location()}
   * @return the snapshot holding the files
   */
  TableSnapshot commitAppend(String commitKey, List<DataFile> files);

  /**
   * Swaps {@code removed} for {@code added} in one commit (compaction).
   *
   * @param summary facts recorded in the snapshot summary (may be empty)
   * @throws CommitConflictException if any removed file is no longer live; the table is unchanged
   */
  TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added, Map<String, String> summary);

  /**
   * Removes every live file of the given partitions in one commit (retention). Partitions with no live
   * file are ignored.
   *
   * @return the new snapshot, or empty if nothing was live in those partitions (no commit)
   */
  Optional<TableSnapshot> commitDropPartitions(Collection<String> partitions);

  /**
   * Expires snapshots that are both beyond the newest {@code retainLast} and committed before
   * {@code olderThan}. The current snapshot is never expired.
   *
   * @param retainLast how many of the newest snapshots to keep, at least 1
   * @param olderThan only snapshots committed strictly before this instant may expire
   * @param pinned snapshot ids that must not expire (e.g. named by a pending compaction checkpoint)
   * @return the snapshots expired, oldest first
   * @throws IllegalArgumentException if {@code retainLast < 1}
   */
  List<TableSnapshot> expireSnapshots(int retainLast, Instant olderThan, Set<Long> pinned);

  /**
   * Every location a retained snapshot references, data files and the catalog's own metadata files
   * alike: the orphan sweeper's valid set. Read fresh from storage (not from this handle's cache).
   *
   * @throws IncompleteValidSetException if any metadata needed could not be read; never a partial set
   */
  Set<String> referencedLocations();

  /**
   * Passes every location of {@link #referencedLocations()} to {@code action}, streaming: an implementation
   * over large tables overrides it to read its metadata piece by piece (manifest by manifest) so that the
   * orphan sweeper never needs the whole set in memory. A location may be passed more than once and in any
   * order. If this throws, the locations already passed are a partial set: the caller must discard them
   * and act as if none had come (the sweeper deletes nothing). Default: iterates
   * {@link #referencedLocations()}.
   *
   * @throws IncompleteValidSetException if any metadata needed could not be read
   */
  default void forEachReferencedLocation(Consumer<String> action) {
    referencedLocations().forEach(action);
  }
}
