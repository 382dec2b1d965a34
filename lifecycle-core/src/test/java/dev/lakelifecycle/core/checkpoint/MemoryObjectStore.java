package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A minimal, thread-safe {@link ObjectStore} in memory with S3's semantics for conditional writes and
 * listing order, so that the checkpoint store's protocol is also checked apart from any file system.
 */
final class MemoryObjectStore implements ObjectStore {
  private record Blob(byte[] content, ObjectInfo info) {}

  private final NavigableMap<String, Blob> objects = new TreeMap<>();
  private final AtomicLong etags = new AtomicLong();

  @Override
  public URI root() {
    return URI.create("mem:/");
  }

  @Override
  public String location(String key) {
    return "mem:/" + key;
  }

  @Override
  public Optional<String> keyOf(String location) {
    return location.startsWith("mem:/") ? Optional.of(location.substring(5)) : Optional.empty();
  }

  @Override
  public synchronized Stream<ObjectInfo> list(String prefix, String startAfter) {
    List<ObjectInfo> infos = new ArrayList<>();
    NavigableMap<String, Blob> tail = startAfter == null ? objects.tailMap(prefix, true)
        : objects.tailMap(startAfter.compareTo(prefix) < 0 ? prefix : startAfter, startAfter.compareTo(prefix) < 0);
    for (Map.Entry<String, Blob> e : tail.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      infos.add(e.getValue().info());
    }
    return infos.stream();
  }

  @Override
  public synchronized Optional<ObjectInfo> stat(String key) {
    return Optional.ofNullable(objects.get(key)).map(Blob::info);
  }

  @Override
  public synchronized SeekableInput open(String key) {
    Blob blob = objects.get(key);
    if (blob == null) {
      throw new ObjectNotFoundException("No object at " + location(key));
    }
    byte[] content = blob.content();
    return new SeekableInput() {
      @Override
      public long length() {
        return content.length;
      }

      @Override
      public void readFully(long position, byte[] buffer, int offset, int length) {
        if (position < 0 || position + length > content.length) {
          throw new StorageException("Range past the end of " + location(key));
        }
        System.arraycopy(content, (int) position, buffer, offset, length);
      }

      @Override
      public void close() {
        // nothing is held open
      }
    };
  }

  @Override
  public synchronized ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    Blob current = objects.get(key);
    boolean holds = switch (condition.kind()) {
      case NONE -> true;
      case IF_ABSENT -> current == null;
      case IF_MATCH -> current != null && current.info().etag().equals(condition.etag());
    };
    if (!holds) {
      throw new PreconditionFailedException("Precondition " + condition + " failed for " + location(key));
    }
    ObjectInfo info = new ObjectInfo(key, content.length, Instant.now(), "e" + etags.incrementAndGet());
    objects.put(key, new Blob(content.clone(), info));
    return info;
  }

  @Override
  public ObjectOutput create(String key) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    return new ObjectOutput() {
      private ObjectInfo result;
      private boolean done;

      @Override
      public void write(int b) {
        buffer.write(b);
      }

      @Override
      public long position() {
        return buffer.size();
      }

      @Override
      public void abort() {
        done = true;
      }

      @Override
      public void close() {
        if (!done) {
          done = true;
          result = put(key, buffer.toByteArray());
        }
      }

      @Override
      public ObjectInfo result() {
        return result;
      }
    };
  }

  @Override
  public synchronized DeleteResult delete(Collection<String> keys) {
    keys.forEach(objects::remove);
    return new DeleteResult(List.copyOf(keys), Map.of());
  }

  @Override
  public void close() {
    // nothing to release
  }
}
