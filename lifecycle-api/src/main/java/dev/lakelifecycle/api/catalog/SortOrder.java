package dev.lakelifecycle.api.catalog;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How a table wants the rows of each data file ordered, modelled on Iceberg's {@code SortOrder}: a list of
 * columns, each ascending or descending with nulls first or last. Compaction writes every output file of a
 * table with a non-empty order sorted by it and records {@link #orderId()} on the file
 * ({@link dev.lakelifecycle.api.DataFile#sortOrderId()}).
 *
 * <p>Rows compare field by field; the first field that differs decides. Nulls go first or last as
 * {@link Field#nullOrder()} says, whatever the direction; the direction reverses only non-null values. Values
 * compare by their type: numbers numerically, strings by Unicode code point (their UTF-8 bytes unsigned), binary
 * unsigned byte by byte, timestamps by instant, booleans {@code false} before {@code true}.
 *
 * @param orderId the catalog's id of this order; {@code 0} is reserved for the unsorted order (as in Iceberg)
 * @param fields the sort key, most significant first; empty exactly when {@code orderId} is 0
 */
public record SortOrder(int orderId, List<Field> fields) {
  private static final SortOrder UNSORTED = new SortOrder(0, List.of());

  /** Ascending ({@code a} before {@code b}) or descending. */
  public enum Direction { ASC, DESC }

  /** Where nulls go, independent of the {@link Direction}. */
  public enum NullOrder { NULLS_FIRST, NULLS_LAST }

  /**
   * One column of the sort key.
   *
   * @param column the name of a top-level column of the table
   * @param direction ascending or descending
   * @param nullOrder whether nulls come before or after every value
   */
  public record Field(String column, Direction direction, NullOrder nullOrder) {
    public Field {
      if (column == null || column.isBlank()) {
        throw new IllegalArgumentException("A sort field needs a column name, got '" + column + "'");
      }
      Objects.requireNonNull(direction, "direction");
      Objects.requireNonNull(nullOrder, "nullOrder");
    }

    /** Ascending with nulls first (Iceberg's default for ascending). */
    public static Field asc(String column) {
      return new Field(column, Direction.ASC, NullOrder.NULLS_FIRST);
    }

    /** Descending with nulls last (Iceberg's default for descending). */
    public static Field desc(String column) {
      return new Field(column, Direction.DESC, NullOrder.NULLS_LAST);
    }

    @Override
    public String toString() {
      return column + " " + direction + " " + nullOrder;
    }
  }

  /**
   * @throws IllegalArgumentException if {@code orderId} is negative, or 0 with fields, or not 0 without
   */
  public SortOrder {
    fields = List.copyOf(Objects.requireNonNull(fields, "fields"));
    if (orderId < 0 || (orderId == 0) != fields.isEmpty()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Invalid sort order %d %s: id 0 is the unsorted order (no fields); a sorted order needs an id > 0 and at"
              + " least one field", orderId, fields));
    }
  }

  /** The order of a table whose files are not sorted (id 0, no fields): the default of every table. */
  public static SortOrder unsorted() {
    return UNSORTED;
  }

  /** A sorted order; see {@link SortOrder#SortOrder(int, List)}. */
  public static SortOrder of(int orderId, Field... fields) {
    return new SortOrder(orderId, List.of(fields));
  }

  /** Whether this is the unsorted order: compaction then keeps rows in input order. */
  public boolean isUnsorted() {
    return fields.isEmpty();
  }
}
