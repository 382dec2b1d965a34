package dev.lakelifecycle.api;

/**
 * The named table does not exist in the catalog. Create it first with {@link dev.lakelifecycle.api.catalog.TableCatalog#createTable}.
 */
public class NoSuchTableException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  public NoSuchTableException(String message) {
    super(message);
  }

  public NoSuchTableException(String message, Throwable cause) {
    super(message, cause);
  }
}
