package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.StorageException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orphan candidates of one sweep, appended in listing (ascending key) order and read back in that
 * order, as often as needed: a front-coded temporary file, so that millions of candidates cost disk, not
 * heap. No file is created until the first candidate. Reading decodes into a reusable buffer
 * ({@link #advance()} and the accessors), so a pass over the candidates allocates nothing per candidate.
 * Not thread-safe.
 */
final class CandidateLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CandidateLog.class);

  /** One candidate as listed. */
  record Entry(byte[] key, long size, Instant lastModified) {}

  private final Path directory;
  private Path file;
  private SpillIo.Out out;
  private SpillIo.In in;
  private byte[] key = new byte[256];
  private int keyLength;
  private long size;
  private long seconds;
  private int nanos;
  private long count;

  CandidateLog(Path directory) {
    this.directory = directory != null ? directory : Path.of(System.getProperty("java.io.tmpdir"));
  }

  void add(byte[] key, long size, Instant lastModified) {
    add(key, key.length, size, lastModified);
  }

  /** Appends the candidate {@code key[0..length)}; keys must come in ascending order. */
  void add(byte[] newKey, int length, long size, Instant lastModified) {
    try {
      if (out == null) {
        Files.createDirectories(directory);
        file = Files.createTempFile(directory, "lifecycle-sweep-", ".candidates");
        out = new SpillIo.Out(Files.newOutputStream(file));
      }
      int mismatch = Arrays.mismatch(key, 0, keyLength, newKey, 0, length);
      int shared = mismatch < 0 ? length : Math.min(mismatch, length);
      out.varInt(shared);
      out.varInt(length - shared);
      out.bytes(newKey, shared, length - shared);
      out.longValue(size);
      out.longValue(lastModified.getEpochSecond());
      out.intValue(lastModified.getNano());
      key = SpillIo.grow(key, length);
      System.arraycopy(newKey, shared, key, shared, length - shared);
      keyLength = length;
      count++;
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot record orphan candidates in %s: %s; nothing was deleted (make sweep.spill_dir a writable local "
              + "directory with free space)", file != null ? file : directory, e), e);
    }
  }

  long count() {
    return count;
  }

  /** Ends appending and (re)starts reading from the first candidate; may be called again to rewind. */
  void startReading() {
    if (file == null) {
      return;
    }
    try {
      if (out != null) {
        out.close();
        out = null;
      }
      if (in != null) {
        in.close();
      }
      in = new SpillIo.In(Files.newInputStream(file));
      keyLength = 0;
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot read back the orphan candidates from %s: %s; nothing more was deleted", file, e), e);
    }
  }

  /** Moves to the next candidate; false at the end. The accessors describe it until the next call. */
  boolean advance() {
    if (in == null) {
      return false;
    }
    try {
      if (!in.hasMore()) {
        return false;
      }
      int shared = in.varInt();
      int rest = in.varInt();
      if (shared > keyLength) {
        throw new EOFException("corrupt candidate record");
      }
      key = SpillIo.grow(key, shared + rest);
      in.bytes(key, shared, rest);
      keyLength = shared + rest;
      size = in.longValue();
      seconds = in.longValue();
      nanos = in.intValue();
      return true;
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot read back the orphan candidates from %s: %s; nothing more was deleted", file, e), e);
    }
  }

  /** The current candidate's key bytes, valid from 0 to {@link #keyLength()} until the next {@link #advance()}. */
  byte[] keyBuffer() {
    return key;
  }

  int keyLength() {
    return keyLength;
  }

  long size() {
    return size;
  }

  Instant lastModified() {
    return Instant.ofEpochSecond(seconds, nanos);
  }

  /** The next candidate as a value, or {@code null} at the end. */
  Entry next() {
    return advance() ? new Entry(Arrays.copyOf(key, keyLength), size, lastModified()) : null;
  }

  @Override
  public void close() {
    try {
      if (out != null) {
        out.close();
      }
      if (in != null) {
        in.close();
      }
    } catch (IOException e) {
      LOG.debug("Cannot close the candidate file {}: {}", file, e.toString());
    }
    out = null;
    in = null;
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warn("Cannot delete the sweep's temporary candidate file {}: {} (delete it by hand; no sweep needs it)",
            file, e.toString());
      }
    }
  }
}
