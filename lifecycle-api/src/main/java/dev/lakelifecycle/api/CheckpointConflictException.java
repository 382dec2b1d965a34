package dev.lakelifecycle.api;

/**
 * A compare-and-set on a {@link dev.lakelifecycle.api.checkpoint.Checkpoint} failed because the stored version differs from the expected one: another worker changed it. Re-read and decide again.
 */
public class CheckpointConflictException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  public CheckpointConflictException(String message) {
    super(message);
  }

  public CheckpointConflictException(String message, Throwable cause) {
    super(message, cause);
  }
}
