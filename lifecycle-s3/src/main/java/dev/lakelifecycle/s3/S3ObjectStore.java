package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * An {@link ObjectStore} on Amazon S3 or an S3-compatible store (MinIO, Ceph RGW, R2, s3proxy...), on the
 * AWS SDK for Java v2 with its synchronous Apache 5 HTTP client.
 *
 * <pre>{@code
 * try (ObjectStore store = S3ObjectStore.builder()
 *     .root(URI.create("s3://my-bucket/lake/"))
 *     .region("eu-west-1")
 *     .build()) {
 *   Lifecycle lake = Lifecycle.builder().store(store).build();
 * }
 * }</pre>
 *
 * <h2>Locations and keys</h2>
 * The root is {@code s3://bucket/prefix/} (or {@code s3a://}); a key {@code k} is the S3 object
 * {@code prefix + k}. {@link #location(String)} keeps the root's scheme and the key's characters raw.
 * {@link #keyOf(String)} accepts {@code s3://} and {@code s3a://} of the same bucket alike, resolves
 * {@code .} and {@code ..} segments, reads the path raw first and, only if that is not a key inside the root,
 * percent-decoded (UTF-8). Keys are relative, {@code /}-separated, without empty, {@code .} or {@code ..}
 * segments, control characters or a trailing {@code /}. An object {@code a} and objects under {@code a/}
 * coexist, as S3 allows.
 *
 * <h2>Requests</h2>
 * <ul>
 *   <li>{@link #list} pages through {@code ListObjectsV2} lazily, {@link Builder#listPageSize(int)} keys per
 *       request, in S3's (UTF-8 binary) order; {@code startAfter} maps to S3's {@code StartAfter}.</li>
 *   <li>{@link #open} fetches the last {@link Builder#readAheadBytes(int)} bytes (default 128 KiB) in its
 *       first request, so a Parquet footer costs one GET; further reads are ranged GETs with
 *       {@code If-Match} on the opened etag, so an input never mixes two versions of an object. Small reads
 *       fetch a whole read-ahead block and are served from it.</li>
 *   <li>{@link #put} is one {@code PutObject} with {@code Content-MD5}; a condition becomes
 *       {@code If-None-Match: *} or {@code If-Match: <etag>}. A {@code 412} on a request the SDK retried is
 *       ambiguous (the first attempt may have landed): it is resolved by reading the object back and
 *       comparing content, never by assuming. A {@code 409 ConditionalRequestConflict} is retried.</li>
 *   <li>{@link #create} buffers one part ({@link Builder#partSize(long)}, default 8 MiB); a write that
 *       fits is one {@code PutObject} at close, a larger one becomes a multipart upload whose parts go up as
 *       they fill. Any failure, and {@link ObjectOutput#abort()}, aborts the upload so no incomplete upload
 *       remains (configure a bucket lifecycle rule to abort incomplete uploads too, for crashed processes).</li>
 *   <li>{@link #delete} sends {@code DeleteObjects} in batches of at most 1,000 keys; per-key errors are in
 *       the result.</li>
 *   <li>Throttling and transient failures (503 SlowDown, 500, 429, connection resets, timeouts) are retried
 *       by the SDK's standard strategy with exponential backoff and full jitter, at most
 *       {@link Builder#maxAttempts(int)} attempts (default 8) with delays from 50 ms up to 20 s.</li>
 * </ul>
 *
 * <h2>Etags</h2>
 * The etag is S3's {@code ETag}, quoted as S3 sends it. S3 derives it from the content (the MD5 for a
 * single unencrypted PUT): rewriting identical bytes keeps the etag, so {@code ifMatch} cannot tell two
 * writes of identical content apart. Callers that need every write to be distinguishable put something
 * unique in the content (the checkpoint store writes a token). Times are S3's {@code Last-Modified}, in
 * whole seconds (the precision {@code HeadObject} reports), so a listing and {@link #stat} agree.
 *
 * <h2>Errors</h2>
 * Missing objects are {@link ObjectNotFoundException}; a missing bucket {@link S3BucketNotFoundException};
 * refused credentials {@link S3AccessDeniedException}; everything else an {@link S3StorageException} whose
 * message names the operation, the {@code s3://} location and the fix, and never credentials.
 *
 * <p>Thread-safe. {@link #close()} closes the SDK client unless it was supplied with
 * {@link Builder#client(S3Client)}.
 */
public final class S3ObjectStore implements ObjectStore {
  private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);

  /** S3's smallest part size for all but the last part of a multipart upload. */
  static final long MIN_PART_SIZE = 5L * 1024 * 1024;
  static final int MAX_DELETE_BATCH = 1000;

  private final S3Client client;
  private final boolean ownsClient;
  private final S3Locations loc;
  private final long partSize;
  private final int readAhead;
  private final int listPageSize;
  private final int deleteBatchSize;
  private final int maxAttempts;
  private final ServerSideEncryption sse;
  private final String kmsKeyId;
  private final StorageClass storageClass;
  private final AtomicBoolean closed = new AtomicBoolean();

  private S3ObjectStore(Builder b, S3Client client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.loc = b.locations;
    this.partSize = b.partSize;
    this.readAhead = b.readAheadBytes;
    this.listPageSize = b.listPageSize;
    this.deleteBatchSize = b.deleteBatchSize;
    this.maxAttempts = b.maxAttempts;
    this.sse = b.sse;
    this.kmsKeyId = b.kmsKeyId;
    this.storageClass = b.storageClass;
  }

  /** A builder; {@link Builder#root(URI)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A store on {@code root} with every other setting from the environment: the SDK's default credentials
   * and region chains ({@code AWS_REGION}, {@code ~/.aws/config}, ...).
   */
  public static S3ObjectStore create(URI root) {
    return builder().root(root).build();
  }

  // ------------------------------------------------------------------------------------------ locations

  @Override
  public URI root() {
    return loc.rootUri();
  }

  @Override
  public String location(String key) {
    Objects.requireNonNull(key, "key");
    if (!key.isEmpty()) {
      S3Locations.checkKey(key.endsWith("/") ? key.substring(0, key.length() - 1) : key);
    }
    return loc.rootLocation() + key;
  }

  @Override
  public Optional<String> keyOf(String location) {
    return loc.keyOf(location);
  }

  /** The bucket of the root. */
  public String bucket() {
    return loc.bucket;
  }

  /** The key prefix of the root: {@code ""} or ending with {@code /}. */
  public String prefix() {
    return loc.prefix;
  }

  // ------------------------------------------------------------------------------------------ listing

  @Override
  public Stream<ObjectInfo> list(String prefix, String startAfter) {
    Objects.requireNonNull(prefix, "prefix");
    ensureOpen();
    Pager pager = new Pager(loc.prefix + prefix, startAfter == null ? null : loc.prefix + startAfter);
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(pager,
        Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT), false);
  }

  /** Fetches one page at a time, only when the previous one is consumed: memory is one page. */
  private final class Pager implements Iterator<ObjectInfo> {
    private final String fullPrefix;
    private String startAfter;
    private String continuation;
    private Iterator<S3Object> page = java.util.Collections.emptyIterator();
    private boolean more = true;

    Pager(String fullPrefix, String startAfter) {
      this.fullPrefix = fullPrefix;
      this.startAfter = startAfter;
    }

    @Override
    public boolean hasNext() {
      while (!page.hasNext() && more) {
        ensureOpen();
        ListObjectsV2Request.Builder req = ListObjectsV2Request.builder().bucket(loc.bucket).prefix(fullPrefix)
            .maxKeys(listPageSize)
            // S3 echoes StartAfter and writes keys into XML 1.0, which cannot carry U+FFFF or most control
            // characters; URL-encoded, any key and start-after travel safely (the SDK decodes them).
            .encodingType(EncodingType.URL);
        if (continuation != null) {
          req.continuationToken(continuation);
        } else if (startAfter != null) {
          req.startAfter(startAfter);
        }
        ListObjectsV2Response resp;
        try {
          resp = client.listObjectsV2(req.build());
        } catch (SdkException e) {
          throw S3Errors.translate(e, "list", loc.rootLocation() + fullPrefix.substring(loc.prefix.length()) + "*",
              loc.bucket, null, "s3:ListBucket");
        }
        page = resp.contents().iterator();
        more = Boolean.TRUE.equals(resp.isTruncated()) && resp.nextContinuationToken() != null;
        continuation = resp.nextContinuationToken();
        startAfter = null;
      }
      return page.hasNext();
    }

    @Override
    public ObjectInfo next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      S3Object o = page.next();
      return new ObjectInfo(o.key().substring(loc.prefix.length()), o.size() == null ? 0 : o.size(),
          seconds(o.lastModified()), quote(o.eTag()));
    }
  }

  // ------------------------------------------------------------------------------------------ reads

  @Override
  public Optional<ObjectInfo> stat(String key) {
    S3Locations.checkKey(key);
    ensureOpen();
    try {
      HeadObjectResponse h = client.headObject(r -> r.bucket(loc.bucket).key(loc.prefix + key));
      return Optional.of(new ObjectInfo(key, h.contentLength(), seconds(h.lastModified()), quote(h.eTag())));
    } catch (SdkException e) {
      if (S3Errors.isNotFound(e)) {
        return Optional.empty();
      }
      throw translate(e, "stat", key, "s3:GetObject");
    }
  }

  @Override
  public SeekableInput open(String key) {
    S3Locations.checkKey(key);
    ensureOpen();
    return S3Input.open(this, key);
  }

  // ------------------------------------------------------------------------------------------ writes

  @Override
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    S3Locations.checkKey(key);
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(condition, "condition");
    ensureOpen();
    byte[] md5 = md5(content);
    String expectedEtag = quote(HexFormat.of().formatHex(md5));
    PutObjectRequest.Builder req = PutObjectRequest.builder().bucket(loc.bucket).key(loc.prefix + key)
        .contentLength((long) content.length).contentMD5(Base64.getEncoder().encodeToString(md5));
    applyWriteSettings(req);
    switch (condition.kind()) {
      case IF_ABSENT -> req.ifNoneMatch("*");
      case IF_MATCH -> req.ifMatch(condition.etag());
      case NONE -> { }
    }
    PutObjectRequest request = req.build();
    for (int conflicts = 0; ; conflicts++) {
      try {
        PutObjectResponse resp = client.putObject(request, RequestBody.fromBytes(content));
        String etag = resp.eTag() == null ? null : quote(resp.eTag());
        return afterWrite(key, content.length, etag, resp.sdkHttpResponse().firstMatchingHeader("Date"));
      } catch (SdkException e) {
        if (S3Errors.isPreconditionFailed(e)) {
          int attempts = e.numAttempts() == null ? 1 : e.numAttempts();
          if (attempts > 1) {
            Optional<ObjectInfo> landed = landedAfterRetry(key, content, expectedEtag);
            if (landed.isPresent()) {
              LOG.info("Put of {} answered 412 on attempt {} but the object holds exactly this write (an earlier"
                  + " attempt landed); treating it as success", location(key), attempts);
              return landed.get();
            }
          }
          throw preconditionFailed(key, condition);
        }
        if (condition.kind() == WriteCondition.Kind.IF_MATCH && S3Errors.isNotFound(e)) {
          // S3 answers If-Match on a missing key with 404 NoSuchKey: the precondition does not hold.
          throw preconditionFailed(key, condition);
        }
        if (S3Errors.isConditionalConflict(e) && condition.kind() != WriteCondition.Kind.NONE
            && conflicts + 1 < maxAttempts) {
          // S3 answers 409 ConditionalRequestConflict to a conditional write racing another; AWS says retry.
          sleepBackoff(conflicts);
          continue;
        }
        throw translate(e, "write", key, "s3:PutObject");
      }
    }
  }

  /**
   * Whether an ambiguous 412 hides our own earlier attempt: the object now has exactly our bytes. Content
   * identical to ours written by someone else is indistinguishable, and equivalent.
   */
  private Optional<ObjectInfo> landedAfterRetry(String key, byte[] content, String expectedEtag) {
    Optional<ObjectInfo> now = stat(key);
    if (now.isEmpty() || now.get().size() != content.length) {
      return Optional.empty();
    }
    if (now.get().etag().equals(expectedEtag)) {
      return now;
    }
    // SSE-KMS and some S3-compatible stores do not use the MD5 as the etag: compare the bytes themselves.
    try (S3Input in = S3Input.open(this, key, now.get().etag())) {
      byte[] back = new byte[content.length];
      in.readFully(0, back, 0, back.length);
      return Arrays.equals(back, content) ? Optional.of(now.get()) : Optional.empty();
    } catch (ObjectNotFoundException | PreconditionFailedException changedMeanwhile) {
      return Optional.empty();
    }
  }

  private PreconditionFailedException preconditionFailed(String key, WriteCondition condition) {
    String message = condition.kind() == WriteCondition.Kind.IF_ABSENT
        ? String.format(Locale.ROOT, "Cannot create %s: an object already exists there (read it, or replace it"
            + " with ifMatch(etag))", location(key))
        : String.format(Locale.ROOT, "Cannot replace %s: its etag is no longer %s or it is gone (read it again"
            + " and retry with the current etag, or create it with ifAbsent)", location(key), condition.etag());
    return new PreconditionFailedException(message);
  }

  @Override
  public ObjectOutput create(String key) {
    S3Locations.checkKey(key);
    ensureOpen();
    return new S3Output(this, key);
  }

  /**
   * The info of an object just written: the time comes from a {@code HeadObject} pinned to the written etag
   * (a PUT does not return {@code Last-Modified}); if the object was replaced meanwhile, from the PUT's
   * {@code Date}.
   */
  ObjectInfo afterWrite(String key, long size, String etag, Optional<String> dateHeader) {
    try {
      HeadObjectResponse h = client.headObject(r -> {
        r.bucket(loc.bucket).key(loc.prefix + key);
        if (etag != null) {
          r.ifMatch(etag);
        }
      });
      return new ObjectInfo(key, h.contentLength(), seconds(h.lastModified()), quote(h.eTag()));
    } catch (SdkException e) {
      if ((S3Errors.isPreconditionFailed(e) || S3Errors.isNotFound(e)) && etag != null) {
        Instant time = dateHeader.map(S3ObjectStore::httpDate).orElseGet(Instant::now);
        return new ObjectInfo(key, size, seconds(time), etag);
      }
      throw translate(e, "stat the just written", key, "s3:GetObject");
    }
  }

  // ------------------------------------------------------------------------------------------ deletes

  @Override
  public DeleteResult delete(Collection<String> keys) {
    Objects.requireNonNull(keys, "keys");
    keys.forEach(S3Locations::checkKey);
    ensureOpen();
    List<String> unique = new ArrayList<>(new java.util.LinkedHashSet<>(keys));
    List<String> deleted = new ArrayList<>(unique.size());
    Map<String, String> failed = new LinkedHashMap<>();
    for (int from = 0; from < unique.size(); from += deleteBatchSize) {
      List<String> batch = unique.subList(from, Math.min(unique.size(), from + deleteBatchSize));
      List<ObjectIdentifier> ids = batch.stream().map(k -> ObjectIdentifier.builder().key(loc.prefix + k).build())
          .toList();
      try {
        DeleteObjectsResponse resp = client.deleteObjects(r -> r.bucket(loc.bucket)
            .delete(Delete.builder().objects(ids).quiet(true).build()));
        Map<String, String> errors = new LinkedHashMap<>();
        for (S3Error err : resp.errors()) {
          if (err.key() != null && !"NoSuchKey".equals(err.code())) {
            errors.put(err.key().substring(Math.min(loc.prefix.length(), err.key().length())),
                err.code() + ": " + err.message());
          }
        }
        for (String k : batch) {
          String why = errors.get(k);
          if (why == null) {
            deleted.add(k);
          } else {
            failed.put(k, why);
          }
        }
      } catch (SdkException e) {
        StorageException why = S3Errors.translate(e, "delete a batch of " + batch.size() + " objects under",
            loc.rootLocation(), loc.bucket, null, "s3:DeleteObject");
        LOG.warn("{}", why.getMessage());
        batch.forEach(k -> failed.put(k, why.getMessage()));
      }
    }
    return new DeleteResult(deleted, failed);
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "S3ObjectStore[" + loc.rootLocation() + "]";
  }

  // ------------------------------------------------------------------------------------------ internals

  S3Client client() {
    return client;
  }

  String bucketName() {
    return loc.bucket;
  }

  String fullKey(String key) {
    return loc.prefix + key;
  }

  long partSize() {
    return partSize;
  }

  int readAhead() {
    return readAhead;
  }

  void applyWriteSettings(PutObjectRequest.Builder req) {
    if (sse != null) {
      req.serverSideEncryption(sse);
      if (kmsKeyId != null) {
        req.ssekmsKeyId(kmsKeyId);
      }
    }
    if (storageClass != null) {
      req.storageClass(storageClass);
    }
  }

  void applyWriteSettings(software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest.Builder req) {
    if (sse != null) {
      req.serverSideEncryption(sse);
      if (kmsKeyId != null) {
        req.ssekmsKeyId(kmsKeyId);
      }
    }
    if (storageClass != null) {
      req.storageClass(storageClass);
    }
  }

  void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("S3ObjectStore for " + loc.rootLocation() + " is closed");
    }
  }

  StorageException translate(SdkException e, String operation, String key, String permission) {
    return S3Errors.translate(e, operation, location(key), loc.bucket, loc.prefix + key, permission);
  }

  ResponseBytes<GetObjectResponse> get(GetObjectRequest request) {
    return client.getObjectAsBytes(request);
  }

  private void sleepBackoff(int attempt) {
    long capMillis = Math.min(2_000, 50L << Math.min(attempt, 10));
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(capMillis + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while retrying a conditional write to " + loc.rootLocation(), e);
    }
  }

  static byte[] md5(byte[] content) {
    return md5(content, 0, content.length);
  }

  static byte[] md5(byte[] content, int offset, int length) {
    try {
      MessageDigest d = MessageDigest.getInstance("MD5");
      d.update(content, offset, length);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is required of every JVM", e);
    }
  }

  /** S3 etags as S3 sends them in headers: double-quoted. Listings and some stores omit the quotes. */
  static String quote(String etag) {
    if (etag == null) {
      return "";
    }
    return etag.startsWith("\"") || etag.startsWith("W/") ? etag : "\"" + etag + "\"";
  }

  static Instant seconds(Instant t) {
    return t == null ? Instant.EPOCH : t.truncatedTo(ChronoUnit.SECONDS);
  }

  private static Instant httpDate(String value) {
    try {
      return ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return Instant.now();
    }
  }

  // ------------------------------------------------------------------------------------------ builder

  /**
   * Configures an {@link S3ObjectStore}. Every setter may be called once; {@link #build()} checks the
   * combination. Without {@link #client(S3Client)}, the store builds and owns an SDK client from these
   * settings.
   */
  public static final class Builder {
    private S3Locations locations;
    private String region;
    private URI endpoint;
    private Boolean pathStyle;
    private AwsCredentialsProvider credentials;
    private ServerSideEncryption sse;
    private String kmsKeyId;
    private StorageClass storageClass;
    private long partSize = 8L * 1024 * 1024;
    private boolean partSizeSet;
    private int readAheadBytes = 128 * 1024;
    private boolean readAheadSet;
    private int listPageSize = 1000;
    private boolean listPageSizeSet;
    private int deleteBatchSize = MAX_DELETE_BATCH;
    private boolean deleteBatchSizeSet;
    private int maxAttempts = 8;
    private boolean maxAttemptsSet;
    private Duration baseDelay = Duration.ofMillis(50);
    private Duration maxBackoff = Duration.ofSeconds(20);
    private boolean backoffSet;
    private Duration connectionTimeout = Duration.ofSeconds(5);
    private Duration socketTimeout = Duration.ofSeconds(30);
    private boolean timeoutsSet;
    private int maxConnections = 64;
    private boolean maxConnectionsSet;
    private final List<ExecutionInterceptor> interceptors = new ArrayList<>();
    private S3Client client;
    private Boolean verifyBucket;

    private Builder() {}

    /** The root {@code s3://bucket/prefix/} or {@code s3a://bucket/prefix/}. Required. */
    public Builder root(URI root) {
      require(locations == null, "root", locations == null ? null : locations.rootLocation());
      this.locations = S3Locations.ofRoot(root);
      return this;
    }

    /**
     * The region, e.g. {@code eu-west-1}. Default: the SDK's region chain ({@code AWS_REGION}, profile,
     * instance metadata), or {@code us-east-1} when an {@link #endpoint(URI)} is set (S3-compatible stores
     * mostly ignore it, but requests must be signed for some region).
     */
    public Builder region(String region) {
      require(this.region == null, "region", this.region);
      if (Objects.requireNonNull(region, "region").isBlank()) {
        throw new IllegalArgumentException("region must not be blank (e.g. eu-west-1)");
      }
      this.region = region;
      return this;
    }

    /** An endpoint for an S3-compatible store, e.g. {@code http://127.0.0.1:9000}. Default: AWS's endpoint. */
    public Builder endpoint(URI endpoint) {
      require(this.endpoint == null, "endpoint", this.endpoint);
      Objects.requireNonNull(endpoint, "endpoint");
      if (endpoint.getScheme() == null || endpoint.getHost() == null
          || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
        throw new IllegalArgumentException("endpoint must be an http or https URL such as http://127.0.0.1:9000,"
            + " got " + endpoint);
      }
      this.endpoint = endpoint;
      return this;
    }

    /**
     * Path-style addressing ({@code https://endpoint/bucket/key}) instead of virtual-hosted
     * ({@code https://bucket.endpoint/key}). Default: {@code true} when an {@link #endpoint(URI)} is set
     * (most S3-compatible stores need it), otherwise {@code false}.
     */
    public Builder pathStyleAccess(boolean pathStyle) {
      require(this.pathStyle == null, "path-style access", this.pathStyle);
      this.pathStyle = pathStyle;
      return this;
    }

    /** Static credentials. Default: the SDK's default chain (environment, profile, web identity, instance role). */
    public Builder credentials(String accessKeyId, String secretAccessKey) {
      return credentials(accessKeyId, secretAccessKey, null);
    }

    /** Static session credentials; {@code sessionToken} may be {@code null}. */
    public Builder credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
      Objects.requireNonNull(accessKeyId, "accessKeyId");
      Objects.requireNonNull(secretAccessKey, "secretAccessKey");
      return credentialsProvider(StaticCredentialsProvider.create(sessionToken == null
          ? AwsBasicCredentials.create(accessKeyId, secretAccessKey)
          : AwsSessionCredentials.create(accessKeyId, secretAccessKey, sessionToken)));
    }

    /** Any SDK credentials provider (an assumed role, a custom source). Default: the SDK's default chain. */
    public Builder credentialsProvider(AwsCredentialsProvider provider) {
      require(this.credentials == null, "credentials", "(set)");
      this.credentials = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /** Unsigned requests, for public buckets. Default: signed with the default chain's credentials. */
    public Builder anonymous() {
      return credentialsProvider(AnonymousCredentialsProvider.create());
    }

    /** Server-side encryption with S3-managed keys (SSE-S3, {@code AES256}). Default: the bucket's default. */
    public Builder sseS3() {
      require(this.sse == null, "server-side encryption", this.sse);
      this.sse = ServerSideEncryption.AES256;
      return this;
    }

    /**
     * Server-side encryption with a KMS key (SSE-KMS). {@code keyId} is a key id, alias or ARN, or
     * {@code null} for the account's AWS-managed key. Default: the bucket's default encryption.
     */
    public Builder sseKms(String keyId) {
      require(this.sse == null, "server-side encryption", this.sse);
      this.sse = ServerSideEncryption.AWS_KMS;
      this.kmsKeyId = keyId;
      return this;
    }

    /** The storage class of written objects, e.g. {@code STANDARD_IA}, {@code INTELLIGENT_TIERING}. Default: the bucket's ({@code STANDARD}). */
    public Builder storageClass(String storageClass) {
      require(this.storageClass == null, "storage class", this.storageClass);
      StorageClass sc = StorageClass.fromValue(Objects.requireNonNull(storageClass, "storageClass"));
      if (sc == StorageClass.UNKNOWN_TO_SDK_VERSION) {
        throw new IllegalArgumentException("Unknown S3 storage class '" + storageClass + "' (one of "
            + StorageClass.knownValues() + ")");
      }
      this.storageClass = sc;
      return this;
    }

    /**
     * Bytes per multipart-upload part, and the size above which {@link S3ObjectStore#create} switches from
     * one PUT to a multipart upload; one part is buffered in memory per open output. At least 5 MiB (S3's
     * minimum), at most 5 GiB. Default 8 MiB.
     */
    public Builder partSize(long bytes) {
      require(!partSizeSet, "part size", partSize);
      if (bytes < MIN_PART_SIZE || bytes > 5L * 1024 * 1024 * 1024 || bytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("part size must be from 5 MiB to 2 GiB, got " + bytes + " bytes");
      }
      this.partSize = bytes;
      this.partSizeSet = true;
      return this;
    }

    /** Bytes fetched by the first read of an input (from the end) and by small reads (forward). 4 KiB to 64 MiB; default 128 KiB. */
    public Builder readAheadBytes(int bytes) {
      require(!readAheadSet, "read-ahead", readAheadBytes);
      if (bytes < 4096 || bytes > 64 * 1024 * 1024) {
        throw new IllegalArgumentException("read-ahead must be from 4 KiB to 64 MiB, got " + bytes + " bytes");
      }
      this.readAheadBytes = bytes;
      this.readAheadSet = true;
      return this;
    }

    /** Keys per {@code ListObjectsV2} request, 1 to 1,000. Default 1,000. */
    public Builder listPageSize(int keys) {
      require(!listPageSizeSet, "list page size", listPageSize);
      if (keys < 1 || keys > 1000) {
        throw new IllegalArgumentException("list page size must be from 1 to 1000, got " + keys);
      }
      this.listPageSize = keys;
      this.listPageSizeSet = true;
      return this;
    }

    /** Keys per {@code DeleteObjects} request, 1 to 1,000 (S3's limit). Default 1,000. */
    public Builder deleteBatchSize(int keys) {
      require(!deleteBatchSizeSet, "delete batch size", deleteBatchSize);
      if (keys < 1 || keys > MAX_DELETE_BATCH) {
        throw new IllegalArgumentException("delete batch size must be from 1 to 1000, got " + keys);
      }
      this.deleteBatchSize = keys;
      this.deleteBatchSizeSet = true;
      return this;
    }

    /** Attempts per request including the first, 1 to 100 (1 = no retries). Default 8. */
    public Builder maxAttempts(int attempts) {
      require(!maxAttemptsSet, "max attempts", maxAttempts);
      if (attempts < 1 || attempts > 100) {
        throw new IllegalArgumentException("max attempts must be from 1 to 100, got " + attempts);
      }
      this.maxAttempts = attempts;
      this.maxAttemptsSet = true;
      return this;
    }

    /**
     * The retry backoff: attempt {@code n} waits a random time up to {@code min(maxDelay, baseDelay * 2^n)}
     * (exponential with full jitter). Default 50 ms and 20 s.
     */
    public Builder backoff(Duration baseDelay, Duration maxDelay) {
      require(!backoffSet, "backoff", this.baseDelay + ".." + this.maxBackoff);
      if (baseDelay.isNegative() || baseDelay.isZero() || maxDelay.compareTo(baseDelay) < 0) {
        throw new IllegalArgumentException("backoff needs 0 < baseDelay <= maxDelay, got " + baseDelay + " and "
            + maxDelay);
      }
      this.baseDelay = baseDelay;
      this.maxBackoff = maxDelay;
      this.backoffSet = true;
      return this;
    }

    /** TCP connect timeout and socket read timeout per attempt. Default 5 s and 30 s. */
    public Builder timeouts(Duration connect, Duration socketRead) {
      require(!timeoutsSet, "timeouts", connectionTimeout + "/" + socketTimeout);
      if (connect.isNegative() || connect.isZero() || socketRead.isNegative() || socketRead.isZero()) {
        throw new IllegalArgumentException("timeouts must be positive, got " + connect + " and " + socketRead);
      }
      this.connectionTimeout = connect;
      this.socketTimeout = socketRead;
      this.timeoutsSet = true;
      return this;
    }

    /** HTTP connections in the pool, 1 to 10,000. Default 64. */
    public Builder maxConnections(int connections) {
      require(!maxConnectionsSet, "max connections", maxConnections);
      if (connections < 1 || connections > 10_000) {
        throw new IllegalArgumentException("max connections must be from 1 to 10000, got " + connections);
      }
      this.maxConnections = connections;
      this.maxConnectionsSet = true;
      return this;
    }

    /** Adds an SDK interceptor (request metrics, tracing, fault injection in tests). Default none. */
    public Builder addInterceptor(ExecutionInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Uses this SDK client instead of building one; the store does not close it. Connection, credential,
     * region and retry settings of this builder then do not apply (configure them on the client).
     */
    public Builder client(S3Client client) {
      require(this.client == null, "client", "(set)");
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Whether {@link #build()} checks with one {@code HeadBucket} that the bucket exists and the
     * credentials may use it, so that a wrong bucket, region or credential fails at start-up. Default
     * {@code true}.
     */
    public Builder verifyBucket(boolean verify) {
      require(this.verifyBucket == null, "verify bucket", this.verifyBucket);
      this.verifyBucket = verify;
      return this;
    }

    /**
     * Builds the store.
     *
     * @throws InvalidConfigurationException if the root is missing, settings conflict, no region can be
     *     found, or the bucket check fails (missing bucket, access denied; the message says which)
     */
    public S3ObjectStore build() {
      if (locations == null) {
        throw new InvalidConfigurationException("S3ObjectStore needs a root: builder().root(URI.create(\"s3://bucket/prefix/\"))");
      }
      if (client != null && (region != null || endpoint != null || pathStyle != null || credentials != null
          || maxAttemptsSet || backoffSet || timeoutsSet || maxConnectionsSet || !interceptors.isEmpty())) {
        throw new InvalidConfigurationException("S3ObjectStore for " + locations.rootLocation() + ": client(...)"
            + " was given together with client settings (region, endpoint, credentials, retries, timeouts,"
            + " interceptors); configure those on the S3Client instead");
      }
      S3Client c = client;
      boolean owns = false;
      if (c == null) {
        c = buildClient();
        owns = true;
      }
      S3ObjectStore store = new S3ObjectStore(this, c, owns);
      if (verifyBucket == null || verifyBucket) {
        try {
          S3Client probe = c;
          probe.headBucket(r -> r.bucket(locations.bucket));
        } catch (SdkException e) {
          store.close();
          StorageException why = S3Errors.translate(e, "open the store at", locations.rootLocation(),
              locations.bucket, null, "s3:ListBucket");
          String message = S3Errors.isNotFound(e)
              ? String.format(Locale.ROOT, "Cannot open the store at %s: bucket '%s' does not exist or is in"
                  + " another region (create it, or fix the location, region or endpoint)",
                  locations.rootLocation(), locations.bucket)
              : why.getMessage();
          throw new InvalidConfigurationException(message, why);
        }
      }
      return store;
    }

    private S3Client buildClient() {
      Region r;
      if (region != null) {
        r = Region.of(region);
      } else if (endpoint != null) {
        r = Region.US_EAST_1;
      } else {
        try {
          r = DefaultAwsRegionProviderChain.builder().build().getRegion();
        } catch (SdkException e) {
          throw new InvalidConfigurationException(String.format(Locale.ROOT, "Cannot open the store at %s: no AWS"
              + " region configured (set region(...), the s3.region property, or AWS_REGION)",
              locations.rootLocation()), e);
        }
      }
      RetryStrategy retries = AwsRetryStrategy.standardRetryStrategy().toBuilder()
          .maxAttempts(maxAttempts)
          .backoffStrategy(BackoffStrategy.exponentialDelay(baseDelay, maxBackoff))
          .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(baseDelay.multipliedBy(4), maxBackoff))
          // The token bucket would stop retrying after a burst of failures; here every request matters more.
          .circuitBreakerEnabled(false)
          .build();
      S3ClientBuilder b = S3Client.builder()
          .region(r)
          .httpClientBuilder(Apache5HttpClient.builder()
              .maxConnections(maxConnections)
              .connectionTimeout(connectionTimeout)
              .socketTimeout(socketTimeout))
          .credentialsProvider(credentials != null ? credentials : DefaultCredentialsProvider.builder().build())
          // Content-MD5 on every write already protects the payload; trailing CRC checksums (the SDK's
          // default since 2.30) are not understood by many S3-compatible stores.
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
          .forcePathStyle(pathStyle != null ? pathStyle : endpoint != null)
          .overrideConfiguration(o -> {
            o.retryStrategy(retries);
            interceptors.forEach(o::addExecutionInterceptor);
          });
      if (endpoint != null) {
        b.endpointOverride(endpoint);
      }
      try {
        return b.build();
      } catch (SdkException | IllegalArgumentException e) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Cannot create the S3 client for %s: %s (check region, endpoint and credentials settings)",
            locations.rootLocation(), e.getMessage()), e);
      }
    }

    private static void require(boolean unset, String what, Object current) {
      if (!unset) {
        throw new IllegalStateException(what + " was already set to " + current);
      }
    }
  }
}
