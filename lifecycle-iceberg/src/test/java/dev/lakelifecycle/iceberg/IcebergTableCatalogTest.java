package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.TableCatalogContract;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The testkit's catalog contract for {@link IcebergTableCatalog} over a real Iceberg {@code JdbcCatalog} on
 * SQLite, its warehouse on a {@link LocalObjectStore} through {@link ObjectStoreFileIO}.
 */
class IcebergTableCatalogTest extends TableCatalogContract {
  @TempDir Path dir;
  private LocalObjectStore store;

  @BeforeEach
  void startAtWallClock() {
    // Iceberg stamps snapshots with the wall clock; the suite's cutoffs are relative to its clock, so
    // the clock starts now rather than at the suite's fixed date.
    clock.set(Instant.now());
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  private LocalObjectStore store() {
    if (store == null) {
      store = LocalObjectStore.create(dir.resolve("store"));
    }
    return store;
  }

  private TableCatalog open() {
    return IcebergTableCatalog.jdbc("lake", "jdbc:sqlite:" + dir.resolve("catalog.db"), store(), "",
        Map.of());
  }

  @Override
  protected TableCatalog newCatalog(Clock clock) {
    return open();
  }

  @Override
  protected TableCatalog openSameStorage(Clock clock) {
    return open();
  }

  @Override
  protected boolean supportsSeparateInstances() {
    return true;
  }

  @Override
  protected boolean supportsSchemaEvolution() {
    return true;
  }

  @Override
  protected boolean usesSuppliedClock() {
    return false;
  }

  @Override
  protected boolean supportsMetadataTampering() {
    return true;
  }

  @Override
  protected void deleteObject(String location) {
    store().delete(List.of(store().keyOf(location).orElseThrow()));
  }

  @Override
  protected void overwriteObject(String location, byte[] content) {
    store().put(store().keyOf(location).orElseThrow(), content);
  }
}
