package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.TableId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * The meters of one table's sweeps: the SignalDB runbook's orphan-cleanup metrics under
 * {@code lifecycle.sweep.*}, tagged {@code tenant}, {@code dataset}, {@code table}. Counters are bumped
 * once per phase with a run's totals, never per file.
 */
final class SweepMetrics {
  static final String PREFIX = "lifecycle.sweep.";

  final Counter runs;
  final Counter filesScanned;
  final Counter orphansIdentified;
  final Counter filesDeleted;
  final Counter deletionFailures;
  final Counter bytesFreed;
  final Counter revalidationsSkipped;
  final Timer duration;

  SweepMetrics(MeterRegistry registry, TableId table) {
    Tags tags = Tags.of("tenant", table.tenant(), "dataset", table.dataset(), "table", table.table());
    runs = Counter.builder(PREFIX + "runs").description("Sweep runs started").tags(tags).register(registry);
    filesScanned = Counter.builder(PREFIX + "files.scanned")
        .description("Objects listed under the table's location").tags(tags).register(registry);
    orphansIdentified = Counter.builder(PREFIX + "orphans.identified")
        .description("Orphans that survived revalidation (dry runs included)").tags(tags).register(registry);
    filesDeleted = Counter.builder(PREFIX + "files.deleted")
        .description("Orphans the store reported deleted").tags(tags).register(registry);
    deletionFailures = Counter.builder(PREFIX + "deletion.failures")
        .description("Orphans the store failed to delete; the next run retries them").tags(tags).register(registry);
    bytesFreed = Counter.builder(PREFIX + "bytes.freed").baseUnit("bytes")
        .description("Bytes of the deleted orphans").tags(tags).register(registry);
    revalidationsSkipped = Counter.builder(PREFIX + "revalidations.skipped")
        .description("Revalidations that skipped rebuilding the valid set: the table's metadata version had not "
            + "changed since it was built").tags(tags).register(registry);
    duration = Timer.builder(PREFIX + "duration").description("Wall time of a sweep run, failed runs included")
        .tags(tags).register(registry);
  }
}
