package dev.lakelifecycle.core.catalog;

import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.storage.ObjectStore;
import java.time.Clock;
import java.util.List;

/** STUB: being written. */
public final class ManifestCatalog implements TableCatalog {
  public ManifestCatalog(ObjectStore store, Clock clock) {}

  @Override public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) { throw new UnsupportedOperationException("not written yet"); }
  @Override public CatalogTable loadTable(TableId id) { throw new UnsupportedOperationException("not written yet"); }
  @Override public boolean tableExists(TableId id) { throw new UnsupportedOperationException("not written yet"); }
  @Override public List<TableId> listTables() { throw new UnsupportedOperationException("not written yet"); }
  @Override public void close() {}
}
