package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.StorageException;
import java.util.Locale;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Turns SDK exceptions into the api's typed, clear storage exceptions. */
final class S3Errors {
  private S3Errors() {}

  /**
   * @param operation what was attempted, as a verb phrase: "read", "write", "list"
   * @param location the full location (s3://bucket/key) or bucket-wide target
   * @param bucket the bucket
   * @param fullKey the S3 key including the prefix, or null
   * @param permission the IAM action the operation needs, named in an access-denied message
   */
  static StorageException translate(SdkException e, String operation, String location, String bucket,
      String fullKey, String permission) {
    int attempts = e.numAttempts() == null ? 1 : e.numAttempts();
    if (e instanceof S3Exception s3) {
      int status = s3.statusCode();
      String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
      String serviceMessage = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorMessage();
      String requestId = s3.requestId();
      if ("NoSuchBucket".equals(code)) {
        return new S3BucketNotFoundException(String.format(Locale.ROOT,
            "Cannot %s %s: bucket '%s' does not exist (create it, or fix the location, region or endpoint)",
            operation, location, bucket), e, bucket, fullKey, status, code);
      }
      if (status == 404 && (fullKey != null || "NoSuchKey".equals(code))) {
        return new ObjectNotFoundException(String.format(Locale.ROOT, "Cannot %s %s: no such object",
            operation, location));
      }
      if (status == 403 || "AccessDenied".equals(code) || "InvalidAccessKeyId".equals(code)
          || "SignatureDoesNotMatch".equals(code) || "ExpiredToken".equals(code)) {
        String fix = switch (code == null ? "" : code) {
          case "InvalidAccessKeyId" -> "the access key id is not known to this endpoint: check the credentials"
              + " and the endpoint they are for";
          case "SignatureDoesNotMatch" -> "the secret key does not match the access key id, or the region is"
              + " wrong: check the credentials and region";
          case "ExpiredToken" -> "the session token has expired: refresh the credentials";
          default -> "grant " + permission + " on arn:aws:s3:::" + bucket + "/* to the configured credentials,"
              + " or check the bucket policy and KMS key permissions";
        };
        return new S3AccessDeniedException(String.format(Locale.ROOT,
            "Cannot %s %s: access denied (%s, HTTP %d%s; %s)", operation, location, code == null ? "Forbidden" : code,
            status, requestId == null ? "" : ", request " + requestId, fix), e, bucket, fullKey, status, code);
      }
      boolean retryable = status >= 500 || status == 429 || "SlowDown".equals(code)
          || "RequestTimeout".equals(code);
      String fix = retryable
          ? String.format(Locale.ROOT, "gave up after %d attempts; retry later, lower the request rate, or raise"
              + " the store's maxAttempts", attempts)
          : "see the S3 error code";
      return new S3StorageException(String.format(Locale.ROOT, "Cannot %s %s: S3 answered %s (HTTP %d%s%s; %s)",
          operation, location, code == null ? "an error" : code, status,
          serviceMessage == null ? "" : ", '" + serviceMessage + "'",
          requestId == null ? "" : ", request " + requestId, fix), e, retryable, bucket, fullKey, status, code);
    }
    if (e instanceof SdkClientException) {
      return new S3StorageException(String.format(Locale.ROOT,
          "Cannot %s %s: no usable answer from S3 after %d attempts (%s); check the endpoint and network, or retry",
          operation, location, attempts, e.getMessage()), e, true, bucket, fullKey, 0, null);
    }
    return new S3StorageException(String.format(Locale.ROOT, "Cannot %s %s: %s", operation, location,
        e.getMessage()), e, false, bucket, fullKey, 0, null);
  }

  /** Whether the exception is S3's 412 Precondition Failed. */
  static boolean isPreconditionFailed(SdkException e) {
    return e instanceof S3Exception s3 && s3.statusCode() == 412;
  }

  /** Whether the exception is S3's 404 (no such key, or an upload id that no longer exists). */
  static boolean isNotFound(SdkException e) {
    return e instanceof S3Exception s3 && s3.statusCode() == 404
        && (s3.awsErrorDetails() == null || !"NoSuchBucket".equals(s3.awsErrorDetails().errorCode()));
  }

  /** Whether the exception is S3's 409 ConditionalRequestConflict (a concurrent conditional write). */
  static boolean isConditionalConflict(SdkException e) {
    return e instanceof S3Exception s3 && s3.statusCode() == 409;
  }
}
