package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * A streaming write: one part is buffered; a write that never fills it is one PUT at close, a larger one a
 * multipart upload whose parts go up as they fill. Every failure and {@link #abort()} aborts the upload.
 * Not thread-safe.
 */
final class S3Output extends ObjectOutput {
  private static final Logger LOG = LoggerFactory.getLogger(S3Output.class);

  private enum State { OPEN, CLOSED, ABORTED, FAILED }

  private final S3ObjectStore store;
  private final String key;
  private final int partSize;
  private byte[] buffer;
  private int buffered;
  private long position;
  private String uploadId;
  private final List<CompletedPart> parts = new ArrayList<>();
  private final ByteArrayOutputStream partMd5s = new ByteArrayOutputStream();
  private State state = State.OPEN;
  private ObjectInfo result;

  S3Output(S3ObjectStore store, String key) {
    this.store = store;
    this.key = key;
    this.partSize = (int) store.partSize();
    this.buffer = new byte[Math.min(partSize, 64 * 1024)];
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public void write(int b) throws IOException {
    ensureWritable();
    if (buffered == buffer.length) {
      makeRoom();
    }
    buffer[buffered++] = (byte) b;
    position++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    ensureWritable();
    while (len > 0) {
      if (buffered == buffer.length) {
        makeRoom();
      }
      int n = Math.min(len, buffer.length - buffered);
      System.arraycopy(b, off, buffer, buffered, n);
      buffered += n;
      position += n;
      off += n;
      len -= n;
    }
  }

  /** Grows the buffer up to one part; a full part goes up as a multipart part. */
  private void makeRoom() throws IOException {
    if (buffer.length < partSize) {
      buffer = java.util.Arrays.copyOf(buffer, (int) Math.min(partSize, (long) buffer.length * 2));
      return;
    }
    uploadPart();
  }

  private void uploadPart() throws IOException {
    try {
      if (uploadId == null) {
        CreateMultipartUploadRequest.Builder req = CreateMultipartUploadRequest.builder()
            .bucket(store.bucketName()).key(store.fullKey(key));
        store.applyWriteSettings(req);
        uploadId = store.client().createMultipartUpload(req.build()).uploadId();
      }
      int partNumber = parts.size() + 1;
      byte[] md5 = S3ObjectStore.md5(buffer, 0, buffered);
      UploadPartResponse resp = store.client().uploadPart(r -> r.bucket(store.bucketName()).key(store.fullKey(key))
              .uploadId(uploadId).partNumber(partNumber).contentLength((long) buffered)
              .contentMD5(Base64.getEncoder().encodeToString(md5)),
          partBody());
      parts.add(CompletedPart.builder().partNumber(partNumber).eTag(resp.eTag()).build());
      partMd5s.writeBytes(md5);
      buffered = 0;
    } catch (SdkException | StorageException e) {
      throw fail("upload part " + (parts.size() + 1) + " of", e);
    }
  }

  /**
   * The buffered bytes without a copy: the call that sends them is synchronous (retries included) and the
   * buffer is only reused after it returns.
   */
  private RequestBody partBody() {
    byte[] b = buffer;
    int n = buffered;
    return RequestBody.fromContentProvider(() -> new java.io.ByteArrayInputStream(b, 0, n), n,
        "application/octet-stream");
  }

  @Override
  public void close() throws IOException {
    if (state == State.CLOSED || state == State.ABORTED) {
      return;
    }
    if (state == State.FAILED) {
      throw new IOException(String.format(Locale.ROOT, "Cannot publish %s: an earlier write failed and the upload"
          + " was aborted (write the object again)", store.location(key)));
    }
    try {
      store.ensureOpen();
    } catch (IllegalStateException e) {
      abort();
      throw new IOException("Cannot publish " + store.location(key) + ": the store is closed", e);
    }
    if (uploadId == null) {
      result = putWhole();
    } else {
      result = completeMultipart();
    }
    state = State.CLOSED;
    buffer = null;
  }

  private ObjectInfo putWhole() throws IOException {
    byte[] content = buffered == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, buffered);
    byte[] md5 = S3ObjectStore.md5(content);
    PutObjectRequest.Builder req = PutObjectRequest.builder().bucket(store.bucketName()).key(store.fullKey(key))
        .contentLength((long) content.length).contentMD5(Base64.getEncoder().encodeToString(md5));
    store.applyWriteSettings(req);
    try {
      PutObjectResponse resp = store.client().putObject(req.build(), RequestBody.fromBytes(content));
      return store.afterWrite(key, content.length, S3ObjectStore.quote(resp.eTag()),
          resp.sdkHttpResponse().firstMatchingHeader("Date"));
    } catch (SdkException | StorageException e) {
      state = State.FAILED;
      buffer = null;
      throw new IOException(message("write", e), e);
    }
  }

  private ObjectInfo completeMultipart() throws IOException {
    if (buffered > 0) {
      uploadPart();
    }
    String expectedEtag = S3ObjectStore.quote(HexFormat.of().formatHex(S3ObjectStore.md5(partMd5s.toByteArray()))
        + "-" + parts.size());
    try {
      CompleteMultipartUploadResponse resp = store.client().completeMultipartUpload(r -> r
          .bucket(store.bucketName()).key(store.fullKey(key)).uploadId(uploadId)
          .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
      return store.afterWrite(key, position, S3ObjectStore.quote(resp.eTag()),
          resp.sdkHttpResponse().firstMatchingHeader("Date"));
    } catch (SdkException e) {
      // A retried complete whose first attempt landed answers NoSuchUpload: look at what is there.
      if (S3Errors.isNotFound(e) && (e.numAttempts() == null || e.numAttempts() > 1)) {
        Optional<ObjectInfo> now = store.stat(key);
        if (now.isPresent() && now.get().size() == position && now.get().etag().equals(expectedEtag)) {
          LOG.info("Completing the upload of {} answered NoSuchUpload after a retry, but the object is exactly"
              + " this upload; treating it as success", store.location(key));
          return now.get();
        }
      }
      throw fail("complete the upload of", e);
    } catch (StorageException e) {
      throw fail("complete the upload of", e);
    }
  }

  @Override
  public void abort() {
    if (state == State.CLOSED || state == State.ABORTED) {
      return;
    }
    state = State.ABORTED;
    buffer = null;
    abortUpload();
  }

  private void abortUpload() {
    if (uploadId == null) {
      return;
    }
    String id = uploadId;
    uploadId = null;
    try {
      store.client().abortMultipartUpload(r -> r.bucket(store.bucketName()).key(store.fullKey(key)).uploadId(id));
    } catch (SdkException e) {
      if (!S3Errors.isNotFound(e)) {
        LOG.warn("Could not abort the multipart upload {} of {}; its parts stay billed until a bucket lifecycle rule"
            + " (AbortIncompleteMultipartUpload) removes them", id, store.location(key), e);
      }
    }
  }

  private IOException fail(String what, Exception e) {
    state = State.FAILED;
    buffer = null;
    abortUpload();
    return new IOException(message(what, e), e);
  }

  private String message(String what, Exception e) {
    String detail = e instanceof SdkException sdk
        ? S3Errors.translate(sdk, what, store.location(key), store.bucketName(), store.fullKey(key), "s3:PutObject")
            .getMessage()
        : e.getMessage();
    return String.format(Locale.ROOT, "%s (nothing was published at %s)", detail, store.location(key));
  }

  private void ensureWritable() throws IOException {
    if (state != State.OPEN) {
      throw new IOException(String.format(Locale.ROOT, "Cannot write to %s: the output is %s",
          store.location(key), state.name().toLowerCase(Locale.ROOT)));
    }
  }

  @Override
  public ObjectInfo result() {
    if (result == null) {
      throw new IllegalStateException("No result for " + store.location(key) + ": the output was not closed"
          + " successfully (state " + state.name().toLowerCase(Locale.ROOT) + ")");
    }
    return result;
  }
}
