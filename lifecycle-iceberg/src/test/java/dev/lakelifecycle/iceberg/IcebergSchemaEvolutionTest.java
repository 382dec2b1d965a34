package dev.lakelifecycle.iceberg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A staged batch with a new nullable column evolves an Iceberg table through {@code UpdateSchema}; Iceberg's own
 * reader sees null in that column for rows flushed before, and the values for rows flushed after.
 */
class IcebergSchemaEvolutionTest {
  private static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .column("msg", TableSchema.Type.STRING)
      .build();
  private static final TableSchema WIDE = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .column("msg", TableSchema.Type.STRING)
      .column("host", TableSchema.Type.STRING)
      .build();
  private static final TableId LOGS = TableId.of("acme", "prod", "logs");

  @TempDir Path dir;
  final MutableClock clock = MutableClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  ObjectStore store;
  IcebergTableCatalog catalog;

  @BeforeEach
  void open() {
    store = LocalObjectStore.builder(dir.resolve("store")).clock(clock).build();
    catalog = IcebergTableCatalog.jdbc("lake", "jdbc:sqlite:" + dir.resolve("catalog.db"), store, "warehouse",
        Map.of());
  }

  @AfterEach
  void close() {
    catalog.close();
    store.close();
  }

  @Test
  void stagedBatchWithANewColumnEvolvesTheIcebergSchemaAndOldRowsReadNull() throws IOException {
    Instant ts = clock.instant().minus(1, ChronoUnit.HOURS);
    List<String> expected = new ArrayList<>();
    try (Lifecycle lake = Lifecycle.builder().store(store).catalog(catalog).clock(clock).writerId("w1").build()) {
      lake.catalog().createTable(LOGS, SCHEMA, PartitionSpec.hourly("ts"));
      RowBatch.Builder before = RecordBatch.builder(SCHEMA);
      for (int i = 0; i < 3; i++) {
        before.row(ts.plusSeconds(i), "old" + i);
        expected.add("old" + i + "|null");
      }
      lake.stager().append(LOGS, before.build());
      lake.stager().flush(LOGS);
      RowBatch.Builder after = RecordBatch.builder(WIDE);
      for (int i = 0; i < 3; i++) {
        after.row(ts.plusSeconds(10 + i), "new" + i, i == 1 ? null : "h" + i);
        expected.add("new" + i + "|" + (i == 1 ? null : "h" + i));
      }
      lake.stager().append(LOGS, after.build());
      lake.stager().flush(LOGS);
      assertThat(lake.catalog().loadTable(LOGS).schema()).isEqualTo(WIDE);
    }

    Table table = catalog.iceberg().loadTable(TableIdentifier.of("acme", "prod", "logs"));
    assertThat(table.schema().findField("host").isOptional()).isTrue();
    List<String> rows = new ArrayList<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record r : records) {
        rows.add(r.getField("msg") + "|" + r.getField("host"));
      }
    }
    Collections.sort(rows);
    Collections.sort(expected);
    assertThat(rows).isEqualTo(expected);
  }
}
