package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.core.ArrowBatch;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32C;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;

/**
 * The spool's record format: one appended batch per record, column-wise, little-endian, framed with a length and
 * a CRC32C so that a torn or garbled record is recognised on recovery.
 *
 * <pre>
 * frame   := magic u32 'LLS1' | payloadLength u32 | crc32c(payload) u32 | payload
 * payload := stagedAtMillis i64 | rows i32 | columns u16 | column-header* | column-data*
 * column-header := type u8 | nullable u8 | nameLength u16 | name (UTF-8)
 * column-data   := hasValidity u8 | [validity bitmap, Arrow order: bit set = value present] | values
 * values  := BOOLEAN: u8 per row | INT, FLOAT: 4 bytes per row | LONG, DOUBLE, TIMESTAMP (micros): 8 bytes per row
 *          | STRING (UTF-8), BINARY: offsets i32 x (rows + 1) | bytes
 * </pre>
 *
 * An Arrow batch whose vectors already have this layout (Int, BigInt, Float4/8, Timestamp micros, Utf8, Binary;
 * Utf8/Binary offsets that do not start at 0 are rebased) is copied buffer by buffer; other batches are read
 * column by column through their accessors. Nothing is converted row by row into objects.
 */
final class SpoolCodec {
  static final int MAGIC = 0x31534C4C; // "LLS1" read little-endian
  static final int FRAME_HEADER = 12;
  /** Offset in the payload of the row count (after stagedAtMillis). */
  static final int PAYLOAD_ROWS = 8;

  private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final TableSchema.Type[] TYPES = TableSchema.Type.values();

  private SpoolCodec() {}

  /** A growable buffer, reused per thread so that encoding allocates nothing once warm. */
  static final class Out {
    byte[] buf = new byte[1 << 16];
    int pos;

    void ensure(int more) {
      if (pos + more > buf.length) {
        long want = Math.max((long) buf.length * 2, (long) pos + more);
        if (want > Integer.MAX_VALUE - 16) {
          throw new IllegalArgumentException(String.format(Locale.ROOT,
              "Cannot stage a batch of more than 2 GiB encoded (split it into smaller batches)"));
        }
        buf = Arrays.copyOf(buf, (int) want);
      }
    }

    void u8(int v) {
      ensure(1);
      buf[pos++] = (byte) v;
    }

    void i16(int v) {
      ensure(2);
      I16.set(buf, pos, (short) v);
      pos += 2;
    }

    void i32(int v) {
      ensure(4);
      I32.set(buf, pos, v);
      pos += 4;
    }

    void i64(long v) {
      ensure(8);
      I64.set(buf, pos, v);
      pos += 8;
    }

    void bytes(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, pos, len);
      pos += len;
    }
  }

  private static final ThreadLocal<Out> OUT = ThreadLocal.withInitial(Out::new);

  /**
   * Encodes {@code batch} as one frame into this thread's buffer; valid until the thread encodes again. Checks
   * that non-nullable columns hold no null.
   *
   * @throws IllegalArgumentException naming the row and column of a null in a non-nullable column
   */
  static Out encode(RecordBatch batch, long stagedAtMillis) {
    Out out = OUT.get();
    if (out.buf.length > (64 << 20)) {
      // A huge batch grew the buffer; do not keep that much per thread.
      out = new Out();
      OUT.set(out);
    }
    out.pos = FRAME_HEADER;
    TableSchema schema = batch.schema();
    int rows = batch.rowCount();
    out.i64(stagedAtMillis);
    out.i32(rows);
    out.i16(schema.size());
    for (TableSchema.Column c : schema.columns()) {
      byte[] name = c.name().getBytes(StandardCharsets.UTF_8);
      out.u8(c.type().ordinal());
      out.u8(c.nullable() ? 1 : 0);
      out.i16(name.length);
      out.bytes(name, 0, name.length);
    }
    int n = schema.size();
    List<FieldVector> vectors = batch instanceof ArrowBatch a ? a.root().getFieldVectors() : null;
    FieldVector[] direct = new FieldVector[n];
    boolean[] anyNull = new boolean[n];
    boolean viaAccessors = false;
    for (int c = 0; c < n; c++) {
      FieldVector v = vectors != null && vectors.size() == n ? vectors.get(c) : null;
      if (v != null && v.getValueCount() >= rows) {
        direct[c] = v;
        anyNull[c] = v.getNullCount() > 0;
      } else {
        viaAccessors = true;
      }
    }
    if (viaAccessors) {
      scan(out, batch, schema, rows, direct, anyNull);
    }
    for (int c = 0; c < n; c++) {
      encodeColumn(out, batch, c, schema.column(c), rows, direct[c], anyNull[c]);
    }
    int payload = out.pos - FRAME_HEADER;
    CRC32C crc = new CRC32C();
    crc.update(out.buf, FRAME_HEADER, payload);
    I32.set(out.buf, 0, MAGIC);
    I32.set(out.buf, 4, payload);
    I32.set(out.buf, 8, (int) crc.getValue());
    return out;
  }

  /**
   * One row-major pass over the columns read through accessors ({@code direct[c] == null}): notes which hold a null
   * ({@code anyNull}), refuses a null in a non-nullable column, and reserves the frame's room for the strings' ASCII
   * bytes at once. Row by row on purpose: a row batch's values are separate heap objects (row array, string, its
   * bytes), and a row's loads are independent of each other and of the next row's, so the CPU has many cache misses
   * in flight here instead of one at a time; the column-wise copy that follows then finds the batch in cache. On
   * batches built long before their append (scattered by GC, evicted by other work) the encode takes about half the
   * CPU it took with per-column null scans; on a batch still in cache it costs the same.
   */
  private static void scan(Out out, RecordBatch b, TableSchema schema, int rows, FieldVector[] direct,
      boolean[] anyNull) {
    int n = schema.size();
    long room = 0;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < n; c++) {
        if (direct[c] != null) {
          continue;
        }
        if (b.isNull(c, r)) {
          if (!schema.column(c).nullable()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                "Row %d of the batch has a null in column '%s', which is not nullable (fill the value or make the "
                    + "column nullable)", r, schema.column(c).name()));
          }
          anyNull[c] = true;
        } else if (schema.column(c).type() == TableSchema.Type.STRING) {
          room += b.getString(c, r).length();
        }
      }
    }
    // Strings plus fixed-width values and offsets (at most 8 bytes a value, validity and flags); a non-ASCII string
    // grows the buffer again when it is copied. Only a hint: an estimate near 2 GiB is left to the copy to reach (or
    // refuse) exactly.
    room += (long) rows * n * 9 + 2L * n;
    if (room < (1L << 30)) {
      out.ensure((int) room);
    }
  }

  private static void encodeColumn(Out out, RecordBatch b, int c, TableSchema.Column col, int rows, FieldVector v,
      boolean anyNull) {
    int bitmap = (rows + 7) >>> 3;
    if (anyNull && !col.nullable()) {
      for (int r = 0; r < rows; r++) {
        if (b.isNull(c, r)) {
          throw new IllegalArgumentException(String.format(Locale.ROOT,
              "Row %d of the batch has a null in column '%s', which is not nullable (fill the value or make the "
                  + "column nullable)", r, col.name()));
        }
      }
    }
    out.u8(anyNull ? 1 : 0);
    if (anyNull) {
      out.ensure(bitmap);
      if (v != null) {
        v.getValidityBuffer().getBytes(0, out.buf, out.pos, bitmap);
        if ((rows & 7) != 0) {
          out.buf[out.pos + bitmap - 1] &= (byte) ((1 << (rows & 7)) - 1);
        }
      } else {
        Arrays.fill(out.buf, out.pos, out.pos + bitmap, (byte) 0);
        for (int r = 0; r < rows; r++) {
          if (!b.isNull(c, r)) {
            out.buf[out.pos + (r >>> 3)] |= (byte) (1 << (r & 7));
          }
        }
      }
      out.pos += bitmap;
    }
    switch (col.type()) {
      case BOOLEAN -> {
        out.ensure(rows);
        for (int r = 0; r < rows; r++) {
          out.buf[out.pos + r] = (byte) (!isNull(b, c, r, anyNull) && b.getBoolean(c, r) ? 1 : 0);
        }
        out.pos += rows;
      }
      case INT, FLOAT -> {
        if (v instanceof IntVector || v instanceof Float4Vector) {
          copyFixed(out, (BaseFixedWidthVector) v, rows, 4);
        } else {
          out.ensure(4 * rows);
          for (int r = 0; r < rows; r++) {
            int bits = isNull(b, c, r, anyNull) ? 0
                : col.type() == TableSchema.Type.INT ? b.getInt(c, r) : Float.floatToRawIntBits(b.getFloat(c, r));
            I32.set(out.buf, out.pos, bits);
            out.pos += 4;
          }
        }
      }
      case LONG, DOUBLE, TIMESTAMP -> {
        if (v instanceof BigIntVector || v instanceof Float8Vector || v instanceof TimeStampMicroVector
            || v instanceof TimeStampMicroTZVector) {
          copyFixed(out, (BaseFixedWidthVector) v, rows, 8);
        } else {
          out.ensure(8 * rows);
          for (int r = 0; r < rows; r++) {
            long bits = isNull(b, c, r, anyNull) ? 0
                : col.type() == TableSchema.Type.DOUBLE ? Double.doubleToRawLongBits(b.getDouble(c, r)) : b.getLong(c, r);
            I64.set(out.buf, out.pos, bits);
            out.pos += 8;
          }
        }
      }
      case STRING, BINARY -> {
        if (v instanceof BaseVariableWidthVector vv) {
          ArrowBuf offsets = vv.getOffsetBuffer();
          int base = offsets.getInt(0);
          int dataLen = offsets.getInt(4L * rows) - base;
          out.ensure(4 * (rows + 1) + dataLen);
          offsets.getBytes(0, out.buf, out.pos, 4 * (rows + 1));
          if (base != 0) {
            // A vector whose values start past its data buffer's start (e.g. filled by a producer that slices):
            // the same bytes, offsets rebased to 0.
            for (int r = 0; r <= rows; r++) {
              I32.set(out.buf, out.pos + 4 * r, (int) I32.get(out.buf, out.pos + 4 * r) - base);
            }
          }
          out.pos += 4 * (rows + 1);
          vv.getDataBuffer().getBytes(base, out.buf, out.pos, dataLen);
          out.pos += dataLen;
        } else {
          encodeVariable(out, b, c, col.type() == TableSchema.Type.STRING, rows, anyNull);
        }
      }
    }
  }

  private static void copyFixed(Out out, BaseFixedWidthVector v, int rows, int width) {
    int len = rows * width;
    out.ensure(len);
    v.getDataBuffer().getBytes(0, out.buf, out.pos, len);
    out.pos += len;
  }

  private static boolean isNull(RecordBatch b, int c, int r, boolean anyNull) {
    return anyNull && b.isNull(c, r);
  }

  private static void encodeVariable(Out out, RecordBatch b, int c, boolean string, int rows, boolean anyNull) {
    int offsetsAt = out.pos;
    out.ensure(4 * (rows + 1));
    out.pos += 4 * (rows + 1);
    int dataStart = out.pos;
    I32.set(out.buf, offsetsAt, 0);
    for (int r = 0; r < rows; r++) {
      if (!isNull(b, c, r, anyNull)) {
        if (string) {
          putUtf8(out, b.getString(c, r));
        } else {
          byte[] v = b.getBytes(c, r);
          out.bytes(v, 0, v.length);
        }
      }
      I32.set(out.buf, offsetsAt + 4 * (r + 1), out.pos - dataStart);
    }
  }

  /**
   * Strings up to this many chars are copied char by char (no allocation); longer ones go through
   * {@code String.getBytes(UTF_8)}, whose ASCII check and copy are vectorized intrinsics over the string's own
   * Latin-1 bytes: on access-log rows (URLs, user agents) out of cache, about a quarter less CPU than a char loop
   * despite the short-lived array (in cache it costs some 7 ns a row more).
   */
  private static final int SHORT_STRING = 16;

  /** UTF-8 of {@code s}; the row API's hot spot, so the common ASCII case takes no per-char branch. */
  private static void putUtf8(Out out, String s) {
    int n = s.length();
    if (n <= SHORT_STRING) {
      out.ensure(n);
      byte[] buf = out.buf;
      int p = out.pos;
      // No early exit: the loop stays branch-free and is unrolled; a non-ASCII char is seen in the OR at the end.
      int seen = 0;
      for (int i = 0; i < n; i++) {
        char ch = s.charAt(i);
        seen |= ch;
        buf[p + i] = (byte) ch;
      }
      if (seen < 0x80) {
        out.pos = p + n;
        return;
      }
    }
    byte[] enc = s.getBytes(StandardCharsets.UTF_8);
    out.bytes(enc, 0, enc.length);
  }

  /** The CRC32C of {@code len} bytes of {@code buf} from {@code off}, as stored in a frame. */
  static int crc(byte[] buf, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(buf, off, len);
    return (int) crc.getValue();
  }

  static int i32(byte[] buf, int off) {
    return (int) I32.get(buf, off);
  }

  static long i64(byte[] buf, int off) {
    return (long) I64.get(buf, off);
  }

  static int u16(byte[] buf, int off) {
    return Short.toUnsignedInt((short) I16.get(buf, off));
  }

  /**
   * A view of one payload as a {@link RecordBatch}; reads values in place.
   *
   * @throws IllegalStateException if the payload is malformed (it passed its CRC, so only a bug or a format from
   *     another version produces this)
   */
  static SpoolBatch decode(byte[] payload, int length) {
    try {
      long stagedAt = i64(payload, 0);
      int rows = i32(payload, PAYLOAD_ROWS);
      int n = u16(payload, 12);
      int p = 14;
      List<TableSchema.Column> cols = new ArrayList<>(n);
      for (int c = 0; c < n; c++) {
        TableSchema.Type type = TYPES[payload[p]];
        boolean nullable = payload[p + 1] != 0;
        int len = u16(payload, p + 2);
        cols.add(new TableSchema.Column(new String(payload, p + 4, len, StandardCharsets.UTF_8), type, nullable));
        p += 4 + len;
      }
      int[] validity = new int[n];
      int[] data = new int[n];
      int[] varData = new int[n];
      int bitmap = (rows + 7) >>> 3;
      for (int c = 0; c < n; c++) {
        boolean hasNulls = payload[p++] != 0;
        validity[c] = hasNulls ? p : -1;
        p += hasNulls ? bitmap : 0;
        data[c] = p;
        switch (cols.get(c).type()) {
          case BOOLEAN -> p += rows;
          case INT, FLOAT -> p += 4 * rows;
          case LONG, DOUBLE, TIMESTAMP -> p += 8 * rows;
          case STRING, BINARY -> {
            varData[c] = p + 4 * (rows + 1);
            p = varData[c] + i32(payload, p + 4 * rows);
          }
        }
      }
      if (p != length) {
        throw new IllegalStateException("payload length " + length + " but columns end at " + p);
      }
      return new SpoolBatch(TableSchema.of(cols), rows, stagedAt, payload, validity, data, varData);
    } catch (RuntimeException e) {
      throw new IllegalStateException("Malformed staging record: " + e.getMessage(), e);
    }
  }
}
