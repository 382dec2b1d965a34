package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.s3.S3ObjectStore;
import java.net.URI;
import java.util.UUID;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every scenario of {@link IcebergDeleteCompactionTest} with the warehouse on a real S3 protocol server (s3proxy
 * in-process on 127.0.0.1): data, delete and metadata files, and the delete-applying rewrite's reads and writes,
 * go through {@link ObjectStoreFileIO} to the {@link S3ObjectStore}.
 */
class IcebergDeleteCompactionOnS3Test extends IcebergDeleteCompactionTest {
  private static final String BUCKET = "lake";
  private static final String ACCESS_KEY = "test-access-key";
  private static final String SECRET_KEY = "test-secret-key-not-a-real-one";
  private static S3Proxy proxy;

  @BeforeAll
  static void startS3() throws Exception {
    TransientNio2BlobStore blobs = new TransientNio2BlobStore();
    blobs.createContainer(BUCKET);
    proxy = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
    proxy.start();
    for (int i = 0; i < 500 && !"STARTED".equals(proxy.getState()); i++) {
      Thread.sleep(10);
    }
  }

  @AfterAll
  static void stopS3() throws Exception {
    proxy.stop();
  }

  @Override
  ObjectStore newStore() {
    return S3ObjectStore.builder()
        .root(URI.create("s3://" + BUCKET + "/deletes-" + UUID.randomUUID().toString().substring(0, 8) + "/"))
        .endpoint(URI.create("http://127.0.0.1:" + proxy.getPort()))
        .region("us-east-1")
        .credentials(ACCESS_KEY, SECRET_KEY)
        .build();
  }
}
