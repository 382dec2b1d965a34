package dev.lakelifecycle.core.internal.staging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.SchemaEvolutionUnsupportedException;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.LifecycleConfig.Staging.Durability;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.internal.parquet.ParquetRows;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Failure;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Operation;
import dev.lakelifecycle.testkit.ForwardingCatalogTable;
import dev.lakelifecycle.testkit.ForwardingTableCatalog;
import dev.lakelifecycle.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3's schema rule end to end on real components (manifest catalog on a local store, Parquet files read
 * back): a batch adding nullable columns evolves the table once; records staged before read null there, also
 * after a crash; older producers keep working; anything else is refused naming the columns.
 */
class SchemaEvolutionTest {
  static final TableSchema SCHEMA = DefaultStagerTest.SCHEMA;
  static final TableSchema WIDE = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .required("id", TableSchema.Type.LONG)
      .column("msg", TableSchema.Type.STRING)
      .column("host", TableSchema.Type.STRING)
      .column("bytes", TableSchema.Type.LONG)
      .build();
  static final TableId LOGS = DefaultStagerTest.LOGS;
  static final Instant T0 = DefaultStagerTest.T0;

  @TempDir Path dir;
  @TempDir Path spoolDir;
  final MutableClock clock = MutableClock.at("2026-01-15T12:00:00Z");
  LocalObjectStore local;
  FaultInjectingObjectStore store;
  DelegatingCatalog catalog;
  final List<DefaultStager> open = new ArrayList<>();
  final List<String> expected = new ArrayList<>();
  long nextId;

  @BeforeEach
  void setUp() {
    local = new LocalObjectStore(dir);
    store = FaultInjectingObjectStore.wrap(local);
    catalog = new DelegatingCatalog(new ManifestCatalog(local, clock));
    catalog.createTable(LOGS, SCHEMA, PartitionSpec.hourly("ts"));
  }

  @AfterEach
  void tearDown() {
    store.clearFaults();
    open.forEach(DefaultStager::close);
    catalog.close();
    local.close();
  }

  DefaultStager open() {
    return open(catalog);
  }

  DefaultStager open(TableCatalog over) {
    DefaultStager s = new DefaultStager(store, over,
        new LifecycleConfig.Staging(1_000_000, 1L << 40, Duration.ofDays(1), Map.of()).withDirectory(spoolDir)
            .withDurability(Durability.GROUP, false), clock, new SimpleMeterRegistry(), "writer-1");
    open.add(s);
    return s;
  }

  /** A batch of the table's first schema; its rows are expected to read back with null host and bytes. */
  RowBatch narrow(int rows) {
    RowBatch.Builder b = RecordBatch.builder(SCHEMA);
    for (int i = 0; i < rows; i++) {
      long id = nextId++;
      String msg = id % 3 == 0 ? null : "m" + id;
      b.row(T0.plus(id, ChronoUnit.MINUTES), id, msg);
      expected.add(id + "|" + msg + "|null|null");
    }
    return b.build();
  }

  /** A batch with two new nullable columns. */
  RowBatch wide(int rows) {
    RowBatch.Builder b = RecordBatch.builder(WIDE);
    for (int i = 0; i < rows; i++) {
      long id = nextId++;
      String host = id % 4 == 0 ? null : "h" + id;
      b.row(T0.plus(id, ChronoUnit.MINUTES), id, "m" + id, host, id * 10);
      expected.add(id + "|m" + id + "|" + host + "|" + id * 10);
    }
    return b.build();
  }

  /** Every committed row as "id|msg|host|bytes", each file read as the table's current schema, sorted. */
  List<String> committedRows() {
    CatalogTable t = catalog.loadTable(LOGS);
    TableSchema schema = t.schema();
    List<String> out = new ArrayList<>();
    for (DataFile f : t.liveFiles()) {
      for (Object[] r : ParquetRows.read(local, local.keyOf(f.location()).orElseThrow()).rowsAs(schema)) {
        out.add(r[schema.indexOf("id")] + "|" + r[schema.indexOf("msg")] + "|" + r[schema.indexOf("host")] + "|"
            + r[schema.indexOf("bytes")]);
      }
    }
    Collections.sort(out);
    return out;
  }

  List<String> expectedRows() {
    List<String> out = new ArrayList<>(expected);
    Collections.sort(out);
    return out;
  }

  long versionDocuments() {
    try (Stream<ObjectInfo> s = local.list(LOGS.path() + "/_lifecycle/v")) {
      return s.count();
    }
  }

  @Test
  void aBatchWithNewNullableColumnsEvolvesTheTableOnceAndRecordsStagedBeforeReadNull() {
    DefaultStager s = open();
    s.append(LOGS, narrow(5));

    s.append(LOGS, wide(4));
    long afterEvolution = versionDocuments();
    s.append(LOGS, wide(3));
    s.flush(LOGS);

    assertThat(catalog.loadTable(LOGS).schema()).isEqualTo(WIDE);
    assertThat(afterEvolution).as("created + one schema change").isEqualTo(2);
    assertThat(versionDocuments()).as("plus one append").isEqualTo(3);
    assertThat(committedRows()).isEqualTo(expectedRows());
    for (DataFile f : catalog.loadTable(LOGS).liveFiles()) {
      // One flush, one schema: the records staged before the change were written with nulls in its columns.
      assertThat(ParquetRows.read(local, local.keyOf(f.location()).orElseThrow()).tableSchema()).isEqualTo(WIDE);
    }
  }

  @Test
  void filesFlushedBeforeTheChangeReadNullInTheNewColumns() {
    DefaultStager s = open();
    s.append(LOGS, narrow(6));
    s.flush(LOGS);
    s.append(LOGS, wide(6));
    s.flush(LOGS);

    assertThat(catalog.loadTable(LOGS).liveFiles()).hasSize(2);
    assertThat(committedRows()).isEqualTo(expectedRows());
    assertThat(committedRows()).filteredOn(r -> r.endsWith("|null|null")).hasSize(6);
  }

  @Test
  void batchesOfOlderProducersLackingNullableColumnsAndBatchesInAnotherColumnOrderAreAccepted() {
    DefaultStager s = open();
    s.append(LOGS, wide(3));
    s.append(LOGS, narrow(4));
    TableSchema reordered = TableSchema.builder()
        .column("host", TableSchema.Type.STRING)
        .required("id", TableSchema.Type.LONG)
        .required("ts", TableSchema.Type.TIMESTAMP)
        .build();
    long id = nextId++;
    s.append(LOGS, RecordBatch.builder(reordered).row("h" + id, id, T0.plus(id, ChronoUnit.MINUTES)).build());
    expected.add(id + "|null|h" + id + "|null");
    s.flush(LOGS);

    assertThat(catalog.loadTable(LOGS).schema()).isEqualTo(WIDE);
    assertThat(committedRows()).isEqualTo(expectedRows());
  }

  @Test
  void refusesIncompatibleBatchesNamingTheColumnsAndLeavesTheSchemaUnchanged() {
    DefaultStager s = open();
    TableSchema requiredNew = TableSchema.builder()
        .required("ts", TableSchema.Type.TIMESTAMP)
        .required("id", TableSchema.Type.LONG)
        .column("msg", TableSchema.Type.STRING)
        .required("status", TableSchema.Type.INT)
        .build();
    TableSchema retyped = TableSchema.builder()
        .required("ts", TableSchema.Type.TIMESTAMP)
        .required("id", TableSchema.Type.STRING)
        .column("host", TableSchema.Type.STRING)
        .build();
    TableSchema noId = TableSchema.builder()
        .required("ts", TableSchema.Type.TIMESTAMP)
        .column("msg", TableSchema.Type.STRING)
        .build();

    assertThatThrownBy(() -> s.append(LOGS, RecordBatch.builder(requiredNew).row(T0, 1L, "x", 200).build()))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("Cannot append to acme/prod/logs")
        .hasMessageContaining("extra column 'status' (int not null) is not nullable");
    assertThatThrownBy(() -> s.append(LOGS, RecordBatch.builder(retyped).row(T0, "1", "h").build()))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("column 'id' is string in the batch but long in the table")
        .hasMessageContaining("accepted on their own: missing column 'msg' (string); extra column 'host' (string)");
    assertThatThrownBy(() -> s.append(LOGS, RecordBatch.builder(noId).row(T0, "x").build()))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("missing column 'id' (long not null)");
    assertThat(catalog.loadTable(LOGS).schema()).isEqualTo(SCHEMA);
    assertThat(versionDocuments()).isEqualTo(1);
    assertThat(s.stagedRows(LOGS)).isZero();
  }

  @Test
  void refusesABatchMissingANullablePartitionColumn() {
    TableId events = TableId.of("acme", "prod", "events");
    catalog.createTable(events, TableSchema.builder().column("ts", TableSchema.Type.TIMESTAMP)
        .column("msg", TableSchema.Type.STRING).build(), PartitionSpec.daily("ts"));
    DefaultStager s = open();
    TableSchema noTs = TableSchema.builder().column("msg", TableSchema.Type.STRING).build();

    assertThatThrownBy(() -> s.append(events, RecordBatch.builder(noTs).row("x").build()))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("missing partition column 'ts'");
  }

  @Test
  void refusesNewColumnsWithASchemaMismatchWhenTheCatalogCannotEvolveSchemas() {
    TableCatalog fixed = new ForwardingTableCatalog(catalog) {
      @Override
      public CatalogTable loadTable(TableId id) {
        return new ForwardingCatalogTable(super.loadTable(id)) {
          @Override
          public TableSchema addColumns(List<TableSchema.Column> columns) {
            throw new SchemaEvolutionUnsupportedException("Cannot add columns to " + id() + ": not supported here");
          }
        };
      }
    };
    DefaultStager s = open(fixed);

    assertThatThrownBy(() -> s.append(LOGS, wide(2)))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("adds columns [host, bytes]")
        .hasMessageContaining("cannot evolve schemas")
        .hasCauseInstanceOf(SchemaEvolutionUnsupportedException.class);
    assertThat(catalog.loadTable(LOGS).schema()).isEqualTo(SCHEMA);
    assertThat(s.stagedRows(LOGS)).isZero();
  }

  @Test
  void recordsOfBothSchemasAreRecoveredAfterACrashDuringTheirFlush() {
    DefaultStager first = open();
    first.append(LOGS, narrow(5));
    first.append(LOGS, wide(5));
    first.append(LOGS, narrow(2));
    store.failNext(Operation.CREATE, 1, k -> k.startsWith(LOGS.path() + "/data/"), Failure.FAIL);
    assertThatThrownBy(() -> first.flush(LOGS)).isInstanceOf(RuntimeException.class);
    open.remove(first);
    first.abandon();

    // Background flushing is off here, so opening flushes the 12 recovered rows before it returns.
    DefaultStager second = open();

    assertThat(committedRows()).isEqualTo(expectedRows());
    assertThat(second.stagedRows(LOGS)).isZero();
  }

  @Test
  void aFlushAcrossTheChangeWhoseAcknowledgementWasLostCommitsOnceAfterACrash() {
    DefaultStager first = open();
    first.append(LOGS, narrow(3));
    first.append(LOGS, wide(3));
    catalog.failNextAppends(1, DelegatingCatalog.Failure.AFTER_COMMIT);
    assertThatThrownBy(() -> first.flush(LOGS)).isInstanceOf(RuntimeException.class);
    open.remove(first);
    first.abandon();

    DefaultStager second = open();
    second.flush(LOGS);
    second.append(LOGS, wide(2));
    second.flush(LOGS);

    assertThat(committedRows()).isEqualTo(expectedRows());
  }

  @Test
  void compactionOfFilesWrittenBeforeAndAfterTheChangeKeepsEveryRow() {
    DefaultStager s = open();
    for (int i = 0; i < 2; i++) {
      s.append(LOGS, narrow(5));
      s.flush(LOGS);
    }
    for (int i = 0; i < 2; i++) {
      s.append(LOGS, wide(5));
      s.flush(LOGS);
    }
    List<String> before = committedRows();
    assertThat(catalog.loadTable(LOGS).liveFiles()).hasSize(4);

    try (Lifecycle lake = Lifecycle.builder().store(local).catalog(catalog).clock(clock).writerId("compactor")
        .build()) {
      CompactionPlan plan = lake.compactor().compact(LOGS).force(true).minInputFiles(2).plan();
      CompactionResult result = lake.compactor().compact(LOGS).force(true).minInputFiles(2).execute();

      // Files of the two Parquet schemas are never merged together: one group per schema.
      assertThat(plan.groups()).hasSize(2);
      assertThat(result.filesRemoved()).isEqualTo(4);
      assertThat(result.filesAdded()).isEqualTo(2);
    }
    assertThat(committedRows()).isEqualTo(before).isEqualTo(expectedRows());
  }
}
