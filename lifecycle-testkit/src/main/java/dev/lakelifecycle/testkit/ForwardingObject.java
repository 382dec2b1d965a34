package dev.lakelifecycle.testkit;

import java.util.Objects;

/**
 * What the {@code Forwarding*} wrappers share, after Guava's {@code ForwardingObject}: the delegate, and a
 * {@link #toString()} that is the delegate's.
 *
 * @param <T> the SPI being wrapped
 */
abstract class ForwardingObject<T> {
  private final T delegate;

  ForwardingObject(T delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The component every call is forwarded to. */
  protected T delegate() {
    return delegate;
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
