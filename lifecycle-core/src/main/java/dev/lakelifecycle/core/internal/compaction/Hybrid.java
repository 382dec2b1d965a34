package dev.lakelifecycle.core.internal.compaction;

import java.util.Arrays;
import org.apache.parquet.column.values.bitpacking.BytePacker;
import org.apache.parquet.column.values.bitpacking.Packer;

/**
 * The RLE/bit-packed hybrid encoding of Parquet (dictionary ids, levels), decoded and encoded in bulk: bit-packed
 * groups of eight values go through parquet-java's {@link BytePacker} straight between an {@code int[]} and a byte
 * array, never value by value through a stream. No length prefix and no bit-width byte: callers add those.
 */
final class Hybrid {
  /** Bit-packed groups per run: 63 keeps the run header ({@code groups << 1 | 1}) in one byte. */
  private static final int MAX_GROUPS = 63;
  /** Values repeated at least this often are written as one RLE run rather than bit-packed. */
  private static final int MIN_RLE = 8;

  private Hybrid() {}

  /**
   * Decodes {@code count} values of {@code buf[pos, end)} into {@code out[0, count)}. A last bit-packed group cut
   * short by its writer reads its missing bits as zeros.
   *
   * @throws IllegalStateException if a run header lies past {@code end} or an RLE value is cut short
   */
  static void decode(byte[] buf, int pos, int end, int width, int[] out, int count) {
    if (width < 0 || width > 32) {
      throw new IllegalStateException("bit width " + width);
    }
    BytePacker packer = Packer.LITTLE_ENDIAN.newBytePacker(width);
    int valueBytes = (width + 7) / 8;
    int n = 0;
    while (n < count) {
      int header = 0;
      int shift = 0;
      int b;
      do {
        if (pos >= end || shift > 28) {
          throw new IllegalStateException("RLE run header past the end of the page");
        }
        b = buf[pos++] & 0xff;
        header |= (b & 0x7f) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      if ((header & 1) == 0) {
        int run = header >>> 1;
        if (pos + valueBytes > end) {
          throw new IllegalStateException("RLE run value past the end of the page");
        }
        int value = 0;
        for (int i = 0; i < valueBytes; i++) {
          value |= (buf[pos++] & 0xff) << (8 * i);
        }
        int m = Math.min(run, count - n);
        Arrays.fill(out, n, n + m, value);
        n += m;
      } else {
        int groups = header >>> 1;
        // Whole groups that fit both the page and out are unpacked in place.
        int direct = Math.min(groups, Math.min((count - n) / 8, width == 0 ? groups : (end - pos) / width));
        for (int g = 0; g < direct; g++) {
          packer.unpack8Values(buf, pos, out, n);
          pos += width;
          n += 8;
        }
        for (int g = direct; g < groups && n < count; g++) {
          int[] eight = new int[8];
          byte[] padded = new byte[Math.max(1, width)];
          System.arraycopy(buf, pos, padded, 0, Math.max(0, Math.min(width, end - pos)));
          packer.unpack8Values(padded, 0, eight, 0);
          pos += width;
          int m = Math.min(8, count - n);
          System.arraycopy(eight, 0, out, n, m);
          n += m;
        }
      }
    }
  }

  /**
   * Appends {@code values[0, count)} hybrid-encoded at {@code width} bits to {@code out}: runs of at least eight
   * equal values (and a page's equal tail) as RLE runs, the rest as bit-packed groups of eight (the last one padded
   * with zeros, which readers ignore past the page's value count).
   */
  static void encode(int[] values, int count, int width, Sink out) {
    BytePacker packer = Packer.LITTLE_ENDIAN.newBytePacker(width);
    int valueBytes = (width + 7) / 8;
    // Worst case: every value bit-packed plus a header byte per 63 groups, or RLE runs of 5 + 4 bytes.
    out.ensure(out.size + (count / 8 + 1) * (width + 1) + 16 + count / MIN_RLE * 9);
    int[] eight = new int[8];
    int headerAt = -1;
    int groups = 0;
    int i = 0;
    while (i < count) {
      int v = values[i];
      int r = 1;
      while (i + r < count && values[i + r] == v) {
        r++;
      }
      if (r >= MIN_RLE || i + r == count) {
        if (headerAt >= 0) {
          out.data[headerAt] = (byte) (groups << 1 | 1);
          headerAt = -1;
          groups = 0;
        }
        out.varint(r << 1);
        for (int b = 0; b < valueBytes; b++) {
          out.data[out.size++] = (byte) (v >>> (8 * b));
        }
        i += r;
        continue;
      }
      if (headerAt < 0) {
        headerAt = out.size++;
      }
      if (i + 8 <= count) {
        packer.pack8Values(values, i, out.data, out.size);
      } else {
        Arrays.fill(eight, 0);
        System.arraycopy(values, i, eight, 0, count - i);
        packer.pack8Values(eight, 0, out.data, out.size);
      }
      out.size += width;
      i += 8;
      if (++groups == MAX_GROUPS) {
        out.data[headerAt] = (byte) (groups << 1 | 1);
        headerAt = -1;
        groups = 0;
      }
    }
    if (headerAt >= 0) {
      out.data[headerAt] = (byte) (groups << 1 | 1);
    }
  }

  /** A growable byte array that encoded pages are built in; reused from page to page. */
  static final class Sink {
    byte[] data;
    int size;

    Sink(int capacity) {
      data = new byte[Math.max(16, capacity)];
    }

    void ensure(long capacity) {
      if (capacity > data.length) {
        if (capacity > Integer.MAX_VALUE - 16) {
          throw new IllegalStateException("page of " + capacity + " bytes");
        }
        data = Arrays.copyOf(data, (int) Math.max(Math.min(Integer.MAX_VALUE - 16, data.length * 2L), capacity));
      }
    }

    void write(byte[] b, int off, int len) {
      ensure((long) size + len);
      System.arraycopy(b, off, data, size, len);
      size += len;
    }

    void write(int b) {
      ensure(size + 1L);
      data[size++] = (byte) b;
    }

    void varint(int v) {
      while ((v & ~0x7f) != 0) {
        data[size++] = (byte) ((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      data[size++] = (byte) v;
    }
  }
}
