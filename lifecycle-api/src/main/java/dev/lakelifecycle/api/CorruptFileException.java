package dev.lakelifecycle.api;

/**
 * A data file could not be read as Parquet (bad footer, truncated, unsupported encoding or encryption). The message names the file; engines quarantine it and go on with the rest.
 */
public class CorruptFileException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  public CorruptFileException(String message) {
    super(message);
  }

  public CorruptFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
