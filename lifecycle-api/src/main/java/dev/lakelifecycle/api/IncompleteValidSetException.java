package dev.lakelifecycle.api;

/**
 * The orphan sweeper could not build the complete set of referenced files (a manifest or snapshot is missing or unreadable, or the set came out empty for a table with data). Nothing was deleted.
 */
public class IncompleteValidSetException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  public IncompleteValidSetException(String message) {
    super(message);
  }

  public IncompleteValidSetException(String message, Throwable cause) {
    super(message, cause);
  }
}
