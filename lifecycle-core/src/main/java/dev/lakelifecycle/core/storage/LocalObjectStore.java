package dev.lakelifecycle.core.storage;

import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

/** STUB: being written. */
public final class LocalObjectStore implements ObjectStore {
  public LocalObjectStore(Path root) {}

  @Override public URI root() { throw new UnsupportedOperationException("not written yet"); }
  @Override public String location(String key) { throw new UnsupportedOperationException("not written yet"); }
  @Override public Optional<String> keyOf(String location) { throw new UnsupportedOperationException("not written yet"); }
  @Override public Stream<ObjectInfo> list(String prefix, String startAfter) { throw new UnsupportedOperationException("not written yet"); }
  @Override public Optional<ObjectInfo> stat(String key) { throw new UnsupportedOperationException("not written yet"); }
  @Override public SeekableInput open(String key) { throw new UnsupportedOperationException("not written yet"); }
  @Override public ObjectInfo put(String key, byte[] content, WriteCondition condition) { throw new UnsupportedOperationException("not written yet"); }
  @Override public ObjectOutput create(String key) { throw new UnsupportedOperationException("not written yet"); }
  @Override public DeleteResult delete(Collection<String> keys) { throw new UnsupportedOperationException("not written yet"); }
  @Override public void close() {}
}
