package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.testkit.ForwardingCatalogTable;
import dev.lakelifecycle.testkit.ForwardingTableCatalog;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A real catalog with two seams for tests: an action run before the n-th {@code loadTable} (to commit
 * something between the sweeper's phases), and a rewrite of what tables report as referenced (to simulate
 * a catalog that returns an empty or foreign valid set). Without a rewrite, valid sets stream through the
 * real table's {@code forEachReferencedLocation}.
 */
final class InterceptingCatalog extends ForwardingTableCatalog {
  private static final UnaryOperator<Set<String>> IDENTITY = UnaryOperator.identity();

  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicInteger streamed = new AtomicInteger();
  private volatile BiConsumer<Integer, TableCatalog> beforeLoad = (n, c) -> { };
  private volatile UnaryOperator<Set<String>> referenced = IDENTITY;

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

  /** Stops rewriting: tables report what the real catalog references, streamed. */
  void resetReferenced() {
    this.referenced = IDENTITY;
  }

  /** How many valid sets were built through the real table's streaming {@code forEachReferencedLocation}. */
  int streamedValidSets() {
    return streamed.get();
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

    /** Unknown while a rewrite is set: the references then differ from what the real metadata version says. */
    @Override
    public Optional<String> metadataVersion() {
      return referenced == IDENTITY ? super.metadataVersion() : Optional.empty();
    }

    /** The real table's streaming path unless a rewrite is set (a rewrite needs the whole set). */
    @Override
    public void forEachReferencedLocation(Consumer<String> action) {
      UnaryOperator<Set<String>> rewrite = referenced;
      if (rewrite == IDENTITY) {
        streamed.incrementAndGet();
        delegate().forEachReferencedLocation(action);
      } else {
        rewrite.apply(delegate().referencedLocations()).forEach(action);
      }
    }
  }
}
