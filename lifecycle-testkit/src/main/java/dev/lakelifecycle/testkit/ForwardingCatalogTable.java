package dev.lakelifecycle.testkit;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.SortOrder;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link CatalogTable} handle that forwards every call to another handle, in the style of Guava's
 * {@code Forwarding*} classes. Extend and override only what you intercept; used to wrap real components
 * for fault injection.
 *
 * <p>Every abstract method forwards to {@link #delegate()}. The default {@code liveFiles(Predicate)} is
 * deliberately not forwarded: it keeps going through this wrapper's {@link #liveFiles()}.
 */
public abstract class ForwardingCatalogTable extends ForwardingObject<CatalogTable> implements CatalogTable {
  /**
   * @param delegate the table handle every call goes to
   * @throws NullPointerException if {@code delegate} is null
   */
  protected ForwardingCatalogTable(CatalogTable delegate) {
    super(delegate);
  }

  @Override
  public TableId id() {
    return delegate().id();
  }

  @Override
  public String location() {
    return delegate().location();
  }

  @Override
  public TableSchema schema() {
    return delegate().schema();
  }

  @Override
  public TableSchema addColumns(List<TableSchema.Column> columns) {
    return delegate().addColumns(columns);
  }

  @Override
  public PartitionSpec partitionSpec() {
    return delegate().partitionSpec();
  }

  @Override
  public Map<DataFile, String> filesKeptFromRewrite() {
    return delegate().filesKeptFromRewrite();
  }

  @Override
  public SortOrder sortOrder() {
    return delegate().sortOrder();
  }

  @Override
  public Optional<TableSnapshot> currentSnapshot() {
    return delegate().currentSnapshot();
  }

  @Override
  public List<TableSnapshot> snapshots() {
    return delegate().snapshots();
  }

  @Override
  public void refresh() {
    delegate().refresh();
  }

  @Override
  public Optional<String> metadataVersion() {
    return delegate().metadataVersion();
  }

  @Override
  public List<DataFile> liveFiles() {
    return delegate().liveFiles();
  }

  @Override
  public Optional<Rewrite> rewriteGroup(List<DataFile> inputs, RewriteSettings sizes,
      java.util.function.Supplier<String> nextLocation) {
    return delegate().rewriteGroup(inputs, sizes, nextLocation);
  }

  @Override
  public Optional<TableSnapshot> findAppend(String commitKey) {
    return delegate().findAppend(commitKey);
  }

  @Override
  public TableSnapshot commitAppend(String commitKey, List<DataFile> files) {
    return delegate().commitAppend(commitKey, files);
  }

  @Override
  public TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
      Map<String, String> summary) {
    return delegate().commitReplace(removed, added, summary);
  }

  @Override
  public Optional<TableSnapshot> commitDropPartitions(Collection<String> partitions) {
    return delegate().commitDropPartitions(partitions);
  }

  @Override
  public List<TableSnapshot> expireSnapshots(int retainLast, Instant olderThan, Set<Long> pinned) {
    return delegate().expireSnapshots(retainLast, olderThan, pinned);
  }

  @Override
  public Set<String> referencedLocations() {
    return delegate().referencedLocations();
  }
}
