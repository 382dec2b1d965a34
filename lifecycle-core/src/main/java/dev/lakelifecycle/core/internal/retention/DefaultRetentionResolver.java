package dev.lakelifecycle.core.internal.retention;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.retention.ResolvedRetention;
import dev.lakelifecycle.api.retention.RetentionAction;
import dev.lakelifecycle.api.retention.RetentionResolver;
import dev.lakelifecycle.core.LifecycleConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/** STUB: being written. */
public final class DefaultRetentionResolver implements RetentionResolver {
  public DefaultRetentionResolver(TableCatalog catalog, CheckpointStore checkpoints,
      LifecycleConfig.RetentionSettings config, Clock clock, MeterRegistry registry) {}

  @Override public ResolvedRetention resolve(TableId table) { throw new UnsupportedOperationException("not written yet"); }
  @Override public RetentionAction enforce(TableId table) { throw new UnsupportedOperationException("not written yet"); }
}
