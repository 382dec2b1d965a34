package dev.lakelifecycle.api.storage;

import java.io.Closeable;

/**
 * Positioned, ranged reads of one object, so that Parquet reads its footer from the end and only the
 * column chunks it needs. Not thread-safe. Errors are {@link dev.lakelifecycle.api.StorageException}s
 * naming the key.
 */
public interface SeekableInput extends Closeable {
  /** Size of the object in bytes, as of when it was opened. */
  long length();

  /**
   * Reads exactly {@code length} bytes starting at {@code position} into {@code buffer[offset..]}.
   *
   * @throws dev.lakelifecycle.api.StorageException if the range passes the end or the read fails
   */
  void readFully(long position, byte[] buffer, int offset, int length);

  /** Releases the underlying handle; never throws a checked exception. */
  @Override
  void close();
}
