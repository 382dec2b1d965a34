package dev.lakelifecycle.core.internal.staging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.StagerFullException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.LifecycleConfig.Staging.Durability;
import dev.lakelifecycle.core.LifecycleConfig.Staging.FullPolicy;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.internal.parquet.ParquetRows;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DurableSpoolTest {
  static final TableSchema SCHEMA = DefaultStagerTest.SCHEMA;
  static final TableId LOGS = DefaultStagerTest.LOGS;
  static final TableId TRACES = DefaultStagerTest.TRACES;
  static final Instant T0 = DefaultStagerTest.T0;

  @TempDir Path dir;
  @TempDir Path spoolDir;
  final MutableClock clock = MutableClock.at("2026-01-15T12:00:00Z");
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  LocalObjectStore local;
  FaultInjectingObjectStore store;
  DelegatingCatalog catalog;
  final List<DefaultStager> open = new ArrayList<>();
  long nextId;

  @BeforeEach
  void setUp() {
    local = new LocalObjectStore(dir);
    store = FaultInjectingObjectStore.wrap(local);
    catalog = new DelegatingCatalog(new ManifestCatalog(local, clock));
    catalog.createTable(LOGS, SCHEMA, PartitionSpec.hourly("ts"));
    catalog.createTable(TRACES, SCHEMA, PartitionSpec.daily("ts"));
  }

  @AfterEach
  void tearDown() {
    store.clearFaults();
    open.forEach(DefaultStager::close);
    catalog.close();
    local.close();
  }

  LifecycleConfig.Staging inline() {
    return new LifecycleConfig.Staging(1_000_000, 1L << 40, Duration.ofDays(1), Map.of()).withDirectory(spoolDir)
        .withDurability(Durability.GROUP, false);
  }

  DefaultStager open(LifecycleConfig.Staging config) {
    DefaultStager s = new DefaultStager(store, catalog, config, clock, registry, "writer-1");
    open.add(s);
    return s;
  }

  /** Simulates a crash of {@code s}: nothing flushed, spool files left as written, lock released. */
  void crash(DefaultStager s) {
    open.remove(s);
    s.abandon();
  }

  RowBatch batch(int rows) {
    RowBatch.Builder b = RecordBatch.builder(SCHEMA);
    for (int i = 0; i < rows; i++) {
      long id = nextId++;
      b.row(T0.plus(id, ChronoUnit.MINUTES), id, id % 4 == 0 ? null : "line-" + id + "-ü");
    }
    return b.build();
  }

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

  double counter(String name, String tagKey, String tagValue) {
    var search = registry.find(name).tag("table", LOGS.table());
    if (tagKey != null) {
      search = search.tag(tagKey, tagValue);
    }
    return search.counter().count();
  }

  Path lastSegment() throws IOException {
    try (Stream<Path> s = Files.list(TableSpool.dirOf(spoolDir.resolve("writer-1"), LOGS))) {
      return s.filter(p -> p.toString().endsWith(".seg")).sorted().reduce((a, b) -> b).orElseThrow();
    }
  }

  @ParameterizedTest
  @EnumSource(Durability.class)
  void acknowledgedBatchesSurviveACrashAndAreCommittedOnceAfterRestart(Durability durability) {
    DefaultStager first = open(inline().withDurability(durability, false));
    RowBatch a = batch(5);
    RowBatch b = batch(7);
    first.append(LOGS, a);
    first.append(LOGS, b);
    crash(first);
    assertThat(catalog.loadTable(LOGS).snapshots()).isEmpty();

    DefaultStager second = open(inline());

    assertThat(second.stagedRows(LOGS)).isZero();
    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a, b));
    assertThat(counter("lifecycle.staging.recovered.batches", null, null)).isEqualTo(2.0);
  }

  @Test
  void recoveredRecordsAreCommittedBeforeTheConstructorReturnsWithBackgroundFlushOff() {
    DefaultStager first = open(inline());
    RowBatch a = batch(5);
    first.append(LOGS, a);
    first.append(TRACES, batch(2));
    crash(first);

    open(inline());

    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a));
    assertThat(committedRows(TRACES)).hasSize(2);
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(1);
  }

  @Test
  void recoveredRecordsStayStagedWhenTheFlushAtOpenFailsAndAreCommittedOnceByTheNextFlush() {
    DefaultStager first = open(inline());
    RowBatch a = batch(5);
    first.append(LOGS, a);
    crash(first);
    store.failWhere(FaultInjectingObjectStore.Operation.CREATE, k -> true);

    DefaultStager second = open(inline());

    assertThat(second.stagedRows(LOGS)).isEqualTo(5);
    assertThat(catalog.loadTable(LOGS).snapshots()).isEmpty();
    store.clearFaults();
    second.flushAll();
    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a));
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(1);
  }

  @Test
  void recoveredRecordsAreFlushedInTheBackgroundWithoutAnyCallWhenBackgroundFlushIsOn() throws Exception {
    DefaultStager first = open(inline());
    RowBatch a = batch(5);
    first.append(LOGS, a);
    crash(first);

    DefaultStager second = open(inline().withDurability(Durability.GROUP, true));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (second.stagedRows(LOGS) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(second.stagedRows(LOGS)).isZero();
    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a));
  }

  @Test
  void tornLastRecordIsCutOffCountedAndTheCompleteOnesFlushed() throws IOException {
    DefaultStager first = open(inline());
    RowBatch a = batch(3);
    RowBatch b = batch(4);
    first.append(LOGS, a);
    first.append(LOGS, b);
    crash(first);
    Path seg = lastSegment();
    long complete = Files.size(seg);
    // Half a frame, as a crash in the middle of a write leaves it.
    byte[] frame = SpoolCodec.encode(batch(50), 0).buf;
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.APPEND)) {
      ch.write(java.nio.ByteBuffer.wrap(frame, 0, 700));
    }
    // Storage down at open, so the recovered records stay staged and the spool can be inspected.
    store.failWhere(FaultInjectingObjectStore.Operation.CREATE, k -> true);

    DefaultStager second = open(inline());

    assertThat(Files.size(seg)).isEqualTo(complete);
    assertThat(second.stagedRows(LOGS)).isEqualTo(7);
    assertThat(counter("lifecycle.staging.torn.records", null, null)).isEqualTo(1.0);
    store.clearFaults();
    second.flushAll();
    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a, b));
  }

  @Test
  void activeSegmentIsPreallocatedWithZerosAndTruncatedToItsRecordsWhenClosed() throws IOException {
    DefaultStager first = open(inline());
    RowBatch a = batch(3);
    long frame = SpoolCodec.encode(a, 0).pos;
    first.append(LOGS, a);

    assertThat(Files.size(lastSegment())).isGreaterThanOrEqualTo(frame + TableSpool.PREALLOCATE);
    crash(first);
    assertThat(Files.size(lastSegment())).isEqualTo(frame);
  }

  @Test
  void preallocatedZeroTailLeftByACrashIsCutOffWithoutCountingATornRecord() throws IOException {
    DefaultStager first = open(inline());
    RowBatch a = batch(3);
    RowBatch b = batch(4);
    first.append(LOGS, a);
    first.append(LOGS, b);
    crash(first);
    Path seg = lastSegment();
    long records = Files.size(seg);
    // What a SIGKILL leaves: the records, then the zeros written ahead of them.
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.APPEND)) {
      ch.write(java.nio.ByteBuffer.allocate(TableSpool.PREALLOCATE));
    }
    store.failWhere(FaultInjectingObjectStore.Operation.CREATE, k -> true);

    DefaultStager second = open(inline());

    assertThat(Files.size(seg)).isEqualTo(records);
    assertThat(second.stagedRows(LOGS)).isEqualTo(7);
    assertThat(counter("lifecycle.staging.torn.records", null, null)).isZero();
    store.clearFaults();
    second.flushAll();
    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a, b));
  }

  @Test
  void garbledLastRecordFailsItsChecksumAndIsCutOff() throws IOException {
    DefaultStager first = open(inline());
    RowBatch a = batch(3);
    first.append(LOGS, a);
    first.append(LOGS, batch(4));
    crash(first);
    Path seg = lastSegment();
    long size = Files.size(seg);
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
      ch.read(one, size - 5);
      one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
      ch.write(one, size - 5);
    }

    DefaultStager second = open(inline());

    assertThat(second.stagedRows(LOGS)).isZero();
    assertThat(counter("lifecycle.staging.torn.records", null, null)).isEqualTo(1.0);
    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a));
  }

  @Test
  void flushThatCommittedBeforeACrashIsRecognisedAfterRestartAndNotRepeated() {
    DefaultStager first = open(inline());
    RowBatch a = batch(6);
    first.append(LOGS, a);
    catalog.failNextAppends(1, DelegatingCatalog.Failure.AFTER_COMMIT);
    assertThatThrownBy(() -> first.flush(LOGS)).isInstanceOf(LifecycleException.class);
    crash(first);
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(1);

    DefaultStager second = open(inline());

    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a));
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(1);
    assertThat(second.stagedRows(LOGS)).isZero();
  }

  @Test
  void commitKeyIsDerivedFromTheRecordRangeAndStableAcrossRestarts() {
    DefaultStager first = open(inline());
    first.append(LOGS, batch(2));
    first.append(LOGS, batch(2));
    String key = first.flush(LOGS).snapshot().summary().get(dev.lakelifecycle.api.TableSnapshot.COMMIT_KEY);
    assertThat(key).startsWith("writer-1-").endsWith("-1-2");
    first.append(LOGS, batch(1));
    crash(first);

    open(inline());
    List<dev.lakelifecycle.api.TableSnapshot> snapshots = catalog.loadTable(LOGS).snapshots();
    String next = snapshots.get(snapshots.size() - 1).summary().get(dev.lakelifecycle.api.TableSnapshot.COMMIT_KEY);
    assertThat(next).isEqualTo(key.substring(0, key.length() - "1-2".length()) + "3-3");
  }

  @Test
  void storageFailingTheNthWriteIsRetriedWithBackoffUntilItRecovers() throws Exception {
    LifecycleConfig.Staging config = new LifecycleConfig.Staging(10, 1L << 40, Duration.ofDays(1), Map.of())
        .withDirectory(spoolDir).withRetryBackoff(Duration.ofMillis(5), Duration.ofMillis(40));
    store.failNth(FaultInjectingObjectStore.Operation.CREATE, 1);
    store.failNth(FaultInjectingObjectStore.Operation.CREATE, 2);
    store.failNth(FaultInjectingObjectStore.Operation.CREATE, 3);
    DefaultStager s = open(config);
    RowBatch a = batch(10);

    s.append(LOGS, a);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (s.stagedRows(LOGS) > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      Thread.sleep(5);
    }

    assertThat(s.stagedRows(LOGS)).isZero();
    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a));
    assertThat(counter("lifecycle.staging.retried.batches", null, null)).isEqualTo(3.0);
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(1);
  }

  @Test
  void closeWithStorageDownLeavesTheBatchesRecoverable() {
    DefaultStager first = open(inline());
    RowBatch a = batch(4);
    first.append(LOGS, a);
    store.failWhere(FaultInjectingObjectStore.Operation.CREATE, k -> true);
    open.remove(first);
    first.close();
    store.clearFaults();
    assertThat(catalog.loadTable(LOGS).snapshots()).isEmpty();

    DefaultStager second = open(inline());
    second.flushAll();
    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a));
  }

  /** Room for exactly two 3-row batches at each guardrail; storage down so flushes cannot drain. */
  private static final long BLOCK_TIMEOUT_MS = 1_000;

  LifecycleConfig.Staging guarded(StagerFullException.Reason reason, FullPolicy policy) {
    long frame = SpoolCodec.encode(batch(3), 0).pos;
    nextId -= 3;
    long table = reason == StagerFullException.Reason.TABLE_BYTES ? 2 * frame + frame / 2 : 1L << 30;
    long total = reason == StagerFullException.Reason.TOTAL_BYTES ? 2 * frame + frame / 2 : 0;
    int pending = reason == StagerFullException.Reason.QUEUE_FULL ? 2 : 1000;
    // BLOCK waits a second: long enough that a loaded machine still clears the faults and reflushes inside the
    // wait in blockWaitsForRoom..., short enough to time out quickly.
    Duration blockTimeout = Duration.ofMillis(policy == FullPolicy.BLOCK ? BLOCK_TIMEOUT_MS : 300);
    return inline().withGuardrails(table, total, pending, policy, blockTimeout)
        .withDurability(Durability.GROUP, true).withRetryBackoff(Duration.ofMillis(5), Duration.ofMillis(20));
  }

  @ParameterizedTest
  @EnumSource(StagerFullException.Reason.class)
  void rejectRefusesAtOnceAtEachGuardrailAndCountsTheReason(StagerFullException.Reason reason) {
    store.failWhere(FaultInjectingObjectStore.Operation.CREATE, k -> true);
    DefaultStager s = open(guarded(reason, FullPolicy.REJECT));
    TableId second = reason == StagerFullException.Reason.TOTAL_BYTES ? TRACES : LOGS;
    s.append(LOGS, batch(3));
    s.append(second, batch(3));

    long start = System.nanoTime();
    assertThatThrownBy(() -> s.append(LOGS, batch(3)))
        .isInstanceOfSatisfying(StagerFullException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.table()).isEqualTo(LOGS);
        })
        .hasMessageContaining(reason.tag()).hasMessageContaining("nothing was staged");
    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.MILLISECONDS.toNanos(250));
    assertThat(counter("lifecycle.staging.dropped.batches", "reason", reason.tag())).isEqualTo(1.0);
    assertThat(s.stagedRows(LOGS) + (second == LOGS ? 0 : s.stagedRows(TRACES))).isEqualTo(6);
  }

  @ParameterizedTest
  @EnumSource(StagerFullException.Reason.class)
  void blockWaitsForRoomThenFailsAfterTheTimeoutAndSucceedsOnceFlushesDrain(StagerFullException.Reason reason)
      throws Exception {
    store.failWhere(FaultInjectingObjectStore.Operation.CREATE, k -> true);
    DefaultStager s = open(guarded(reason, FullPolicy.BLOCK));
    TableId second = reason == StagerFullException.Reason.TOTAL_BYTES ? TRACES : LOGS;
    s.append(LOGS, batch(3));
    s.append(second, batch(3));

    long start = System.nanoTime();
    assertThatThrownBy(() -> s.append(LOGS, batch(3)))
        .isInstanceOfSatisfying(StagerFullException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageContaining("after waiting " + BLOCK_TIMEOUT_MS + " ms");
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(BLOCK_TIMEOUT_MS));
    assertThat(counter("lifecycle.staging.dropped.batches", "reason", reason.tag())).isEqualTo(1.0);

    // Storage comes back while an append waits: the flush it asked for makes room, and it goes through.
    ExecutorService ex = Executors.newSingleThreadExecutor();
    try {
      RowBatch c = batch(3);
      Future<?> blocked = ex.submit(() -> s.append(LOGS, c));
      store.clearFaults();
      blocked.get(20, TimeUnit.SECONDS);
    } finally {
      ex.shutdownNow();
    }
    s.flushAll();
    assertThat(committedRows(LOGS)).hasSize(second == LOGS ? 9 : 6);
  }

  @Test
  void batchLargerThanTheTableLimitIsRefusedWithoutWaiting() {
    DefaultStager s = open(inline().withGuardrails(1_000, 0, 100, FullPolicy.BLOCK, Duration.ofSeconds(30)));
    long start = System.nanoTime();
    assertThatThrownBy(() -> s.append(LOGS, batch(200)))
        .isInstanceOfSatisfying(StagerFullException.class,
            e -> assertThat(e.reason()).isEqualTo(StagerFullException.Reason.TABLE_BYTES));
    assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  void bytesRecoveredAtStartCountTowardTheGuardrails() {
    store.failWhere(FaultInjectingObjectStore.Operation.CREATE, k -> true);
    LifecycleConfig.Staging config = guarded(StagerFullException.Reason.QUEUE_FULL, FullPolicy.REJECT);
    DefaultStager first = open(config);
    first.append(LOGS, batch(3));
    first.append(LOGS, batch(3));
    crash(first);

    DefaultStager second = open(config);

    assertThatThrownBy(() -> second.append(LOGS, batch(3))).isInstanceOf(StagerFullException.class);
  }

  @Test
  void perTableOverridesChangeOnlyThatTablesFlushThresholds() {
    LifecycleConfig.Staging base = new LifecycleConfig.Staging(1_000, 1L << 40, Duration.ofDays(1),
        Map.of(LOGS.path(), new LifecycleConfig.Flush(5, 1L << 40, Duration.ofDays(1))));
    DefaultStager s = open(base.withDirectory(spoolDir).withDurability(Durability.GROUP, false));

    s.append(LOGS, batch(5));
    s.append(TRACES, batch(5));

    assertThat(s.stagedRows(LOGS)).isZero();
    assertThat(s.stagedRows(TRACES)).isEqualTo(5);
    assertThat(committedRows(LOGS)).hasSize(5);
  }

  @Test
  void flushStreamsTheBacklogInRangesBoundedByTheThresholds() {
    DefaultStager first = open(inline());
    for (int i = 0; i < 10; i++) {
      first.append(LOGS, batch(4));
    }
    crash(first);
    LifecycleConfig.Staging small = new LifecycleConfig.Staging(8, 1L << 40, Duration.ofDays(1), Map.of())
        .withDirectory(spoolDir).withDurability(Durability.GROUP, false);

    DefaultStager second = open(small);

    assertThat(second.stagedRows(LOGS)).isZero();
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(5);
    assertThat(committedRows(LOGS)).hasSize(40);
  }

  @Test
  void rangesWrittenAheadOfAFailedCommitAreDeletedAndEveryRangeCommitsOnceOnRetry() {
    DefaultStager first = open(inline());
    for (int i = 0; i < 10; i++) {
      first.append(LOGS, batch(4));
    }
    crash(first);
    LifecycleConfig.Staging small = new LifecycleConfig.Staging(8, 1L << 40, Duration.ofDays(1), Map.of())
        .withDirectory(spoolDir).withDurability(Durability.GROUP, false);
    catalog.failNextAppends(1, DelegatingCatalog.Failure.BEFORE_COMMIT);

    DefaultStager second = open(small);

    assertThat(second.stagedRows(LOGS)).isEqualTo(40);
    assertThat(catalog.loadTable(LOGS).snapshots()).isEmpty();
    // Only the failed range's own file is left (its commit's outcome is unknown: the retry reuses it under the
    // same key); the four ranges written ahead of it were deleted.
    assertThat(parquetKeys()).hasSize(1);
    second.flushAll();
    assertThat(catalog.loadTable(LOGS).snapshots()).hasSize(5);
    assertThat(committedRows(LOGS)).hasSize(40).doesNotHaveDuplicates();
    List<String> live = new ArrayList<>();
    for (DataFile f : catalog.loadTable(LOGS).liveFiles()) {
      live.add(local.keyOf(f.location()).orElseThrow());
    }
    assertThat(parquetKeys()).containsExactlyInAnyOrderElementsOf(live);
  }

  List<String> parquetKeys() {
    try (Stream<dev.lakelifecycle.api.storage.ObjectInfo> s = local.list("")) {
      return s.map(dev.lakelifecycle.api.storage.ObjectInfo::key).filter(k -> k.endsWith(".parquet")).toList();
    }
  }

  @Test
  void secondStagerOnTheSameSpoolIsRefused() {
    open(inline());
    assertThatThrownBy(() -> open(inline()))
        .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("another stager holds it");
  }

  @Test
  void stagerWaitsForItsSpoolWhileASiblingAdoptingItHoldsIt() throws Exception {
    // A sibling starting on the same staging directory locks every spool no live stager holds, to adopt it.
    Spool adopting = Spool.tryOpen(spoolDir.resolve("writer-1"));
    assertThat(adopting).isNotNull();
    ExecutorService ex = Executors.newSingleThreadExecutor();
    try {
      Future<DefaultStager> opening = ex.submit(() -> open(inline()));
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
      assertThat(opening).isNotDone();
      adopting.close();

      DefaultStager s = opening.get(10, TimeUnit.SECONDS);
      s.append(LOGS, batch(3));
      s.flushAll();
      assertThat(committedRows(LOGS)).hasSize(3);
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void spoolInsideTheStoreRootIsRefused() {
    assertThatThrownBy(() -> open(inline().withDirectory(dir.resolve("spool"))))
        .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("inside the object store root");
  }

  @Test
  void spoolOfACrashedWriterIsAdoptedByAnotherWriterAndEmptySpoolsAreDeleted() {
    DefaultStager crashed = new DefaultStager(store, catalog, inline(), clock, null, "random-1");
    RowBatch a = batch(4);
    crashed.append(LOGS, a);
    crashed.abandon();

    DefaultStager other = new DefaultStager(store, catalog, inline(), clock, null, "random-2");
    other.close();

    assertThat(committedRows(LOGS)).isEqualTo(DefaultStagerTest.rowsOf(a));
    assertThat(spoolDir.toFile().list()).isEmpty();
  }

  @Test
  void manyThreadsAppendingWithGroupCommitCommitEveryRowExactlyOnce() throws Exception {
    DefaultStager s = open(new LifecycleConfig.Staging(500, 1L << 40, Duration.ofDays(1), Map.of())
        .withDirectory(spoolDir));
    ExecutorService ex = Executors.newFixedThreadPool(6);
    List<Future<List<String>>> futures = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      int thread = t;
      futures.add(ex.submit(() -> {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          RowBatch.Builder b = RecordBatch.builder(SCHEMA);
          for (int r = 0; r < 7; r++) {
            long id = thread * 1_000_000L + i * 10L + r;
            Instant ts = T0.plus(id % 500, ChronoUnit.MINUTES);
            b.row(ts, id, "t" + thread);
            rows.add(ChronoUnit.MICROS.between(Instant.EPOCH, ts) + "|" + id + "|t" + thread);
          }
          s.append(thread % 2 == 0 ? LOGS : TRACES, b.build());
        }
        return rows;
      }));
    }
    List<String> logs = new ArrayList<>();
    List<String> traces = new ArrayList<>();
    for (int t = 0; t < futures.size(); t++) {
      (t % 2 == 0 ? logs : traces).addAll(futures.get(t).get(60, TimeUnit.SECONDS));
    }
    ex.shutdown();
    s.flushAll();
    Collections.sort(logs);
    Collections.sort(traces);
    assertThat(committedRows(LOGS)).isEqualTo(logs);
    assertThat(committedRows(TRACES)).isEqualTo(traces);
  }
}
