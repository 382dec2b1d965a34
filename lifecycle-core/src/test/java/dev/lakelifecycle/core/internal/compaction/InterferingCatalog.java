package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A real catalog whose tables let a concurrent writer act just before each of the first {@code times}
 * replace commits (after the compactor planned and rewrote), so the race is deterministic.
 */
final class InterferingCatalog implements TableCatalog {
  private final TableCatalog delegate;
  private final BiConsumer<TableId, Collection<DataFile>> beforeReplace;
  private final AtomicInteger remaining;

  /**
   * @param beforeReplace gets the table and the files the compactor is about to remove
   */
  InterferingCatalog(TableCatalog delegate, int times, BiConsumer<TableId, Collection<DataFile>> beforeReplace) {
    this.delegate = delegate;
    this.beforeReplace = beforeReplace;
    this.remaining = new AtomicInteger(times);
  }

  @Override
  public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) {
    return new Table(delegate.createTable(id, schema, spec));
  }

  @Override
  public CatalogTable loadTable(TableId id) {
    return new Table(delegate.loadTable(id));
  }

  @Override
  public boolean tableExists(TableId id) {
    return delegate.tableExists(id);
  }

  @Override
  public List<TableId> listTables() {
    return delegate.listTables();
  }

  @Override
  public void close() {
    delegate.close();
  }

  private final class Table implements CatalogTable {
    private final CatalogTable t;

    Table(CatalogTable t) {
      this.t = t;
    }

    @Override
    public TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
        Map<String, String> summary) {
      if (remaining.getAndDecrement() > 0) {
        beforeReplace.accept(t.id(), removed);
      }
      return t.commitReplace(removed, added, summary);
    }

    @Override
    public TableId id() {
      return t.id();
    }

    @Override
    public String location() {
      return t.location();
    }

    @Override
    public TableSchema schema() {
      return t.schema();
    }

    @Override
    public PartitionSpec partitionSpec() {
      return t.partitionSpec();
    }

    @Override
    public Optional<TableSnapshot> currentSnapshot() {
      return t.currentSnapshot();
    }

    @Override
    public List<TableSnapshot> snapshots() {
      return t.snapshots();
    }

    @Override
    public void refresh() {
      t.refresh();
    }

    @Override
    public List<DataFile> liveFiles() {
      return t.liveFiles();
    }

    @Override
    public Optional<TableSnapshot> findAppend(String commitKey) {
      return t.findAppend(commitKey);
    }

    @Override
    public TableSnapshot commitAppend(String commitKey, List<DataFile> files) {
      return t.commitAppend(commitKey, files);
    }

    @Override
    public Optional<TableSnapshot> commitDropPartitions(Collection<String> partitions) {
      return t.commitDropPartitions(partitions);
    }

    @Override
    public List<TableSnapshot> expireSnapshots(int retainLast, Instant olderThan, Set<Long> pinned) {
      return t.expireSnapshots(retainLast, olderThan, pinned);
    }

    @Override
    public Set<String> referencedLocations() {
      return t.referencedLocations();
    }
  }
}
