package dev.lakelifecycle.core.internal.sweep;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Unsynchronised buffered reading and writing of the sweep's temporary files (sorted runs, candidates), and
 * UTF-8 encoding of keys into reusable buffers. The JDK's buffered and data streams take a lock and make a
 * call per byte; at tens of millions of keys per sweep that is most of the I/O cost, so these work on a plain
 * array. Not thread-safe.
 */
final class SpillIo {
  static final int BUFFER = 1 << 16;
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private SpillIo() {}

  /**
   * Encodes {@code s} as UTF-8 into {@code buf} from 0 and returns the length; {@code buf} must hold
   * {@code 3 * s.length()} bytes (see {@link #fit}). (The JDK's vectorised encoder plus a copy is about three
   * times faster than a char-by-char loop, despite the short-lived array.)
   */
  static int encode(String s, byte[] buf) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(bytes, 0, buf, 0, bytes.length);
    return bytes.length;
  }

  /** {@code buf}, or a larger one, able to take the UTF-8 of {@code s} (at most 3 bytes per UTF-16 char). */
  static byte[] fit(byte[] buf, String s) {
    return grow(buf, 3 * s.length());
  }

  /** {@code buf} if it holds {@code n} bytes, else a larger copy of it. */
  static byte[] grow(byte[] buf, int n) {
    return n <= buf.length ? buf : Arrays.copyOf(buf, Math.max(n, 2 * buf.length));
  }

  /** The 8 bytes of {@code a} at {@code p} as a big-endian long; the caller guarantees {@code p + 8 <= a.length}. */
  static long longAt(byte[] a, int p) {
    return (long) LONG_BE.get(a, p);
  }

  /** Writes to an output stream through one array; {@link #close()} flushes and closes the stream. */
  static final class Out implements AutoCloseable {
    private final OutputStream out;
    private final byte[] buf = new byte[BUFFER];
    private int pos;

    Out(OutputStream out) {
      this.out = out;
    }

    void varInt(int v) throws IOException {
      if (pos + 5 > buf.length) {
        flush();
      }
      while ((v & ~0x7f) != 0) {
        buf[pos++] = (byte) ((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    void longValue(long v) throws IOException {
      if (pos + 8 > buf.length) {
        flush();
      }
      LONG_BE.set(buf, pos, v);
      pos += 8;
    }

    void intValue(int v) throws IOException {
      if (pos + 4 > buf.length) {
        flush();
      }
      buf[pos++] = (byte) (v >>> 24);
      buf[pos++] = (byte) (v >>> 16);
      buf[pos++] = (byte) (v >>> 8);
      buf[pos++] = (byte) v;
    }

    void bytes(byte[] b, int off, int len) throws IOException {
      if (len > buf.length - pos) {
        flush();
        if (len > buf.length) {
          out.write(b, off, len);
          return;
        }
      }
      System.arraycopy(b, off, buf, pos, len);
      pos += len;
    }

    private void flush() throws IOException {
      out.write(buf, 0, pos);
      pos = 0;
    }

    @Override
    public void close() throws IOException {
      try {
        flush();
      } finally {
        out.close();
      }
    }
  }

  /** Reads from an input stream through one array. */
  static final class In implements AutoCloseable {
    private final InputStream in;
    private final byte[] buf = new byte[BUFFER];
    private int pos;
    private int limit;

    In(InputStream in) {
      this.in = in;
    }

    /** Whether another byte follows (reading more if needed). */
    boolean hasMore() throws IOException {
      return pos < limit || fill(1);
    }

    /** Makes at least {@code n} (at most {@link #BUFFER}) bytes available, or returns false at the end. */
    private boolean fill(int n) throws IOException {
      if (pos > 0) {
        System.arraycopy(buf, pos, buf, 0, limit - pos);
        limit -= pos;
        pos = 0;
      }
      while (limit < n) {
        int r = in.read(buf, limit, buf.length - limit);
        if (r < 0) {
          return false;
        }
        limit += r;
      }
      return true;
    }

    private void need(int n) throws IOException {
      if (limit - pos < n && !fill(n)) {
        throw new EOFException("truncated sweep file");
      }
    }

    int varInt() throws IOException {
      int v = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        need(1);
        int b = buf[pos++];
        v |= (b & 0x7f) << shift;
        if (b >= 0) {
          return v;
        }
      }
      throw new EOFException("corrupt varint in a sweep file");
    }

    long longValue() throws IOException {
      need(8);
      long v = (long) LONG_BE.get(buf, pos);
      pos += 8;
      return v;
    }

    int intValue() throws IOException {
      need(4);
      int v = (buf[pos] & 0xff) << 24 | (buf[pos + 1] & 0xff) << 16 | (buf[pos + 2] & 0xff) << 8 | buf[pos + 3] & 0xff;
      pos += 4;
      return v;
    }

    void bytes(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (pos == limit && !fill(1)) {
          throw new EOFException("truncated sweep file");
        }
        int n = Math.min(len, limit - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        off += n;
        len -= n;
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
