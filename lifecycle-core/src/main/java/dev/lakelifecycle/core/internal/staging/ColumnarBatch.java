package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.TableSchema;
import java.util.Locale;

/**
 * An immutable, column-wise copy of a {@link RecordBatch}, taken when the source may change after
 * {@code append} returns (an Arrow root the caller refills, any batch type the stager does not know to be
 * immutable). Values live in one primitive array per column, so a copy costs about what the data weighs.
 */
final class ColumnarBatch implements RecordBatch {
  private static final long ARRAY_HEADER = 16;
  private static final long REFERENCE = 8;

  private final TableSchema schema;
  private final int rows;
  /** Per column: the values array ({@code boolean[]}, {@code int[]}, ..., {@code String[]}, {@code byte[][]}). */
  private final Object[] values;
  /** Per column: which rows are null, or {@code null} if none is. */
  private final boolean[][] nulls;
  private final long estimatedBytes;

  private ColumnarBatch(TableSchema schema, int rows, Object[] values, boolean[][] nulls, long estimatedBytes) {
    this.schema = schema;
    this.rows = rows;
    this.values = values;
    this.nulls = nulls;
    this.estimatedBytes = estimatedBytes;
  }

  /**
   * Copies every value of {@code source}.
   *
   * @throws IllegalArgumentException naming the row and column if a non-nullable column holds a null
   */
  static ColumnarBatch copyOf(RecordBatch source) {
    TableSchema schema = source.schema();
    int n = source.rowCount();
    Object[] values = new Object[schema.size()];
    boolean[][] nulls = new boolean[schema.size()][];
    long bytes = 0;
    for (int c = 0; c < schema.size(); c++) {
      boolean[] isNull = null;
      for (int r = 0; r < n; r++) {
        if (source.isNull(c, r)) {
          if (!schema.column(c).nullable()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                "Row %d of the batch has a null in column '%s', which is not nullable (fill the value or make the column nullable)",
                r, schema.column(c).name()));
          }
          if (isNull == null) {
            isNull = new boolean[n];
          }
          isNull[r] = true;
        }
      }
      nulls[c] = isNull;
      bytes += isNull == null ? 0 : ARRAY_HEADER + n;
      switch (schema.column(c).type()) {
        case BOOLEAN -> {
          boolean[] v = new boolean[n];
          for (int r = 0; r < n; r++) {
            v[r] = !isNull(isNull, r) && source.getBoolean(c, r);
          }
          values[c] = v;
          bytes += ARRAY_HEADER + n;
        }
        case INT -> {
          int[] v = new int[n];
          for (int r = 0; r < n; r++) {
            v[r] = isNull(isNull, r) ? 0 : source.getInt(c, r);
          }
          values[c] = v;
          bytes += ARRAY_HEADER + 4L * n;
        }
        case LONG, TIMESTAMP -> {
          long[] v = new long[n];
          for (int r = 0; r < n; r++) {
            v[r] = isNull(isNull, r) ? 0 : source.getLong(c, r);
          }
          values[c] = v;
          bytes += ARRAY_HEADER + 8L * n;
        }
        case FLOAT -> {
          float[] v = new float[n];
          for (int r = 0; r < n; r++) {
            v[r] = isNull(isNull, r) ? 0 : source.getFloat(c, r);
          }
          values[c] = v;
          bytes += ARRAY_HEADER + 4L * n;
        }
        case DOUBLE -> {
          double[] v = new double[n];
          for (int r = 0; r < n; r++) {
            v[r] = isNull(isNull, r) ? 0 : source.getDouble(c, r);
          }
          values[c] = v;
          bytes += ARRAY_HEADER + 8L * n;
        }
        case STRING -> {
          String[] v = new String[n];
          bytes += ARRAY_HEADER + REFERENCE * n;
          for (int r = 0; r < n; r++) {
            if (!isNull(isNull, r)) {
              v[r] = source.getString(c, r);
              bytes += stringBytes(v[r]);
            }
          }
          values[c] = v;
        }
        case BINARY -> {
          byte[][] v = new byte[n][];
          bytes += ARRAY_HEADER + REFERENCE * n;
          for (int r = 0; r < n; r++) {
            if (!isNull(isNull, r)) {
              v[r] = source.getBytes(c, r);
              bytes += ARRAY_HEADER + v[r].length;
            }
          }
          values[c] = v;
        }
      }
    }
    return new ColumnarBatch(schema, n, values, nulls, bytes);
  }

  /** The approximate heap size of a String: object, array header and (Latin-1 or UTF-16) characters. */
  static long stringBytes(String s) {
    return 24 + ARRAY_HEADER + (long) s.length() * (isLatin1(s) ? 1 : 2);
  }

  private static boolean isLatin1(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0xff) {
        return false;
      }
    }
    return true;
  }

  private static boolean isNull(boolean[] nulls, int row) {
    return nulls != null && nulls[row];
  }

  /** Approximate heap bytes held by this copy. */
  long estimatedBytes() {
    return estimatedBytes;
  }

  @Override
  public TableSchema schema() {
    return schema;
  }

  @Override
  public int rowCount() {
    return rows;
  }

  @Override
  public boolean isNull(int column, int row) {
    boolean[] n = nulls[column];
    return n != null && n[row];
  }

  @Override
  public boolean getBoolean(int column, int row) {
    return ((boolean[]) values[column])[row];
  }

  @Override
  public int getInt(int column, int row) {
    return ((int[]) values[column])[row];
  }

  @Override
  public long getLong(int column, int row) {
    return ((long[]) values[column])[row];
  }

  @Override
  public float getFloat(int column, int row) {
    return ((float[]) values[column])[row];
  }

  @Override
  public double getDouble(int column, int row) {
    return ((double[]) values[column])[row];
  }

  @Override
  public String getString(int column, int row) {
    return ((String[]) values[column])[row];
  }

  /** A copy, so that the staged value cannot be changed through it. */
  @Override
  public byte[] getBytes(int column, int row) {
    return ((byte[][]) values[column])[row].clone();
  }
}
