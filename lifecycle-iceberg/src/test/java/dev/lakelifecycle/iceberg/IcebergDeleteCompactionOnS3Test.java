package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.storage.ObjectStore;

/**
 * Every scenario of {@link IcebergDeleteCompactionTest} with the warehouse on a real S3 protocol server (s3proxy
 * in-process on 127.0.0.1): data, delete and metadata files, and the delete-applying rewrite's reads and writes,
 * go through {@link ObjectStoreFileIO} to the {@link dev.lakelifecycle.s3.S3ObjectStore}.
 */
class IcebergDeleteCompactionOnS3Test extends IcebergDeleteCompactionTest {
  @Override
  ObjectStore newStore() {
    return S3TestServer.newStore("deletes");
  }
}
