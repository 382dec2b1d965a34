package dev.lakelifecycle.api;

/**
 * A table's schema cannot be changed because its catalog does not implement schema evolution (the default of
 * {@link dev.lakelifecycle.api.catalog.CatalogTable#addColumns}). The table is unchanged. The fix is on the
 * catalog side (implement {@code addColumns}) or on the producer side (write batches with the table's schema).
 */
public class SchemaEvolutionUnsupportedException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  public SchemaEvolutionUnsupportedException(String message) {
    super(message);
  }
}
