package dev.lakelifecycle.api;

/**
 * A batch or file does not match the table schema. The message names the differing columns.
 */
public class SchemaMismatchException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  public SchemaMismatchException(String message) {
    super(message);
  }

  public SchemaMismatchException(String message, Throwable cause) {
    super(message, cause);
  }
}
