package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.core.internal.parquet.BatchParquetWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.parquet.io.api.Binary;

/** One spooled record read back (see {@link SpoolCodec}): values are read in place from the payload bytes. */
final class SpoolBatch implements RecordBatch, BatchParquetWriter.BinaryColumns {
  private final TableSchema schema;
  private final int rows;
  private final long stagedAtMillis;
  private final byte[] buf;
  private final int[] validity;
  private final int[] data;
  private final int[] varData;

  SpoolBatch(TableSchema schema, int rows, long stagedAtMillis, byte[] buf, int[] validity, int[] data, int[] varData) {
    this.schema = schema;
    this.rows = rows;
    this.stagedAtMillis = stagedAtMillis;
    this.buf = buf;
    this.validity = validity;
    this.data = data;
    this.varData = varData;
  }

  long stagedAtMillis() {
    return stagedAtMillis;
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
    int v = validity[column];
    return v >= 0 && (buf[v + (row >>> 3)] & (1 << (row & 7))) == 0;
  }

  @Override
  public boolean getBoolean(int column, int row) {
    return buf[data[column] + row] != 0;
  }

  @Override
  public int getInt(int column, int row) {
    return SpoolCodec.i32(buf, data[column] + 4 * row);
  }

  @Override
  public long getLong(int column, int row) {
    return SpoolCodec.i64(buf, data[column] + 8 * row);
  }

  @Override
  public float getFloat(int column, int row) {
    return Float.intBitsToFloat(getInt(column, row));
  }

  @Override
  public double getDouble(int column, int row) {
    return Double.longBitsToDouble(getLong(column, row));
  }

  private int start(int column, int row) {
    return varData[column] + SpoolCodec.i32(buf, data[column] + 4 * row);
  }

  private int end(int column, int row) {
    return varData[column] + SpoolCodec.i32(buf, data[column] + 4 * (row + 1));
  }

  @Override
  public String getString(int column, int row) {
    int s = start(column, row);
    return new String(buf, s, end(column, row) - s, StandardCharsets.UTF_8);
  }

  @Override
  public byte[] getBytes(int column, int row) {
    return Arrays.copyOfRange(buf, start(column, row), end(column, row));
  }

  @Override
  public Binary binary(int column, int row) {
    int s = start(column, row);
    return Binary.fromConstantByteArray(buf, s, end(column, row) - s);
  }
}
