package dev.lakelifecycle.api;

/**
 * A catalog commit lost an optimistic-concurrency race: a file it meant to remove is no longer live, or another writer committed the same version first. The table is unchanged; re-plan from a refreshed table and retry.
 */
public class CommitConflictException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  public CommitConflictException(String message) {
    super(message);
  }

  public CommitConflictException(String message, Throwable cause) {
    super(message, cause);
  }
}
