package dev.lakelifecycle.core.internal.compaction;

import static dev.lakelifecycle.core.internal.compaction.MultiWorkerCompactionTest.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.core.LifecycleConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process killed (SIGKILL) mid-chunk, its outputs written and its commit not made: while it lived its
 * lease was renewed past its duration; after the kill the lease stays live until it lapses, then another worker
 * resumes at the stored cursor and finishes. Every row once, every chunk committed once. Real clock, real lease.
 */
class WorkerKillTest {
  private static final Duration LEASE = Duration.ofSeconds(3);
  private static final List<String> DAYS = List.of("day=2026-01-10", "day=2026-01-11", "day=2026-01-12");

  @TempDir
  Path dir;

  // PostgreSQL only: the object-store checkpoint store's crash-and-resume is CompactionCrashTest's.
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = SharedCheckpointStore.class, names = "POSTGRESQL")
  void aKilledWorkersLeaseLapsesAndAnotherResumesAtItsCursorWithEveryRowOnce(SharedCheckpointStore kind)
      throws Exception {
    CompactionFixture fx = new CompactionFixture(dir);
    TableId table = TableId.of("wk" + UUID.randomUUID().toString().substring(0, 8), "prod", "events");
    fx.createTable(table);
    for (String day : DAYS) {
      for (int i = 0; i < 3; i++) {
        fx.append(table, List.of(fx.writeEvents(table, day, 25)));
      }
    }
    Map<String, Integer> before = fx.rows(table);
    String id = DefaultCompactor.checkpointId(table);
    Path signal = dir.resolve("paused.signal");

    // The child commits chunk-0, writes chunk-1's outputs and stops there; chunk-2 is not started.
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), WorkerKillChild.class.getName(),
        dir.toString(), table.path(), Long.toString(LEASE.toMillis()), "chunk-1", signal.toString()));
    cmd.addAll(kind.childArgs(dir));
    Path log = dir.resolve("child.log");
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try (CheckpointStore cps = kind.open(dir, Clock.systemUTC())) {
      LifecycleConfig.Compaction config = CompactionFixture.config(1L << 30, 2, 1, 0)
          .withLeaseAndTtl(LEASE, Duration.ofHours(24));
      DefaultCompactor other = new DefaultCompactor(fx.store, fx.catalog, cps, config, Clock.systemUTC(), null,
          "surviving-worker", ChunkBackoff.NONE);
      try {
        awaitUntil(() -> Files.exists(signal) || !child.isAlive(), Duration.ofSeconds(90));
        assertThat(child.isAlive()).as("child paused mid-chunk (else see %s)", log).isTrue();
        // Paused for longer than its lease: it still holds it, renewed by its timer.
        Instant paused = Instant.now();
        awaitUntil(() -> Instant.now().isAfter(paused.plus(LEASE.multipliedBy(3).dividedBy(2))), LEASE.multipliedBy(3));
        assertThat(other.compact(table).execute().outcome()).as("while the paused worker lives")
            .isEqualTo(CompactionResult.Outcome.ALREADY_RUNNING);
      } finally {
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }

      Checkpoint left = cps.get(id).orElseThrow();
      assertThat(left.leaseOwner()).isEqualTo(WorkerKillChild.WRITER);
      assertThat(left.status()).isEqualTo(Checkpoint.Status.PENDING);
      assertThat(left.cursor()).as("chunk-0 done, chunk-1 in flight").isEqualTo(1);
      assertThat(left.metadata().get("outputChunkId")).isEqualTo("chunk-1");
      if (Instant.now().isBefore(left.leaseExpiresAt().minusMillis(500))) {
        assertThat(other.compact(table).execute().outcome()).as("right after the kill, the lease is still live")
            .isEqualTo(CompactionResult.Outcome.ALREADY_RUNNING);
      }
      awaitUntil(() -> Instant.now().isAfter(left.leaseExpiresAt()), LEASE.multipliedBy(2));

      List<String> chunksDone = new CopyOnWriteArrayList<>();
      CompactionResult resumed = other.compact(table)
          .listener(p -> chunksDone.add(p.chunkId())).execute();

      assertThat(resumed.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
      assertThat(resumed.resumed()).isTrue();
      assertThat(chunksDone).as("resumed at the stored cursor").containsExactly("chunk-1", "chunk-2");
      assertThat(fx.rows(table)).isEqualTo(before);
      List<DataFile> live = fx.catalog.loadTable(table).liveFiles();
      assertThat(new HashSet<>(live.stream().map(DataFile::location).toList())).hasSize(live.size());
      assertThat(live).hasSize(DAYS.size());
      List<TableSnapshot> replaces = fx.replaces(table);
      assertThat(replaces).extracting(s -> s.summary().get(DefaultCompactor.SUMMARY_CHUNK))
          .as("each chunk committed once").containsExactly("chunk-0", "chunk-1", "chunk-2");
      assertThat(replaces).extracting(s -> s.summary().get(DefaultCompactor.SUMMARY_WRITER))
          .containsExactly(WorkerKillChild.WRITER, "surviving-worker", "surviving-worker");
      assertThat(replaces).extracting(s -> s.summary().get(DefaultCompactor.SUMMARY_PLAN_ID)).containsOnly(
          PlanState.from(left).planId);
      Checkpoint done = cps.get(id).orElseThrow();
      assertThat(done.status()).isEqualTo(Checkpoint.Status.COMPLETED);
      assertThat(done.leaseOwner()).isNull();
      assertThat(other.compact(table).execute().outcome()).isEqualTo(CompactionResult.Outcome.NOTHING_TO_DO);
    }
  }
}
