package dev.lakelifecycle.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.api.retention.RetentionResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.internal.parquet.ParquetRows;
import dev.lakelifecycle.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The whole lifecycle on S3: stage and flush, compact, enforce retention, sweep orphans, through
 * {@code Lifecycle.builder().store(s3)}, with every committed row checked against a model after each step.
 * S3 stamps objects with wall-clock time, so the test clock starts at the wall clock and moves forward from
 * there, which makes written files look old to the sweeper.
 */
class S3LifecycleEndToEndTest {
  private static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .required("id", TableSchema.Type.LONG)
      .column("msg", TableSchema.Type.STRING)
      .build();
  private static final TableId EVENTS = TableId.of("acme", "prod", "events");

  @Test
  void stageFlushCompactRetainAndSweepKeepEveryRowOnS3() {
    MutableClock clock = MutableClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    LifecycleConfig config = LifecycleConfig.builder()
        .staging(new LifecycleConfig.Staging(60, 64L << 20, Duration.ofHours(1), Map.of()))
        .retention(new LifecycleConfig.RetentionSettings(Map.of("events", Retention.days(3)), Map.of(), Map.of(),
            Duration.ofHours(1), 1, null, Duration.ofHours(1), false, Duration.ofHours(1)))
        .sweep(new LifecycleConfig.Sweep(Duration.ofHours(1), Duration.ofHours(1), 100, false, Duration.ofHours(24)))
        .build();
    Map<String, Integer> model = new TreeMap<>();
    Random random = new Random(20260115);

    try (S3ObjectStore store = S3Server.shared().builder(S3Server.freshRoot("e2e")).build();
        Lifecycle lake = Lifecycle.builder().store(store).clock(clock).config(config).writerId("e2e").build()) {
      lake.catalog().createTable(EVENTS, SCHEMA, PartitionSpec.daily("ts"));

      // 1. Stage and flush: 12 batches over the last 6 days; the stager flushes by itself every 60 rows.
      long id = 0;
      for (int batch = 0; batch < 12; batch++) {
        RowBatch.Builder b = RecordBatch.builder(SCHEMA);
        for (int i = 0; i < 25; i++) {
          Instant ts = clock.instant().minus(random.nextInt(6 * 24 * 60), ChronoUnit.MINUTES);
          String msg = i % 7 == 0 ? null : "m" + random.nextInt(1000);
          b.row(ts, id, msg);
          model.merge(key(ts, id, msg), 1, Integer::sum);
          id++;
        }
        lake.stager().append(EVENTS, b.build());
      }
      lake.stager().flush(EVENTS);
      int filesBefore = lake.catalog().loadTable(EVENTS).liveFiles().size();
      assertThat(filesBefore).isGreaterThan(6);
      assertThat(rows(lake, store)).isEqualTo(model);

      // 2. Compact every partition with more than one file.
      CompactionResult compacted = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).execute();
      int filesAfter = lake.catalog().loadTable(EVENTS).liveFiles().size();
      assertThat(filesAfter).isLessThan(filesBefore);
      assertThat(compacted).isNotNull();
      assertThat(rows(lake, store)).isEqualTo(model);

      // 3. Retention: 3 days (+1 h grace) drops the older day partitions whole.
      clock.advance(Duration.ofHours(2));
      RetentionResult retained = lake.retention().enforce(EVENTS).execute();
      Instant cutoff = retained.cutoff();
      assertThat(retained.partitionsDropped()).isNotEmpty();
      model.keySet().removeIf(k -> !PartitionSpec.endOf(PartitionSpec.daily("ts").partitionOfMicros(micros(k)))
          .isAfter(cutoff));
      assertThat(rows(lake, store)).isEqualTo(model);

      // 4. Sweep: the compacted-away and dropped files, and a stray object, are orphans older than the grace.
      String stray = "acme/prod/events/data/day=2020-01-01/stray.parquet";
      store.put(stray, "not referenced".getBytes(StandardCharsets.UTF_8));
      clock.advance(Duration.ofHours(2));
      SweepResult swept = lake.sweeper().sweep(EVENTS).olderThan(Duration.ofHours(1)).execute();

      assertThat(swept.deleteFailures()).isZero();
      assertThat(swept.prefixMismatches()).isZero();
      assertThat(swept.filesDeleted()).isGreaterThan(1);
      assertThat(store.stat(stray)).isEmpty();
      assertThat(rows(lake, store)).isEqualTo(model);
      CatalogTable table = lake.catalog().loadTable(EVENTS);
      try (Stream<ObjectInfo> data = store.list("acme/prod/events/data/")) {
        assertThat(data.map(o -> store.location(o.key())))
            .containsExactlyInAnyOrderElementsOf(table.liveFiles().stream().map(DataFile::location).toList());
      }
      assertThat(S3Server.shared().incompleteUploads(store.prefix())).isEmpty();
    }
  }

  private static Map<String, Integer> rows(Lifecycle lake, ObjectStore store) {
    Map<String, Integer> rows = new TreeMap<>();
    for (DataFile f : lake.catalog().loadTable(EVENTS).liveFiles()) {
      List<Object[]> read = ParquetRows.read(store, store.keyOf(f.location()).orElseThrow()).rows();
      for (Object[] row : read) {
        // Parquet gives timestamps back as epoch microseconds.
        rows.merge(row[0] + "|" + row[1] + "|" + row[2], 1, Integer::sum);
      }
    }
    return rows;
  }

  private static String key(Instant ts, long id, String msg) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, ts.truncatedTo(ChronoUnit.MICROS)) + "|" + id + "|" + msg;
  }

  private static long micros(String key) {
    return Long.parseLong(key.substring(0, key.indexOf('|')));
  }
}
