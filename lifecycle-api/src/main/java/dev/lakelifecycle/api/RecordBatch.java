package dev.lakelifecycle.api;

/**
 * A batch of rows of one {@link TableSchema}, read column-wise so that columnar sources (Apache Arrow
 * {@code VectorSchemaRoot}, see {@code dev.lakelifecycle.core.ArrowBatch}) are staged without a per-row
 * conversion. Build one row by row with {@link #builder(TableSchema)}.
 *
 * <p>Accessors take {@code (column, row)} positions, both zero-based. Calling the accessor of another
 * type, or a value accessor on a null value, is undefined; check {@link #isNull} first for nullable
 * columns. A batch must not change while the library reads it (until {@code append} returns).
 */
public interface RecordBatch {
  TableSchema schema();

  /** Number of rows, at least 0. */
  int rowCount();

  boolean isNull(int column, int row);

  boolean getBoolean(int column, int row);

  int getInt(int column, int row);

  /** The value of a {@link TableSchema.Type#LONG} or {@link TableSchema.Type#TIMESTAMP} (epoch micros) column. */
  long getLong(int column, int row);

  float getFloat(int column, int row);

  double getDouble(int column, int row);

  String getString(int column, int row);

  byte[] getBytes(int column, int row);

  /**
   * The value boxed by its {@link TableSchema.Type}: {@code Boolean}, {@code Integer}, {@code Long} (also for
   * TIMESTAMP, in epoch micros), {@code Float}, {@code Double}, {@code String}, {@code byte[]}, or {@code null}.
   */
  default Object get(int column, int row) {
    if (isNull(column, row)) {
      return null;
    }
    return switch (schema().column(column).type()) {
      case BOOLEAN -> getBoolean(column, row);
      case INT -> getInt(column, row);
      case LONG, TIMESTAMP -> getLong(column, row);
      case FLOAT -> getFloat(column, row);
      case DOUBLE -> getDouble(column, row);
      case STRING -> getString(column, row);
      case BINARY -> getBytes(column, row);
    };
  }

  /** A builder of an in-memory batch, filled row by row. */
  static RowBatch.Builder builder(TableSchema schema) {
    return RowBatch.builder(schema);
  }
}
