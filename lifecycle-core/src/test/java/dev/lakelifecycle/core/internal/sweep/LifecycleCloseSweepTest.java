package dev.lakelifecycle.core.internal.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Lifecycle#close()} during a scheduled sweep: the sweep finishes its delete batch, stops, and releases its
 * lease at once, leaving its progress for the next sweep to resume.
 */
class LifecycleCloseSweepTest {
  private static final TableId T = TableId.of("acme", "prod", "swept");

  @TempDir Path root;

  @Test
  void closeStopsARunningSweepAfterItsBatchAndReleasesItsLease() throws Exception {
    // Thirty days ahead of the files' real modification times, so every orphan is past the grace period.
    Clock clock = Clock.offset(Clock.systemUTC(), Duration.ofDays(30));
    InterceptingObjectStore store = new InterceptingObjectStore(new LocalObjectStore(root));
    LifecycleConfig.Sweep sweep = new LifecycleConfig.Sweep(Duration.ofHours(24), Duration.ofHours(1), 10, false,
        Duration.ofMillis(50));
    LifecycleConfig config = LifecycleConfig.builder().sweep(sweep)
        .schedule(new LifecycleConfig.Schedule(Duration.ZERO, Duration.ofSeconds(1))).build();
    String id = "sweep/" + T.path();
    try (ObjectStoreCheckpointStore cps = new ObjectStoreCheckpointStore(store, "_checkpoints/", clock)) {
      Lifecycle lake = Lifecycle.builder().store(store).checkpointStore(cps).clock(clock).config(config)
          .writerId("closing").build();
      lake.catalog().createTable(T, TableSchema.builder().required("ts", TableSchema.Type.TIMESTAMP).build(),
          PartitionSpec.daily("ts"));
      List<String> orphans = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        String key = String.format("%s/data/day=2026-01-15/orphan-%02d.parquet", T.path(), i);
        store.put(key, ("orphan " + i).getBytes(StandardCharsets.UTF_8));
        orphans.add(key);
      }
      DefaultOrphanSweeper sweeper = (DefaultOrphanSweeper) lake.sweeper();
      CountDownLatch inBatch = new CountDownLatch(1);
      store.onDelete((call, keys, real) -> {
        if (call == 1) {
          inBatch.countDown();
          // The batch goes on only once close() has asked the runs to stop: close() lands mid-batch.
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          while (!sweeper.stopRequested() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
          }
        }
        return real.delete(keys);
      });
      lake.start();
      assertThat(inBatch.await(30, TimeUnit.SECONDS)).as("the scheduled sweep reached its first batch").isTrue();
      long closing = System.nanoTime();

      lake.close();

      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - closing)).as("close() seconds").isLessThan(20);
      Checkpoint left = cps.get(id).orElseThrow();
      assertThat(left.leaseOwner()).as("lease released by close()").isNull();
      assertThat(left.status()).isEqualTo(Checkpoint.Status.PENDING);
      assertThat(left.cursor()).as("the batch under way was finished and recorded").isEqualTo(1);
      assertThat(orphans.subList(0, 10)).noneMatch(k -> store.stat(k).isPresent());
      assertThat(orphans.subList(10, 25)).allMatch(k -> store.stat(k).isPresent());

      // Another worker takes over at once (no lapse to wait for) and resumes after the recorded batch.
      try (ManifestCatalog catalog = new ManifestCatalog(store, clock)) {
        SweepResult resumed = new DefaultOrphanSweeper(store, catalog, cps, sweep, clock, new SimpleMeterRegistry())
            .sweep(T).execute();
        assertThat(resumed.status()).isEqualTo(SweepResult.Status.COMPLETED);
        assertThat(resumed.filesDeleted()).isEqualTo(15);
      }
      assertThat(orphans).noneMatch(k -> store.stat(k).isPresent());
    }
  }
}
