package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.s3.S3ObjectStore;
import java.net.URI;
import java.util.Map;
import java.util.UUID;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

/**
 * One in-process S3 protocol server (s3proxy on 127.0.0.1) shared by the Iceberg tests that run on S3; started
 * on first use, stopped when the test JVM exits. Each store gets its own prefix of one bucket.
 */
final class S3TestServer {
  static final String BUCKET = "lake";
  static final String ACCESS_KEY = "test-access-key";
  static final String SECRET_KEY = "test-secret-key-not-a-real-one";
  private static S3Proxy proxy;

  private S3TestServer() {}

  /** The server's endpoint, starting it on first use. */
  static synchronized URI endpoint() throws Exception {
    if (proxy == null) {
      TransientNio2BlobStore blobs = new TransientNio2BlobStore();
      blobs.createContainer(BUCKET);
      S3Proxy started = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:0"))
          .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
      started.start();
      for (int i = 0; i < 500 && !"STARTED".equals(started.getState()); i++) {
        Thread.sleep(10);
      }
      proxy = started;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.stop();
        } catch (Exception e) {
          throw new IllegalStateException("Cannot stop the S3 test server", e);
        }
      }));
    }
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** A root location of its own on the server: {@code s3://lake/<prefix>-<random>/}. */
  static URI newRoot(String prefix) {
    return URI.create("s3://" + BUCKET + "/" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8) + "/");
  }

  /** A store at a root of its own. */
  static ObjectStore newStore(String prefix) {
    try {
      return S3ObjectStore.builder().root(newRoot(prefix)).endpoint(endpoint()).region("us-east-1")
          .credentials(ACCESS_KEY, SECRET_KEY).build();
    } catch (Exception e) {
      throw new IllegalStateException("Cannot start the S3 test server", e);
    }
  }

  /** The {@code lifecycle.store.*} provider properties reaching this server. */
  static Map<String, String> storeProperties() throws Exception {
    return Map.of("lifecycle.store.s3.endpoint", endpoint().toString(), "lifecycle.store.s3.region", "us-east-1",
        "lifecycle.store.s3.access-key-id", ACCESS_KEY, "lifecycle.store.s3.secret-access-key", SECRET_KEY);
  }
}
