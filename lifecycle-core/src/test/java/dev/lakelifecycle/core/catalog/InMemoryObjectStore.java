package dev.lakelifecycle.core.catalog;

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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/**
 * A minimal in-memory {@link ObjectStore} for the catalog's own tests, ordered by UTF-8 bytes as S3 is.
 * Conditional writes are atomic (synchronised). Not a reference implementation of the store contract.
 */
final class InMemoryObjectStore implements ObjectStore {
  private record Blob(byte[] content, ObjectInfo info) {}

  private final URI root;
  private final ConcurrentSkipListMap<String, Blob> objects = new ConcurrentSkipListMap<>((a, b) ->
      Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));

  InMemoryObjectStore(String root) {
    this.root = URI.create(root.endsWith("/") ? root : root + "/");
  }

  @Override
  public URI root() {
    return root;
  }

  @Override
  public String location(String key) {
    return root + key;
  }

  @Override
  public Optional<String> keyOf(String location) {
    String r = root.toString();
    return location.startsWith(r) ? Optional.of(location.substring(r.length())) : Optional.empty();
  }

  @Override
  public Stream<ObjectInfo> list(String prefix, String startAfter) {
    List<ObjectInfo> out = new ArrayList<>();
    Map<String, Blob> tail = startAfter == null ? objects : objects.tailMap(startAfter, false);
    for (Map.Entry<String, Blob> e : tail.entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        out.add(e.getValue().info());
      }
    }
    return out.stream();
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    return Optional.ofNullable(objects.get(key)).map(Blob::info);
  }

  @Override
  public SeekableInput open(String key) {
    Blob b = objects.get(key);
    if (b == null) {
      throw new ObjectNotFoundException("No object at " + location(key));
    }
    byte[] content = b.content();
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
      public void close() {}
    };
  }

  @Override
  public synchronized ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    Blob existing = objects.get(key);
    if (condition.kind() == WriteCondition.Kind.IF_ABSENT && existing != null) {
      throw new PreconditionFailedException("Object exists at " + location(key));
    }
    if (condition.kind() == WriteCondition.Kind.IF_MATCH
        && (existing == null || !existing.info().etag().equals(condition.etag()))) {
      throw new PreconditionFailedException("Etag mismatch at " + location(key));
    }
    byte[] copy = content.clone();
    ObjectInfo info = new ObjectInfo(key, copy.length, Instant.now(), etag(copy));
    objects.put(key, new Blob(copy, info));
    return info;
  }

  @Override
  public ObjectOutput create(String key) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    return new ObjectOutput() {
      private ObjectInfo result;
      private boolean aborted;

      @Override
      public void write(int b) {
        buf.write(b);
      }

      @Override
      public long position() {
        return buf.size();
      }

      @Override
      public void abort() {
        aborted = true;
      }

      @Override
      public void close() {
        if (!aborted && result == null) {
          result = put(key, buf.toByteArray(), WriteCondition.none());
        }
      }

      @Override
      public ObjectInfo result() {
        return result;
      }
    };
  }

  @Override
  public DeleteResult delete(Collection<String> keys) {
    keys.forEach(objects::remove);
    return new DeleteResult(List.copyOf(keys), Map.of());
  }

  @Override
  public void close() {}

  private static String etag(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
