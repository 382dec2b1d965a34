package dev.lakelifecycle.core.internal.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deleting sweep with a short {@code sweep.lease_duration_secs} on the real clock keeps its lease through a
 * delete call that takes three times the lease: a second sweeper meanwhile finds the table leased.
 */
class SweepLeaseRenewalTest {
  private static final TableId T = TableId.of("acme", "prod", "t");
  private static final Duration LEASE = Duration.ofMillis(900);

  @TempDir Path root;

  @Test
  void keepsTheLeaseThroughADeleteCallLongerThanTheLease() {
    // Thirty days ahead of the files' real modification times, so every orphan is past the grace period.
    Clock clock = Clock.offset(Clock.systemUTC(), Duration.ofDays(30));
    InterceptingObjectStore store = new InterceptingObjectStore(new LocalObjectStore(root));
    try (ManifestCatalog catalog = new ManifestCatalog(store, clock);
        ObjectStoreCheckpointStore first = new ObjectStoreCheckpointStore(store, "_checkpoints/", clock);
        ObjectStoreCheckpointStore second = new ObjectStoreCheckpointStore(store, "_checkpoints/", clock)) {
      catalog.createTable(T, TableSchema.builder().required("ts", TableSchema.Type.TIMESTAMP).build(),
          PartitionSpec.daily("ts"));
      List<String> orphans = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String key = T.path() + "/data/day=2026-01-15/orphan-" + i + ".parquet";
        store.put(key, ("orphan " + i).getBytes(StandardCharsets.UTF_8));
        orphans.add(key);
      }
      LifecycleConfig.Sweep config = LifecycleConfig.Sweep.DEFAULTS.withLeaseDuration(LEASE);
      DefaultOrphanSweeper sweeper = new DefaultOrphanSweeper(store, catalog, first, config, clock,
          new SimpleMeterRegistry());
      DefaultOrphanSweeper replica = new DefaultOrphanSweeper(store, catalog, second, config, clock,
          new SimpleMeterRegistry());
      String id = "sweep/" + T.path();
      AtomicReference<SweepResult> during = new AtomicReference<>();
      AtomicReference<Instant> expiryDuring = new AtomicReference<>();
      AtomicReference<Instant> callStarted = new AtomicReference<>();
      store.onDelete((call, keys, real) -> {
        if (call == 1) {
          // A delete call as slow as three leases (a throttled store).
          Instant start = clock.instant();
          callStarted.set(start);
          while (!clock.instant().isAfter(start.plus(LEASE.multipliedBy(3)))) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
          }
          expiryDuring.set(second.get(id).orElseThrow().leaseExpiresAt());
          during.set(replica.sweep(T).execute());
        }
        return real.delete(keys);
      });

      SweepResult result = sweeper.sweep(T).execute();

      assertThat(expiryDuring.get()).as("lease renewed during the slow call")
          .isAfter(callStarted.get().plus(LEASE.multipliedBy(2)));
      assertThat(during.get().status()).as("the second sweeper during the slow call")
          .isEqualTo(SweepResult.Status.ALREADY_RUNNING);
      assertThat(result.status()).isEqualTo(SweepResult.Status.COMPLETED);
      assertThat(orphans).noneMatch(k -> store.stat(k).isPresent());
      Checkpoint cp = second.get(id).orElseThrow();
      assertThat(cp.leaseOwner()).as("released at the end").isNull();
      assertThat(cp.status()).isEqualTo(Checkpoint.Status.COMPLETED);
    }
  }
}
