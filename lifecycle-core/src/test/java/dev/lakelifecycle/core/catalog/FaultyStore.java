package dev.lakelifecycle.core.catalog;

import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Wraps a store and makes chosen conditional writes fail: either before they reach the store, or after
 * they landed (a lost acknowledgement, as when a timeout or a retried request hides a success).
 * A local stand-in until the testkit's fault-injecting store is on main.
 */
final class FaultyStore implements ObjectStore {
  enum Mode { FAIL_BEFORE, FAIL_AFTER_LANDING }

  private final ObjectStore delegate;
  private volatile Predicate<String> matches = k -> false;
  private volatile Mode mode = Mode.FAIL_AFTER_LANDING;
  private volatile boolean retryable = true;
  private final AtomicInteger remaining = new AtomicInteger();
  private final AtomicInteger injected = new AtomicInteger();

  FaultyStore(ObjectStore delegate) {
    this.delegate = delegate;
  }

  /** The next {@code times} conditional (if-absent) puts to keys matching fail in {@code mode}. */
  FaultyStore failConditionalPuts(Predicate<String> keys, Mode mode, boolean retryable, int times) {
    this.matches = keys;
    this.mode = mode;
    this.retryable = retryable;
    this.remaining.set(times);
    return this;
  }

  int injected() {
    return injected.get();
  }

  @Override
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    boolean fault = condition.kind() == WriteCondition.Kind.IF_ABSENT && matches.test(key)
        && remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    if (!fault) {
      return delegate.put(key, content, condition);
    }
    injected.incrementAndGet();
    if (mode == Mode.FAIL_AFTER_LANDING) {
      delegate.put(key, content, condition);
    }
    throw new StorageException("Injected failure writing " + location(key)
        + (mode == Mode.FAIL_AFTER_LANDING ? " (the write landed)" : ""), null, retryable);
  }

  @Override
  public URI root() {
    return delegate.root();
  }

  @Override
  public String location(String key) {
    return delegate.location(key);
  }

  @Override
  public Optional<String> keyOf(String location) {
    return delegate.keyOf(location);
  }

  @Override
  public Stream<ObjectInfo> list(String prefix, String startAfter) {
    return delegate.list(prefix, startAfter);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    return delegate.stat(key);
  }

  @Override
  public SeekableInput open(String key) {
    return delegate.open(key);
  }

  @Override
  public ObjectOutput create(String key) {
    return delegate.create(key);
  }

  @Override
  public DeleteResult delete(Collection<String> keys) {
    return delegate.delete(keys);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
