package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.staging.FlushResult;
import dev.lakelifecycle.api.staging.Stager;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.LifecycleConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;

/** STUB: being written. */
public final class DefaultStager implements Stager {
  public DefaultStager(ObjectStore store, TableCatalog catalog, LifecycleConfig.Staging config, Clock clock,
      MeterRegistry registry, String writerId) {}

  @Override public void append(TableId table, RecordBatch batch) { throw new UnsupportedOperationException("not written yet"); }
  @Override public FlushResult flush(TableId table) { throw new UnsupportedOperationException("not written yet"); }
  @Override public List<FlushResult> flushAll() { throw new UnsupportedOperationException("not written yet"); }
  @Override public long stagedRows(TableId table) { throw new UnsupportedOperationException("not written yet"); }
  @Override public void close() {}
}
