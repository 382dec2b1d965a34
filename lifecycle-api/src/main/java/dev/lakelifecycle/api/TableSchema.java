package dev.lakelifecycle.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The flat schema of a table: an ordered list of named, typed columns. Written to Parquet as an
 * {@code OPTIONAL} (nullable) or {@code REQUIRED} primitive column per entry.
 *
 * <p>Column names are unique, case-sensitive, and non-blank.
 */
public final class TableSchema {
  /** Column types, with their Java value type in {@link RecordBatch} and their Parquet type. */
  public enum Type {
    /** {@code boolean}; Parquet BOOLEAN. */
    BOOLEAN,
    /** {@code int}; Parquet INT32. */
    INT,
    /** {@code long}; Parquet INT64. */
    LONG,
    /** {@code float}; Parquet FLOAT. */
    FLOAT,
    /** {@code double}; Parquet DOUBLE. */
    DOUBLE,
    /** {@link String}; Parquet BINARY (STRING). */
    STRING,
    /** {@code byte[]}; Parquet BINARY. */
    BINARY,
    /** Microseconds since the epoch, UTC, as {@code long}; Parquet INT64 TIMESTAMP(MICROS, adjusted to UTC). */
    TIMESTAMP
  }

  /** One column. */
  public record Column(String name, Type type, boolean nullable) {
    public Column {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("Column name must not be blank");
      }
      Objects.requireNonNull(type, "type of column " + name);
    }
  }

  private final List<Column> columns;
  private final Map<String, Integer> index;

  private TableSchema(List<Column> columns) {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("A table schema needs at least one column");
    }
    this.columns = List.copyOf(columns);
    Map<String, Integer> idx = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      if (idx.put(columns.get(i).name(), i) != null) {
        throw new IllegalArgumentException("Duplicate column name '" + columns.get(i).name() + "'");
      }
    }
    this.index = Collections.unmodifiableMap(idx);
  }

  /** A schema of the given columns, in order. */
  public static TableSchema of(List<Column> columns) {
    return new TableSchema(columns);
  }

  public static Builder builder() {
    return new Builder();
  }

  public List<Column> columns() {
    return columns;
  }

  public int size() {
    return columns.size();
  }

  public Column column(int i) {
    return columns.get(i);
  }

  /** The position of the named column, or -1. */
  public int indexOf(String name) {
    Integer i = index.get(name);
    return i == null ? -1 : i;
  }

  /**
   * The named column.
   *
   * @throws IllegalArgumentException if there is none
   */
  public Column column(String name) {
    int i = indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "No column '%s' in schema %s", name, this));
    }
    return columns.get(i);
  }

  /**
   * This schema with {@code added} appended at the end, in the given order: the only schema change a table
   * accepts ({@link dev.lakelifecycle.api.catalog.CatalogTable#addColumns}). Adding a column is safe for data
   * already written because every reader treats a column a file lacks as null, so each added column must be
   * nullable. A column this schema already has with the same type and nullability is skipped (so that writers
   * racing to add the same column all succeed); so is a repeat within {@code added}.
   *
   * @param added the columns to add, each nullable; may be empty
   * @return the new schema, or this one if every column was already there
   * @throws SchemaMismatchException if a column is not nullable, or this schema (or {@code added} itself) has a
   *     column of that name with another type or nullability; the message names each such column
   */
  public TableSchema withAddedColumns(List<Column> added) {
    Objects.requireNonNull(added, "added");
    List<Column> out = new ArrayList<>(columns);
    Map<String, Column> byName = new HashMap<>();
    columns.forEach(c -> byName.put(c.name(), c));
    List<String> refused = new ArrayList<>();
    for (Column c : added) {
      Objects.requireNonNull(c, "added column");
      Column existing = byName.get(c.name());
      if (existing != null) {
        if (!existing.equals(c)) {
          refused.add(String.format(Locale.ROOT, "column '%s' (%s) exists as (%s)", c.name(), describe(c),
              describe(existing)));
        }
        continue;
      }
      if (!c.nullable()) {
        refused.add(String.format(Locale.ROOT,
            "column '%s' (%s) is not nullable, but files written before it have no value for it", c.name(),
            describe(c)));
        continue;
      }
      byName.put(c.name(), c);
      out.add(c);
    }
    if (!refused.isEmpty()) {
      throw new SchemaMismatchException(String.format(Locale.ROOT,
          "Cannot add columns to schema %s: %s (only new, nullable columns can be added; pick another name or make "
              + "the column nullable)", this, String.join("; ", refused)));
    }
    return out.size() == columns.size() ? this : new TableSchema(out);
  }

  /** A column's type in lower case, with {@code " not null"} if it is required: {@code "string"}, {@code "long not null"}. */
  public static String describe(Column c) {
    return c.type().name().toLowerCase(Locale.ROOT) + (c.nullable() ? "" : " not null");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TableSchema s && s.columns.equals(columns);
  }

  @Override
  public int hashCode() {
    return columns.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < columns.size(); i++) {
      Column c = columns.get(i);
      sb.append(i == 0 ? "" : ", ").append(c.name()).append(' ').append(c.type().name().toLowerCase(Locale.ROOT));
      if (!c.nullable()) {
        sb.append(" not null");
      }
    }
    return sb.append(')').toString();
  }

  /** Builds a schema column by column. */
  public static final class Builder {
    private final List<Column> columns = new ArrayList<>();

    private Builder() {}

    /** Adds a nullable column. */
    public Builder column(String name, Type type) {
      return column(name, type, true);
    }

    /** Adds a non-nullable column. */
    public Builder required(String name, Type type) {
      return column(name, type, false);
    }

    public Builder column(String name, Type type, boolean nullable) {
      columns.add(new Column(name, type, nullable));
      return this;
    }

    public TableSchema build() {
      return new TableSchema(columns);
    }
  }
}
