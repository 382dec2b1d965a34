package dev.lakelifecycle.api;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Identifies one table as {@code tenant/dataset/table}, for example {@code acme/prod/traces}. The table
 * part is the signal type ({@code traces}, {@code logs}, {@code metrics}) or any table name.
 *
 * <p>Each part is 1 to 64 characters of lower-case ASCII letters, digits, {@code _} and {@code -}. That
 * rules out {@code ..}, {@code /}, empty parts and anything that could escape the table's storage
 * location, which is derived from the id ({@link #path()}) and is the only place the library ever
 * touches for this table.
 *
 * @param tenant the tenant, e.g. {@code acme}
 * @param dataset the dataset within the tenant, e.g. {@code prod}
 * @param table the table name, e.g. {@code traces}
 * @throws IllegalArgumentException naming the part, the value and the rule, when a part is invalid
 */
public record TableId(String tenant, String dataset, String table) {
  /** Longest allowed part, in characters. */
  public static final int MAX_PART_LENGTH = 64;

  private static final Pattern PART = Pattern.compile("[a-z0-9_-]{1," + MAX_PART_LENGTH + "}");

  public TableId {
    check("tenant", tenant);
    check("dataset", dataset);
    check("table", table);
  }

  /** Same as the canonical constructor. */
  public static TableId of(String tenant, String dataset, String table) {
    return new TableId(tenant, dataset, table);
  }

  /**
   * Parses {@code tenant/dataset/table}.
   *
   * @throws IllegalArgumentException if the text does not have exactly three valid parts
   */
  public static TableId parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("Invalid table id: null (expected tenant/dataset/table)");
    }
    String[] parts = text.split("/", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Invalid table id '%s': expected three parts tenant/dataset/table, got %d", text, parts.length));
    }
    return new TableId(parts[0], parts[1], parts[2]);
  }

  /** The relative storage path of the table, {@code tenant/dataset/table}, without a trailing slash. */
  public String path() {
    return tenant + "/" + dataset + "/" + table;
  }

  @Override
  public String toString() {
    return path();
  }

  private static void check(String name, String value) {
    if (value == null) {
      throw new IllegalArgumentException("Invalid table id: " + name + " is null");
    }
    if (!PART.matcher(value).matches()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Invalid table id: %s '%s' must be 1-%d characters of a-z, 0-9, '_' or '-' (lower case; no '/', '.', or spaces)",
          name, value.length() > 80 ? value.substring(0, 80) + "..." : value, MAX_PART_LENGTH));
    }
  }
}
