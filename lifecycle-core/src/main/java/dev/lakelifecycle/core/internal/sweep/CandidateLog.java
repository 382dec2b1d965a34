package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.StorageException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
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
 * The orphan candidates of one sweep, appended in listing (ascending key) order and read back once, in that
 * order: a front-coded temporary file, so that millions of candidates cost disk, not heap. No file is
 * created until the first candidate. Not thread-safe.
 */
final class CandidateLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CandidateLog.class);
  private static final int IO_BUFFER = 1 << 16;

  /** One candidate as listed. */
  record Entry(byte[] key, long size, Instant lastModified) {}

  private final Path directory;
  private Path file;
  private DataOutputStream out;
  private DataInputStream in;
  private byte[] previous = new byte[0];
  private long count;

  CandidateLog(Path directory) {
    this.directory = directory != null ? directory : Path.of(System.getProperty("java.io.tmpdir"));
  }

  void add(byte[] key, long size, Instant lastModified) {
    try {
      if (out == null) {
        Files.createDirectories(directory);
        file = Files.createTempFile(directory, "lifecycle-sweep-", ".candidates");
        out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), IO_BUFFER));
      }
      int mismatch = Arrays.mismatch(previous, key);
      int shared = mismatch < 0 ? key.length : Math.min(mismatch, key.length);
      SpillingKeySet.writeVarInt(out, shared);
      SpillingKeySet.writeVarInt(out, key.length - shared);
      out.write(key, shared, key.length - shared);
      out.writeLong(size);
      out.writeLong(lastModified.getEpochSecond());
      out.writeInt(lastModified.getNano());
      previous = key;
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
      in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), IO_BUFFER));
      previous = new byte[0];
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot read back the orphan candidates from %s: %s; nothing more was deleted", file, e), e);
    }
  }

  /** The next candidate, or {@code null} at the end. */
  Entry next() {
    if (in == null) {
      return null;
    }
    try {
      int first = in.read();
      if (first < 0) {
        return null;
      }
      int shared = SpillingKeySet.readVarInt(in, first);
      int second = in.read();
      if (second < 0 || shared > previous.length) {
        throw new EOFException("truncated or corrupt candidate record");
      }
      int rest = SpillingKeySet.readVarInt(in, second);
      byte[] key = new byte[shared + rest];
      System.arraycopy(previous, 0, key, 0, shared);
      in.readFully(key, shared, rest);
      long size = in.readLong();
      Instant lastModified = Instant.ofEpochSecond(in.readLong(), in.readInt());
      previous = key;
      return new Entry(key, size, lastModified);
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot read back the orphan candidates from %s: %s; nothing more was deleted", file, e), e);
    }
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
