package dev.lakelifecycle.s3;

/** The bucket of the store's root does not exist (S3 error {@code NoSuchBucket}). Not retryable. */
public class S3BucketNotFoundException extends S3StorageException {
  private static final long serialVersionUID = 1L;

  /** See {@link S3StorageException#S3StorageException}. */
  public S3BucketNotFoundException(String message, Throwable cause, String bucket, String key, int statusCode,
      String errorCode) {
    super(message, cause, false, bucket, key, statusCode, errorCode);
  }
}
