package dev.lakelifecycle.api.catalog;

import dev.lakelifecycle.api.NoSuchTableException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableAlreadyExistsException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import java.util.List;

/**
 * Creates and loads tables. Thread-safe. Checked by {@code lifecycle-testkit}'s {@code TableCatalogContract}.
 */
public interface TableCatalog extends AutoCloseable {

  /**
   * Creates an empty table.
   *
   * @throws TableAlreadyExistsException if it exists
   */
  CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec);

  /**
   * Loads a table at its latest committed snapshot.
   *
   * @throws NoSuchTableException if it does not exist
   */
  CatalogTable loadTable(TableId id);

  /**
   * Loads the table, creating it first if it does not exist (racing creators both get the table).
   * The schema and spec are used only for creation.
   */
  default CatalogTable loadOrCreateTable(TableId id, TableSchema schema, PartitionSpec spec) {
    try {
      return loadTable(id);
    } catch (NoSuchTableException e) {
      try {
        return createTable(id, schema, spec);
      } catch (TableAlreadyExistsException raced) {
        return loadTable(id);
      }
    }
  }

  boolean tableExists(TableId id);

  /** Every table in the catalog, sorted by id path. */
  List<TableId> listTables();

  @Override
  void close();
}
