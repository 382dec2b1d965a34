package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.TableSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Describes how a batch schema differs from a table schema, column by column, for error messages. */
public final class SchemaDiff {
  private SchemaDiff() {}

  /**
   * The differences of {@code batch} from {@code table}, e.g. {@code missing column 'ts' (timestamp not null)},
   * {@code extra column 'x' (string)}, {@code column 'n' is string in the batch but long in the table},
   * {@code column 'm' is nullable in the batch but not null in the table}, or a difference of column order.
   * Empty if the schemas are equal.
   */
  public static List<String> differences(TableSchema batch, TableSchema table) {
    List<String> out = new ArrayList<>();
    for (TableSchema.Column t : table.columns()) {
      if (batch.indexOf(t.name()) < 0) {
        out.add(String.format(Locale.ROOT, "missing column '%s' (%s)", t.name(), describe(t)));
      }
    }
    for (TableSchema.Column b : batch.columns()) {
      int i = table.indexOf(b.name());
      if (i < 0) {
        out.add(String.format(Locale.ROOT, "extra column '%s' (%s)", b.name(), describe(b)));
        continue;
      }
      TableSchema.Column t = table.column(i);
      if (t.type() != b.type()) {
        out.add(String.format(Locale.ROOT, "column '%s' is %s in the batch but %s in the table", b.name(),
            lower(b.type()), lower(t.type())));
      }
      if (t.nullable() != b.nullable()) {
        out.add(String.format(Locale.ROOT, "column '%s' is %s in the batch but %s in the table", b.name(),
            b.nullable() ? "nullable" : "not null", t.nullable() ? "nullable" : "not null"));
      }
    }
    if (out.isEmpty() && !batch.equals(table)) {
      out.add(String.format(Locale.ROOT, "columns are in order (%s) in the batch but (%s) in the table",
          names(batch), names(table)));
    }
    return out;
  }

  private static String names(TableSchema s) {
    return s.columns().stream().map(TableSchema.Column::name).collect(Collectors.joining(", "));
  }

  private static String describe(TableSchema.Column c) {
    return lower(c.type()) + (c.nullable() ? "" : " not null");
  }

  private static String lower(TableSchema.Type t) {
    return t.name().toLowerCase(Locale.ROOT);
  }
}
