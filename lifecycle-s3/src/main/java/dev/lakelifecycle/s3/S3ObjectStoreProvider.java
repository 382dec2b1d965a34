package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.ObjectStoreProvider;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Opens an {@link S3ObjectStore} for {@code s3://bucket/prefix/} and {@code s3a://bucket/prefix/} (one
 * store: both spellings of a location give the same key). Registered for {@link java.util.ServiceLoader}.
 *
 * <p>Settings come from the properties passed to {@link #open} and, for each one missing there, from the
 * environment variable {@code LIFECYCLE_} + the property in upper case with {@code .} and {@code -} as
 * {@code _} (e.g. {@code s3.endpoint} → {@code LIFECYCLE_S3_ENDPOINT}). Unset, the SDK's defaults apply:
 * its credentials chain ({@code AWS_ACCESS_KEY_ID}, profiles, roles) and region chain ({@code AWS_REGION}).
 *
 * <table>
 *   <caption>Properties</caption>
 *   <tr><th>property</th><th>meaning</th></tr>
 *   <tr><td>{@code s3.region}</td><td>region, e.g. {@code eu-west-1}</td></tr>
 *   <tr><td>{@code s3.endpoint}</td><td>endpoint of an S3-compatible store, e.g. {@code http://127.0.0.1:9000}</td></tr>
 *   <tr><td>{@code s3.path-style-access}</td><td>{@code true}/{@code false}; default true with an endpoint</td></tr>
 *   <tr><td>{@code s3.access-key-id}, {@code s3.secret-access-key}, {@code s3.session-token}</td>
 *       <td>static credentials (both keys or neither; token optional)</td></tr>
 *   <tr><td>{@code s3.sse}</td><td>{@code none} (the bucket's default), {@code s3} (SSE-S3) or {@code kms} (SSE-KMS)</td></tr>
 *   <tr><td>{@code s3.sse-kms-key-id}</td><td>KMS key id/alias/ARN for {@code s3.sse=kms}; default the AWS-managed key</td></tr>
 *   <tr><td>{@code s3.storage-class}</td><td>e.g. {@code STANDARD_IA}</td></tr>
 *   <tr><td>{@code s3.part-size}</td><td>multipart part size in bytes (at least 5 MiB; default 8 MiB)</td></tr>
 *   <tr><td>{@code s3.read-ahead}</td><td>read-ahead in bytes (default 128 KiB)</td></tr>
 *   <tr><td>{@code s3.max-attempts}</td><td>attempts per request including the first (default 8)</td></tr>
 *   <tr><td>{@code s3.verify-bucket}</td><td>check the bucket when opening (default true)</td></tr>
 * </table>
 */
public final class S3ObjectStoreProvider implements ObjectStoreProvider {
  static final List<String> PROPERTIES = List.of("s3.region", "s3.endpoint", "s3.path-style-access",
      "s3.access-key-id", "s3.secret-access-key", "s3.session-token", "s3.sse", "s3.sse-kms-key-id",
      "s3.storage-class", "s3.part-size", "s3.read-ahead", "s3.max-attempts", "s3.verify-bucket");

  private final Map<String, String> environment;

  /** Used by {@link java.util.ServiceLoader}; reads {@code LIFECYCLE_S3_*} from the process environment. */
  public S3ObjectStoreProvider() {
    this(System.getenv());
  }

  S3ObjectStoreProvider(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public Set<String> schemes() {
    return Set.of("s3", "s3a");
  }

  /**
   * @throws InvalidConfigurationException for a bad root, an unknown property or a bad value (naming the
   *     property and what it accepts), or a failed bucket check
   */
  @Override
  public ObjectStore open(URI root, Map<String, String> properties) {
    Map<String, String> props = properties == null ? Map.of() : properties;
    Set<String> unknown = new TreeSet<>(props.keySet());
    unknown.removeAll(PROPERTIES);
    if (!unknown.isEmpty()) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "Unknown S3 store properties %s for %s (known: %s)", unknown, root, PROPERTIES));
    }
    Map<String, String> s = new LinkedHashMap<>();
    for (String p : PROPERTIES) {
      String v = props.get(p);
      if (v == null) {
        v = environment.get(envName(p));
      }
      if (v != null && !v.isBlank()) {
        s.put(p, v.trim());
      }
    }
    S3ObjectStore.Builder b = S3ObjectStore.builder().root(root);
    try {
      if (s.containsKey("s3.region")) {
        b.region(s.get("s3.region"));
      }
      if (s.containsKey("s3.endpoint")) {
        b.endpoint(URI.create(s.get("s3.endpoint")));
      }
      if (s.containsKey("s3.path-style-access")) {
        b.pathStyleAccess(bool(s, "s3.path-style-access"));
      }
      String id = s.get("s3.access-key-id");
      String secret = s.get("s3.secret-access-key");
      if ((id == null) != (secret == null)) {
        throw new IllegalArgumentException("s3.access-key-id and s3.secret-access-key must be set together"
            + " (or neither, for the SDK's default credentials chain)");
      }
      if (id != null) {
        b.credentials(id, secret, s.get("s3.session-token"));
      }
      String sse = s.getOrDefault("s3.sse", "none").toLowerCase(Locale.ROOT);
      switch (sse) {
        case "none" -> {
          if (s.containsKey("s3.sse-kms-key-id")) {
            throw new IllegalArgumentException("s3.sse-kms-key-id needs s3.sse=kms");
          }
        }
        case "s3", "aes256" -> b.sseS3();
        case "kms", "aws:kms" -> b.sseKms(s.get("s3.sse-kms-key-id"));
        default -> throw new IllegalArgumentException("s3.sse must be none, s3 or kms, got '" + sse + "'");
      }
      if (s.containsKey("s3.storage-class")) {
        b.storageClass(s.get("s3.storage-class"));
      }
      if (s.containsKey("s3.part-size")) {
        b.partSize(number(s, "s3.part-size"));
      }
      if (s.containsKey("s3.read-ahead")) {
        b.readAheadBytes(Math.toIntExact(number(s, "s3.read-ahead")));
      }
      if (s.containsKey("s3.max-attempts")) {
        b.maxAttempts(Math.toIntExact(number(s, "s3.max-attempts")));
      }
      if (s.containsKey("s3.verify-bucket")) {
        b.verifyBucket(bool(s, "s3.verify-bucket"));
      }
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT, "Invalid S3 store setting for %s: %s",
          root, e.getMessage()), e);
    }
    return b.build();
  }

  /** {@code s3.sse-kms-key-id} → {@code LIFECYCLE_S3_SSE_KMS_KEY_ID}. */
  static String envName(String property) {
    return "LIFECYCLE_" + property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private static boolean bool(Map<String, String> s, String p) {
    String v = s.get(p).toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException(p + " must be true or false, got '" + s.get(p) + "'");
    }
    return Boolean.parseBoolean(v);
  }

  private static long number(Map<String, String> s, String p) {
    try {
      return Long.parseLong(s.get(p).replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(p + " must be a whole number, got '" + s.get(p) + "'", e);
    }
  }
}
