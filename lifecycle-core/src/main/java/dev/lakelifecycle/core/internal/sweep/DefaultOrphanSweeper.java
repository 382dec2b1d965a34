package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.sweep.OrphanSweeper;
import dev.lakelifecycle.api.sweep.SweepAction;
import dev.lakelifecycle.core.LifecycleConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/** STUB: being written. */
public final class DefaultOrphanSweeper implements OrphanSweeper {
  public DefaultOrphanSweeper(ObjectStore store, TableCatalog catalog, CheckpointStore checkpoints,
      LifecycleConfig.Sweep config, Clock clock, MeterRegistry registry) {}

  @Override public SweepAction sweep(TableId table) { throw new UnsupportedOperationException("not written yet"); }
}
