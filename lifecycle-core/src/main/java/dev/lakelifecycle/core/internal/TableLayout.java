package dev.lakelifecycle.core.internal;

import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.storage.ObjectStore;
import java.util.Locale;

/**
 * Where the engines write a table's data files: {@code <table location>/data/<partition>/...}. Derived from the
 * catalog's table location, never from the table id, because a catalog (Iceberg's, with a warehouse prefix)
 * may place a table anywhere in the store.
 */
public final class TableLayout {
  private TableLayout() {}

  /**
   * The store key prefix of the table's data files, ending in {@code data/}.
   *
   * @throws LifecycleException if the table's location is outside the store
   */
  public static String dataPrefix(ObjectStore store, CatalogTable table) {
    // A table location may be spelled as a directory (trailing '/'); object keys never end with one.
    String location = table.location();
    while (location.endsWith("/")) {
      location = location.substring(0, location.length() - 1);
    }
    String base = store.keyOf(location).orElseThrow(() -> new LifecycleException(String.format(Locale.ROOT,
        "Cannot write data files of %s: its location %s is outside the object store at %s (give the catalog and "
            + "the engines the same store)", table.id(), table.location(), store.root())));
    return (base.isEmpty() ? "" : base + "/") + "data/";
  }
}
