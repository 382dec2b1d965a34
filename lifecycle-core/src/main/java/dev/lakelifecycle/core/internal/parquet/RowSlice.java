package dev.lakelifecycle.core.internal.parquet;

import dev.lakelifecycle.api.RecordBatch;
import java.util.Objects;

/**
 * Some rows of one {@link RecordBatch}, by position, without copying them: all rows, or the rows listed (e.g.
 * those of one partition). The batch must not change while the slice is written.
 */
public final class RowSlice {
  private final RecordBatch batch;
  private final int[] rows;

  private RowSlice(RecordBatch batch, int[] rows) {
    this.batch = Objects.requireNonNull(batch, "batch");
    this.rows = rows;
  }

  /** Every row of {@code batch}, in order. */
  public static RowSlice all(RecordBatch batch) {
    return new RowSlice(batch, null);
  }

  /**
   * The rows of {@code batch} at the given positions, in the given order. The array is kept, not copied: the
   * caller hands it over.
   *
   * @throws IndexOutOfBoundsException if a position is outside the batch
   */
  public static RowSlice of(RecordBatch batch, int[] rows) {
    int n = batch.rowCount();
    for (int r : rows) {
      Objects.checkIndex(r, n);
    }
    return new RowSlice(batch, rows);
  }

  public RecordBatch batch() {
    return batch;
  }

  /** Number of rows in the slice. */
  public int size() {
    return rows == null ? batch.rowCount() : rows.length;
  }

  /** The batch position of the slice's {@code i}-th row. */
  public int row(int i) {
    return rows == null ? i : rows[i];
  }
}
