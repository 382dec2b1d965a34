package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.s3.S3ObjectStore;
import java.net.URI;
import java.util.Map;

/**
 * {@link IcebergFileIoImplTest} on a real S3 protocol server: the FileIO finds the S3 store through the
 * {@code s3} provider, with the endpoint and credentials given as {@code lifecycle.store.s3.*} properties.
 */
class IcebergFileIoImplOnS3Test extends IcebergFileIoImplTest {
  private final URI root = S3TestServer.newRoot("io-impl");

  @Override
  URI root() {
    return root;
  }

  @Override
  Map<String, String> storeProperties() {
    try {
      return S3TestServer.storeProperties();
    } catch (Exception e) {
      throw new IllegalStateException("Cannot start the S3 test server", e);
    }
  }

  @Override
  ObjectStore openStore(URI root) {
    try {
      return S3ObjectStore.builder().root(root).endpoint(S3TestServer.endpoint()).region("us-east-1")
          .credentials(S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY).build();
    } catch (Exception e) {
      throw new IllegalStateException("Cannot start the S3 test server", e);
    }
  }
}
