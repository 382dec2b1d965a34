package dev.lakelifecycle.api;

/**
 * A conditional write was refused: create-if-absent found an object, or replace-if-etag-matches
 * found another etag (HTTP 412 on S3). The object is unchanged by this call.
 */
public class PreconditionFailedException extends StorageException {
  private static final long serialVersionUID = 1L;

  public PreconditionFailedException(String message) {
    super(message);
  }
}
