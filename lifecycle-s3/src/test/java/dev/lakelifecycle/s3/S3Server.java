package dev.lakelifecycle.s3;

import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * A real S3 protocol server for tests: s3proxy in-process on an in-memory blob store, listening on
 * 127.0.0.1 on a free port, shared by all tests of the JVM (it starts in well under a second). Each test
 * works under its own fresh prefix of the one bucket, so tests never see each other's objects. Public, and
 * shipped in this module's test-jar, for the examples' S3 quickstart test.
 */
public final class S3Server {
  public static final String BUCKET = "lake";
  public static final String ACCESS_KEY = "test-access-key";
  public static final String SECRET_KEY = "test-secret-key-not-a-real-one";

  private static S3Server shared;

  private final S3Proxy proxy;
  private final StrictS3BlobStore blobs;
  private final URI endpoint;

  private S3Server() throws Exception {
    blobs = new StrictS3BlobStore(new TransientNio2BlobStore());
    blobs.createContainer(BUCKET);
    proxy = S3Proxy.builder()
        .blobStore(blobs)
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .build();
    proxy.start();
    for (int i = 0; i < 500 && !"STARTED".equals(proxy.getState()); i++) {
      Thread.onSpinWait();
      Thread.sleep(10);
    }
    endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** The JVM's server, started on first use and stopped when the JVM exits. */
  public static synchronized S3Server shared() {
    if (shared == null) {
      try {
        shared = new S3Server();
      } catch (Exception e) {
        throw new IllegalStateException("Cannot start s3proxy on 127.0.0.1", e);
      }
      S3Server s = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          s.proxy.stop();
        } catch (Exception e) {
          throw new IllegalStateException("Cannot stop s3proxy", e);
        }
      }, "s3proxy-stop"));
    }
    return shared;
  }

  public URI endpoint() {
    return endpoint;
  }

  /** The server's blob store, for seeding many objects without HTTP. */
  StrictS3BlobStore blobs() {
    return blobs;
  }

  /** A fresh root {@code s3://lake/<test>-<uuid>/}. */
  public static URI freshRoot(String name) {
    return URI.create("s3://" + BUCKET + "/" + name + "-" + UUID.randomUUID().toString().substring(0, 8) + "/");
  }

  /** A builder for a store at {@code root} on this server (or on {@code endpoint}, e.g. a fault proxy). */
  S3ObjectStore.Builder builder(URI root, URI endpoint) {
    return S3ObjectStore.builder().root(root).endpoint(endpoint).region("us-east-1")
        .credentials(ACCESS_KEY, SECRET_KEY);
  }

  public S3ObjectStore.Builder builder(URI root) {
    return builder(root, endpoint);
  }

  /** Incomplete multipart uploads in the bucket whose key starts with {@code fullKeyPrefix}. */
  public List<MultipartUpload> incompleteUploads(String fullKeyPrefix) {
    return blobs.listMultipartUploads(BUCKET).stream().filter(u -> u.key().startsWith(fullKeyPrefix)).toList();
  }
}
