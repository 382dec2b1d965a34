package dev.lakelifecycle.core.internal.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.NoSuchTableException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.retention.ResolvedRetention.Tier;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.api.retention.RetentionResult;
import dev.lakelifecycle.api.retention.RetentionResult.DroppedPartition;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.LifecycleConfig.RetentionSettings;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.InMemoryCheckpointStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Enforcement on real tables: the manifest catalog over a local directory. */
class RetentionEnforcementTest {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionEnforcementTest.class);
  private static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP).column("msg", TableSchema.Type.STRING).build();
  private static final TableId TRACES = TableId.parse("acme/prod/traces");
  private static final TableId LOGS = TableId.parse("acme/prod/logs");
  private static final TableId EVENTS = TableId.parse("acme/prod/events");
  /** now − 3 days (traces) − 1 hour grace = 2026-01-29T11:00:00Z. */
  private static final Instant NOW = Instant.parse("2026-02-01T12:00:00Z");
  private static final Instant TRACES_CUTOFF = Instant.parse("2026-01-29T11:00:00Z");

  @TempDir
  Path dir;

  private final MutableClock clock = MutableClock.at(NOW);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private ObjectStore store;
  private ManifestCatalog catalog;
  private InMemoryCheckpointStore checkpoints;
  private int fileSeq;

  @BeforeEach
  void setUp() {
    store = new LocalObjectStore(dir.resolve("lake"));
    catalog = new ManifestCatalog(store, clock);
    checkpoints = new InMemoryCheckpointStore(clock);
  }

  @AfterEach
  void tearDown() {
    catalog.close();
    checkpoints.close();
    store.close();
  }

  private static RetentionSettings settings(int snapshotsToKeep, Duration maxSnapshotAge) {
    return new RetentionSettings(Map.of("traces", Retention.days(3), "logs", Retention.days(7)), Map.of(), Map.of(),
        Duration.ofHours(1), snapshotsToKeep, maxSnapshotAge, Duration.ofHours(1), false, Duration.ofHours(1));
  }

  private DefaultRetentionResolver resolver(RetentionSettings settings) {
    return new DefaultRetentionResolver(catalog, checkpoints, settings, clock, registry);
  }

  /** Writes a placeholder object (retention never reads file contents) and commits it as one append. */
  private TableSnapshot append(CatalogTable table, String partition, long rows, int bytes) {
    return table.commitAppend("append-" + (fileSeq + 1), List.of(file(table, partition, rows, bytes)));
  }

  private DataFile file(CatalogTable table, String partition, long rows, int bytes) {
    String root = table.location().endsWith("/") ? table.location() : table.location() + "/";
    String location = root + "data/" + partition + "/f-" + (++fileSeq) + ".parquet";
    store.put(store.keyOf(location).orElseThrow(), new byte[bytes]);
    return new DataFile(location, partition, bytes, rows, "test", clock.instant(), Map.of());
  }

  private CatalogTable hourlyTraces() {
    CatalogTable t = catalog.createTable(TRACES, SCHEMA, PartitionSpec.hourly("ts"));
    append(t, "hour=2026-01-29-09", 10, 100);   // ends 10:00, before the cutoff
    append(t, "hour=2026-01-29-10", 20, 200);   // ends 11:00, exactly at the cutoff
    append(t, "hour=2026-01-29-10", 5, 50);
    append(t, "hour=2026-01-29-11", 30, 300);   // ends 12:00, after the cutoff
    append(t, "hour=2026-02-01-11", 40, 400);   // the current hour
    return t;
  }

  private static Set<String> livePartitions(CatalogTable t) {
    t.refresh();
    return new TreeSet<>(t.liveFiles().stream().map(DataFile::partition).toList());
  }

  @Test
  void dropsExactlyTheExpiredHourlyPartitionsInOneCommit() {
    CatalogTable t = hourlyTraces();
    TableSnapshot before = t.currentSnapshot().orElseThrow();

    RetentionResult r = resolver(settings(100, null)).enforce(TRACES).execute();

    assertThat(r.dryRun()).isFalse();
    assertThat(r.cutoff()).isEqualTo(TRACES_CUTOFF);
    assertThat(r.policy().retentionTier()).isEqualTo(Tier.GLOBAL);
    assertThat(r.partitionsEvaluated()).isEqualTo(4);
    assertThat(r.partitionsDropped()).containsExactly(
        new DroppedPartition("hour=2026-01-29-09", 1, 100, 10),
        new DroppedPartition("hour=2026-01-29-10", 2, 250, 25));
    assertThat(r.rowsDropped()).isEqualTo(35);
    assertThat(livePartitions(t)).containsExactly("hour=2026-01-29-11", "hour=2026-02-01-11");
    // One commit: the new current snapshot is a DELETE directly on top of the last append.
    TableSnapshot after = t.currentSnapshot().orElseThrow();
    assertThat(after.operation()).isEqualTo(TableSnapshot.Operation.DELETE);
    assertThat(after.parentId()).isEqualTo(before.snapshotId());
    assertThat(t.snapshots()).hasSize(6);
  }

  @Test
  void partitionEndingExactlyAtTheCutoffIsDroppedAndOneMicrosecondLaterIsKept() {
    CatalogTable t = hourlyTraces();
    DefaultRetentionResolver resolver = resolver(settings(100, null));

    // One microsecond earlier, the cutoff is 10:59:59.999999 and hour 10 ends one microsecond after it.
    clock.set(NOW.minus(1, ChronoUnit.MICROS));
    RetentionResult early = resolver.enforce(TRACES).execute();
    assertThat(early.cutoff()).isEqualTo(TRACES_CUTOFF.minus(1, ChronoUnit.MICROS));
    assertThat(early.partitionsDropped()).extracting(DroppedPartition::partition).containsExactly("hour=2026-01-29-09");
    assertThat(livePartitions(t)).contains("hour=2026-01-29-10");

    clock.set(NOW);
    RetentionResult exact = resolver.enforce(TRACES).execute();
    assertThat(exact.partitionsDropped()).extracting(DroppedPartition::partition).containsExactly("hour=2026-01-29-10");
    assertThat(livePartitions(t)).containsExactly("hour=2026-01-29-11", "hour=2026-02-01-11");
  }

  @Test
  void dailyPartitionIsDroppedOnlyWhenTheWholeDayIsBeforeTheCutoff() {
    // logs: 7 days + 1 hour grace → cutoff 2026-01-25T11:00:00Z.
    CatalogTable t = catalog.createTable(LOGS, SCHEMA, PartitionSpec.daily("ts"));
    append(t, "day=2026-01-23", 1, 10);
    append(t, "day=2026-01-24", 2, 20);   // ends 2026-01-25T00:00, before the cutoff
    append(t, "day=2026-01-25", 3, 30);   // holds data older and newer than the cutoff: kept
    append(t, "day=2026-02-01", 4, 40);

    RetentionResult r = resolver(settings(100, null)).enforce(LOGS).execute();

    assertThat(r.cutoff()).isEqualTo(Instant.parse("2026-01-25T11:00:00Z"));
    assertThat(r.partitionsDropped()).extracting(DroppedPartition::partition)
        .containsExactly("day=2026-01-23", "day=2026-01-24");
    assertThat(livePartitions(t)).containsExactly("day=2026-01-25", "day=2026-02-01");
  }

  @Test
  void nothingExpiredMeansNoCommit() {
    CatalogTable t = catalog.createTable(TRACES, SCHEMA, PartitionSpec.hourly("ts"));
    append(t, "hour=2026-02-01-10", 1, 10);
    TableSnapshot before = t.currentSnapshot().orElseThrow();

    RetentionResult r = resolver(settings(100, null)).enforce(TRACES).execute();

    assertThat(r.partitionsDropped()).isEmpty();
    t.refresh();
    assertThat(t.currentSnapshot()).contains(before);
    assertThat(t.snapshots()).hasSize(1);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1L, 42L, 20260201L})
  void neverDropsAPartitionEndingAfterTheCutoff(long seed) {
    LOG.info("neverDropsAPartitionEndingAfterTheCutoff seed={}", seed);
    Random random = new Random(seed);
    CatalogTable t = catalog.createTable(TRACES, SCHEMA, PartitionSpec.hourly("ts"));
    PartitionSpec spec = PartitionSpec.hourly("ts");
    List<DataFile> files = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      files.add(file(t, spec.partitionOf(NOW.minus(Duration.ofMinutes(random.nextInt(8 * 24 * 60)))), 1, 1));
    }
    t.commitAppend("random-" + seed, files);
    Set<String> before = livePartitions(t);

    RetentionResult r = resolver(settings(100, null)).enforce(TRACES).execute();

    Set<String> after = livePartitions(t);
    Set<String> dropped = new TreeSet<>(r.partitionsDropped().stream().map(DroppedPartition::partition).toList());
    assertThat(dropped).allSatisfy(p -> assertThat(PartitionSpec.endOf(p)).isBeforeOrEqualTo(TRACES_CUTOFF));
    assertThat(after).allSatisfy(p -> assertThat(PartitionSpec.endOf(p)).isAfter(TRACES_CUTOFF));
    Set<String> union = new TreeSet<>(after);
    union.addAll(dropped);
    assertThat(union).isEqualTo(before);
  }

  @Test
  void dryRunChangesNothingAndReportsWhatTheRealRunThenDoes() {
    CatalogTable t = hourlyTraces();
    DefaultRetentionResolver resolver = resolver(settings(2, null));
    List<TableSnapshot> snapshotsBefore = t.snapshots();
    List<DataFile> liveBefore = t.liveFiles();

    RetentionResult dry = resolver.enforce(TRACES).dryRun(true).execute();

    t.refresh();
    assertThat(t.snapshots()).isEqualTo(snapshotsBefore);
    assertThat(t.liveFiles()).isEqualTo(liveBefore);
    assertThat(dry.dryRun()).isTrue();
    assertThat(dry.partitionsDropped()).hasSize(2);
    assertThat(dry.snapshotsExpired()).hasSize(4);

    RetentionResult real = resolver.enforce(TRACES).execute();

    assertThat(real.dryRun()).isFalse();
    assertThat(real.cutoff()).isEqualTo(dry.cutoff());
    assertThat(real.partitionsEvaluated()).isEqualTo(dry.partitionsEvaluated());
    assertThat(real.partitionsDropped()).isEqualTo(dry.partitionsDropped());
    assertThat(real.snapshotsExpired()).isEqualTo(dry.snapshotsExpired());
    t.refresh();
    assertThat(t.snapshots()).hasSize(2);
  }

  @Test
  void dryRunDefaultComesFromTheSettings() {
    CatalogTable t = hourlyTraces();
    RetentionSettings dryByDefault = new RetentionSettings(Map.of("traces", Retention.days(3)), Map.of(), Map.of(),
        Duration.ofHours(1), 5, null, Duration.ofHours(1), true, Duration.ofHours(1));
    List<DataFile> liveBefore = t.liveFiles();

    RetentionResult r = resolver(dryByDefault).enforce(TRACES).execute();

    assertThat(r.dryRun()).isTrue();
    assertThat(r.partitionsDropped()).hasSize(2);
    t.refresh();
    assertThat(t.liveFiles()).isEqualTo(liveBefore);
  }

  @Test
  void snapshotExpiryKeepsTheNewestAndNeverTheCurrentEvenWhenKeepingForever() {
    CatalogTable t = catalog.createTable(EVENTS, SCHEMA, PartitionSpec.daily("ts"));
    List<TableSnapshot> appended = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      appended.add(append(t, "day=2020-01-0" + (i + 1), 1, 1));
    }

    RetentionResult r = resolver(settings(2, null)).enforce(EVENTS).execute();

    assertThat(r.policy().retention().isForever()).isTrue();
    assertThat(r.policy().retentionTier()).isEqualTo(Tier.DEFAULT);
    assertThat(r.cutoff()).isNull();
    assertThat(r.partitionsDropped()).isEmpty();
    assertThat(r.snapshotsExpired()).extracting(TableSnapshot::snapshotId)
        .containsExactlyElementsOf(appended.subList(0, 4).stream().map(TableSnapshot::snapshotId).toList());
    t.refresh();
    assertThat(t.snapshots()).extracting(TableSnapshot::snapshotId)
        .containsExactly(appended.get(4).snapshotId(), appended.get(5).snapshotId());
    assertThat(t.liveFiles()).hasSize(6);

    // Keeping one: the current snapshot survives every further run.
    resolver(settings(1, null)).enforce(EVENTS).execute();
    t.refresh();
    assertThat(t.snapshots()).extracting(TableSnapshot::snapshotId).containsExactly(appended.get(5).snapshotId());
    assertThat(resolver(settings(1, null)).enforce(EVENTS).execute().snapshotsExpired()).isEmpty();
  }

  @Test
  void maxSnapshotAgeLimitsExpiryToOldSnapshots() {
    CatalogTable t = catalog.createTable(EVENTS, SCHEMA, PartitionSpec.daily("ts"));
    List<TableSnapshot> appended = new ArrayList<>();
    clock.set(NOW.minus(Duration.ofDays(5)));
    for (int i = 0; i < 5; i++) {
      appended.add(append(t, "day=2026-01-2" + i, 1, 1));
      clock.advance(Duration.ofDays(1));
    }
    // Commits at now−5d … now−1d; only those older than 2.5 days may expire, whatever the count.
    RetentionResult r = resolver(settings(1, Duration.ofHours(60))).enforce(EVENTS).execute();

    assertThat(r.snapshotsExpired()).extracting(TableSnapshot::snapshotId)
        .containsExactly(appended.get(0).snapshotId(), appended.get(1).snapshotId(), appended.get(2).snapshotId());
  }

  @Test
  void snapshotNamedByAPendingCompactionCheckpointIsKept() {
    CatalogTable t = catalog.createTable(EVENTS, SCHEMA, PartitionSpec.daily("ts"));
    List<TableSnapshot> appended = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      appended.add(append(t, "day=2026-01-2" + i, 1, 1));
    }
    checkpoints.compareAndSet(Checkpoint.pending("compaction/acme/prod/events")
        .withMetadata(Map.of(DefaultRetentionResolver.BASE_SNAPSHOT_ID, appended.get(1).snapshotId())), 0);
    // Another table's pending compaction pins nothing here: snapshot ids are per table.
    checkpoints.compareAndSet(Checkpoint.pending("compaction/acme/prod/events-2")
        .withMetadata(Map.of(DefaultRetentionResolver.BASE_SNAPSHOT_ID, appended.get(3).snapshotId())), 0);
    DefaultRetentionResolver resolver = resolver(settings(1, null));

    RetentionResult dry = resolver.enforce(EVENTS).dryRun(true).execute();
    RetentionResult real = resolver.enforce(EVENTS).execute();

    List<Long> expected = List.of(appended.get(0).snapshotId(), appended.get(2).snapshotId(),
        appended.get(3).snapshotId());
    assertThat(dry.snapshotsExpired()).extracting(TableSnapshot::snapshotId).containsExactlyElementsOf(expected);
    assertThat(real.snapshotsExpired()).extracting(TableSnapshot::snapshotId).containsExactlyElementsOf(expected);
    t.refresh();
    assertThat(t.snapshots()).extracting(TableSnapshot::snapshotId)
        .containsExactly(appended.get(1).snapshotId(), appended.get(4).snapshotId());

    // Once the compaction finished, its base snapshot is no longer pinned.
    Checkpoint pending = checkpoints.get("compaction/acme/prod/events").orElseThrow();
    checkpoints.compareAndSet(pending.withStatus(Checkpoint.Status.COMPLETED), pending.version());
    assertThat(resolver.enforce(EVENTS).execute().snapshotsExpired()).extracting(TableSnapshot::snapshotId)
        .containsExactly(appended.get(1).snapshotId());
  }

  @Test
  void countsMetricsPerTableAndOnlyRealChangesAsDropped() {
    hourlyTraces();
    DefaultRetentionResolver resolver = resolver(settings(2, null));
    Tags tags = Tags.of("tenant", "acme", "dataset", "prod", "table", "traces");

    resolver.enforce(TRACES).dryRun(true).execute();
    assertThat(registry.get("lifecycle.retention.partitions.evaluated").tags(tags).counter().count()).isEqualTo(4);
    assertThat(registry.get("lifecycle.retention.partitions.dropped").tags(tags).counter().count()).isZero();

    resolver.enforce(TRACES).execute();

    assertThat(registry.get("lifecycle.retention.cutoffs.computed").tags(tags).counter().count()).isEqualTo(2);
    assertThat(registry.get("lifecycle.retention.partitions.evaluated").tags(tags).counter().count()).isEqualTo(8);
    assertThat(registry.get("lifecycle.retention.partitions.dropped").tags(tags).counter().count()).isEqualTo(2);
    assertThat(registry.get("lifecycle.retention.rows.dropped").tags(tags).counter().count()).isEqualTo(35);
    assertThat(registry.get("lifecycle.retention.bytes.dropped").tags(tags).counter().count()).isEqualTo(350);
    assertThat(registry.get("lifecycle.retention.snapshots.expired").tags(tags).counter().count()).isEqualTo(4);
    assertThat(registry.get("lifecycle.retention.enforcement.duration").tags(tags).timer().count()).isEqualTo(2);
  }

  @Test
  void missingTableFailsWithTheCatalogsTypedError() {
    assertThatThrownBy(() -> resolver(settings(2, null)).enforce(TableId.parse("acme/prod/nope")).execute())
        .isInstanceOf(NoSuchTableException.class);
    assertThat(registry.get("lifecycle.retention.enforcement.duration")
        .tags(Tags.of("tenant", "acme", "dataset", "prod", "table", "nope")).timer().count()).isEqualTo(1);
  }
}
