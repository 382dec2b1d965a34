package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.storage.ObjectStore;

/** {@link IcebergRefsExpiryTest} with the warehouse on a real S3 protocol server. */
class IcebergRefsExpiryOnS3Test extends IcebergRefsExpiryTest {
  @Override
  ObjectStore newStore() {
    return S3TestServer.newStore("refs");
  }
}
