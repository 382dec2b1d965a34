package dev.lakelifecycle.api.storage;

import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PreconditionFailedException;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where bytes live: a flat namespace of immutable-once-written objects under one root location, addressed
 * by {@code /}-separated keys relative to that root. The local-directory store is in
 * {@code lifecycle-core}, the S3 store in {@code lifecycle-s3}; any other can be plugged in and checked
 * with {@code lifecycle-testkit}'s {@code ObjectStoreContract}.
 *
 * <p>Every method is thread-safe. Failures are unchecked {@link dev.lakelifecycle.api.StorageException}s
 * that name the key.
 */
public interface ObjectStore extends AutoCloseable {

  /** The root location, ending with {@code /}: {@code file:/var/lake/}, {@code s3://bucket/prefix/}. */
  URI root();

  /**
   * The full location of a key, or of a key prefix ending in {@code /} (a table's root), or of {@code ""}
   * (the root itself): {@code root() + key}, with the key's characters kept as they are.
   */
  String location(String key);

  /**
   * The key of a location inside this store, after normalisation: equivalent spellings of one object
   * (for S3: {@code s3://b/k} and {@code s3a://b/k}; locally: a bare path and its {@code file:} form;
   * percent-encoded and raw characters) give the same key.
   *
   * @return the key, or empty if the location is not inside {@link #root()}
   */
  Optional<String> keyOf(String location);

  /**
   * Objects whose key starts with {@code prefix}, in lexicographic (UTF-8 binary, as S3) key order,
   * fetched lazily page by page. Close the stream to release resources.
   *
   * @param prefix a key prefix; {@code ""} lists everything
   */
  default Stream<ObjectInfo> list(String prefix) {
    return list(prefix, null);
  }

  /**
   * Like {@link #list(String)}, starting strictly after {@code startAfter} (S3's {@code StartAfter}),
   * so that a long listing can resume from a checkpointed key.
   *
   * @param startAfter a key, or {@code null} to start at the beginning
   */
  Stream<ObjectInfo> list(String prefix, String startAfter);

  /** Size, time and etag of an object, or empty if absent. */
  Optional<ObjectInfo> stat(String key);

  /**
   * Opens an object for ranged reads.
   *
   * @throws ObjectNotFoundException if absent
   */
  SeekableInput open(String key);

  /**
   * The whole content of a (small) object.
   *
   * @throws ObjectNotFoundException if absent
   */
  default byte[] read(String key) {
    try (SeekableInput in = open(key)) {
      long len = in.length();
      if (len > Integer.MAX_VALUE - 8) {
        throw new dev.lakelifecycle.api.StorageException("Cannot read " + location(key) + " whole: "
            + len + " bytes is too large (use open() and ranged reads)");
      }
      byte[] buf = new byte[(int) len];
      in.readFully(0, buf, 0, buf.length);
      return buf;
    }
  }

  /**
   * Writes a whole object atomically under a precondition.
   *
   * @throws PreconditionFailedException if the condition does not hold; the object is unchanged
   */
  ObjectInfo put(String key, byte[] content, WriteCondition condition);

  /** Unconditional {@link #put(String, byte[], WriteCondition)}. */
  default ObjectInfo put(String key, byte[] content) {
    return put(key, content, WriteCondition.none());
  }

  /** Starts a streaming, unconditional write that becomes visible whole at {@link ObjectOutput#close()}. */
  ObjectOutput create(String key);

  /**
   * Deletes objects. Idempotent: a missing key is reported as deleted. Never throws for a single
   * key's failure; those are in {@link DeleteResult#failed()}.
   */
  DeleteResult delete(Collection<String> keys);

  /** Releases clients and handles; never throws a checked exception. */
  @Override
  void close();
}
