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
