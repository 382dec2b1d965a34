package dev.lakelifecycle.core.internal.compaction;

import static dev.lakelifecycle.core.internal.compaction.MultiWorkerCompactionTest.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Lifecycle#close()} during a scheduled compaction: the run finishes the chunk it is in, stops, and releases
 * its lease at once (no waiting for it to lapse), leaving a pending checkpoint that the next worker resumes.
 */
class LifecycleCloseLeaseTest {
  private static final TableId T = TableId.of("acme", "prod", "closing");
  private static final List<String> DAYS = List.of("day=2026-01-10", "day=2026-01-11", "day=2026-01-12");

  @TempDir
  Path dir;

  @Test
  void closeStopsARunningCompactionAfterItsChunkAndReleasesItsLease() throws Exception {
    CompactionFixture fx = new CompactionFixture(dir);
    fx.createTable(T);
    for (String day : DAYS) {
      for (int i = 0; i < 3; i++) {
        fx.append(T, List.of(fx.writeEvents(T, day, 15)));
      }
    }
    Map<String, Integer> before = fx.rows(T);
    String id = DefaultCompactor.checkpointId(T);
    LifecycleConfig.Compaction compaction = new LifecycleConfig.Compaction(1L << 30, 2, Duration.ofMinutes(5), 1, 0,
        Duration.ofMillis(50));
    LifecycleConfig config = LifecycleConfig.builder().compaction(compaction)
        .schedule(new LifecycleConfig.Schedule(Duration.ZERO, Duration.ofSeconds(1))).build();
    try (CheckpointStore cps = new ObjectStoreCheckpointStore(fx.store, "_checkpoints/", Clock.systemUTC())) {
      Lifecycle lake = Lifecycle.builder().store(fx.store).checkpointStore(cps).config(config).writerId("closing")
          .build();
      DefaultCompactor compactor = (DefaultCompactor) lake.compactor();
      CountDownLatch inChunk = new CountDownLatch(1);
      compactor.stepHook((step, chunk) -> {
        if (step == DefaultCompactor.Step.AFTER_WRITE && chunk.equals("chunk-0")) {
          inChunk.countDown();
          // The chunk goes on only once close() has asked the runs to stop: close() lands mid-chunk.
          awaitUntil(compactor::stopRequested, Duration.ofSeconds(30));
        }
      });
      lake.start();
      assertThat(inChunk.await(30, TimeUnit.SECONDS)).as("the scheduled compaction reached chunk-0").isTrue();
      long closing = System.nanoTime();

      lake.close();

      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - closing)).as("close() seconds").isLessThan(20);
      Checkpoint left = cps.get(id).orElseThrow();
      assertThat(left.leaseOwner()).as("lease released by close()").isNull();
      assertThat(left.status()).isEqualTo(Checkpoint.Status.PENDING);
      assertThat(left.cursor()).as("the chunk under way was finished").isEqualTo(1);
      assertThat(fx.replaces(T)).extracting(s -> s.summary().get(DefaultCompactor.SUMMARY_CHUNK))
          .containsExactly("chunk-0");

      // Another worker takes over at once (no lapse to wait for) and resumes at the cursor.
      DefaultCompactor next = new DefaultCompactor(fx.store, fx.catalog, cps, compaction, Clock.systemUTC(), null,
          "next", ChunkBackoff.NONE);
      List<String> chunks = new CopyOnWriteArrayList<>();
      CompactionResult resumed = next.compact(T).listener(p -> chunks.add(p.chunkId())).execute();
      assertThat(resumed.resumed()).isTrue();
      assertThat(chunks).containsExactly("chunk-1", "chunk-2");
      assertThat(fx.rows(T)).isEqualTo(before);
      assertThat(fx.replaces(T)).hasSize(3);
    }
  }
}
