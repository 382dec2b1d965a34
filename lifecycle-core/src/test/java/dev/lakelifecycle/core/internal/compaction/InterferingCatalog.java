package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.testkit.ForwardingCatalogTable;
import dev.lakelifecycle.testkit.ForwardingTableCatalog;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A real catalog whose tables let a concurrent writer act just before each of the first {@code times}
 * replace commits (after the compactor planned and rewrote), so the race is deterministic.
 */
final class InterferingCatalog extends ForwardingTableCatalog {
  private final BiConsumer<TableId, Collection<DataFile>> beforeReplace;
  private final AtomicInteger remaining;

  /**
   * @param beforeReplace gets the table and the files the compactor is about to remove
   */
  InterferingCatalog(TableCatalog delegate, int times, BiConsumer<TableId, Collection<DataFile>> beforeReplace) {
    super(delegate);
    this.beforeReplace = beforeReplace;
    this.remaining = new AtomicInteger(times);
  }

  @Override
  public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) {
    return new Table(super.createTable(id, schema, spec));
  }

  @Override
  public CatalogTable loadTable(TableId id) {
    return new Table(super.loadTable(id));
  }

  private final class Table extends ForwardingCatalogTable {
    Table(CatalogTable t) {
      super(t);
    }

    @Override
    public TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
        Map<String, String> summary) {
      if (remaining.getAndDecrement() > 0) {
        beforeReplace.accept(id(), removed);
      }
      return super.commitReplace(removed, added, summary);
    }
  }
}
