package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionAction;
import dev.lakelifecycle.api.compaction.CompactionStatus;
import dev.lakelifecycle.api.compaction.Compactor;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.LifecycleConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/** STUB: being written. */
public final class DefaultCompactor implements Compactor {
  public DefaultCompactor(ObjectStore store, TableCatalog catalog, CheckpointStore checkpoints,
      LifecycleConfig.Compaction config, Clock clock, MeterRegistry registry, String writerId) {}

  @Override public CompactionAction compact(TableId table) { throw new UnsupportedOperationException("not written yet"); }
  @Override public CompactionStatus status(TableId table) { throw new UnsupportedOperationException("not written yet"); }
}
