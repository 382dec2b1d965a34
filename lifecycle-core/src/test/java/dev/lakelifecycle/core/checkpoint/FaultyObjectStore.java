package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Wraps a real store and makes its next {@code put} or {@code delete} fail the way networks and SDKs do, so
 * that tests see how the checkpoint store handles lost acknowledgements and interrupted deletes.
 */
final class FaultyObjectStore implements ObjectStore {
  /** What the next put does. */
  enum PutFault {
    /** The write lands, then the caller sees a retryable error (a lost acknowledgement). */
    LAND_THEN_TIMEOUT,
    /** The write lands, then the caller sees 412 (the SDK retried a request that had succeeded). */
    LAND_THEN_PRECONDITION_FAILED,
    /** The write does not land and the caller sees a retryable error. */
    FAIL_WITHOUT_LANDING
  }

  private final ObjectStore delegate;
  private final AtomicReference<PutFault> nextPut = new AtomicReference<>();
  private final AtomicInteger failingDeletes = new AtomicInteger();

  FaultyObjectStore(ObjectStore delegate) {
    this.delegate = delegate;
  }

  void failNextPut(PutFault fault) {
    nextPut.set(fault);
  }

  void failNextDelete() {
    failingDeletes.incrementAndGet();
  }

  @Override
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    PutFault fault = nextPut.getAndSet(null);
    if (fault == null) {
      return delegate.put(key, content, condition);
    }
    switch (fault) {
      case LAND_THEN_TIMEOUT -> {
        delegate.put(key, content, condition);
        throw new StorageException("Injected: put of " + key + " timed out after it landed", null, true);
      }
      case LAND_THEN_PRECONDITION_FAILED -> {
        delegate.put(key, content, condition);
        throw new PreconditionFailedException("Injected: retried put of " + key + " answered 412");
      }
      default -> throw new StorageException("Injected: put of " + key + " failed before landing", null, true);
    }
  }

  @Override
  public DeleteResult delete(Collection<String> keys) {
    if (failingDeletes.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return new DeleteResult(List.of(), Map.of(keys.iterator().next(), "Injected: connection reset"));
    }
    return delegate.delete(keys);
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
  public void close() {
    delegate.close();
  }
}
