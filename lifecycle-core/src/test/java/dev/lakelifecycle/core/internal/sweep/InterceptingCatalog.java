package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.testkit.ForwardingCatalogTable;
import dev.lakelifecycle.testkit.ForwardingTableCatalog;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * A real catalog with two seams for tests: an action run before the n-th {@code loadTable} (to commit
 * something between the sweeper's phases), and a rewrite of what tables report as referenced (to simulate
 * a catalog that returns an empty or foreign valid set).
 */
final class InterceptingCatalog extends ForwardingTableCatalog {
  private final AtomicInteger loads = new AtomicInteger();
  private volatile BiConsumer<Integer, TableCatalog> beforeLoad = (n, c) -> { };
  private volatile UnaryOperator<Set<String>> referenced = UnaryOperator.identity();

  InterceptingCatalog(TableCatalog real) {
    super(real);
  }

  /** Runs {@code action(n, realCatalog)} before the n-th (1-based) load. */
  void beforeLoad(BiConsumer<Integer, TableCatalog> action) {
    this.beforeLoad = action;
  }

  void rewriteReferenced(UnaryOperator<Set<String>> rewrite) {
    this.referenced = rewrite;
  }

  int loads() {
    return loads.get();
  }

  @Override
  public CatalogTable loadTable(TableId id) {
    beforeLoad.accept(loads.incrementAndGet(), delegate());
    return new Table(super.loadTable(id));
  }

  private final class Table extends ForwardingCatalogTable {
    Table(CatalogTable t) {
      super(t);
    }

    @Override
    public Set<String> referencedLocations() {
      return referenced.apply(super.referencedLocations());
    }
  }
}
