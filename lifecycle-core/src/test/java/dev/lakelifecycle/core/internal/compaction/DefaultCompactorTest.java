package dev.lakelifecycle.core.internal.compaction;

import static dev.lakelifecycle.core.internal.compaction.CompactionFixture.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.CorruptFileException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionListener;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.CompactionPlan.Reason;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.compaction.CompactionStatus;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import dev.lakelifecycle.testkit.SharedData;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultCompactorTest {
  private static final TableId T = TableId.of("acme", "prod", "events");
  private static final String DAY = "day=2026-01-15";
  private static final long TARGET = 1L << 20;
  private static final LifecycleConfig.Compaction THREE_FILES = config(TARGET, 3, 48, 3);

  @TempDir
  Path dir;
  CompactionFixture fx;

  @BeforeEach
  void setUp() {
    fx = new CompactionFixture(dir);
    fx.createTable(T);
  }

  private List<DataFile> appendEvents(TableId table, String partition, int files, int rowsEach) {
    List<DataFile> out = new ArrayList<>();
    for (int i = 0; i < files; i++) {
      out.add(fx.writeEvents(table, partition, rowsEach));
    }
    fx.append(table, out);
    return out;
  }

  private Checkpoint checkpoint(TableId table) {
    return fx.checkpoints.get("compaction/" + table.path()).orElseThrow();
  }

  private double counter(String name) {
    var c = fx.registry.find(name).tags("tenant", "acme", "dataset", "prod", "table", "events").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void rewritesSmallFilesIntoOneFileHoldingExactlyTheSameRows() {
    List<DataFile> inputs = appendEvents(T, DAY, 4, 25);
    Map<String, Integer> before = fx.rows(T);

    CompactionResult result = fx.compactor(THREE_FILES).compact(T).execute();

    long inputBytes = inputs.stream().mapToLong(DataFile::sizeBytes).sum();
    assertThat(result.resumed()).isFalse();
    assertThat(result.groupsCompacted()).isEqualTo(1);
    assertThat(result.filesRemoved()).isEqualTo(4);
    assertThat(result.filesAdded()).isEqualTo(1);
    assertThat(result.rows()).isEqualTo(100);
    assertThat(result.bytesBefore()).isEqualTo(inputBytes);
    assertThat(result.chunksCompleted()).isEqualTo(1);
    List<DataFile> live = fx.catalog.loadTable(T).liveFiles();
    assertThat(live).singleElement().satisfies(f -> {
      assertThat(f.location()).matches(".*/acme/prod/events/data/day=2026-01-15/compactor-1-c-[0-9a-f-]{36}\\.parquet");
      assertThat(f.recordCount()).isEqualTo(100);
      assertThat(f.sizeBytes()).isEqualTo(result.bytesAfter());
      assertThat(fx.schemaOf(f)).isEqualTo(CompactionFixture.EVENTS);
    });
    assertThat(fx.rows(T)).isEqualTo(before);
    assertThat(before.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(100);
    assertThat(fx.replaces(T)).singleElement()
        .satisfies(s -> assertThat(s.summary()).containsEntry("compaction.chunk", "chunk-0"));
    assertThat(fx.compactor(THREE_FILES).status(T)).satisfies(s -> {
      assertThat(s.state()).isEqualTo(CompactionStatus.State.COMPLETED);
      assertThat(s.cursor()).isEqualTo(1);
      assertThat(s.totalGroups()).isEqualTo(1);
      assertThat(s.chunksCompleted()).isEqualTo(1);
      assertThat(s.lastError()).isNull();
      assertThat(s.updatedAt()).isEqualTo(fx.now());
    });
    assertThat(counter("lifecycle.compaction.files.compacted")).isEqualTo(4);
    assertThat(counter("lifecycle.compaction.bytes.compacted")).isEqualTo(inputBytes);
    assertThat(counter("lifecycle.compaction.chunks")).isEqualTo(1);
    assertThat(counter("lifecycle.compaction.runs")).isEqualTo(1);
  }

  @Test
  void copiesRowGroupsAtLeastTheFastPathSizeUndecodedAndMergesSmallerOnes() throws Exception {
    appendEvents(T, DAY, 4, 25);
    Map<String, Integer> before = fx.rows(T);
    // Every input row group is at least 1 byte: each is appended as is, so the output keeps all four.
    LifecycleConfig.Compaction fastPath = THREE_FILES.withRewriteSizes(128L << 20, 1, 8L << 20);

    CompactionResult fast = fx.compactor(fastPath).compact(T).execute();

    assertThat(fast.filesAdded()).isEqualTo(1);
    assertThat(rowGroupRows(fx.catalog.loadTable(T).liveFiles().get(0))).containsExactly(25L, 25L, 25L, 25L);
    assertThat(fx.rows(T)).isEqualTo(before);

    // Below the default 8 MiB threshold the same rows are decoded and merged into one row group.
    appendEvents(T, DAY, 3, 25);
    Map<String, Integer> all = fx.rows(T);
    fx.compactor(THREE_FILES).compact(T).force(true).execute();

    List<DataFile> live = fx.catalog.loadTable(T).liveFiles();
    assertThat(live).hasSize(1);
    assertThat(rowGroupRows(live.get(0))).containsExactly(175L);
    assertThat(fx.rows(T)).isEqualTo(all);
  }

  private List<Long> rowGroupRows(DataFile f) throws java.io.IOException {
    List<Long> rows = new ArrayList<>();
    try (var r = org.apache.parquet.hadoop.ParquetFileReader.open(new dev.lakelifecycle.core.internal.parquet
        .StoreInputFile(fx.store, fx.store.keyOf(f.location()).orElseThrow(), f.sizeBytes()))) {
      r.getRowGroups().forEach(b -> rows.add(b.getRowCount()));
    }
    return rows;
  }

  @Test
  void planIsADryRunThatWaitsForTheWindowToClose() {
    // The clock stands at 2026-01-20T00:00Z: day=2026-01-20 is open until 2026-01-21T00:05Z.
    List<DataFile> inputs = appendEvents(T, "day=2026-01-20", 3, 5);
    List<String> keysBefore = fx.dataKeys(T);
    long snapshotsBefore = fx.catalog.loadTable(T).snapshots().size();

    CompactionPlan open = fx.compactor(THREE_FILES).compact(T).plan();

    assertThat(open.groups()).isEmpty();
    assertThat(open.decisions()).hasSize(3).allSatisfy(d -> assertThat(d.reason()).isEqualTo(Reason.WINDOW_OPEN));
    assertThat(fx.checkpoints.get("compaction/" + T.path())).isEmpty();
    assertThat(fx.dataKeys(T)).isEqualTo(keysBefore);
    assertThat(fx.catalog.loadTable(T).snapshots()).hasSize((int) snapshotsBefore);

    fx.clock.set(Instant.parse("2026-01-21T00:05:00Z"));
    CompactionPlan closed = fx.compactor(THREE_FILES).compact(T).plan();
    assertThat(closed.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).hasSameElementsAs(inputs));
    assertThat(fx.compactor(THREE_FILES).compact(T).maxWait(Duration.ofHours(1)).plan().groups()).isEmpty();
  }

  @Test
  void rewritesCopiesOfRealFilesFromOtherWritersExactly() {
    Path source = SharedData.parquetTesting("data/alltypes_plain.parquet");
    List<DataFile> copies = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      copies.add(fx.copyIn(T, DAY, source, 8));
    }
    fx.append(T, copies);
    List<String> original = fx.readRows(copies.get(0));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      expected.addAll(original);
    }

    CompactionResult result = fx.compactor(THREE_FILES).compact(T).execute();

    assertThat(result.rows()).isEqualTo(24);
    DataFile out = fx.catalog.loadTable(T).liveFiles().get(0);
    assertThat(fx.catalog.loadTable(T).liveFiles()).hasSize(1);
    assertThat(CompactionFixture.multiset(fx.readRows(out))).isEqualTo(CompactionFixture.multiset(expected));
    assertThat(fx.schemaOf(out)).isEqualTo(fx.schemaOf(copies.get(0)));
  }

  @Test
  void mergesOnlyFilesOfTheSameSchemaAndExplainsTheOther() {
    List<DataFile> events = appendEvents(T, DAY, 3, 10);
    DataFile foreign = fx.copyIn(T, DAY, SharedData.parquetTesting("data/alltypes_plain.parquet"), 8);
    fx.append(T, List.of(foreign));
    Map<String, Integer> before = fx.rows(T);

    CompactionPlan plan = fx.compactor(THREE_FILES).compact(T).plan();
    CompactionResult result = fx.compactor(THREE_FILES).compact(T).execute();

    assertThat(plan.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).hasSameElementsAs(events));
    assertThat(plan.decisions()).filteredOn(d -> d.file().equals(foreign)).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo(Reason.SCHEMA_DIFFERS);
      assertThat(d.detail()).contains("share this Parquet schema");
    });
    assertThat(result.filesRemoved()).isEqualTo(3);
    assertThat(fx.catalog.loadTable(T).liveFiles()).hasSize(2).contains(foreign);
    assertThat(fx.rows(T)).isEqualTo(before);
  }

  @Test
  void commitsOncePerChunkAndCheckpointsEachChunk() {
    for (int day = 10; day <= 14; day++) {
      appendEvents(T, "day=2026-01-" + day, 2, 10);
    }
    long base = fx.catalog.loadTable(T).currentSnapshot().orElseThrow().snapshotId();
    Map<String, Integer> before = fx.rows(T);

    CompactionResult result = fx.compactor(config(TARGET, 2, 2, 3)).compact(T).execute();

    assertThat(result.groupsCompacted()).isEqualTo(5);
    assertThat(result.chunksCompleted()).isEqualTo(3);
    List<TableSnapshot> replaces = fx.replaces(T);
    assertThat(replaces).extracting(s -> s.summary().get("compaction.chunk")).containsExactly("chunk-0", "chunk-1", "chunk-2");
    assertThat(replaces).extracting(s -> s.summary().get("compaction.groups")).containsExactly("cg-0,cg-1", "cg-2,cg-3", "cg-4");
    assertThat(fx.catalog.loadTable(T).liveFiles()).extracting(DataFile::partition).containsExactly(
        "day=2026-01-10", "day=2026-01-11", "day=2026-01-12", "day=2026-01-13", "day=2026-01-14");
    assertThat(fx.rows(T)).isEqualTo(before);
    Checkpoint cp = checkpoint(T);
    assertThat(cp.status()).isEqualTo(Checkpoint.Status.COMPLETED);
    assertThat(cp.cursor()).isEqualTo(5);
    assertThat(cp.metadata().get("completedGroupIds")).isEqualTo(List.of("cg-0", "cg-1", "cg-2", "cg-3", "cg-4"));
    assertThat(((Number) cp.metadata().get("baseSnapshotId")).longValue()).isEqualTo(base);
    assertThat(cp.metadata().get("outputLocations")).isEqualTo(List.of());
    assertThat(((Number) cp.stats().get("chunksCompleted")).intValue()).isEqualTo(3);
    assertThat((List<?>) cp.stats().get("chunkHistory")).hasSize(3).allSatisfy(sample ->
        assertThat(new ArrayList<Object>(((Map<?, ?>) sample).keySet())).contains("bytes", "attempts", "durationMs", "completedAt"));
    assertThat(cp.leaseOwner()).isNull();
  }

  @Test
  void resumesAtTheCursorWithoutRedoingAChunkThatCommittedBeforeACrash() {
    for (int day = 10; day <= 14; day++) {
      appendEvents(T, "day=2026-01-" + day, 2, 10);
    }
    Map<String, Integer> before = fx.rows(T);
    // The process dies after chunk-1's commit, before the checkpoint write that moves the cursor past it.
    FaultyCheckpointStore crashing = new FaultyCheckpointStore(fx.checkpoints,
        next -> next.status() == Checkpoint.Status.PENDING && next.cursor() == 4);
    LifecycleConfig.Compaction cfg = config(TARGET, 2, 2, 3);

    assertThatThrownBy(() -> fx.compactor(cfg, fx.catalog, crashing).compact(T).execute())
        .isInstanceOf(FaultyCheckpointStore.SimulatedCrash.class);

    assertThat(fx.replaces(T)).hasSize(2);
    assertThat(checkpoint(T).status()).isEqualTo(Checkpoint.Status.PENDING);
    assertThat(checkpoint(T).cursor()).isEqualTo(2);
    assertThat(fx.rows(T)).isEqualTo(before);

    CompactionResult resumed = fx.compactor(cfg).compact(T).execute();

    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.groupsCompacted()).isEqualTo(1);
    assertThat(resumed.chunksCompleted()).isEqualTo(1);
    assertThat(fx.replaces(T)).extracting(s -> s.summary().get("compaction.chunk"))
        .containsExactly("chunk-0", "chunk-1", "chunk-2");
    assertThat(fx.rows(T)).isEqualTo(before);
    assertThat(fx.catalog.loadTable(T).liveFiles()).hasSize(5);
    CompactionStatus status = fx.compactor(cfg).status(T);
    assertThat(status.state()).isEqualTo(CompactionStatus.State.COMPLETED);
    assertThat(status.cursor()).isEqualTo(5);
    assertThat(status.chunksCompleted()).isEqualTo(3);
  }

  @Test
  void writesTheLeasedCheckpointAboutTwiceAChunkWhateverItsNumberOfOutputs() {
    for (int day = 10; day <= 15; day++) {
      appendEvents(T, "day=2026-01-" + day, 2, 10);
    }
    Map<String, Integer> before = fx.rows(T);
    List<Checkpoint> writes = new ArrayList<>();
    FaultyCheckpointStore counting = new FaultyCheckpointStore(fx.checkpoints, next -> {
      if (next.id().equals("compaction/" + T.path())) {
        writes.add(next);
      }
      return false;
    });

    CompactionResult result = fx.compactor(config(TARGET, 2, 3, 3), fx.catalog, counting).compact(T).execute();

    assertThat(result.chunksCompleted()).isEqualTo(2);
    assertThat(result.filesAdded()).isEqualTo(6);
    // Lease, plan, two per chunk (output keys, then the cursor), completion, release: not one per output.
    assertThat(writes).hasSize(1 + 1 + 2 * 2 + 1 + 1);
    assertThat(writes.get(2).metadata().get("outputLocations")).asList().hasSize(3);
    assertThat(fx.rows(T)).isEqualTo(before);
  }

  /** Three chunks of one group; the run dies before the checkpoint write after chunk-0: pending at cursor 1. */
  private Map<String, Integer> crashAfterTheFirstChunk(LifecycleConfig.Compaction cfg) {
    for (int day = 10; day <= 12; day++) {
      appendEvents(T, "day=2026-01-" + day, 2, 10);
    }
    Map<String, Integer> before = fx.rows(T);
    FaultyCheckpointStore crashing = new FaultyCheckpointStore(fx.checkpoints,
        next -> next.status() == Checkpoint.Status.PENDING && next.cursor() == 1);
    assertThatThrownBy(() -> fx.compactor(cfg, fx.catalog, crashing).compact(T).execute())
        .isInstanceOf(FaultyCheckpointStore.SimulatedCrash.class);
    return before;
  }

  @Test
  void keepsThePlansInputsOutOfTheCheckpointWrittenAtEveryStepAndRemovesThemWhenThePlanIsDone() {
    LifecycleConfig.Compaction cfg = config(TARGET, 2, 1, 3);
    Map<String, Integer> before = crashAfterTheFirstChunk(cfg);

    Checkpoint progress = checkpoint(T);
    Checkpoint plan = fx.checkpoints.get("compaction-plan/" + T.path()).orElseThrow();
    assertThat(progress.status()).isEqualTo(Checkpoint.Status.PENDING);
    assertThat((List<?>) progress.metadata().get("groups")).hasSize(3).allSatisfy(g ->
        assertThat(new ArrayList<Object>(((Map<?, ?>) g).keySet())).containsExactly("id", "partition"));
    assertThat(plan.metadata().get("planId")).isEqualTo(progress.metadata().get("planId"));
    Map<?, ?> inputs = (Map<?, ?>) plan.metadata().get("inputs");
    assertThat(new ArrayList<Object>(inputs.keySet())).containsExactly("cg-0", "cg-1", "cg-2");
    assertThat(inputs.values()).allSatisfy(groupInputs -> assertThat((List<?>) groupInputs).hasSize(2));

    CompactionResult resumed = fx.compactor(cfg).compact(T).execute();

    assertThat(resumed.resumed()).isTrue();
    assertThat(fx.rows(T)).isEqualTo(before);
    assertThat(fx.checkpoints.get("compaction-plan/" + T.path())).isEmpty();
  }

  @Test
  void resumesACheckpointWrittenWithTheInputsInlineByAnEarlierVersion() {
    LifecycleConfig.Compaction cfg = config(TARGET, 2, 1, 3);
    Map<String, Integer> before = crashAfterTheFirstChunk(cfg);
    Checkpoint progress = checkpoint(T);
    Checkpoint plan = fx.checkpoints.get("compaction-plan/" + T.path()).orElseThrow();
    Map<?, ?> inputs = (Map<?, ?>) plan.metadata().get("inputs");
    List<Object> inline = new ArrayList<>();
    for (Object g : (List<?>) progress.metadata().get("groups")) {
      Map<String, Object> group = new java.util.LinkedHashMap<>();
      ((Map<?, ?>) g).forEach((k, v) -> group.put((String) k, v));
      group.put("inputs", inputs.get(group.get("id")));
      inline.add(group);
    }
    Map<String, Object> metadata = new java.util.LinkedHashMap<>(progress.metadata());
    metadata.put("groups", inline);
    fx.checkpoints.compareAndSet(progress.withMetadata(metadata), progress.version());
    assertThat(fx.checkpoints.delete(plan.id(), plan.version())).isTrue();

    CompactionResult resumed = fx.compactor(cfg).compact(T).execute();

    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.groupsCompacted()).isEqualTo(2);
    assertThat(fx.replaces(T)).extracting(s -> s.summary().get("compaction.chunk"))
        .containsExactly("chunk-0", "chunk-1", "chunk-2");
    assertThat(fx.rows(T)).isEqualTo(before);
  }

  @Test
  void plansAfreshWhenThePendingPlansInputsAreGone() {
    LifecycleConfig.Compaction cfg = config(TARGET, 2, 1, 3);
    Map<String, Integer> before = crashAfterTheFirstChunk(cfg);
    Checkpoint plan = fx.checkpoints.get("compaction-plan/" + T.path()).orElseThrow();
    assertThat(fx.checkpoints.delete(plan.id(), plan.version())).isTrue();

    CompactionResult second = fx.compactor(cfg).compact(T).execute();

    assertThat(second.resumed()).isFalse();
    assertThat(second.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
    assertThat(fx.rows(T)).isEqualTo(before);
    assertThat(fx.catalog.loadTable(T).liveFiles()).hasSize(3);
    assertThat(fx.replaces(T)).hasSize(3);
  }

  @Test
  void resumesFromACheckpointKeptAsJsonInTheObjectStore() {
    for (int day = 10; day <= 12; day++) {
      appendEvents(T, "day=2026-01-" + day, 2, 10);
    }
    Map<String, Integer> before = fx.rows(T);
    CheckpointStore json = new ObjectStoreCheckpointStore(fx.store, "_checkpoints/", fx.clock);
    FaultyCheckpointStore crashing = new FaultyCheckpointStore(json,
        next -> next.status() == Checkpoint.Status.PENDING && next.cursor() == 2);
    LifecycleConfig.Compaction cfg = config(TARGET, 2, 1, 3);

    assertThatThrownBy(() -> fx.compactor(cfg, fx.catalog, crashing).compact(T).execute())
        .isInstanceOf(FaultyCheckpointStore.SimulatedCrash.class);
    CompactionResult resumed = fx.compactor(cfg, fx.catalog, json).compact(T).execute();

    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.groupsCompacted()).isEqualTo(1);
    assertThat(fx.replaces(T)).extracting(s -> s.summary().get("compaction.chunk"))
        .containsExactly("chunk-0", "chunk-1", "chunk-2");
    assertThat(fx.rows(T)).isEqualTo(before);
    Checkpoint cp = json.get("compaction/" + T.path()).orElseThrow();
    assertThat(cp.status()).isEqualTo(Checkpoint.Status.COMPLETED);
    assertThat(cp.metadata().get("completedGroupIds")).isEqualTo(List.of("cg-0", "cg-1", "cg-2"));
  }

  @Test
  void retriesAChunkWhoseSourceFileWasReplacedConcurrentlyWithoutLosingOrDoublingRows() {
    appendEvents(T, DAY, 4, 10);
    Map<String, Integer> before = fx.rows(T);
    List<DataFile> concurrentOutputs = new ArrayList<>();
    InterferingCatalog racing = new InterferingCatalog(fx.catalog, 1, (table, removed) -> {
      DataFile victim = removed.iterator().next();
      DataFile copy = fx.duplicate(victim);
      concurrentOutputs.add(copy);
      fx.catalog.loadTable(table).commitReplace(List.of(victim), List.of(copy), Map.of("by", "another compactor"));
    });

    CompactionResult result = fx.compactor(THREE_FILES, racing, fx.checkpoints).compact(T).execute();

    assertThat(result.groupsCompacted()).isEqualTo(1);
    assertThat(result.filesRemoved()).isEqualTo(3);
    assertThat(result.rows()).isEqualTo(30);
    assertThat(fx.rows(T)).isEqualTo(before);
    assertThat(fx.catalog.loadTable(T).liveFiles()).hasSize(2).contains(concurrentOutputs.get(0));
    assertThat(counter("lifecycle.compaction.chunk.retries")).isEqualTo(1);
    Map<?, ?> attempts = (Map<?, ?>) checkpoint(T).metadata().get("attempts");
    assertThat(attempts).hasSize(1);
    assertThat(((Number) attempts.get("chunk-0")).intValue()).isEqualTo(2);
  }

  @Test
  void failsWithACommitConflictNamingTableAndChunkWhenConflictsOutlastTheRetries() {
    appendEvents(T, DAY, 6, 10);
    Map<String, Integer> before = fx.rows(T);
    InterferingCatalog racing = new InterferingCatalog(fx.catalog, Integer.MAX_VALUE, (table, removed) -> {
      DataFile victim = removed.iterator().next();
      fx.catalog.loadTable(table).commitReplace(List.of(victim), List.of(fx.duplicate(victim)), Map.of());
    });

    assertThatThrownBy(() -> fx.compactor(config(TARGET, 3, 48, 2), racing, fx.checkpoints).compact(T).execute())
        .isInstanceOf(CommitConflictException.class)
        .hasMessageContaining("acme/prod/events")
        .hasMessageContaining("chunk-0")
        .hasMessageContaining("after 2 retries");

    assertThat(fx.rows(T)).isEqualTo(before);
    assertThat(fx.replaces(T)).allSatisfy(s -> assertThat(s.summary()).doesNotContainKey("compaction.chunk"));
    assertThat(fx.dataKeys(T)).noneMatch(k -> k.contains("/compactor-1-c-"));
    assertThat(counter("lifecycle.compaction.chunk.retries")).isEqualTo(2);
    CompactionStatus status = fx.compactor(THREE_FILES).status(T);
    assertThat(status.state()).isEqualTo(CompactionStatus.State.FAILED);
    assertThat(status.lastError()).contains("chunk-0");
  }

  @Test
  void doesNothingWhileAnotherOwnerHoldsTheLeaseAndResumesWhenItLapses() {
    appendEvents(T, DAY, 3, 10);
    fx.checkpoints.tryAcquireLease("compaction/" + T.path(), "other-replica", Duration.ofMinutes(5), fx.now());

    CompactionResult skipped = fx.compactor(THREE_FILES).compact(T).execute();

    assertThat(skipped.outcome()).isEqualTo(CompactionResult.Outcome.ALREADY_RUNNING);
    assertThat(skipped.filesRemoved()).isZero();
    assertThat(fx.replaces(T)).isEmpty();
    assertThat(fx.catalog.loadTable(T).liveFiles()).hasSize(3);
    assertThat(fx.compactor(THREE_FILES).status(T).state()).isEqualTo(CompactionStatus.State.IDLE);

    fx.clock.advance(Duration.ofMinutes(6));
    assertThat(fx.compactor(THREE_FILES).compact(T).execute().groupsCompacted()).isEqualTo(1);
  }

  @Test
  void quarantinesAnUnreadableFooterCompactsTheRestAndKeepsItOutOfLaterPlans() {
    List<DataFile> good = appendEvents(T, DAY, 3, 10);
    DataFile corrupt = fx.copyIn(T, DAY, SharedData.parquetTesting("bad_data/PARQUET-1481.parquet"), 1);
    fx.append(T, List.of(corrupt));
    Map<String, Integer> goodRows = fx.rows(T, good);
    TableId other = TableId.of("acme", "prod", "other");
    fx.createTable(other);
    appendEvents(other, DAY, 3, 10);
    DefaultCompactor compactor = fx.compactor(THREE_FILES);

    assertThat(compactor.compact(T).plan().decisions()).filteredOn(d -> d.file().equals(corrupt)).singleElement()
        .satisfies(d -> {
          assertThat(d.reason()).isEqualTo(Reason.QUARANTINED);
          assertThat(d.detail()).contains("unreadable Parquet footer");
        });
    CompactionResult result = compactor.compact(T).execute();

    assertThat(result.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
    assertThat(result.filesRemoved()).isEqualTo(3);
    assertThat(result.quarantined()).singleElement().satisfies(q -> assertThat(q.location())
        .isEqualTo(corrupt.location()));
    List<DataFile> live = fx.catalog.loadTable(T).liveFiles();
    assertThat(live).hasSize(2).contains(corrupt);
    assertThat(fx.rows(T, live.stream().filter(f -> !f.equals(corrupt)).toList())).isEqualTo(goodRows);
    assertThat(compactor.quarantined(T)).singleElement().satisfies(q -> assertThat(q.error()).isNotBlank());
    assertThat(counter("lifecycle.compaction.files.quarantined")).isEqualTo(1);
    CompactionStatus status = compactor.status(T);
    assertThat(status.quarantinedFiles()).isEqualTo(1);
    assertThat(status.health()).isEqualTo(CompactionStatus.Health.DEGRADED);
    assertThat(status.issues()).anySatisfy(i -> assertThat(i).contains("quarantined"));

    // A fresh compactor (another replica) reads the persisted quarantine.
    assertThat(fx.compactor(THREE_FILES).compact(T).plan().decisions()).filteredOn(d -> d.file().equals(corrupt))
        .singleElement().satisfies(d -> assertThat(d.detail()).startsWith("quarantined:"));
    assertThat(compactor.clearQuarantine(T, List.of(corrupt.location()))).isEqualTo(1);
    assertThat(compactor.quarantined(T)).isEmpty();
    assertThat(compactor.compact(other).execute().groupsCompacted()).isEqualTo(1);
  }

  @Test
  void quarantinesACorruptDataPageBehindAValidFooterWithoutCostingOtherRows() {
    List<DataFile> good = appendEvents(T, DAY, 2, 10);
    DataFile template = fx.writeEvents(T, DAY, 10);
    String key = fx.store.keyOf(template.location()).orElseThrow();
    byte[] bytes = fx.store.read(key);
    for (int i = 4; i < 40; i++) {
      bytes[i] = (byte) 0xff; // the first page header, right after the magic
    }
    fx.store.put(key, bytes);
    fx.append(T, List.of(template));
    Map<String, Integer> goodRows = fx.rows(T, good);

    CompactionResult result = fx.compactor(THREE_FILES).compact(T).execute();

    assertThat(result.quarantined()).extracting(q -> q.location()).containsExactly(template.location());
    assertThat(result.filesRemoved()).isEqualTo(2);
    List<DataFile> live = fx.catalog.loadTable(T).liveFiles();
    assertThat(live).hasSize(2).contains(template);
    assertThat(fx.rows(T, live.stream().filter(f -> !f.equals(template)).toList())).isEqualTo(goodRows);
    // The half-written output of the first attempt was discarded; only the committed one remains.
    assertThat(fx.dataKeys(T).stream().filter(k -> k.contains("/compactor-1-c-"))).hasSize(1);
  }

  @Test
  void plansAfreshAfterACompletedRunAndKeepsTheChunkHistory() {
    appendEvents(T, DAY, 3, 10);
    DefaultCompactor compactor = fx.compactor(THREE_FILES);
    compactor.compact(T).execute();
    appendEvents(T, "day=2026-01-16", 3, 10);
    Map<String, Integer> before = fx.rows(T);

    CompactionResult second = compactor.compact(T).execute();

    assertThat(second.resumed()).isFalse();
    assertThat(second.groupsCompacted()).isEqualTo(1);
    assertThat(fx.rows(T)).isEqualTo(before);
    assertThat((List<?>) checkpoint(T).stats().get("chunkHistory")).hasSize(2);
    assertThat(compactor.compact(T).execute().groupsCompacted()).isZero();
    assertThat(compactor.status(T).state()).isEqualTo(CompactionStatus.State.COMPLETED);
  }

  @Test
  void reportsProgressPerChunkAndSurvivesAThrowingListener() {
    appendEvents(T, "day=2026-01-14", 3, 10);
    appendEvents(T, DAY, 3, 10);
    List<CompactionListener.ChunkProgress> seen = new ArrayList<>();
    Map<String, Integer> before = fx.rows(T);

    CompactionResult result = fx.compactor(config(TARGET, 3, 1, 3)).compact(T).listener(p -> {
      seen.add(p);
      throw new IllegalStateException("listener bug");
    }).execute();

    assertThat(result.chunksCompleted()).isEqualTo(2);
    assertThat(seen).extracting(CompactionListener.ChunkProgress::chunkId).containsExactly("chunk-0", "chunk-1");
    assertThat(seen).allSatisfy(p -> {
      assertThat(p.filesRemoved()).isEqualTo(3);
      assertThat(p.filesAdded()).isEqualTo(1);
      assertThat(p.totalChunks()).isEqualTo(2);
      assertThat(p.attempts()).isEqualTo(1);
    });
    assertThat(fx.rows(T)).isEqualTo(before);
    assertThat(fx.registry.find("lifecycle.compaction.chunk.duration").timer().count()).isEqualTo(2);
  }

  @Test
  void defersWorkPastTheRunCapAndReportsIt() {
    appendEvents(T, "day=2026-01-14", 3, 10);
    appendEvents(T, DAY, 3, 10);

    CompactionResult first = fx.compactor(THREE_FILES.withCaps(3, 0)).compact(T).execute();
    CompactionResult second = fx.compactor(THREE_FILES.withCaps(3, 0)).compact(T).execute();

    assertThat(first.filesRemoved()).isEqualTo(3);
    assertThat(first.filesDeferred()).isEqualTo(3);
    assertThat(first.bytesDeferred()).isPositive();
    assertThat(counter("lifecycle.compaction.files.deferred")).isEqualTo(3);
    assertThat(second.filesRemoved()).isEqualTo(3);
    assertThat(second.filesDeferred()).isZero();
  }

  @Test
  void appliesTheTablesPriorityToTheMaxWait() {
    appendEvents(T, DAY, 3, 10);
    // The window ends 2026-01-16T00:00Z; 10 minutes later priority 0 (1 min) has closed, priority 2 (15 min) not.
    fx.clock.set(Instant.parse("2026-01-16T00:10:00Z"));

    CompactionPlan critical = fx.compactor(THREE_FILES.withTablePriorities(Map.of(T.path(), 0))).compact(T).plan();
    CompactionPlan medium = fx.compactor(THREE_FILES.withTablePriorities(Map.of("events", 2))).compact(T).plan();

    assertThat(critical.groups()).hasSize(1);
    assertThat(medium.groups()).isEmpty();
    assertThat(medium.decisions()).allSatisfy(d -> assertThat(d.detail()).contains("max wait PT15M"));
  }

  @Test
  void removesACompletedCheckpointOnlyAfterItsTtl() {
    appendEvents(T, DAY, 3, 10);
    DefaultCompactor compactor = fx.compactor(THREE_FILES);
    compactor.compact(T).execute();

    assertThat(compactor.cleanup(T)).isFalse();
    fx.clock.advance(Duration.ofHours(23));
    assertThat(compactor.cleanup(T)).isFalse();
    fx.clock.advance(Duration.ofHours(2));
    assertThat(compactor.cleanup(T)).isTrue();
    assertThat(fx.checkpoints.get("compaction/" + T.path())).isEmpty();
    assertThat(compactor.status(T).state()).isEqualTo(CompactionStatus.State.IDLE);
  }

  @Test
  void reportsPendingWindowsAndTurnsUnhealthyPastTheRunbookThresholds() {
    for (int day = 1; day <= 3; day++) {
      appendEvents(T, String.format(java.util.Locale.ROOT, "day=2026-01-%02d", day), 2, 5);
    }
    DefaultCompactor compactor = fx.compactor(THREE_FILES.withHealth(
        new LifecycleConfig.Health(0, 3, Duration.ofHours(2), Duration.ofHours(4), 1, 2, 1000, 5000, 0, 100)));

    CompactionStatus status = compactor.status(T);

    assertThat(status.windowsPending()).isEqualTo(3);
    assertThat(status.pendingFiles()).isEqualTo(6);
    assertThat(status.oldestPendingAge()).isGreaterThan(Duration.ofDays(15));
    assertThat(status.health()).isEqualTo(CompactionStatus.Health.UNHEALTHY);
    assertThat(status.issues()).anySatisfy(i -> assertThat(i).contains("3 pending windows (> critical 2)"))
        .anySatisfy(i -> assertThat(i).contains("oldest pending window"));
  }

  @Test
  void reportsIdleForATableNeverCompacted() {
    assertThat(fx.compactor(THREE_FILES).status(T))
        .isEqualTo(new CompactionStatus(T, CompactionStatus.State.IDLE, 0, 0, 0, null, null));
  }

  @Test
  void rejectsInvalidSettingsAndSecondCalls() {
    var action = fx.compactor(THREE_FILES).compact(T);
    assertThatThrownBy(() -> action.minInputFiles(1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(">= 2");
    assertThatThrownBy(() -> action.targetFileSizeBytes(0)).isInstanceOf(IllegalArgumentException.class);
    action.force(true);
    assertThatThrownBy(() -> action.force(false)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already set");
  }
}
