package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.SeekableInput;
import java.util.Locale;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Ranged reads of one version of an object. Opening fetches the object's tail (which is where Parquet
 * starts reading); later reads are ranged GETs pinned to the opened etag with {@code If-Match}. Small reads
 * fetch a read-ahead block and are served from it, so a reader that walks forward in small steps costs one
 * request per block, not per call.
 */
final class S3Input implements SeekableInput {
  private final S3ObjectStore store;
  private final String key;
  private final String etag;
  private final long length;
  private final int blockSize;
  /** The last bytes of the object, fetched on open. */
  private final byte[] tail;
  private final long tailStart;
  private byte[] block;
  private long blockStart = -1;
  private boolean closed;

  private S3Input(S3ObjectStore store, String key, String etag, long length, byte[] tail, int blockSize) {
    this.store = store;
    this.key = key;
    this.etag = etag;
    this.length = length;
    this.tail = tail;
    this.tailStart = length - tail.length;
    this.blockSize = blockSize;
  }

  static S3Input open(S3ObjectStore store, String key) {
    return open(store, key, null);
  }

  /**
   * Opens the current version, or the one with {@code etag} ({@link PreconditionFailedException} if it is
   * no longer current).
   */
  static S3Input open(S3ObjectStore store, String key, String etag) {
    int tailSize = store.readAhead();
    GetObjectRequest.Builder req = GetObjectRequest.builder().bucket(store.bucketName()).key(store.fullKey(key))
        .range("bytes=-" + tailSize);
    if (etag != null) {
      req.ifMatch(etag);
    }
    ResponseBytes<GetObjectResponse> resp;
    try {
      resp = store.get(req.build());
    } catch (SdkException e) {
      if (e instanceof S3Exception s3 && s3.statusCode() == 416) {
        // S3 answers a range on an empty object with 416 InvalidRange: the object exists and is empty.
        return openEmpty(store, key, etag);
      }
      if (S3Errors.isPreconditionFailed(e)) {
        throw new PreconditionFailedException(String.format(Locale.ROOT, "Cannot open %s: it changed since it was"
            + " stated (etag is no longer %s); open it again", store.location(key), etag));
      }
      throw store.translate(e, "open", key, "s3:GetObject");
    }
    GetObjectResponse r = resp.response();
    byte[] bytes = resp.asByteArrayUnsafe();
    long total = totalLength(r.contentRange(), bytes.length);
    if (total < bytes.length) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot open %s: S3 returned %d bytes for a"
          + " total of %d (Content-Range '%s'); retry", store.location(key), bytes.length, total, r.contentRange()));
    }
    return new S3Input(store, key, S3ObjectStore.quote(r.eTag()), total, bytes, tailSize);
  }

  private static S3Input openEmpty(S3ObjectStore store, String key, String etag) {
    HeadObjectResponse h;
    try {
      h = store.client().headObject(r -> {
        r.bucket(store.bucketName()).key(store.fullKey(key));
        if (etag != null) {
          r.ifMatch(etag);
        }
      });
    } catch (SdkException e) {
      if (S3Errors.isNotFound(e)) {
        throw new ObjectNotFoundException(String.format(Locale.ROOT, "Cannot open %s: no such object",
            store.location(key)));
      }
      throw store.translate(e, "open", key, "s3:GetObject");
    }
    if (h.contentLength() != 0) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot open %s: S3 refused the range of its tail but"
          + " reports %d bytes; retry", store.location(key), h.contentLength()));
    }
    return new S3Input(store, key, S3ObjectStore.quote(h.eTag()), 0, new byte[0], store.readAhead());
  }

  /** The total from {@code Content-Range: bytes a-b/total}; without one the whole object came back. */
  private static long totalLength(String contentRange, int received) {
    if (contentRange == null) {
      return received;
    }
    int slash = contentRange.lastIndexOf('/');
    if (slash < 0 || contentRange.endsWith("*")) {
      return received;
    }
    return Long.parseLong(contentRange.substring(slash + 1).trim());
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public void readFully(long position, byte[] buffer, int offset, int len) {
    if (closed) {
      throw new IllegalStateException("Input of " + store.location(key) + " is closed");
    }
    if (offset < 0 || len < 0 || offset + len > buffer.length) {
      throw new IndexOutOfBoundsException("offset " + offset + ", length " + len + ", buffer " + buffer.length);
    }
    if (position < 0 || position + len > length) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot read %d bytes at %d of %s: the object has %d"
          + " bytes (the range passes its end)", len, position, store.location(key), length));
    }
    if (len == 0) {
      return;
    }
    if (position >= tailStart) {
      System.arraycopy(tail, (int) (position - tailStart), buffer, offset, len);
      return;
    }
    if (block != null && position >= blockStart && position + len <= blockStart + block.length) {
      System.arraycopy(block, (int) (position - blockStart), buffer, offset, len);
      return;
    }
    if (len >= blockSize) {
      byte[] bytes = fetch(position, position + len);
      System.arraycopy(bytes, 0, buffer, offset, len);
      return;
    }
    // Read ahead up to the tail, which is already here.
    long end = Math.min(tailStart, position + blockSize);
    if (end < position + len) {
      end = position + len;
    }
    block = fetch(position, end);
    blockStart = position;
    System.arraycopy(block, 0, buffer, offset, len);
  }

  private byte[] fetch(long start, long endExclusive) {
    GetObjectRequest req = GetObjectRequest.builder().bucket(store.bucketName()).key(store.fullKey(key))
        .range("bytes=" + start + "-" + (endExclusive - 1)).ifMatch(etag).build();
    byte[] bytes;
    try {
      bytes = store.get(req).asByteArrayUnsafe();
    } catch (SdkException e) {
      if (S3Errors.isPreconditionFailed(e) || S3Errors.isNotFound(e)) {
        throw new StorageException(String.format(Locale.ROOT, "Cannot read bytes %d-%d of %s: the object was"
            + " replaced or deleted since it was opened (etag %s); open it again", start, endExclusive - 1,
            store.location(key), etag), e);
      }
      throw store.translate(e, "read a range of", key, "s3:GetObject");
    }
    if (bytes.length != endExclusive - start) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot read bytes %d-%d of %s: S3 returned %d bytes"
          + " instead of %d; retry", start, endExclusive - 1, store.location(key), bytes.length,
          endExclusive - start), null, true);
    }
    return bytes;
  }

  @Override
  public void close() {
    closed = true;
    block = null;
  }
}
