package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.storage.ObjectStore;

/** {@link IcebergDeleteDuringCompactionTest} with the warehouse on a real S3 protocol server. */
class IcebergDeleteDuringCompactionOnS3Test extends IcebergDeleteDuringCompactionTest {
  @Override
  ObjectStore newStore() {
    return S3TestServer.newStore("deletes");
  }
}
