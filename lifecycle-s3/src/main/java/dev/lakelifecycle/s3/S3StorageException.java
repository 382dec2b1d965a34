package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.StorageException;

/**
 * A request to S3 failed with an answer from the service (or, for {@link #statusCode()} {@code 0}, without
 * one: a connection or timeout failure after all retries). The message names the operation, bucket and key
 * and says what to do; it never contains credentials. Two common causes have their own types:
 * {@link S3BucketNotFoundException} and {@link S3AccessDeniedException}.
 */
public class S3StorageException extends StorageException {
  private static final long serialVersionUID = 1L;

  private final String bucket;
  private final String key;
  private final int statusCode;
  private final String errorCode;

  /**
   * @param message what failed, the object and the fix
   * @param cause the SDK's exception
   * @param retryable whether the same call may succeed later
   * @param bucket the bucket
   * @param key the full S3 key (including the store's prefix), or {@code null} for a bucket-wide request
   * @param statusCode the HTTP status, {@code 0} if no response arrived
   * @param errorCode S3's error code ({@code NoSuchBucket}, {@code SlowDown}, ...), or {@code null}
   */
  public S3StorageException(String message, Throwable cause, boolean retryable, String bucket, String key,
      int statusCode, String errorCode) {
    super(message, cause, retryable);
    this.bucket = bucket;
    this.key = key;
    this.statusCode = statusCode;
    this.errorCode = errorCode;
  }

  /** The bucket the request was for. */
  public String bucket() {
    return bucket;
  }

  /** The full S3 key the request was for, or {@code null} for a bucket-wide request (listing, batch delete). */
  public String key() {
    return key;
  }

  /** The HTTP status S3 answered, or {@code 0} if no answer arrived (connection reset, timeout). */
  public int statusCode() {
    return statusCode;
  }

  /** S3's error code, e.g. {@code NoSuchBucket}, {@code AccessDenied}, {@code SlowDown}; {@code null} if none. */
  public String errorCode() {
    return errorCode;
  }
}
