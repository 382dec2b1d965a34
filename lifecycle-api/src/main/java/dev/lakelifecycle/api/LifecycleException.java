package dev.lakelifecycle.api;

/**
 * Root of every exception Lake Lifecycle throws on purpose. Unchecked, so that callers catch the
 * typed children they can act on ({@link CommitConflictException}, {@link StorageException}, ...)
 * and let the rest propagate.
 *
 * <p>Messages name what could not be done, the object concerned and the fix, for example
 * {@code "Cannot commit to acme/prod/traces: file file:/lake/a.parquet is no longer live (re-plan and retry)"}.
 */
public class LifecycleException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LifecycleException(String message) {
    super(message);
  }

  public LifecycleException(String message, Throwable cause) {
    super(message, cause);
  }
}
