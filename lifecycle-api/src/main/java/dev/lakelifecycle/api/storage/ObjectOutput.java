package dev.lakelifecycle.api.storage;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A streaming write of one whole object. Nothing is visible at the key until {@link #close()} returns;
 * then the whole object is (local: temp file, fsync, atomic rename; S3: PUT or multipart complete).
 * {@link #abort()} discards what was written and leaves no trace (no temp file, no incomplete upload).
 */
public abstract class ObjectOutput extends OutputStream {
  /** Bytes written so far. */
  public abstract long position();

  /** Discards the write. Safe to call after a failed write or more than once; a no-op after close. */
  public abstract void abort();

  /**
   * Publishes the object atomically.
   *
   * @throws IOException if publishing fails; the object is then absent (or unchanged)
   */
  @Override
  public abstract void close() throws IOException;

  /** What was published; valid after {@link #close()} returned. */
  public abstract ObjectInfo result();
}
