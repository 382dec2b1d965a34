package dev.lakelifecycle.api;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An immutable, row-oriented {@link RecordBatch} for the convenience row API:
 * <pre>{@code
 * RecordBatch batch = RecordBatch.builder(schema)
 *     .row(Instant.parse("2026-01-15T10:00:00Z"), "GET", 200)
 *     .row(Instant.parse("2026-01-15T10:00:01Z"), "POST", null)
 *     .build();
 * }</pre>
 * Values are checked against the schema as rows are added: a TIMESTAMP takes an {@link Instant} or a
 * {@code Long} of epoch micros; INT an {@code Integer}; LONG a {@code Long} or {@code Integer};
 * FLOAT/DOUBLE any {@link Number}; STRING a {@link CharSequence}; BINARY a {@code byte[]}.
 */
public final class RowBatch implements RecordBatch {
  private final TableSchema schema;
  private final List<Object[]> rows;

  private RowBatch(TableSchema schema, List<Object[]> rows) {
    this.schema = schema;
    this.rows = rows;
  }

  static Builder builder(TableSchema schema) {
    return new Builder(schema);
  }

  @Override
  public TableSchema schema() {
    return schema;
  }

  @Override
  public int rowCount() {
    return rows.size();
  }

  @Override
  public boolean isNull(int column, int row) {
    return rows.get(row)[column] == null;
  }

  @Override
  public boolean getBoolean(int column, int row) {
    return (Boolean) rows.get(row)[column];
  }

  @Override
  public int getInt(int column, int row) {
    return (Integer) rows.get(row)[column];
  }

  @Override
  public long getLong(int column, int row) {
    return (Long) rows.get(row)[column];
  }

  @Override
  public float getFloat(int column, int row) {
    return (Float) rows.get(row)[column];
  }

  @Override
  public double getDouble(int column, int row) {
    return (Double) rows.get(row)[column];
  }

  @Override
  public String getString(int column, int row) {
    return (String) rows.get(row)[column];
  }

  @Override
  public byte[] getBytes(int column, int row) {
    return ((byte[]) rows.get(row)[column]).clone();
  }

  @Override
  public Object get(int column, int row) {
    Object v = rows.get(row)[column];
    return v instanceof byte[] b ? b.clone() : v;
  }

  /** Adds rows one at a time; not thread-safe. */
  public static final class Builder {
    private final TableSchema schema;
    private List<Object[]> rows = new ArrayList<>();

    private Builder(TableSchema schema) {
      if (schema == null) {
        throw new IllegalArgumentException("schema must not be null");
      }
      this.schema = schema;
    }

    /**
     * Adds one row, values in schema order.
     *
     * @throws IllegalArgumentException naming the column when the count, a type or a null does not fit
     */
    public Builder row(Object... values) {
      if (values.length != schema.size()) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Row %d has %d values but schema %s has %d columns", rows.size(), values.length, schema, schema.size()));
      }
      Object[] row = new Object[values.length];
      for (int i = 0; i < values.length; i++) {
        row[i] = coerce(schema.column(i), values[i]);
      }
      rows.add(row);
      return this;
    }

    /** Rows added so far. */
    public int size() {
      return rows.size();
    }

    /** The batch; the builder is reset and can be reused. */
    public RowBatch build() {
      RowBatch batch = new RowBatch(schema, List.copyOf(rows));
      rows = new ArrayList<>();
      return batch;
    }

    private Object coerce(TableSchema.Column c, Object v) {
      if (v == null) {
        if (!c.nullable()) {
          throw new IllegalArgumentException(String.format(Locale.ROOT,
              "Row %d: column '%s' is not nullable but got null", rows.size(), c.name()));
        }
        return null;
      }
      Object out = switch (c.type()) {
        case BOOLEAN -> v instanceof Boolean ? v : null;
        case INT -> v instanceof Integer ? v : null;
        case LONG -> v instanceof Long || v instanceof Integer ? ((Number) v).longValue() : null;
        case FLOAT -> v instanceof Number n ? n.floatValue() : null;
        case DOUBLE -> v instanceof Number n ? n.doubleValue() : null;
        case STRING -> v instanceof CharSequence s ? s.toString() : null;
        case BINARY -> v instanceof byte[] b ? b.clone() : null;
        case TIMESTAMP -> v instanceof Instant t ? ChronoUnit.MICROS.between(Instant.EPOCH, t)
            : v instanceof Long l ? l : null;
      };
      if (out == null) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Row %d: column '%s' of type %s cannot hold a %s (%s)", rows.size(), c.name(), c.type(),
            v.getClass().getSimpleName(), v));
      }
      return out;
    }
  }
}
