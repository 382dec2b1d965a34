package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.TableSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a batch schema relates to a table schema: the differences column by column (for error messages), and
 * whether the batch fits the table, possibly once the table has gained the batch's new nullable columns.
 */
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

  /**
   * How a batch's columns fit a table's, matched by name (order does not matter).
   *
   * @param added the batch's columns the table lacks, all nullable, in batch order: the table must gain them
   *     ({@link dev.lakelifecycle.api.catalog.CatalogTable#addColumns}) before the batch fits
   * @param refused why the batch cannot fit even then (a column of another type or nullability, a non-nullable
   *     column missing from the batch or absent from the table); empty if it can
   * @param source for each table column, the position of the batch column of that name, or -1 if the batch
   *     lacks it (then the column is nullable and the batch's rows read null there)
   */
  public record Fit(List<TableSchema.Column> added, List<String> refused, int[] source) {
    /** Whether the batch can be written as the table's rows as it is (nothing refused, nothing to add). */
    public boolean fits() {
      return refused.isEmpty() && added.isEmpty();
    }
  }

  /**
   * How {@code batch} fits {@code table}. Accepted: columns in another order, nullable table columns the batch
   * lacks (read as null), nullable columns the table lacks (to be added). Refused: a column whose type or
   * nullability differs, a non-nullable table column the batch lacks, a non-nullable column the table lacks
   * (files written before it have no value for it).
   */
  public static Fit fit(TableSchema batch, TableSchema table) {
    List<TableSchema.Column> added = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    int[] source = new int[table.size()];
    for (int i = 0; i < table.size(); i++) {
      TableSchema.Column t = table.column(i);
      source[i] = batch.indexOf(t.name());
      if (source[i] < 0 && !t.nullable()) {
        refused.add(String.format(Locale.ROOT, "missing column '%s' (%s)", t.name(), describe(t)));
      }
    }
    for (TableSchema.Column b : batch.columns()) {
      int i = table.indexOf(b.name());
      if (i < 0) {
        if (b.nullable()) {
          added.add(b);
        } else {
          refused.add(String.format(Locale.ROOT,
              "extra column '%s' (%s) is not nullable, so it cannot be added to the table", b.name(), describe(b)));
        }
        continue;
      }
      TableSchema.Column t = table.column(i);
      if (t.type() != b.type()) {
        refused.add(String.format(Locale.ROOT, "column '%s' is %s in the batch but %s in the table", b.name(),
            lower(b.type()), lower(t.type())));
      }
      if (t.nullable() != b.nullable()) {
        refused.add(String.format(Locale.ROOT, "column '%s' is %s in the batch but %s in the table", b.name(),
            b.nullable() ? "nullable" : "not null", t.nullable() ? "nullable" : "not null"));
      }
    }
    return new Fit(List.copyOf(added), List.copyOf(refused), source);
  }

  /**
   * The message of a refused batch: the refused differences first, then the ones that alone would have been
   * accepted, e.g. {@code column 'id' is string in the batch but long in the table (accepted on their own: missing
   * column 'msg' (string))}.
   */
  public static String explain(TableSchema batch, TableSchema table, Fit fit) {
    List<String> acceptable = new ArrayList<>(differences(batch, table));
    // A refused entry starts with the plain difference it refines; column order is never a difference here.
    acceptable.removeIf(d -> d.startsWith("columns are in order") || fit.refused().stream().anyMatch(r -> r.startsWith(d)));
    String out = String.join("; ", fit.refused());
    return acceptable.isEmpty() ? out : out + " (accepted on their own: " + String.join("; ", acceptable) + ")";
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
