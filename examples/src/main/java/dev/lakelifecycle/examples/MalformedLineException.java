package dev.lakelifecycle.examples;

/**
 * A source line that does not parse. The message is the reason only (the caller knows the file and the
 * line number), e.g. {@code "status 'abc' is not a three-digit number"}.
 */
public final class MalformedLineException extends Exception {
  private static final long serialVersionUID = 1L;

  public MalformedLineException(String reason) {
    super(reason);
  }

  public MalformedLineException(String reason, Throwable cause) {
    super(reason, cause);
  }
}
