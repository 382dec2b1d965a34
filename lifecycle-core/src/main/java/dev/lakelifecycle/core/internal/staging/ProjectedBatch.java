package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.core.internal.parquet.BatchParquetWriter;
import org.apache.parquet.io.api.Binary;

/**
 * A staged batch seen through a newer table schema: the table's columns in the table's order, each read from the
 * batch column of that name, or null where the batch lacks it (a record staged before the table gained a nullable
 * column, or by a producer that does not know the column). No value is copied.
 */
final class ProjectedBatch implements dev.lakelifecycle.api.RecordBatch, BatchParquetWriter.BinaryColumns {
  private final SpoolBatch batch;
  private final TableSchema schema;
  private final int[] source;

  /**
   * @param source for each column of {@code schema}, the batch column it reads, or -1 for none (a nullable column)
   */
  ProjectedBatch(SpoolBatch batch, TableSchema schema, int[] source) {
    this.batch = batch;
    this.schema = schema;
    this.source = source;
  }

  @Override
  public TableSchema schema() {
    return schema;
  }

  @Override
  public int rowCount() {
    return batch.rowCount();
  }

  @Override
  public boolean isNull(int column, int row) {
    int s = source[column];
    return s < 0 || batch.isNull(s, row);
  }

  @Override
  public boolean getBoolean(int column, int row) {
    return batch.getBoolean(source[column], row);
  }

  @Override
  public int getInt(int column, int row) {
    return batch.getInt(source[column], row);
  }

  @Override
  public long getLong(int column, int row) {
    return batch.getLong(source[column], row);
  }

  @Override
  public float getFloat(int column, int row) {
    return batch.getFloat(source[column], row);
  }

  @Override
  public double getDouble(int column, int row) {
    return batch.getDouble(source[column], row);
  }

  @Override
  public String getString(int column, int row) {
    return batch.getString(source[column], row);
  }

  @Override
  public byte[] getBytes(int column, int row) {
    return batch.getBytes(source[column], row);
  }

  @Override
  public Binary binary(int column, int row) {
    return batch.binary(source[column], row);
  }
}
