package dev.lakelifecycle.core.internal.sweep;

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
import java.util.function.UnaryOperator;

/**
 * A real catalog with two seams for tests: an action run before the n-th {@code loadTable} (to commit
 * something between the sweeper's phases), and a rewrite of what tables report as referenced (to simulate
 * a catalog that returns an empty or foreign valid set).
 */
final class InterceptingCatalog implements TableCatalog {
  private final TableCatalog real;
  private final AtomicInteger loads = new AtomicInteger();
  private volatile BiConsumer<Integer, TableCatalog> beforeLoad = (n, c) -> { };
  private static final UnaryOperator<Set<String>> IDENTITY = UnaryOperator.identity();
  private final AtomicInteger streamed = new AtomicInteger();
  private volatile UnaryOperator<Set<String>> referenced = IDENTITY;

  InterceptingCatalog(TableCatalog real) {
    this.real = real;
  }

  /** Runs {@code action(n, realCatalog)} before the n-th (1-based) load. */
  void beforeLoad(BiConsumer<Integer, TableCatalog> action) {
    this.beforeLoad = action;
  }

  void rewriteReferenced(UnaryOperator<Set<String>> rewrite) {
    this.referenced = rewrite;
  }

  /** How many valid sets were built through the real table's streaming {@code forEachReferencedLocation}. */
  int streamedValidSets() {
    return streamed.get();
  }

  /** Stops rewriting: tables report what the real catalog references, streamed. */
  void resetReferenced() {
    this.referenced = IDENTITY;
  }

  int loads() {
    return loads.get();
  }

  @Override
  public CatalogTable loadTable(TableId id) {
    beforeLoad.accept(loads.incrementAndGet(), real);
    return new Table(real.loadTable(id));
  }

  @Override
  public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) {
    return real.createTable(id, schema, spec);
  }

  @Override
  public boolean tableExists(TableId id) {
    return real.tableExists(id);
  }

  @Override
  public List<TableId> listTables() {
    return real.listTables();
  }

  @Override
  public void close() {
    real.close();
  }

  private final class Table implements CatalogTable {
    private final CatalogTable t;

    Table(CatalogTable t) {
      this.t = t;
    }

    @Override
    public Set<String> referencedLocations() {
      return referenced.apply(t.referencedLocations());
    }

    /** The real table's streaming path unless a rewrite is set (a rewrite needs the whole set). */
    @Override
    public void forEachReferencedLocation(java.util.function.Consumer<String> action) {
      UnaryOperator<Set<String>> rewrite = referenced;
      if (rewrite == IDENTITY) {
        streamed.incrementAndGet();
        t.forEachReferencedLocation(action);
      } else {
        rewrite.apply(t.referencedLocations()).forEach(action);
      }
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
    public TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
        Map<String, String> summary) {
      return t.commitReplace(removed, added, summary);
    }

    @Override
    public Optional<TableSnapshot> commitDropPartitions(Collection<String> partitions) {
      return t.commitDropPartitions(partitions);
    }

    @Override
    public List<TableSnapshot> expireSnapshots(int retainLast, Instant olderThan, Set<Long> pinned) {
      return t.expireSnapshots(retainLast, olderThan, pinned);
    }
  }
}
