package dev.lakelifecycle.core.internal.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Four workers, each with its own {@link Lifecycle} (own catalog instance, compactor and writer id) on one shared
 * table root and one shared checkpoint store, compact 40 tables at once: every planned chunk is committed exactly
 * once, every row survives, no lease is left behind, and the work is spread over the workers.
 */
class MultiWorkerCompactionTest {
  private static final Logger LOG = LoggerFactory.getLogger(MultiWorkerCompactionTest.class);
  private static final int WORKERS = 4;
  private static final int TABLES = 40;
  private static final List<String> DAYS = List.of("day=2026-01-10", "day=2026-01-11", "day=2026-01-12");
  private static final int FILES_PER_DAY = 2;
  private static final int ROWS_PER_FILE = 12;
  private static final Duration DEADLINE = Duration.ofSeconds(120);

  @TempDir
  Path dir;

  /** One chunk per partition, so each table's plan has three chunks; a lease short enough to be renewed. */
  private static LifecycleConfig config(Duration interval) {
    LifecycleConfig.Compaction c = new LifecycleConfig.Compaction(1L << 30, 2, Duration.ofMinutes(5), 1, 3, interval)
        .withLeaseAndTtl(Duration.ofSeconds(10), Duration.ofHours(24));
    return LifecycleConfig.builder().compaction(c)
        .schedule(new LifecycleConfig.Schedule(Duration.ZERO, Duration.ofSeconds(1))).build();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(SharedCheckpointStore.class)
  void fourWorkersWalkingFortyTablesCommitEveryChunkOnceAndKeepEveryRow(SharedCheckpointStore kind)
      throws Exception {
    Setup s = setUp(kind);
    ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
    List<Future<Integer>> done = new ArrayList<>();
    long started = System.nanoTime();
    try {
      for (int w = 0; w < WORKERS; w++) {
        done.add(pool.submit(worker(s, "worker-" + w, new Random(w))));
      }
      List<Integer> contended = new ArrayList<>();
      for (Future<Integer> f : done) {
        contended.add(f.get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
      }
      LOG.info("{}: 4 workers compacted {} tables in {} ms; ALREADY_RUNNING per worker {}", kind,
          TABLES, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), contended);
    } finally {
      pool.shutdownNow();
    }
    verify(s);
  }

  // PostgreSQL only: the schedule adds nothing store-specific to the walk above, which runs on both stores.
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = SharedCheckpointStore.class, names = "POSTGRESQL")
  void fourScheduledLifecyclesShareTheTablesAndLeaveNoLeaseOnClose(SharedCheckpointStore kind) throws Exception {
    Setup s = setUp(kind);
    List<Lifecycle> lakes = new ArrayList<>();
    List<CheckpointStore> opened = new ArrayList<>();
    long started = System.nanoTime();
    try {
      for (int w = 0; w < WORKERS; w++) {
        CheckpointStore cps = new RecordingCheckpointStore(kind.open(dir, Clock.systemUTC()), s.plans);
        opened.add(cps);
        Lifecycle lake = Lifecycle.builder().store(new LocalObjectStore(dir)).checkpointStore(cps)
            .config(config(Duration.ofMillis(50))).writerId("scheduled-" + w).build();
        lakes.add(lake);
        lake.start();
      }
      awaitUntil(() -> s.tables.stream().allMatch(t -> compacted(s, t)), DEADLINE);
    } finally {
      lakes.forEach(Lifecycle::close);
      opened.forEach(CheckpointStore::close);
    }
    LOG.info("{}: 4 scheduled workers compacted {} tables in {} ms", kind, TABLES,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    verify(s);
  }

  // ---------------------------------------------------------------- setup, workers and checks

  /** The tables as written: each with three days of three small files. */
  private record Setup(CompactionFixture fx, SharedCheckpointStore kind, List<TableId> tables,
      Map<TableId, Map<String, Integer>> rowsBefore, Map<String, RecordingCheckpointStore.Plan> plans) {}

  private Setup setUp(SharedCheckpointStore kind) {
    CompactionFixture fx = new CompactionFixture(dir);
    // A tenant of its own, so a store shared by several tests (one database) keeps their checkpoints apart.
    String tenant = "mw" + UUID.randomUUID().toString().substring(0, 8);
    List<TableId> tables = new ArrayList<>();
    Map<TableId, Map<String, Integer>> before = new HashMap<>();
    for (int i = 0; i < TABLES; i++) {
      TableId t = TableId.of(tenant, "prod", "t" + i);
      fx.createTable(t);
      List<DataFile> files = new ArrayList<>();
      for (String day : DAYS) {
        for (int f = 0; f < FILES_PER_DAY; f++) {
          files.add(fx.writeEvents(t, day, ROWS_PER_FILE));
        }
      }
      fx.append(t, files);
      tables.add(t);
      before.put(t, fx.rows(t));
    }
    return new Setup(fx, kind, tables, before, RecordingCheckpointStore.newPlans());
  }

  /**
   * A worker walking every table in its own random order, pass after pass, until each has reported nothing to do;
   * returns how often it found a table leased by another worker.
   */
  private Callable<Integer> worker(Setup s, String writerId, Random random) {
    return () -> {
      int contended = 0;
      try (CheckpointStore cps = new RecordingCheckpointStore(s.kind.open(dir, Clock.systemUTC()), s.plans);
          Lifecycle lake = Lifecycle.builder().store(new LocalObjectStore(dir)).checkpointStore(cps)
              .config(config(Duration.ofHours(1))).writerId(writerId).build()) {
        Set<TableId> remaining = new HashSet<>(s.tables);
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!remaining.isEmpty()) {
          List<TableId> order = new ArrayList<>(remaining);
          Collections.shuffle(order, random);
          boolean progressed = false;
          for (TableId t : order) {
            CompactionResult r = lake.compactor().compact(t).execute();
            switch (r.outcome()) {
              case NOTHING_TO_DO -> {
                remaining.remove(t);
                progressed = true;
              }
              case COMPLETED -> progressed = true;
              case ALREADY_RUNNING -> contended++;
            }
          }
          if (!progressed) {
            // Every table left is leased by another worker: give them a moment instead of spinning on the store.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
          }
          if (System.nanoTime() > deadline) {
            throw new AssertionError(writerId + " still had " + remaining.size() + " tables after " + DEADLINE);
          }
        }
      }
      return contended;
    };
  }

  /** One live file per day and no pending plan: the table is done. */
  private boolean compacted(Setup s, TableId t) {
    List<DataFile> live = s.fx.catalog.loadTable(t).liveFiles();
    return live.size() == DAYS.size();
  }

  private void verify(Setup s) {
    Map<String, Integer> commitsPerWriter = new TreeMap<>();
    Set<String> committed = new HashSet<>();
    List<String> duplicates = new ArrayList<>();
    for (TableId t : s.tables) {
      for (TableSnapshot snap : s.fx.catalog.loadTable(t).snapshots()) {
        if (snap.operation() != TableSnapshot.Operation.REPLACE) {
          continue;
        }
        String chunk = snap.summary().get(DefaultCompactor.SUMMARY_PLAN_ID) + "/"
            + snap.summary().get(DefaultCompactor.SUMMARY_CHUNK);
        if (!committed.add(chunk)) {
          duplicates.add(t + ": " + chunk);
        }
        commitsPerWriter.merge(snap.summary().get(DefaultCompactor.SUMMARY_WRITER), 1, Integer::sum);
      }
      assertThat(s.fx.rows(t)).as("rows of %s", t).isEqualTo(s.rowsBefore.get(t));
      assertThat(s.fx.catalog.loadTable(t).liveFiles()).as("live files of %s", t).hasSize(DAYS.size());
    }
    Set<String> planned = new HashSet<>();
    for (RecordingCheckpointStore.Plan p : s.plans.values()) {
      p.chunkIds().forEach(c -> planned.add(p.planId() + "/" + c));
    }
    assertThat(duplicates).as("chunks committed more than once").isEmpty();
    assertThat(s.plans).as("one plan per table").hasSize(TABLES);
    assertThat(planned).as("planned chunks").hasSize(TABLES * DAYS.size());
    assertThat(committed).as("every planned chunk committed, nothing else").isEqualTo(planned);
    assertThat(commitsPerWriter.keySet()).as("workers that committed chunks: %s", commitsPerWriter).hasSizeGreaterThan(1);

    try (CheckpointStore cps = s.kind.open(dir, Clock.systemUTC())) {
      Instant now = Instant.now();
      String prefix = "compaction/" + s.tables.get(0).tenant() + "/";
      List<Checkpoint> checkpoints = cps.list(prefix);
      assertThat(checkpoints).hasSize(TABLES);
      assertThat(checkpoints).as("leases left behind").allSatisfy(cp -> {
        assertThat(cp.leaseOwner()).as("lease owner of %s", cp.id()).isNull();
        assertThat(cp.leaseHeldAt(now)).isFalse();
        assertThat(cp.status()).isEqualTo(Checkpoint.Status.COMPLETED);
      });
    }
  }

  /** Waits (polling every 20 ms) until the condition holds; fails after {@code timeout}. */
  static void awaitUntil(java.util.function.BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within " + timeout);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }
}
