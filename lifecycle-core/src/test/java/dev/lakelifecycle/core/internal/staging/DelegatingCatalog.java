package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.testkit.ForwardingCatalogTable;
import dev.lakelifecycle.testkit.ForwardingTableCatalog;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real catalog whose next appends fail: either before committing, or after committing (the acknowledgement
 * is lost, as when the connection drops once the commit landed).
 */
final class DelegatingCatalog extends ForwardingTableCatalog {
  enum Failure { BEFORE_COMMIT, AFTER_COMMIT }

  private final AtomicInteger failures = new AtomicInteger();
  private volatile Failure failure = Failure.BEFORE_COMMIT;
  final AtomicInteger appendCalls = new AtomicInteger();

  DelegatingCatalog(TableCatalog delegate) {
    super(delegate);
  }

  void failNextAppends(int count, Failure how) {
    failure = how;
    failures.set(count);
  }

  @Override
  public CatalogTable loadTable(TableId id) {
    return new Table(super.loadTable(id));
  }

  private final class Table extends ForwardingCatalogTable {
    Table(CatalogTable t) {
      super(t);
    }

    @Override
    public TableSnapshot commitAppend(String commitKey, List<DataFile> files) {
      appendCalls.incrementAndGet();
      boolean fail = failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
      if (fail && failure == Failure.BEFORE_COMMIT) {
        throw new LifecycleException("Injected failure before committing " + commitKey);
      }
      TableSnapshot s = super.commitAppend(commitKey, files);
      if (fail) {
        throw new LifecycleException("Injected loss of the acknowledgement of " + commitKey);
      }
      return s;
    }
  }
}
