package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.testkit.TableCatalogContract;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** The testkit's TableCatalog contract on the file-manifest catalog, with S3 (s3proxy) underneath. */
class S3ManifestCatalogTest extends TableCatalogContract {
  private S3ObjectStore store;

  @Override
  protected TableCatalog newCatalog(Clock clock) {
    store = S3Server.shared().builder(S3Server.freshRoot("catalog")).build();
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

  /** The manifest catalog evolves schemas (the contract otherwise expects addColumns to refuse). */
  @Override
  protected boolean supportsSchemaEvolution() {
    return true;
  }

  @Override
  protected boolean tracksMetadataVersion() {
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

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }
}
