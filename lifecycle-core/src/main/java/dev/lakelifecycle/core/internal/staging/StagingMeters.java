package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.StagerFullException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The staging meters of one table, named after the Timestore staging runbook's
 * ({@code timestore_staging_queue_depth{metric="batches"}} becomes {@code lifecycle.staging.queue.depth} with
 * tag {@code metric=batches}, and so on). Gauges read the stage when scraped; the flush path only increments.
 * The catalogue is in {@code docs/operations.md}, section "Staging".
 */
final class StagingMeters {
  private final Timer successTime;
  private final Timer failureTime;
  private final Counter successBatches;
  private final Counter successRows;
  private final Counter failureBatches;
  private final Counter failureRows;
  private final Counter retriedBatches;
  private final Counter recoveredBatches;
  private final Counter tornRecords;
  private final Map<StagerFullException.Reason, Counter> dropped = new EnumMap<>(StagerFullException.Reason.class);

  StagingMeters(MeterRegistry registry, TableStage stage, Clock clock) {
    Tags tags = Tags.of("tenant", stage.id.tenant(), "dataset", stage.id.dataset(), "table", stage.id.table());
    Gauge.builder("lifecycle.staging.queue.depth", stage, TableStage::stagedBatches)
        .tags(tags).tag("metric", "batches").description("Staged batches not yet committed")
        .strongReference(true).register(registry);
    Gauge.builder("lifecycle.staging.queue.depth", stage, TableStage::stagedRows)
        .tags(tags).tag("metric", "rows").description("Staged rows not yet committed")
        .strongReference(true).register(registry);
    Gauge.builder("lifecycle.staging.queue.bytes", stage, TableStage::stagedBytes)
        .tags(tags).baseUnit("bytes").description("Spool bytes of the staged batches not yet committed")
        .strongReference(true).register(registry);
    Gauge.builder("lifecycle.staging.disk.usage", stage.spool, TableSpool::diskBytes)
        .tags(tags).tag("component", "table").baseUnit("bytes")
        .description("Bytes of the table's spool segment files on local disk").strongReference(true).register(registry);
    TimeGauge.builder("lifecycle.staging.oldest.age", stage, TimeUnit.SECONDS, s -> s.oldestAgeSeconds(clock.instant()))
        .tags(tags).description("Age of the oldest staged batch not yet committed (flush lag)")
        .strongReference(true).register(registry);
    successTime = timer(registry, tags, "success");
    failureTime = timer(registry, tags, "failure");
    successBatches = counter(registry, "lifecycle.staging.flush.batches", tags, "success", "Batches flushed");
    failureBatches = counter(registry, "lifecycle.staging.flush.batches", tags, "failure", "Batches of failed flushes");
    successRows = counter(registry, "lifecycle.staging.flush.rows", tags, "success", "Rows flushed");
    failureRows = counter(registry, "lifecycle.staging.flush.rows", tags, "failure", "Rows of failed flushes");
    retriedBatches = Counter.builder("lifecycle.staging.retried.batches").tags(tags)
        .description("Batches a failed flush returned to staging for a retry").register(registry);
    recoveredBatches = Counter.builder("lifecycle.staging.recovered.batches").tags(tags)
        .description("Staged batches found in the spool at start-up, not yet committed").register(registry);
    tornRecords = Counter.builder("lifecycle.staging.torn.records").tags(tags)
        .description("Torn or garbled spool records cut off at start-up (never acknowledged when at the tail)")
        .register(registry);
    for (StagerFullException.Reason r : StagerFullException.Reason.values()) {
      dropped.put(r, Counter.builder("lifecycle.staging.dropped.batches").tags(tags).tag("reason", r.tag())
          .description("Appends refused by a staging guardrail").register(registry));
    }
  }

  private static Timer timer(MeterRegistry registry, Tags tags, String outcome) {
    return Timer.builder("lifecycle.staging.flush.duration").tags(tags).tag("outcome", outcome)
        .description("Time to write and commit one flushed range").register(registry);
  }

  private static Counter counter(MeterRegistry registry, String name, Tags tags, String outcome, String description) {
    return Counter.builder(name).tags(tags).tag("outcome", outcome).description(description).register(registry);
  }

  void success(long nanos, int batches, long rows) {
    successTime.record(nanos, TimeUnit.NANOSECONDS);
    successBatches.increment(batches);
    successRows.increment(rows);
  }

  void failure(long nanos, int batches, long rows) {
    failureTime.record(nanos, TimeUnit.NANOSECONDS);
    failureBatches.increment(batches);
    failureRows.increment(rows);
    retriedBatches.increment(batches);
  }

  void dropped(StagerFullException.Reason reason) {
    dropped.get(reason).increment();
  }

  void recovered(int batches, int torn) {
    recoveredBatches.increment(batches);
    tornRecords.increment(torn);
  }
}
