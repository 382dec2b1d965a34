package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.storage.ObjectStore;

/** {@link IcebergFileMetricsTest} with the warehouse on a real S3 protocol server. */
class IcebergFileMetricsOnS3Test extends IcebergFileMetricsTest {
  @Override
  ObjectStore newStore() {
    return S3TestServer.newStore("metrics");
  }
}
