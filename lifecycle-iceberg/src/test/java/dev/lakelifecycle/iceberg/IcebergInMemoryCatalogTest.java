package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.testkit.TableCatalogContract;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.inmemory.InMemoryCatalog;
import org.junit.jupiter.api.BeforeEach;

/**
 * The testkit's catalog contract for {@link IcebergTableCatalog} over Iceberg's {@link InMemoryCatalog} and
 * its own in-memory FileIO: the catalog works over any Iceberg catalog, not only the JDBC one.
 */
class IcebergInMemoryCatalogTest extends TableCatalogContract {

  @BeforeEach
  void startAtWallClock() {
    // Iceberg stamps snapshots with the wall clock; the suite's cutoffs are relative to its clock.
    clock.set(Instant.now());
  }

  @Override
  protected TableCatalog newCatalog(Clock clock) {
    InMemoryCatalog memory = new InMemoryCatalog();
    memory.initialize("memory", Map.of(CatalogProperties.WAREHOUSE_LOCATION, "memory://warehouse"));
    return IcebergTableCatalog.owning(memory);
  }

  @Override
  protected boolean supportsSchemaEvolution() {
    return true;
  }

  @Override
  protected boolean usesSuppliedClock() {
    return false;
  }
}
