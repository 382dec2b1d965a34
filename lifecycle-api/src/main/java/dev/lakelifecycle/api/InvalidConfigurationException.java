package dev.lakelifecycle.api;

/**
 * A setting is invalid. The message names the key, the value given and what is allowed. Thrown at load or build time, never later.
 */
public class InvalidConfigurationException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  public InvalidConfigurationException(String message) {
    super(message);
  }

  public InvalidConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
