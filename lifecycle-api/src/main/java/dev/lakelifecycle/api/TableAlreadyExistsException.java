package dev.lakelifecycle.api;

/**
 * {@link dev.lakelifecycle.api.catalog.TableCatalog#createTable} was asked to create a table that exists already.
 */
public class TableAlreadyExistsException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  public TableAlreadyExistsException(String message) {
    super(message);
  }

  public TableAlreadyExistsException(String message, Throwable cause) {
    super(message, cause);
  }
}
