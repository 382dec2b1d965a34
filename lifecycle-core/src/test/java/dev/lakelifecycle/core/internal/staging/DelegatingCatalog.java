package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
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

/**
 * A real catalog whose next appends fail: either before committing, or after committing (the acknowledgement
 * is lost, as when the connection drops once the commit landed).
 */
final class DelegatingCatalog implements TableCatalog {
  enum Failure { BEFORE_COMMIT, AFTER_COMMIT }

  private final TableCatalog delegate;
  private final AtomicInteger failures = new AtomicInteger();
  private volatile Failure failure = Failure.BEFORE_COMMIT;
  final AtomicInteger appendCalls = new AtomicInteger();

  DelegatingCatalog(TableCatalog delegate) {
    this.delegate = delegate;
  }

  void failNextAppends(int count, Failure how) {
    failure = how;
    failures.set(count);
  }

  @Override
  public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) {
    return delegate.createTable(id, schema, spec);
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
    public TableSnapshot commitAppend(String commitKey, List<DataFile> files) {
      appendCalls.incrementAndGet();
      boolean fail = failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
      if (fail && failure == Failure.BEFORE_COMMIT) {
        throw new LifecycleException("Injected failure before committing " + commitKey);
      }
      TableSnapshot s = t.commitAppend(commitKey, files);
      if (fail) {
        throw new LifecycleException("Injected loss of the acknowledgement of " + commitKey);
      }
      return s;
    }

    @Override public TableId id() {
      return t.id();
    }

    @Override public String location() {
      return t.location();
    }

    @Override public TableSchema schema() {
      return t.schema();
    }

    @Override public PartitionSpec partitionSpec() {
      return t.partitionSpec();
    }

    @Override public Optional<TableSnapshot> currentSnapshot() {
      return t.currentSnapshot();
    }

    @Override public List<TableSnapshot> snapshots() {
      return t.snapshots();
    }

    @Override public void refresh() {
      t.refresh();
    }

    @Override public List<DataFile> liveFiles() {
      return t.liveFiles();
    }

    @Override public Optional<TableSnapshot> findAppend(String commitKey) {
      return t.findAppend(commitKey);
    }

    @Override public TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
        Map<String, String> summary) {
      return t.commitReplace(removed, added, summary);
    }

    @Override public Optional<TableSnapshot> commitDropPartitions(Collection<String> partitions) {
      return t.commitDropPartitions(partitions);
    }

    @Override public List<TableSnapshot> expireSnapshots(int retainLast, Instant olderThan, Set<Long> pinned) {
      return t.expireSnapshots(retainLast, olderThan, pinned);
    }

    @Override public Set<String> referencedLocations() {
      return t.referencedLocations();
    }
  }
}
