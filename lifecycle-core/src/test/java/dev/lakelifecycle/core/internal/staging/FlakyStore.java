package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.io.IOException;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real store whose next streaming writes under a key prefix fail when published: the bytes are written, then
 * {@code close()} aborts the delegate's write and throws, as a store whose upload fails at the end would.
 */
public final class FlakyStore implements ObjectStore {
  private final ObjectStore delegate;
  private final AtomicInteger failures = new AtomicInteger();
  private volatile String prefix = "";

  public FlakyStore(ObjectStore delegate) {
    this.delegate = delegate;
  }

  /** Makes the next {@code count} streaming writes of keys starting with {@code keyPrefix} fail. */
  public void failNextWrites(int count, String keyPrefix) {
    prefix = keyPrefix;
    failures.set(count);
  }

  public int pendingFailures() {
    return failures.get();
  }

  @Override
  public ObjectOutput create(String key) {
    ObjectOutput out = delegate.create(key);
    if (!key.startsWith(prefix) || failures.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
      return out;
    }
    return new ObjectOutput() {
      @Override
      public long position() {
        return out.position();
      }

      @Override
      public void abort() {
        out.abort();
      }

      @Override
      public void write(int b) throws IOException {
        out.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        out.abort();
        throw new IOException(new StorageException("Injected failure publishing " + delegate.location(key), null, true));
      }

      @Override
      public ObjectInfo result() {
        throw new IllegalStateException("not published");
      }
    };
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
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    return delegate.put(key, content, condition);
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
