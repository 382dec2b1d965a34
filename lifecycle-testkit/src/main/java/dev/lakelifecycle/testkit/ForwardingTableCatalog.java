package dev.lakelifecycle.testkit;

import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import java.util.List;

/**
 * A {@link TableCatalog} that forwards every call to another catalog, in the style of Guava's
 * {@code Forwarding*} classes. Extend and override only what you intercept; used to wrap real components
 * for fault injection.
 *
 * <p>Every abstract method forwards to {@link #delegate()}; tables come back unwrapped (override
 * {@link #loadTable} or {@link #createTable} and wrap them in a {@link ForwardingCatalogTable} to intercept
 * commits). The default {@code loadOrCreateTable} is deliberately not forwarded: it keeps going through
 * this wrapper's {@code loadTable} and {@code createTable}, so their overrides see it too.
 * {@link #close()} closes the delegate.
 */
public abstract class ForwardingTableCatalog extends ForwardingObject<TableCatalog> implements TableCatalog {
  /**
   * @param delegate the catalog every call goes to
   * @throws NullPointerException if {@code delegate} is null
   */
  protected ForwardingTableCatalog(TableCatalog delegate) {
    super(delegate);
  }

  @Override
  public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) {
    return delegate().createTable(id, schema, spec);
  }

  @Override
  public CatalogTable loadTable(TableId id) {
    return delegate().loadTable(id);
  }

  @Override
  public boolean tableExists(TableId id) {
    return delegate().tableExists(id);
  }

  @Override
  public List<TableId> listTables() {
    return delegate().listTables();
  }

  @Override
  public void close() {
    delegate().close();
  }
}
