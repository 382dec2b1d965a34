package dev.lakelifecycle.s3;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.gaul.s3proxy.S3ErrorCode;
import org.gaul.s3proxy.S3ProxyException;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Brings two behaviours of s3proxy's file-system blob store in line with Amazon S3's, so that the client is
 * tested against S3's semantics (the HTTP protocol is s3proxy's, unchanged):
 * <ul>
 *   <li>Conditional PUTs are atomic: s3proxy checks {@code If-Match} and then writes, so two writers with
 *       one etag can both win; here every write and delete runs under one lock and re-checks the condition.</li>
 *   <li>Listings are in UTF-8 byte order: s3proxy sorts Java strings (UTF-16), which puts U+1F600 before
 *       U+FFFD; here listings come from an index kept in code-point order, paged by
 *       {@code StartAfter}/continuation token as S3 pages.</li>
 * </ul>
 */
final class StrictS3BlobStore extends ForwardingBlobStore {
  private final Object lock = new Object();
  private final Map<String, NavigableMap<String, S3Object>> index = new ConcurrentHashMap<>();

  StrictS3BlobStore(BlobStore delegate) {
    super(delegate);
  }

  private NavigableMap<String, S3Object> index(String bucket) {
    return index.computeIfAbsent(bucket, b -> new ConcurrentSkipListMap<>(StrictS3BlobStore::compareCodePoints));
  }

  @Override
  public PutObjectResponse putBlob(PutObjectRequest request, InputStream payload) {
    synchronized (lock) {
      HeadObjectResponse current = delegate().blobMetadataIfPresent(request.bucket(), request.key());
      if (request.ifNoneMatch() != null && current != null) {
        throw new S3ProxyException(S3ErrorCode.PRECONDITION_FAILED);
      }
      if (request.ifMatch() != null) {
        if (current == null) {
          throw new S3ProxyException(S3ErrorCode.NO_SUCH_KEY);
        }
        if (!unquote(request.ifMatch()).equals(unquote(current.eTag()))) {
          throw new S3ProxyException(S3ErrorCode.PRECONDITION_FAILED);
        }
      }
      PutObjectResponse resp = delegate().putBlob(request, payload);
      indexKey(request.bucket(), request.key());
      return resp;
    }
  }

  @Override
  public CompleteMultipartUploadResponse completeMultipartUpload(MultipartUpload upload,
      CompleteMultipartUploadRequest request) {
    synchronized (lock) {
      CompleteMultipartUploadResponse resp = delegate().completeMultipartUpload(upload, request);
      indexKey(request.bucket(), request.key());
      return resp;
    }
  }

  @Override
  public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
    synchronized (lock) {
      DeleteObjectResponse resp = delegate().removeBlob(request);
      indexKey(request.bucket(), request.key());
      return resp;
    }
  }

  @Override
  public DeleteObjectsResponse removeBlobs(DeleteObjectsRequest request) {
    synchronized (lock) {
      DeleteObjectsResponse resp = delegate().removeBlobs(request);
      for (ObjectIdentifier id : request.delete().objects()) {
        indexKey(request.bucket(), id.key());
      }
      return resp;
    }
  }

  private void indexKey(String bucket, String key) {
    HeadObjectResponse h = delegate().blobMetadataIfPresent(bucket, key);
    if (h == null) {
      index(bucket).remove(key);
    } else {
      index(bucket).put(key, S3Object.builder().key(key).size(h.contentLength()).eTag(h.eTag())
          .lastModified(h.lastModified()).storageClass(h.storageClassAsString()).build());
    }
  }

  /**
   * Adds a listing entry without an object body, for tests of listing scale: 100,000 bodies in the
   * in-memory file system take half a minute and a gigabyte to write, and a listing never reads them.
   */
  void seedListingEntry(String bucket, String key, long size, String etag, java.time.Instant lastModified) {
    index(bucket).put(key, S3Object.builder().key(key).size(size).eTag(etag).lastModified(lastModified)
        .storageClass("STANDARD").build());
  }

  @Override
  public ListObjectsV2Response list(ListObjectsV2Request request) {
    if (request.delimiter() != null && !request.delimiter().isEmpty()) {
      return delegate().list(request);
    }
    if (!delegate().containerExists(request.bucket())) {
      throw new S3ProxyException(S3ErrorCode.NO_SUCH_BUCKET);
    }
    String prefix = request.prefix() == null ? "" : request.prefix();
    String after = request.continuationToken() != null ? request.continuationToken() : request.startAfter();
    NavigableMap<String, S3Object> all = index(request.bucket());
    NavigableMap<String, S3Object> tail = after == null || compareCodePoints(after, prefix) < 0
        ? all.tailMap(prefix, true) : all.tailMap(after, false);
    int max = request.maxKeys() == null ? 1000 : request.maxKeys();
    List<S3Object> page = new ArrayList<>();
    String next = null;
    for (Map.Entry<String, S3Object> e : tail.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      if (page.size() == max) {
        next = page.get(page.size() - 1).key();
        break;
      }
      page.add(e.getValue());
    }
    return ListObjectsV2Response.builder().name(request.bucket()).prefix(prefix).maxKeys(max).contents(page)
        .keyCount(page.size()).isTruncated(next != null).nextContinuationToken(next).build();
  }

  private static String unquote(String etag) {
    return etag == null ? "" : etag.replace("\"", "");
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
