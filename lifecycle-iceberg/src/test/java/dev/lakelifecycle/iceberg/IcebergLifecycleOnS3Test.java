package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.storage.ObjectStore;

/**
 * Every Iceberg lifecycle scenario of {@link IcebergLifecycleTest} with the warehouse on a real S3 protocol
 * server (s3proxy in-process on 127.0.0.1), metadata and data going through {@link ObjectStoreFileIO} to the
 * {@link dev.lakelifecycle.s3.S3ObjectStore}. S3 stamps objects with the wall clock; the test clock starts at the wall clock.
 */
class IcebergLifecycleOnS3Test extends IcebergLifecycleTest {
  @Override
  ObjectStore newStore() {
    return S3TestServer.newStore("iceberg");
  }
}
