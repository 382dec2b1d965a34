package dev.lakelifecycle.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.CommitConflictException;
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
import dev.lakelifecycle.api.sweep.PrefixMismatchMode;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.GenericStatisticsFile;
import org.apache.iceberg.ImmutableGenericPartitionStatisticsFile;
import org.apache.iceberg.PartitionData;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.deletes.PositionDelete;
import org.apache.iceberg.deletes.PositionDeleteWriter;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.FileAppender;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lifecycle engines on an Iceberg table of a real {@code JdbcCatalog} (SQLite), every result read back
 * with Iceberg's own reader ({@link IcebergGenerics}).
 */
class IcebergLifecycleTest {
  private static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .column("level", TableSchema.Type.STRING)
      .column("msg", TableSchema.Type.STRING)
      .build();
  private static final TableId LOGS = TableId.of("acme", "prod", "logs");

  @TempDir Path dir;
  // Iceberg stamps snapshots with the wall clock: the lifecycle's clock starts there too.
  final MutableClock clock = MutableClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  ObjectStore store;
  private IcebergTableCatalog catalog;

  @BeforeEach
  void open() {
    store = newStore();
    catalog = IcebergTableCatalog.jdbc("lake", "jdbc:sqlite:" + dir.resolve("catalog.db"), store, "warehouse",
        Map.of());
  }

  /** The store the warehouse lives in: local disk, stamped by the test clock. */
  ObjectStore newStore() {
    return LocalObjectStore.builder(dir.resolve("store")).clock(clock).build();
  }

  @AfterEach
  void close() {
    catalog.close();
    store.close();
  }

  private Lifecycle lifecycle() {
    LifecycleConfig config = LifecycleConfig.builder()
        .retention(new LifecycleConfig.RetentionSettings(Map.of("logs", Retention.days(2)), Map.of(), Map.of(),
            Duration.ofHours(1), 1, null, Duration.ofHours(1), false, Duration.ofHours(1)))
        .sweep(new LifecycleConfig.Sweep(Duration.ofHours(1), Duration.ofHours(1), 1000, false, Duration.ofHours(24),
            true, PrefixMismatchMode.FAIL, null))
        .build();
    return Lifecycle.builder().store(store).catalog(catalog).clock(clock).config(config).writerId("w1").build();
  }

  private Table iceberg() {
    return catalog.iceberg().loadTable(TableIdentifier.of("acme", "prod", "logs"));
  }

  /** Rows as "ts|level|msg" -> count, read by Iceberg's generic reader. */
  private Map<String, Integer> readWithIceberg() throws IOException {
    Map<String, Integer> rows = new TreeMap<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(iceberg()).build()) {
      for (Record r : records) {
        Instant ts = ((OffsetDateTime) r.getField("ts")).toInstant();
        rows.merge(ts + "|" + r.getField("level") + "|" + r.getField("msg"), 1, Integer::sum);
      }
    }
    return rows;
  }

  @Test
  void stagedFlushedCompactedRetainedAndSweptRowsReadBackWithIcebergsReader() throws IOException {
    Map<String, Integer> expected = new TreeMap<>();
    try (Lifecycle lake = lifecycle()) {
      lake.catalog().createTable(LOGS, SCHEMA, PartitionSpec.hourly("ts"));
      Instant now = clock.instant();
      int n = 0;
      for (int flush = 0; flush < 4; flush++) {
        RowBatch.Builder b = RecordBatch.builder(SCHEMA);
        for (int i = 0; i < 25; i++) {
          // Half the rows are three days old (beyond the two-day retention), half from the last hour.
          Instant ts = (i % 2 == 0 ? now.minus(3, ChronoUnit.DAYS) : now.minus(30, ChronoUnit.MINUTES))
              .plus(n, ChronoUnit.SECONDS);
          String level = i % 3 == 0 ? null : "INFO";
          String msg = "m" + n++;
          b.row(ts, level, msg);
          expected.merge(ts + "|" + level + "|" + msg, 1, Integer::sum);
        }
        lake.stager().append(LOGS, b.build());
        lake.stager().flush(LOGS);
      }
      assertThat(readWithIceberg()).isEqualTo(expected);
      assertThat(catalog.loadTable(LOGS).liveFiles()).hasSize(8);

      CompactionResult compacted = lake.compactor().compact(LOGS).minInputFiles(2).force(true).execute();
      assertThat(compacted.filesRemoved()).isEqualTo(8);
      assertThat(catalog.loadTable(LOGS).liveFiles()).hasSize(2);
      assertThat(readWithIceberg()).isEqualTo(expected);

      clock.advance(Duration.ofHours(2));
      RetentionResult retained = lake.retention().enforce(LOGS).execute();
      assertThat(retained.partitionsDropped()).hasSize(1);
      Instant cutoff = retained.cutoff();
      expected.keySet().removeIf(k -> Instant.parse(k.substring(0, k.indexOf('|'))).isBefore(cutoff));
      assertThat(expected).as("12 of each 25 rows are recent").hasSize(48);
      assertThat(readWithIceberg()).isEqualTo(expected);

      CatalogTable table = catalog.loadTable(LOGS);
      String orphanKey = store.keyOf(table.location() + "/data/orphan-from-a-crashed-writer.parquet").orElseThrow();
      store.put(orphanKey, new byte[] {1, 2, 3});
      clock.advance(Duration.ofHours(2));
      SweepResult swept = lake.sweeper().sweep(LOGS).olderThan(Duration.ofHours(1)).execute();

      assertThat(swept.deleteFailures()).isZero();
      assertThat(store.stat(orphanKey)).isEmpty();
      for (String location : catalog.loadTable(LOGS).referencedLocations()) {
        assertThat(store.stat(store.keyOf(location).orElseThrow())).as(location).isPresent();
      }
      assertThat(readWithIceberg()).isEqualTo(expected);
    }
  }

  @Test
  void tableWrittenWithPlainIcebergIsCompactedExpiredAndSweptAndReadsTheSame() throws IOException {
    Schema schema = new Schema(
        Types.NestedField.required(1, "ts", Types.TimestampType.withZone()),
        Types.NestedField.optional(2, "level", Types.StringType.get()),
        Types.NestedField.optional(3, "msg", Types.StringType.get()));
    org.apache.iceberg.PartitionSpec spec = org.apache.iceberg.PartitionSpec.builderFor(schema).hour("ts").build();
    catalog.iceberg().buildTable(TableIdentifier.of("acme", "prod", "logs"), schema).withPartitionSpec(spec)
        .create();
    Instant hour = clock.instant().minus(5, ChronoUnit.HOURS);
    for (int file = 0; file < 5; file++) {
      List<Record> records = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        GenericRecord r = GenericRecord.create(schema);
        r.setField("ts", OffsetDateTime.ofInstant(hour.plusSeconds(file * 100L + i), ZoneOffset.UTC));
        r.setField("level", i % 4 == 0 ? null : "WARN");
        r.setField("msg", "file" + file + "-row" + i);
        records.add(r);
      }
      writeWithIceberg(iceberg(), records, hour);
    }
    Map<String, Integer> before = readWithIceberg();
    assertThat(before.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(50);

    try (Lifecycle lake = lifecycle()) {
      CompactionResult compacted = lake.compactor().compact(LOGS).minInputFiles(2).force(true).execute();
      assertThat(compacted.filesRemoved()).isEqualTo(5);
      assertThat(readWithIceberg()).isEqualTo(before);

      CatalogTable table = catalog.loadTable(LOGS);
      assertThat(table.snapshots()).hasSize(6);
      assertThat(table.expireSnapshots(1, Instant.now().plusSeconds(60), Set.of())).hasSize(5);
      assertThat(readWithIceberg()).isEqualTo(before);

      clock.advance(Duration.ofHours(2));
      SweepResult swept = lake.sweeper().sweep(LOGS).olderThan(Duration.ofHours(1)).execute();
      // The five files written by Iceberg are unreferenced once their snapshots expired.
      assertThat(swept.filesDeleted()).isGreaterThanOrEqualTo(5);
      assertThat(readWithIceberg()).isEqualTo(before);
      for (String location : catalog.loadTable(LOGS).referencedLocations()) {
        assertThat(store.stat(store.keyOf(location).orElseThrow())).as(location).isPresent();
      }
    }
  }

  @Test
  void concurrentDeleteOfASourceFileFailsTheReplaceTypedAndLeavesTheTableUnchanged() throws IOException {
    Instant hour = clock.instant().minus(5, ChronoUnit.HOURS);
    CatalogTable compactor = catalog.createTable(LOGS, SCHEMA, PartitionSpec.hourly("ts"));
    for (int file = 0; file < 3; file++) {
      GenericRecord r = GenericRecord.create(iceberg().schema());
      r.setField("ts", OffsetDateTime.ofInstant(hour.plusSeconds(file), ZoneOffset.UTC));
      r.setField("level", "INFO");
      r.setField("msg", "row" + file);
      writeWithIceberg(iceberg(), List.of(r), hour);
    }
    compactor.refresh();
    List<DataFile> planned = compactor.liveFiles();
    assertThat(planned).hasSize(3);
    long before = compactor.currentSnapshot().orElseThrow().snapshotId();

    // Another engine deletes one of the planned source files while the compaction runs.
    Table other = iceberg();
    other.newDelete().deleteFile(planned.get(1).location()).commit();
    Map<String, Integer> afterDelete = readWithIceberg();
    long deleted = other.currentSnapshot().snapshotId();

    DataFile merged = new DataFile(compactor.location() + "/data/merged.parquet", planned.get(0).partition(), 100,
        3, "w1", clock.instant(), Map.of());
    assertThatThrownBy(() -> compactor.commitReplace(planned, List.of(merged), Map.of()))
        .isInstanceOf(CommitConflictException.class)
        .hasMessageContaining(planned.get(1).location());

    assertThat(iceberg().currentSnapshot().snapshotId()).isEqualTo(deleted).isNotEqualTo(before);
    assertThat(readWithIceberg()).isEqualTo(afterDelete).hasSize(2);
    compactor.refresh();
    assertThat(compactor.liveFiles()).extracting(DataFile::location)
        .containsExactlyInAnyOrder(planned.get(0).location(), planned.get(2).location());
  }

  @Test
  void orphanSweepKeepsEveryIcebergFileClassAndDeletesOnlyThePlantedOrphan() throws IOException {
    catalog.createTable(LOGS, SCHEMA, PartitionSpec.hourly("ts"));
    Instant hour = clock.instant().minus(3, ChronoUnit.HOURS);
    for (int file = 0; file < 2; file++) {
      GenericRecord r = GenericRecord.create(iceberg().schema());
      r.setField("ts", OffsetDateTime.ofInstant(hour.plusSeconds(file), ZoneOffset.UTC));
      r.setField("level", "INFO");
      r.setField("msg", "row" + file);
      writeWithIceberg(iceberg(), List.of(r), hour);
    }
    Table ice = iceberg();
    long snapshot = ice.currentSnapshot().snapshotId();
    String stats = ice.location() + "/metadata/stats-" + snapshot + ".puffin";
    String partitionStats = ice.location() + "/metadata/partition-stats-" + snapshot + ".parquet";
    String hint = ice.location() + "/metadata/version-hint.text";
    String orphan = ice.location() + "/data/hour=2026-01-01-00/orphan.parquet";
    for (String planted : List.of(stats, partitionStats, hint, orphan)) {
      store.put(store.keyOf(planted).orElseThrow(), new byte[] {1, 2, 3});
    }
    ice.updateStatistics().setStatistics(new GenericStatisticsFile(snapshot, stats, 3, 1, List.of())).commit();
    ice.updatePartitionStatistics().setPartitionStatistics(ImmutableGenericPartitionStatisticsFile.builder()
        .snapshotId(snapshot).path(partitionStats).fileSizeInBytes(3).build()).commit();
    Map<String, Integer> rows = readWithIceberg();
    String prefix = store.keyOf(ice.location()).orElseThrow() + "/";
    Set<String> before = keysUnder(prefix);
    Set<String> referenced = catalog.loadTable(LOGS).referencedLocations();
    assertThat(referenced).contains(stats, partitionStats, hint).doesNotContain(orphan);
    assertThat(before).filteredOn(k -> k.endsWith(".metadata.json") || k.contains("/snap-") || k.endsWith(".avro"))
        .isNotEmpty()
        .allSatisfy(k -> assertThat(referenced).contains(store.location(k)));

    clock.advance(Duration.ofHours(2));
    try (Lifecycle lake = lifecycle()) {
      SweepResult swept = lake.sweeper().sweep(LOGS).olderThan(Duration.ofHours(1)).execute();
      assertThat(swept.filesDeleted()).isEqualTo(1);
    }

    Set<String> expected = new java.util.TreeSet<>(before);
    expected.remove(store.keyOf(orphan).orElseThrow());
    assertThat(keysUnder(prefix)).isEqualTo(expected);
    assertThat(readWithIceberg()).isEqualTo(rows);
  }

  private Set<String> keysUnder(String prefix) {
    try (var infos = store.list(prefix)) {
      return infos.map(i -> i.key()).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }
  }

  /** The scenario of apache/iceberg#10312: a position delete lands while a compaction of its data file runs. */
  @Test
  void rowLevelDeleteCommittedMidCompactionIsNeverUndone() throws IOException {
    CatalogTable compactor = catalog.createTable(LOGS, SCHEMA, PartitionSpec.hourly("ts"));
    Instant hour = clock.instant().minus(5, ChronoUnit.HOURS);
    for (int file = 0; file < 2; file++) {
      List<Record> records = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        GenericRecord r = GenericRecord.create(iceberg().schema());
        r.setField("ts", OffsetDateTime.ofInstant(hour.plusSeconds(file * 10L + i), ZoneOffset.UTC));
        r.setField("level", "INFO");
        r.setField("msg", "file" + file + "-row" + i);
        records.add(r);
      }
      writeWithIceberg(iceberg(), records, hour);
    }
    compactor.refresh();
    List<DataFile> planned = compactor.liveFiles();
    assertThat(planned).hasSize(2);

    // Another engine deletes row 0 of the first planned file with a position delete.
    Table other = iceberg();
    PartitionData partition = hourPartition(other, hour);
    OutputFile out = other.io().newOutputFile(
        other.locationProvider().newDataLocation(other.spec(), partition, "pos-deletes.parquet"));
    PositionDeleteWriter<Record> deletes = Parquet.writeDeletes(out).withSpec(other.spec()).withPartition(partition)
        .overwrite().buildPositionWriter();
    try (deletes) {
      deletes.write(PositionDelete.<Record>create().set(planned.get(0).location(), 0));
    }
    other.newRowDelta().addDeletes(deletes.toDeleteFile()).commit();
    Map<String, Integer> afterDelete = readWithIceberg();
    assertThat(afterDelete).hasSize(5).doesNotContainKey(hour + "|INFO|file0-row0");

    DataFile merged = new DataFile(compactor.location() + "/data/merged.parquet", planned.get(0).partition(), 100,
        6, "w1", clock.instant(), Map.of());
    assertThatThrownBy(() -> compactor.commitReplace(planned, List.of(merged), Map.of()))
        .isInstanceOf(CommitConflictException.class);
    assertThat(readWithIceberg()).isEqualTo(afterDelete);

    // Re-planned, the compaction reads both files with the delete applied: the row stays deleted.
    compactor.refresh();
    assertThat(compactor.liveFiles()).hasSize(2);
    try (Lifecycle lake = lifecycle()) {
      assertThat(lake.compactor().compact(LOGS).minInputFiles(2).force(true).execute().filesRemoved()).isEqualTo(2);
    }
    assertThat(readWithIceberg()).isEqualTo(afterDelete);
  }

  private static PartitionData hourPartition(Table table, Instant hour) {
    PartitionData partition = new PartitionData(table.spec().partitionType());
    partition.set(0, (int) ChronoUnit.HOURS.between(Instant.EPOCH, hour.truncatedTo(ChronoUnit.HOURS)));
    return partition;
  }

  /** Appends one Parquet file written by Iceberg's own generic writer, in the hour partition of {@code hour}. */
  private static void writeWithIceberg(Table table, List<Record> records, Instant hour) throws IOException {
    PartitionData partition = hourPartition(table, hour);
    OutputFile out = table.io().newOutputFile(
        table.locationProvider().newDataLocation(table.spec(), partition, "plain-" + System.nanoTime() + ".parquet"));
    FileAppender<Record> writer = Parquet.write(out).schema(table.schema())
        .createWriterFunc(type -> GenericParquetWriter.create(table.schema(), type)).build();
    try (writer) {
      writer.addAll(records);
    }
    table.newAppend().appendFile(DataFiles.builder(table.spec()).withPath(out.location())
        .withFormat(FileFormat.PARQUET).withFileSizeInBytes(writer.length()).withMetrics(writer.metrics())
        .withPartition(partition).build()).commit();
  }
}
