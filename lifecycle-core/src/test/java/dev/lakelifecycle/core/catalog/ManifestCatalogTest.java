package dev.lakelifecycle.core.catalog;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.testkit.TableCatalogContract;
import java.time.Clock;
import java.util.List;

/** The TableCatalog contract, and the manifest catalog's own behaviour, on a real store. */
class ManifestCatalogTest extends TableCatalogContract {
  private ObjectStore store;

  @Override
  protected TableCatalog newCatalog(Clock clock) {
    store = new InMemoryObjectStore("mem://lake/");
    return new ManifestCatalog(store, clock);
  }

  @Override
  protected TableCatalog openSameStorage(Clock clock) {
    return new ManifestCatalog(store, clock);
  }

  @Override
  protected boolean supportsSeparateInstances() {
    return true;
  }

  @Override
  protected boolean supportsMetadataTampering() {
    return true;
  }

  @Override
  protected void deleteObject(String location) {
    store.delete(List.of(store.keyOf(location).orElseThrow()));
  }

  @Override
  protected void overwriteObject(String location, byte[] content) {
    store.put(store.keyOf(location).orElseThrow(), content);
  }
}
