package dev.lakelifecycle.core.internal.staging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.NoSuchTableException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.staging.FlushResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.internal.parquet.ParquetRows;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Failure;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Operation;
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
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultStagerTest {
  static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .required("id", TableSchema.Type.LONG)
      .column("msg", TableSchema.Type.STRING)
      .build();
  static final TableId LOGS = TableId.of("acme", "prod", "logs");
  static final TableId TRACES = TableId.of("acme", "prod", "traces");
  static final Instant T0 = Instant.parse("2026-01-15T10:00:00Z");

  @TempDir Path dir;
  @TempDir Path spoolDir;
  final MutableClock clock = MutableClock.at("2026-01-15T12:00:00Z");
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  ObjectStore local;
  FaultInjectingObjectStore store;
  DelegatingCatalog catalog;
  DefaultStager stager;
  long nextId;

  @BeforeEach
  void open() {
    local = new LocalObjectStore(dir);
    store = FaultInjectingObjectStore.wrap(local);
    catalog = new DelegatingCatalog(new ManifestCatalog(local, clock));
    catalog.createTable(LOGS, SCHEMA, PartitionSpec.hourly("ts"));
    catalog.createTable(TRACES, SCHEMA, PartitionSpec.daily("ts"));
  }

  @AfterEach
  void close() {
    if (stager != null) {
      stager.close();
    }
    catalog.close();
    local.close();
  }

  DefaultStager stager(long maxRows, long maxBytes, Duration maxAge) {
    // Inline flushing keeps these tests deterministic; the background flusher has its own tests.
    stager = new DefaultStager(store, catalog,
        new LifecycleConfig.Staging(maxRows, maxBytes, maxAge, Map.of()).withDirectory(spoolDir)
            .withDurability(LifecycleConfig.Staging.Durability.GROUP, false), clock, registry, "writer-1");
    return stager;
  }

  DefaultStager stager() {
    return stager(1_000_000, 1L << 40, Duration.ofDays(1));
  }

  /** A batch of {@code rows} rows with fresh ids, timestamps {@code minutesApart} minutes apart from {@code start}. */
  RowBatch batch(Instant start, int rows, int minutesApart) {
    RowBatch.Builder b = RecordBatch.builder(SCHEMA);
    for (int i = 0; i < rows; i++) {
      long id = nextId++;
      b.row(start.plus((long) i * minutesApart, ChronoUnit.MINUTES), id, id % 3 == 0 ? null : "m-" + id + "-é");
    }
    return b.build();
  }

  static List<String> rowsOf(RecordBatch... batches) {
    List<String> out = new ArrayList<>();
    for (RecordBatch b : batches) {
      for (int r = 0; r < b.rowCount(); r++) {
        out.add(b.getLong(0, r) + "|" + b.getLong(1, r) + "|" + b.get(2, r));
      }
    }
    Collections.sort(out);
    return out;
  }

  /** Every committed row of {@code table}, read back from its live files, sorted. */
  List<String> committedRows(TableId table) {
    CatalogTable t = catalog.loadTable(table);
    List<String> out = new ArrayList<>();
    for (DataFile f : t.liveFiles()) {
      for (Object[] r : ParquetRows.read(local, local.keyOf(f.location()).orElseThrow()).rows()) {
        out.add(r[0] + "|" + r[1] + "|" + r[2]);
      }
    }
    Collections.sort(out);
    return out;
  }

  List<String> dataKeys(TableId table) {
    try (Stream<ObjectInfo> s = local.list(table.path() + "/data/")) {
      return s.map(ObjectInfo::key).collect(Collectors.toList());
    }
  }

  double meter(String name, TableId table, String tagKey, String tagValue) {
    var search = registry.find(name).tag("table", table.table());
    if (tagKey != null) {
      search = search.tag(tagKey, tagValue);
    }
    var meter = search.meter();
    assertThat(meter).as("meter %s %s=%s", name, tagKey, tagValue).isNotNull();
    return meter.measure().iterator().next().getValue();
  }

  @Test
  void explicitFlushWritesOneFilePerPartitionAndCommitsThemOnce() {
    DefaultStager s = stager();
    RowBatch a = batch(T0, 5, 20);            // 10:00 .. 11:20 -> hours 10 and 11
    RowBatch b = batch(T0.plusSeconds(7200), 3, 1); // 12:00 .. 12:02 -> hour 12
    s.append(LOGS, a);
    s.append(LOGS, b);
    assertThat(s.stagedRows(LOGS)).isEqualTo(8);

    FlushResult r = s.flush(LOGS);

    assertThat(r.table()).isEqualTo(LOGS);
    assertThat(r.batches()).isEqualTo(2);
    assertThat(r.rows()).isEqualTo(8);
    assertThat(r.files()).extracting(DataFile::partition)
        .containsExactly("hour=2026-01-15-10", "hour=2026-01-15-11", "hour=2026-01-15-12");
    assertThat(r.files()).extracting(DataFile::recordCount).containsExactly(3L, 2L, 3L);
    assertThat(r.files()).allSatisfy(f -> {
      assertThat(f.writerId()).isEqualTo("writer-1");
      assertThat(f.createdAt()).isEqualTo(clock.instant());
      assertThat(local.keyOf(f.location()).orElseThrow())
          .matches("acme/prod/logs/data/" + f.partition() + "/writer-1-[0-9a-f-]{36}\\.parquet");
      assertThat(f.sizeBytes()).isEqualTo(local.stat(local.keyOf(f.location()).orElseThrow()).orElseThrow().size());
      assertThat(f.columnStats()).containsKeys("ts", "id", "msg");
    });
    assertThat(r.files().get(0).columnStats().get("ts").min()).isEqualTo("2026-01-15T10:00:00Z");
    CatalogTable t = catalog.loadTable(LOGS);
    assertThat(t.snapshots()).hasSize(1);
    assertThat(t.snapshots().get(0).operation()).isEqualTo(TableSnapshot.Operation.APPEND);
    assertThat(r.snapshot().snapshotId()).isEqualTo(t.snapshots().get(0).snapshotId());
    assertThat(catalog.appendCalls).hasValue(1);
    assertThat(committedRows(LOGS)).isEqualTo(rowsOf(a, b));
    assertThat(s.stagedRows(LOGS)).isZero();
  }

  @Test
  void flushWithNothingStagedCommitsNothing() {
    DefaultStager s = stager();

    FlushResult r = s.flush(LOGS);

    assertThat(r).isEqualTo(new FlushResult(LOGS, 0, 0, List.of(), null));
    assertThat(s.flushAll()).isEmpty();
    assertThat(catalog.loadTable(LOGS).snapshots()).isEmpty();
  }

  @Test
  void eachFlushUsesANewCommitKey() {
    DefaultStager s = stager();
    s.append(LOGS, batch(T0, 2, 1));
    String first = s.flush(LOGS).snapshot().summary().get(TableSnapshot.COMMIT_KEY);
    s.append(LOGS, batch(T0, 2, 1));
    String second = s.flush(LOGS).snapshot().summary().get(TableSnapshot.COMMIT_KEY);

    assertThat(first).startsWith("writer-1-").isNotEqualTo(second);
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(2);
    assertThat(committedRows(LOGS)).hasSize(4);
  }

  @Test
  void flushesInTheAppendingThreadWhenStagedRowsReachMaxRows() {
    DefaultStager s = stager(10, 1L << 40, Duration.ofDays(1));
    RowBatch a = batch(T0, 6, 1);
    s.append(LOGS, a);
    assertThat(s.stagedRows(LOGS)).isEqualTo(6);
    assertThat(catalog.loadTable(LOGS).snapshots()).isEmpty();

    RowBatch b = batch(T0, 4, 1);
    s.append(LOGS, b);

    assertThat(s.stagedRows(LOGS)).isZero();
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(1);
    assertThat(committedRows(LOGS)).isEqualTo(rowsOf(a, b));
  }

  @Test
  void flushesWhenStagedBytesReachMaxBytes() {
    DefaultStager s = stager(1_000_000, 4_000, Duration.ofDays(1));
    s.append(LOGS, batch(T0, 3, 1));
    assertThat(s.stagedRows(LOGS)).isEqualTo(3);

    RowBatch big = RecordBatch.builder(SCHEMA).row(T0, nextId++, "x".repeat(5_000)).build();
    s.append(LOGS, big);

    assertThat(s.stagedRows(LOGS)).isZero();
    assertThat(committedRows(LOGS)).hasSize(4);
  }

  @Test
  void flushDueFlushesOnlyTablesWhoseOldestBatchReachedMaxAge() {
    DefaultStager s = stager(1_000_000, 1L << 40, Duration.ofSeconds(60));
    s.append(LOGS, batch(T0, 2, 1));
    clock.advance(Duration.ofSeconds(30));
    s.append(TRACES, batch(T0, 2, 1));

    clock.advance(Duration.ofSeconds(29));
    assertThat(s.flushDue()).isEmpty();
    assertThat(meter("lifecycle.staging.oldest.age", LOGS, null, null)).isEqualTo(59.0);

    clock.advance(Duration.ofSeconds(1));
    List<FlushResult> flushed = s.flushDue();

    assertThat(flushed).extracting(FlushResult::table).containsExactly(LOGS);
    assertThat(s.stagedRows(LOGS)).isZero();
    assertThat(s.stagedRows(TRACES)).isEqualTo(2);
    clock.advance(Duration.ofSeconds(30));
    assertThat(s.flushDue()).extracting(FlushResult::table).containsExactly(TRACES);
  }

  @Test
  void appendFlushesAnAgedTableOnTheNextAppend() {
    DefaultStager s = stager(1_000_000, 1L << 40, Duration.ofSeconds(60));
    s.append(LOGS, batch(T0, 2, 1));
    clock.advance(Duration.ofSeconds(61));

    s.append(LOGS, batch(T0, 1, 1));

    assertThat(s.stagedRows(LOGS)).isZero();
    assertThat(committedRows(LOGS)).hasSize(3);
  }

  @Test
  void flushAllFlushesEveryTableWithStagedData() {
    DefaultStager s = stager();
    s.append(LOGS, batch(T0, 2, 1));
    s.append(TRACES, batch(T0, 3, 1));

    List<FlushResult> results = s.flushAll();

    assertThat(results).extracting(FlushResult::table).containsExactly(LOGS, TRACES);
    assertThat(committedRows(LOGS)).hasSize(2);
    assertThat(committedRows(TRACES)).hasSize(3);
  }

  @Test
  void closeFlushesEverythingAndRefusesLaterAppends() {
    DefaultStager s = stager();
    RowBatch a = batch(T0, 4, 50);
    RowBatch b = batch(T0, 2, 1);
    s.append(LOGS, a);
    s.append(TRACES, b);

    s.close();

    assertThat(committedRows(LOGS)).isEqualTo(rowsOf(a));
    assertThat(committedRows(TRACES)).isEqualTo(rowsOf(b));
    assertThatThrownBy(() -> s.append(LOGS, batch(T0, 1, 1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void closeDoesNotThrowWhenAFlushFails() {
    DefaultStager s = stager();
    s.append(LOGS, batch(T0, 2, 1));
    store.failNext(Operation.CREATE, 1, k -> k.startsWith("acme/prod/logs/data/"), Failure.FAIL);

    s.close();

    assertThat(s.stagedRows(LOGS)).isEqualTo(2);
    assertThat(catalog.loadTable(LOGS).snapshots()).isEmpty();
  }

  @Test
  void rejectsABatchWhoseSchemaDiffersNamingEveryColumn() {
    DefaultStager s = stager();
    TableSchema other = TableSchema.builder()
        .required("ts", TableSchema.Type.TIMESTAMP)
        .required("id", TableSchema.Type.STRING)
        .column("level", TableSchema.Type.INT)
        .build();
    TableSchema nullability = TableSchema.builder()
        .column("ts", TableSchema.Type.TIMESTAMP)
        .required("id", TableSchema.Type.LONG)
        .column("msg", TableSchema.Type.STRING)
        .build();

    assertThatThrownBy(() -> s.append(LOGS, RecordBatch.builder(other).row(T0, "1", 1).build()))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("acme/prod/logs")
        .hasMessageContaining("missing column 'msg' (string)")
        .hasMessageContaining("extra column 'level' (int)")
        .hasMessageContaining("column 'id' is string in the batch but long in the table")
        .hasMessageContaining("TableCatalog.loadTable(acme/prod/logs).schema()");
    assertThatThrownBy(() -> s.append(LOGS, RecordBatch.builder(nullability).row(T0, 1L, "x").build()))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("column 'ts' is nullable in the batch but not null in the table");
    assertThat(s.stagedRows(LOGS)).isZero();
  }

  @Test
  void rejectsANullPartitionValueNamingTheRow() {
    TableId events = TableId.of("acme", "prod", "events");
    TableSchema schema = TableSchema.builder()
        .column("ts", TableSchema.Type.TIMESTAMP)
        .required("id", TableSchema.Type.LONG)
        .build();
    catalog.createTable(events, schema, PartitionSpec.daily("ts"));
    DefaultStager s = stager();
    RowBatch b = RecordBatch.builder(schema).row(T0, 1L).row(T0, 2L).row(null, 3L).build();

    assertThatThrownBy(() -> s.append(events, b))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("row 2")
        .hasMessageContaining("partition column 'ts'");
    assertThat(s.stagedRows(events)).isZero();
  }

  @Test
  void rejectsAnUnknownTable() {
    DefaultStager s = stager();

    assertThatThrownBy(() -> s.append(TableId.of("acme", "prod", "nope"), batch(T0, 1, 1)))
        .isInstanceOf(NoSuchTableException.class)
        .hasMessageContaining("acme/prod/nope");
  }

  @Test
  void failedWriteKeepsTheBatchesLeavesNoFileAndTheNextFlushCommitsThemOnce() {
    DefaultStager s = stager();
    RowBatch a = batch(T0, 4, 30);                       // hours 10 and 11
    s.append(LOGS, a);
    // The second partition's file fails to publish: the first one, already written, must be removed too.
    store.failNext(Operation.CREATE, 1, k -> k.startsWith("acme/prod/logs/data/hour=2026-01-15-11/"), Failure.FAIL);

    assertThatThrownBy(() -> s.flush(LOGS))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("hour=2026-01-15-11");

    assertThat(s.stagedRows(LOGS)).isEqualTo(4);
    assertThat(dataKeys(LOGS)).isEmpty();
    assertThat(catalog.loadTable(LOGS).snapshots()).isEmpty();
    assertThat(meter("lifecycle.staging.retried.batches", LOGS, null, null)).isEqualTo(1.0);
    assertThat(meter("lifecycle.staging.flush.rows", LOGS, "outcome", "failure")).isEqualTo(4.0);

    RowBatch b = batch(T0, 2, 1);
    s.append(LOGS, b);
    FlushResult r = s.flush(LOGS);

    assertThat(r.batches()).isEqualTo(2);
    assertThat(r.rows()).isEqualTo(6);
    assertThat(committedRows(LOGS)).isEqualTo(rowsOf(a, b));
    assertThat(dataKeys(LOGS)).hasSize(catalog.loadTable(LOGS).liveFiles().size());
    assertThat(s.stagedRows(LOGS)).isZero();
  }

  @Test
  void lostCommitAcknowledgementIsRecognisedAndNeverDoublesRows() {
    DefaultStager s = stager();
    RowBatch a = batch(T0, 3, 1);
    s.append(LOGS, a);
    catalog.failNextAppends(1, DelegatingCatalog.Failure.AFTER_COMMIT);

    assertThatThrownBy(() -> s.flush(LOGS)).isInstanceOf(LifecycleException.class)
        .hasMessageContaining("acknowledgement");
    assertThat(s.stagedRows(LOGS)).isEqualTo(3);
    List<DataFile> landed = catalog.loadTable(LOGS).liveFiles();
    assertThat(landed).hasSize(1);

    RowBatch b = batch(T0, 2, 1);
    s.append(LOGS, b);
    FlushResult r = s.flush(LOGS);

    assertThat(r.rows()).isEqualTo(5);
    assertThat(committedRows(LOGS)).isEqualTo(rowsOf(a, b));
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(2);
    assertThat(catalog.loadTable(LOGS).liveFiles()).containsAll(landed);
    assertThat(dataKeys(LOGS)).hasSize(2);
  }

  @Test
  void commitFailureIsRetriedWithTheSameKeyReusingTheWrittenFiles() {
    DefaultStager s = stager();
    RowBatch a = batch(T0, 3, 1);
    s.append(LOGS, a);
    catalog.failNextAppends(1, DelegatingCatalog.Failure.BEFORE_COMMIT);
    assertThatThrownBy(() -> s.flush(LOGS)).isInstanceOf(LifecycleException.class);
    List<String> written = dataKeys(LOGS);
    assertThat(written).hasSize(1);

    FlushResult r = s.flush(LOGS);

    assertThat(r.rows()).isEqualTo(3);
    assertThat(dataKeys(LOGS)).isEqualTo(written);
    assertThat(committedRows(LOGS)).isEqualTo(rowsOf(a));
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(1);
  }

  @Test
  void failingFlushTriggeredByAnAppendDoesNotFailTheAppend() {
    DefaultStager s = stager(3, 1L << 40, Duration.ofDays(1));
    store.failNext(Operation.CREATE, 1, k -> k.startsWith("acme/prod/logs/data/"), Failure.FAIL);

    s.append(LOGS, batch(T0, 3, 1));

    assertThat(s.stagedRows(LOGS)).isEqualTo(3);
    assertThat(s.flushDue()).hasSize(1);
    assertThat(committedRows(LOGS)).hasSize(3);
  }

  @Test
  void gaugesReadTheLiveQueueAndCountersCountFlushes() {
    DefaultStager s = stager();
    s.append(LOGS, batch(T0, 3, 1));
    s.append(LOGS, batch(T0, 4, 1));

    assertThat(meter("lifecycle.staging.queue.depth", LOGS, "metric", "batches")).isEqualTo(2.0);
    assertThat(meter("lifecycle.staging.queue.depth", LOGS, "metric", "rows")).isEqualTo(7.0);
    assertThat(meter("lifecycle.staging.queue.bytes", LOGS, null, null)).isPositive();

    s.flush(LOGS);

    assertThat(meter("lifecycle.staging.queue.depth", LOGS, "metric", "rows")).isZero();
    assertThat(meter("lifecycle.staging.flush.batches", LOGS, "outcome", "success")).isEqualTo(2.0);
    assertThat(meter("lifecycle.staging.flush.rows", LOGS, "outcome", "success")).isEqualTo(7.0);
    assertThat(registry.find("lifecycle.staging.flush.duration").tag("outcome", "success")
        .tag("tenant", "acme").tag("dataset", "prod").tag("table", "logs").timer().count()).isEqualTo(1);
  }

  @Test
  void manyThreadsAppendingToSeveralTablesCommitEveryRowExactlyOnce() throws Exception {
    DefaultStager s = stager(150, 1L << 40, Duration.ofDays(1));
    List<TableId> tables = List.of(LOGS, TRACES, TableId.of("acme", "dev", "metrics"));
    catalog.createTable(tables.get(2), SCHEMA, PartitionSpec.hourly("ts"));
    int threads = 8;
    int batchesPerThread = 40;
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Map<TableId, List<String>>>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long seed = 1000 + t;
      long idBase = t * 1_000_000L;
      futures.add(pool.submit(() -> {
        Random random = new Random(seed);
        Map<TableId, List<String>> sent = new java.util.HashMap<>();
        start.await();
        long id = idBase;
        for (int i = 0; i < batchesPerThread; i++) {
          TableId table = tables.get(random.nextInt(tables.size()));
          RowBatch.Builder b = RecordBatch.builder(SCHEMA);
          for (int r = 0, n = 1 + random.nextInt(25); r < n; r++) {
            b.row(T0.plus(random.nextInt(3 * 60), ChronoUnit.MINUTES), id++, "t" + seed);
          }
          RowBatch batch = b.build();
          s.append(table, batch);
          sent.computeIfAbsent(table, k -> new ArrayList<>()).addAll(rowsOf(batch));
        }
        return sent;
      }));
    }
    Future<?> flusher = pool.submit(() -> {
      start.await();
      for (int i = 0; i < 20; i++) {
        s.flushAll();
      }
      return null;
    });
    start.countDown();
    Map<TableId, List<String>> expected = new java.util.HashMap<>();
    for (Future<Map<TableId, List<String>>> f : futures) {
      f.get(60, TimeUnit.SECONDS).forEach((k, v) -> expected.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
    }
    flusher.get(60, TimeUnit.SECONDS);
    pool.shutdown();
    s.flushAll();

    for (TableId table : tables) {
      List<String> want = expected.getOrDefault(table, List.of()).stream().sorted().collect(Collectors.toList());
      assertThat(committedRows(table)).as("rows of %s", table).isEqualTo(want);
      assertThat(s.stagedRows(table)).isZero();
    }
  }
}
