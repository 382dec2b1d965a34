package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.sweep.PrefixMismatchMode;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionData;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.FileAppender;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Iceberg {@code JdbcCatalog} on SQLite with its warehouse in an {@link ObjectStore} (local disk here,
 * S3 in the {@code *OnS3Test} subclasses), the lifecycle over it, and Iceberg's own writer and reader.
 */
abstract class IcebergFixture {
  static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .column("level", TableSchema.Type.STRING)
      .column("msg", TableSchema.Type.STRING)
      .build();
  static final TableId LOGS = TableId.of("acme", "prod", "logs");
  static final TableIdentifier LOGS_IDENT = TableIdentifier.of("acme", "prod", "logs");

  @TempDir Path dir;
  // Iceberg stamps snapshots with the wall clock: the lifecycle's clock starts there too.
  final MutableClock clock = MutableClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  ObjectStore store;
  IcebergTableCatalog catalog;

  @BeforeEach
  void openCatalog() {
    store = newStore();
    catalog = IcebergTableCatalog.jdbc("lake", "jdbc:sqlite:" + dir.resolve("catalog.db"), store, "warehouse",
        Map.of());
  }

  /** The store the warehouse lives in: local disk, stamped by the test clock. */
  ObjectStore newStore() {
    return LocalObjectStore.builder(dir.resolve("store")).clock(clock).build();
  }

  @AfterEach
  void closeCatalog() {
    catalog.close();
    store.close();
  }

  Lifecycle lifecycle(TableCatalog over) {
    LifecycleConfig config = LifecycleConfig.builder()
        .retention(new LifecycleConfig.RetentionSettings(Map.of("logs", Retention.days(2)), Map.of(), Map.of(),
            Duration.ofHours(1), 1, null, Duration.ofHours(1), false, Duration.ofHours(1)))
        .sweep(new LifecycleConfig.Sweep(Duration.ofHours(1), Duration.ofHours(1), 1000, false, Duration.ofHours(24),
            true, PrefixMismatchMode.FAIL, null))
        .build();
    return Lifecycle.builder().store(store).catalog(over).clock(clock).config(config).writerId("w1").build();
  }

  Lifecycle lifecycle() {
    return lifecycle(catalog);
  }

  Table iceberg() {
    return catalog.iceberg().loadTable(LOGS_IDENT);
  }

  void createLogs() {
    catalog.createTable(LOGS, SCHEMA, PartitionSpec.hourly("ts"));
  }

  /** Rows of the table's current snapshot as "ts|level|msg" -> count, read by Iceberg's generic reader. */
  Map<String, Integer> readWithIceberg() {
    return rows(IcebergGenerics.read(iceberg()));
  }

  /** Rows the scan reads, as "ts|level|msg" -> count. */
  static Map<String, Integer> rows(IcebergGenerics.ScanBuilder scan) {
    Map<String, Integer> rows = new TreeMap<>();
    try (CloseableIterable<Record> records = scan.build()) {
      for (Record r : records) {
        rows.merge(key(((OffsetDateTime) r.getField("ts")).toInstant(), (String) r.getField("level"),
            (String) r.getField("msg")), 1, Integer::sum);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  static String key(Instant ts, String level, String msg) {
    return ts + "|" + level + "|" + msg;
  }

  /** Stages and flushes {@code n} rows from {@code start}, one second apart; adds them to {@code expected}. */
  static void flushRows(Lifecycle lake, Instant start, int n, String prefix, Map<String, Integer> expected) {
    RowBatch.Builder b = RecordBatch.builder(SCHEMA);
    for (int i = 0; i < n; i++) {
      Instant ts = start.plusSeconds(i);
      String level = i % 3 == 0 ? null : (i % 3 == 1 ? "INFO" : "WARN");
      String msg = prefix + "-" + i;
      b.row(ts, level, msg);
      expected.merge(key(ts, level, msg), 1, Integer::sum);
    }
    lake.stager().append(LOGS, b.build());
    lake.stager().flush(LOGS);
  }

  static Record record(Table table, Instant ts, String level, String msg) {
    GenericRecord r = GenericRecord.create(table.schema());
    r.setField("ts", OffsetDateTime.ofInstant(ts, ZoneOffset.UTC));
    r.setField("level", level);
    r.setField("msg", msg);
    return r;
  }

  static PartitionData hourPartition(Table table, Instant hour) {
    PartitionData partition = new PartitionData(table.spec().partitionType());
    partition.set(0, (int) ChronoUnit.HOURS.between(Instant.EPOCH, hour.truncatedTo(ChronoUnit.HOURS)));
    return partition;
  }

  /** Writes one Parquet file with Iceberg's generic writer (the table's metrics config) in {@code hour}'s hour. */
  static DataFile writeWithIceberg(Table table, List<Record> records, Instant hour) {
    PartitionData partition = hourPartition(table, hour);
    OutputFile out = table.io().newOutputFile(
        table.locationProvider().newDataLocation(table.spec(), partition, "plain-" + System.nanoTime() + ".parquet"));
    FileAppender<Record> writer;
    try {
      writer = Parquet.write(out).schema(table.schema()).setAll(table.properties())
          .metricsConfig(org.apache.iceberg.MetricsConfig.forTable(table))
          .createWriterFunc(type -> GenericParquetWriter.create(table.schema(), type)).build();
      try (writer) {
        writer.addAll(records);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return DataFiles.builder(table.spec()).withPath(out.location()).withFormat(FileFormat.PARQUET)
        .withFileSizeInBytes(writer.length()).withMetrics(writer.metrics()).withPartition(partition).build();
  }
}
