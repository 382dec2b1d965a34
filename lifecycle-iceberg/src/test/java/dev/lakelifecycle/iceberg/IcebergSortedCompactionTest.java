package dev.lakelifecycle.iceberg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionData;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SortOrder;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
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
 * Compaction of an Iceberg table with a sort order (service, then timestamp), created and written with plain
 * Iceberg APIs on a real {@code JdbcCatalog} (SQLite); every output read back with Iceberg's own readers.
 */
class IcebergSortedCompactionTest {
  private static final TableId SPANS = TableId.of("acme", "prod", "spans");
  private static final Schema SCHEMA = new Schema(
      Types.NestedField.required(1, "ts", Types.TimestampType.withZone()),
      Types.NestedField.optional(2, "service", Types.StringType.get()),
      Types.NestedField.optional(3, "msg", Types.StringType.get()));
  private static final String[] SERVICES = {null, "api", "auth", "billing", "cart", "db", "édge", "zeta"};
  /** The table's order as the test checks it: service ascending, nulls first, then ts ascending. */
  private static final Comparator<Record> ORDER = Comparator.<Record, String>comparing(
      r -> (String) r.getField("service"), Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparing(r -> (OffsetDateTime) r.getField("ts"));

  @TempDir Path dir;
  final MutableClock clock = MutableClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  ObjectStore store;
  IcebergTableCatalog catalog;

  @BeforeEach
  void open() {
    store = LocalObjectStore.builder(dir.resolve("store")).clock(clock).build();
    catalog = IcebergTableCatalog.jdbc("lake", "jdbc:sqlite:" + dir.resolve("catalog.db"), store, "warehouse",
        Map.of());
    org.apache.iceberg.PartitionSpec spec = org.apache.iceberg.PartitionSpec.builderFor(SCHEMA).hour("ts").build();
    catalog.iceberg().buildTable(TableIdentifier.of("acme", "prod", "spans"), SCHEMA).withPartitionSpec(spec)
        .withSortOrder(SortOrder.builderFor(SCHEMA).asc("service").asc("ts").build()).create();
  }

  @AfterEach
  void close() {
    catalog.close();
    store.close();
  }

  private Table iceberg() {
    return catalog.iceberg().loadTable(TableIdentifier.of("acme", "prod", "spans"));
  }

  private Lifecycle lifecycle(long memoryBudget) {
    LifecycleConfig config = LifecycleConfig.builder()
        .compaction(LifecycleConfig.Compaction.DEFAULTS.withRewriteSizes(128L << 20, 8L << 20, memoryBudget))
        .build();
    return Lifecycle.builder().store(store).catalog(catalog).clock(clock).config(config).writerId("w1").build();
  }

  @Test
  void exposesTheIcebergSortOrder() {
    dev.lakelifecycle.api.catalog.SortOrder order = catalog.loadTable(SPANS).sortOrder();
    assertThat(order.orderId()).isEqualTo(iceberg().sortOrder().orderId()).isPositive();
    assertThat(order.fields()).containsExactly(dev.lakelifecycle.api.catalog.SortOrder.Field.asc("service"),
        dev.lakelifecycle.api.catalog.SortOrder.Field.asc("ts"));
  }

  @Test
  void compactedFilesAreSortedRowByRowRecordTheSortOrderAndReadTheSame() throws IOException {
    Random random = new Random(3);
    Instant hour = clock.instant().minus(5, ChronoUnit.HOURS).truncatedTo(ChronoUnit.HOURS);
    // Twelve small files in each of two hours: even ones sorted and recorded so, odd ones in arrival order.
    for (int h = 0; h < 2; h++) {
      for (int file = 0; file < 12; file++) {
        write(iceberg(), records(random, hour.plus(h, ChronoUnit.HOURS), 200), file % 2 == 0);
      }
    }
    Map<String, Integer> before = readWithIceberg();
    assertThat(before.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(24 * 200);
    int orderId = iceberg().sortOrder().orderId();
    assertThat(catalog.loadTable(SPANS).liveFiles()).filteredOn(f -> f.sortOrderId() == orderId).hasSize(12);

    try (Lifecycle lake = lifecycle(32L << 20)) {
      CompactionResult result = lake.compactor().compact(SPANS).minInputFiles(2).force(true).execute();
      assertThat(result.filesRemoved()).isEqualTo(24);
    }

    assertThat(readWithIceberg()).isEqualTo(before);
    Table table = iceberg();
    List<org.apache.iceberg.DataFile> live = new ArrayList<>();
    try (CloseableIterable<org.apache.iceberg.FileScanTask> tasks = table.newScan().planFiles()) {
      tasks.forEach(t -> live.add(t.file()));
    }
    assertThat(live).hasSize(2).allSatisfy(f -> assertThat(f.sortOrderId()).isEqualTo(orderId));
    assertThat(catalog.loadTable(SPANS).liveFiles()).extracting(DataFile::sortOrderId).containsOnly(orderId);
    long rows = 0;
    for (org.apache.iceberg.DataFile f : live) {
      List<Record> records = readFile(table, f);
      assertThat(records).hasSize((int) f.recordCount());
      for (int i = 1; i < records.size(); i++) {
        assertThat(ORDER.compare(records.get(i - 1), records.get(i))).as("row %d of %s", i, f.location())
            .isLessThanOrEqualTo(0);
      }
      rows += records.size();
    }
    assertThat(rows).isEqualTo(24 * 200);
  }

  @Test
  void unsortedFileTooLargeToSortInTheBudgetIsPlannedOutWithItsReason() throws IOException {
    Random random = new Random(5);
    Instant hour = clock.instant().minus(5, ChronoUnit.HOURS).truncatedTo(ChronoUnit.HOURS);
    write(iceberg(), records(random, hour, 4000), false);
    for (int file = 0; file < 3; file++) {
      write(iceberg(), records(random, hour, 100), file != 1);
    }
    Map<String, Integer> before = readWithIceberg();
    String big = catalog.loadTable(SPANS).liveFiles().stream().filter(f -> f.recordCount() == 4000).findFirst()
        .orElseThrow().location();

    try (Lifecycle lake = lifecycle(1L << 20)) {
      CompactionPlan plan = lake.compactor().compact(SPANS).minInputFiles(2).force(true).plan();
      assertThat(plan.decisions(CompactionPlan.Reason.TOO_LARGE_TO_SORT)).singleElement().satisfies(d -> {
        assertThat(d.file().location()).isEqualTo(big);
        assertThat(d.detail()).contains("not recorded as sorted", "compaction.memory_budget_bytes");
      });
      assertThat(plan.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).hasSize(3));
      CompactionResult result = lake.compactor().compact(SPANS).minInputFiles(2).force(true).execute();
      assertThat(result.filesRemoved()).isEqualTo(3);
    }
    assertThat(readWithIceberg()).isEqualTo(before);
    CatalogTable t = catalog.loadTable(SPANS);
    assertThat(t.liveFiles()).hasSize(2).anySatisfy(f -> assertThat(f.location()).isEqualTo(big));
  }

  @Test
  void partitionWithRowLevelDeletesIsPlannedOutWithItsReasonAndItsDeletedRowStaysDeleted() throws IOException {
    Random random = new Random(9);
    Instant hour = clock.instant().minus(5, ChronoUnit.HOURS).truncatedTo(ChronoUnit.HOURS);
    Instant other = hour.minus(1, ChronoUnit.HOURS);
    for (int file = 0; file < 3; file++) {
      write(iceberg(), records(random, hour, 50), true);
      write(iceberg(), records(random, other, 50), true);
    }
    Table table = iceberg();
    String target = catalog.loadTable(SPANS).liveFiles().stream()
        .filter(f -> dev.lakelifecycle.api.PartitionSpec.startOf(f.partition()).equals(hour)).findFirst().orElseThrow().location();
    PartitionData partition = new PartitionData(table.spec().partitionType());
    partition.set(0, (int) ChronoUnit.HOURS.between(Instant.EPOCH, hour));
    OutputFile out = table.io().newOutputFile(
        table.locationProvider().newDataLocation(table.spec(), partition, "pos-deletes.parquet"));
    PositionDeleteWriter<Record> deletes = Parquet.writeDeletes(out).withSpec(table.spec()).withPartition(partition)
        .overwrite().buildPositionWriter();
    try (deletes) {
      deletes.write(PositionDelete.<Record>create().set(target, 0));
    }
    table.newRowDelta().addDeletes(deletes.toDeleteFile()).commit();
    Map<String, Integer> afterDelete = readWithIceberg();
    assertThat(afterDelete.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(299);

    try (Lifecycle lake = lifecycle(32L << 20)) {
      CompactionPlan plan = lake.compactor().compact(SPANS).minInputFiles(2).force(true).plan();
      assertThat(plan.decisions(CompactionPlan.Reason.KEPT_BY_CATALOG)).hasSize(3).allSatisfy(d -> {
        assertThat(d.detail()).contains("row-level delete files");
        assertThat(d.file().partition()).isEqualTo(catalog.loadTable(SPANS).partitionSpec().partitionOf(hour));
      });
      assertThat(plan.groups()).singleElement().satisfies(g -> assertThat(g.partition())
          .isEqualTo(catalog.loadTable(SPANS).partitionSpec().partitionOf(other)));
      assertThat(lake.compactor().compact(SPANS).minInputFiles(2).force(true).execute().filesRemoved()).isEqualTo(3);
    }
    assertThat(readWithIceberg()).isEqualTo(afterDelete);
  }

  private static List<Record> readFile(Table table, org.apache.iceberg.DataFile f) throws IOException {
    List<Record> out = new ArrayList<>();
    try (CloseableIterable<Record> records = Parquet.read(table.io().newInputFile(f.location())).project(SCHEMA)
        .createReaderFunc(type -> GenericParquetReaders.buildReader(SCHEMA, type)).build()) {
      records.forEach(r -> out.add(r.copy()));
    }
    return out;
  }

  private Map<String, Integer> readWithIceberg() throws IOException {
    Map<String, Integer> rows = new TreeMap<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(iceberg()).build()) {
      for (Record r : records) {
        rows.merge(r.getField("ts") + "|" + r.getField("service") + "|" + r.getField("msg"), 1, Integer::sum);
      }
    }
    return rows;
  }

  private static List<Record> records(Random random, Instant hour, int count) {
    List<Record> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      GenericRecord r = GenericRecord.create(SCHEMA);
      r.setField("ts", OffsetDateTime.ofInstant(hour.plusMillis(random.nextInt(3_600_000)), ZoneOffset.UTC));
      r.setField("service", SERVICES[random.nextInt(SERVICES.length)]);
      r.setField("msg", random.nextInt(4) == 0 ? null : "m" + random.nextLong());
      out.add(r);
    }
    return out;
  }

  /** Appends one file written by Iceberg's generic writer; sorted and recorded with the table's order if asked. */
  private static void write(Table table, List<Record> records, boolean sorted) throws IOException {
    if (sorted) {
      records = new ArrayList<>(records);
      records.sort(ORDER);
    }
    OffsetDateTime ts = (OffsetDateTime) records.get(0).getField("ts");
    PartitionData partition = new PartitionData(table.spec().partitionType());
    partition.set(0, (int) ChronoUnit.HOURS.between(Instant.EPOCH, ts.toInstant().truncatedTo(ChronoUnit.HOURS)));
    OutputFile out = table.io().newOutputFile(
        table.locationProvider().newDataLocation(table.spec(), partition, "plain-" + System.nanoTime() + ".parquet"));
    FileAppender<Record> writer = Parquet.write(out).schema(table.schema())
        .createWriterFunc(type -> GenericParquetWriter.create(table.schema(), type)).build();
    try (writer) {
      writer.addAll(records);
    }
    DataFiles.Builder file = DataFiles.builder(table.spec()).withPath(out.location()).withFormat(FileFormat.PARQUET)
        .withFileSizeInBytes(writer.length()).withMetrics(writer.metrics()).withPartition(partition);
    if (sorted) {
      file.withSortOrder(table.sortOrder());
    }
    table.newAppend().appendFile(file.build()).commit();
  }
}
