package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Wraps a real store and, once armed, sends the next conditional put twice, as an S3 SDK does when the
 * first attempt's response is lost: the first lands, the retry meets its own write and answers
 * "precondition failed" to the caller.
 */
final class RetriedPutObjectStore implements ObjectStore {
  private final ObjectStore delegate;
  private final AtomicBoolean retryNextPut = new AtomicBoolean();

  RetriedPutObjectStore(ObjectStore delegate) {
    this.delegate = delegate;
  }

  void retryNextPut() {
    retryNextPut.set(true);
  }

  @Override
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    ObjectInfo first = delegate.put(key, content, condition);
    if (retryNextPut.getAndSet(false)) {
      return delegate.put(key, content, condition);
    }
    return first;
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
