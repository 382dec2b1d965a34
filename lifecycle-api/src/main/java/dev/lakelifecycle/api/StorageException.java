package dev.lakelifecycle.api;

/**
 * A read, write, list or delete against an {@link dev.lakelifecycle.api.storage.ObjectStore} failed.
 * The message names the key or location and never contains credentials. {@link #isRetryable()}
 * tells whether the same call may succeed later (throttling, a timeout, a reset connection).
 */
public class StorageException extends LifecycleException {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  public StorageException(String message) {
    this(message, null, false);
  }

  public StorageException(String message, Throwable cause) {
    this(message, cause, false);
  }

  public StorageException(String message, Throwable cause, boolean retryable) {
    super(message, cause);
    this.retryable = retryable;
  }

  /** Whether retrying the same call may succeed; {@code false} unless the store said otherwise. */
  public boolean isRetryable() {
    return retryable;
  }
}
