package dev.lakelifecycle.s3;

/**
 * S3 refused the request for the configured credentials: HTTP 403 ({@code AccessDenied},
 * {@code InvalidAccessKeyId}, {@code SignatureDoesNotMatch}, {@code ExpiredToken}, a KMS key the principal
 * may not use...). Not retryable. The message names the permission to grant; it never shows credentials.
 */
public class S3AccessDeniedException extends S3StorageException {
  private static final long serialVersionUID = 1L;

  /** See {@link S3StorageException#S3StorageException}. */
  public S3AccessDeniedException(String message, Throwable cause, String bucket, String key, int statusCode,
      String errorCode) {
    super(message, cause, false, bucket, key, statusCode, errorCode);
  }
}
