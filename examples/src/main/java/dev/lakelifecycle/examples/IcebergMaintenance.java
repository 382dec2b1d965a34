package dev.lakelifecycle.examples;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.iceberg.IcebergTableCatalog;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionData;
import org.apache.iceberg.Schema;
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
import org.apache.iceberg.types.Types;

/**
 * Maintains an existing Apache Iceberg table: compacts its small files through Iceberg's rewrite, expires
 * old snapshots through Iceberg's {@code ExpireSnapshots}, sweeps the files no snapshot references any
 * more, and prints what it did and that Iceberg's own reader sees the same rows before and after.
 *
 * <p>Usage: {@code IcebergMaintenance [<directory>]}. The directory holds the JDBC catalog
 * ({@code catalog.db}, SQLite) and the warehouse ({@code warehouse/}); if it has no table
 * {@code acme/prod/logs} yet, one is created and written with plain Iceberg APIs (twenty small files), as
 * another engine would have. Without an argument a temporary directory is used. Run with:
 * {@code mvn -q -pl examples exec:java -Dexec.mainClass=dev.lakelifecycle.examples.IcebergMaintenance}
 */
public final class IcebergMaintenance {
  private static final TableId LOGS = TableId.of("acme", "prod", "logs");
  private static final TableIdentifier IDENT = TableIdentifier.of("acme", "prod", "logs");

  private IcebergMaintenance() {}

  public static void main(String[] args) throws IOException {
    Path dir = args.length > 0 ? Paths.get(args[0]) : Files.createTempDirectory("iceberg-maintenance");
    run(dir, System.out);
  }

  /** Maintains the table under {@code dir}; returns the rows read before (equal to those after). */
  static long run(Path dir, PrintStream out) throws IOException {
    Files.createDirectories(dir);
    try (LocalObjectStore store = LocalObjectStore.create(dir.resolve("warehouse"));
        IcebergTableCatalog catalog = IcebergTableCatalog.jdbc("lake", "jdbc:sqlite:" + dir.resolve("catalog.db"),
            store, "", Map.of())) {
      if (!catalog.tableExists(LOGS)) {
        writeWithPlainIceberg(catalog);
        out.printf("Created %s with plain Iceberg APIs: %d snapshots%n", IDENT,
            catalog.loadTable(LOGS).snapshots().size());
      }
      long before = countRows(catalog);
      CatalogTable table = catalog.loadTable(LOGS);
      out.printf("Before: %d rows in %d data files, %d snapshots%n", before, table.liveFiles().size(),
          table.snapshots().size());
      // The example runs in seconds; its lifecycle clock runs two hours ahead so that the files it leaves
      // unreferenced are past the sweeper's one-hour minimum grace period. A real host uses the system clock.
      Clock later = Clock.offset(Clock.systemUTC(), Duration.ofHours(2));
      try (Lifecycle lake = Lifecycle.builder().store(store).catalog(catalog).clock(later).writerId("maintenance")
          .build()) {
        CompactionResult compacted = lake.compactor().compact(LOGS).minInputFiles(2).force(true).execute();
        out.printf("Compacted: %d files into %d%n", compacted.filesRemoved(), compacted.filesAdded());
        List<TableSnapshot> expired = catalog.loadTable(LOGS).expireSnapshots(1, Instant.now().plusSeconds(1),
            Set.of());
        out.printf("Expired: %d snapshots%n", expired.size());
        SweepResult swept = lake.sweeper().sweep(LOGS).olderThan(Duration.ofHours(1)).execute();
        out.printf("Swept: %d unreferenced files deleted (%d bytes), %d referenced files kept%n", swept.filesDeleted(),
            swept.bytesFreed(), swept.referencedFiles());
      }
      long after = countRows(catalog);
      table = catalog.loadTable(LOGS);
      out.printf("After: %d rows in %d data files, %d snapshots (Iceberg's reader; %s)%n", after,
          table.liveFiles().size(), table.snapshots().size(), after == before ? "same rows" : "ROWS DIFFER");
      if (after != before) {
        throw new IllegalStateException("Row count changed from " + before + " to " + after);
      }
      return before;
    }
  }

  private static long countRows(IcebergTableCatalog catalog) throws IOException {
    long n = 0;
    try (CloseableIterable<Record> rows = IcebergGenerics.read(catalog.iceberg().loadTable(IDENT)).build()) {
      for (Record ignored : rows) {
        n++;
      }
    }
    return n;
  }

  private static void writeWithPlainIceberg(IcebergTableCatalog catalog) throws IOException {
    Schema schema = new Schema(
        Types.NestedField.required(1, "ts", Types.TimestampType.withZone()),
        Types.NestedField.optional(2, "msg", Types.StringType.get()));
    org.apache.iceberg.catalog.SupportsNamespaces ns = (org.apache.iceberg.catalog.SupportsNamespaces) catalog.iceberg();
    if (!ns.namespaceExists(IDENT.namespace())) {
      ns.createNamespace(IDENT.namespace());
    }
    Table table = catalog.iceberg().buildTable(IDENT, schema)
        .withPartitionSpec(org.apache.iceberg.PartitionSpec.builderFor(schema).hour("ts").build())
        .create();
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);
    PartitionData partition = new PartitionData(table.spec().partitionType());
    partition.set(0, (int) ChronoUnit.HOURS.between(Instant.EPOCH, hour));
    for (int file = 0; file < 20; file++) {
      List<Record> records = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        GenericRecord r = GenericRecord.create(schema);
        r.setField("ts", OffsetDateTime.ofInstant(hour.plusSeconds(file * 60L + i), ZoneOffset.UTC));
        r.setField("msg", "file " + file + " row " + i);
        records.add(r);
      }
      OutputFile outFile = table.io().newOutputFile(
          table.locationProvider().newDataLocation(table.spec(), partition, "small-" + file + ".parquet"));
      FileAppender<Record> writer = Parquet.write(outFile).schema(schema)
          .createWriterFunc(type -> GenericParquetWriter.create(schema, type)).build();
      try (writer) {
        writer.addAll(records);
      }
      table.newAppend().appendFile(DataFiles.builder(table.spec()).withPath(outFile.location())
          .withFormat(FileFormat.PARQUET).withFileSizeInBytes(writer.length()).withMetrics(writer.metrics())
          .withPartition(partition).build()).commit();
    }
  }
}
