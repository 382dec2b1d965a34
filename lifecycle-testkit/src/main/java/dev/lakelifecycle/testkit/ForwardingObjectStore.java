package dev.lakelifecycle.testkit;

import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An {@link ObjectStore} that forwards every call to another store, in the style of Guava's
 * {@code Forwarding*} classes. Extend and override only what you intercept; used to wrap real components
 * for fault injection.
 *
 * <p>Every abstract method of {@link ObjectStore} forwards to {@link #delegate()}. The interface's default
 * methods ({@code list(prefix)}, {@code read(key)}, {@code put(key, content)}) are deliberately not
 * forwarded: they keep going through this wrapper's {@code list}, {@code open} and {@code put}, so an
 * override of those intercepts every way of making the call. {@link #close()} closes the delegate.
 */
public abstract class ForwardingObjectStore extends ForwardingObject<ObjectStore> implements ObjectStore {
  /**
   * @param delegate the store every call goes to
   * @throws NullPointerException if {@code delegate} is null
   */
  protected ForwardingObjectStore(ObjectStore delegate) {
    super(delegate);
  }

  @Override
  public URI root() {
    return delegate().root();
  }

  @Override
  public String location(String key) {
    return delegate().location(key);
  }

  @Override
  public Optional<String> keyOf(String location) {
    return delegate().keyOf(location);
  }

  @Override
  public Stream<ObjectInfo> list(String prefix, String startAfter) {
    return delegate().list(prefix, startAfter);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    return delegate().stat(key);
  }

  @Override
  public SeekableInput open(String key) {
    return delegate().open(key);
  }

  @Override
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    return delegate().put(key, content, condition);
  }

  @Override
  public ObjectOutput create(String key) {
    return delegate().create(key);
  }

  @Override
  public DeleteResult delete(Collection<String> keys) {
    return delegate().delete(keys);
  }

  @Override
  public void close() {
    delegate().close();
  }
}
