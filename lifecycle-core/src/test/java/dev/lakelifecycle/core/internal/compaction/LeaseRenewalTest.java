package dev.lakelifecycle.core.internal.compaction;

import static dev.lakelifecycle.core.internal.compaction.MultiWorkerCompactionTest.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.CheckpointConflictException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.WriteCondition;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.testkit.ForwardingObjectStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Compaction leases on the real clock with a short duration: a step longer than the lease (a slow merge, a slow
 * catalog commit through a store that delays the write) keeps it, renewed by the timer; and a run whose renewals were held up until another worker took the table stops before committing.
 */
class LeaseRenewalTest {
  private static final Duration LEASE = Duration.ofMillis(900);
  private static final List<String> DAYS = List.of("day=2026-01-10", "day=2026-01-11");

  @TempDir
  Path dir;

  private TableId table;
  private CompactionFixture fx;
  private Map<String, Integer> before;

  private void setUp() {
    fx = new CompactionFixture(dir);
    table = TableId.of("lr" + UUID.randomUUID().toString().substring(0, 8), "prod", "events");
    fx.createTable(table);
    for (String day : DAYS) {
      for (int i = 0; i < 3; i++) {
        fx.append(table, List.of(fx.writeEvents(table, day, 20)));
      }
    }
    before = fx.rows(table);
  }

  private DefaultCompactor worker(String id, CheckpointStore cps) {
    LifecycleConfig.Compaction config = CompactionFixture.config(1L << 30, 2, 1, 0)
        .withLeaseAndTtl(LEASE, Duration.ofHours(24));
    return new DefaultCompactor(fx.store, fx.catalog, cps, config, Clock.systemUTC(), null, id, ChunkBackoff.NONE);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(SharedCheckpointStore.class)
  void keepsTheLeaseThroughAStepLongerThanTheLease(SharedCheckpointStore kind) {
    setUp();
    try (CheckpointStore first = kind.open(dir, Clock.systemUTC());
        CheckpointStore second = kind.open(dir, Clock.systemUTC())) {
      DefaultCompactor w1 = worker("w1", first);
      DefaultCompactor w2 = worker("w2", second);
      AtomicReference<CompactionResult> during = new AtomicReference<>();
      AtomicReference<Instant> expiryDuring = new AtomicReference<>();
      w1.stepHook((step, chunk) -> {
        if (step == DefaultCompactor.Step.AFTER_WRITE && chunk.equals("chunk-0")) {
          // A slow step: outputs written, the commit not yet made, for three lease durations.
          Instant start = Instant.now();
          awaitUntil(() -> Instant.now().isAfter(start.plus(LEASE.multipliedBy(3))), Duration.ofSeconds(30));
          expiryDuring.set(second.get(DefaultCompactor.checkpointId(table)).orElseThrow().leaseExpiresAt());
          during.set(w2.compact(table).execute());
          assertThat(expiryDuring.get()).as("lease renewed during the step").isAfter(start.plus(LEASE));
        }
      });

      CompactionResult result = w1.compact(table).execute();

      assertThat(during.get().outcome()).as("the other worker while the step ran")
          .isEqualTo(CompactionResult.Outcome.ALREADY_RUNNING);
      assertThat(result.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
      assertThat(result.chunksCompleted()).isEqualTo(2);
      assertThat(fx.replaces(table)).extracting(s -> s.summary().get(DefaultCompactor.SUMMARY_CHUNK))
          .containsExactly("chunk-0", "chunk-1");
      assertThat(fx.rows(table)).isEqualTo(before);
      Checkpoint cp = second.get(DefaultCompactor.checkpointId(table)).orElseThrow();
      assertThat(cp.leaseOwner()).as("released at the end").isNull();
      assertThat(cp.status()).isEqualTo(Checkpoint.Status.COMPLETED);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(SharedCheckpointStore.class)
  void keepsTheLeaseThroughACatalogCommitLongerThanTheLease(SharedCheckpointStore kind) {
    setUp();
    AtomicBoolean slowNextCommit = new AtomicBoolean();
    AtomicReference<CompactionResult> during = new AtomicReference<>();
    try (CheckpointStore first = kind.open(dir, Clock.systemUTC());
        CheckpointStore second = kind.open(dir, Clock.systemUTC())) {
      DefaultCompactor w2 = worker("w2", second);
      // w1's catalog writes through a store whose next table version (the chunk's commit) takes three leases.
      ObjectStore slow = new ForwardingObjectStore(fx.store) {
        @Override
        public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
          if (key.contains("/_lifecycle/") && slowNextCommit.compareAndSet(true, false)) {
            Instant start = Instant.now();
            awaitUntil(() -> Instant.now().isAfter(start.plus(LEASE.multipliedBy(3))), Duration.ofSeconds(30));
            during.set(w2.compact(table).execute());
          }
          return super.put(key, content, condition);
        }
      };
      LifecycleConfig.Compaction config = CompactionFixture.config(1L << 30, 2, 1, 0)
          .withLeaseAndTtl(LEASE, Duration.ofHours(24));
      CompactionResult result;
      try (ManifestCatalog slowCatalog = new ManifestCatalog(slow, Clock.systemUTC())) {
        DefaultCompactor w1 = new DefaultCompactor(fx.store, slowCatalog, first, config, Clock.systemUTC(), null,
            "w1", ChunkBackoff.NONE);
        w1.stepHook((step, chunk) -> {
          if (step == DefaultCompactor.Step.AFTER_WRITE && chunk.equals("chunk-0")) {
            slowNextCommit.set(true);
          }
        });

        result = w1.compact(table).execute();
      }

      assertThat(during.get()).as("the slow commit happened").isNotNull();
      assertThat(during.get().outcome()).as("the other worker during the slow commit")
          .isEqualTo(CompactionResult.Outcome.ALREADY_RUNNING);
      assertThat(result.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
      assertThat(fx.replaces(table)).extracting(s -> s.summary().get(DefaultCompactor.SUMMARY_CHUNK))
          .containsExactly("chunk-0", "chunk-1");
      assertThat(fx.rows(table)).isEqualTo(before);
      assertThat(second.get(DefaultCompactor.checkpointId(table)).orElseThrow().leaseOwner()).isNull();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(SharedCheckpointStore.class)
  void aRunWhoseLeaseWasTakenOverStopsBeforeCommittingAndTheNewHolderFinishes(SharedCheckpointStore kind) {
    setUp();
    try (PausableCheckpointStore first = new PausableCheckpointStore(kind.open(dir, Clock.systemUTC()));
        CheckpointStore second = kind.open(dir, Clock.systemUTC())) {
      DefaultCompactor w1 = worker("w1", first);
      DefaultCompactor w2 = worker("w2", second);
      String id = DefaultCompactor.checkpointId(table);
      AtomicReference<CompactionResult> takeover = new AtomicReference<>();
      w1.stepHook((step, chunk) -> {
        if (step == DefaultCompactor.Step.AFTER_WRITE && chunk.equals("chunk-0")) {
          // w1 freezes with chunk-0's outputs written: its renewals hang until its lease lapses and w2 takes over.
          first.pause();
          awaitUntil(() -> !second.get(id).orElseThrow().leaseHeldAt(Instant.now()), Duration.ofSeconds(30));
          takeover.set(w2.compact(table).execute());
          first.resume();
        }
      });

      assertThatThrownBy(() -> w1.compact(table).execute())
          .isInstanceOf(CheckpointConflictException.class)
          .hasMessageContaining("lost the lease")
          .hasMessageContaining(id);

      assertThat(first.blockedWrites()).as("renewals held up by the pause").isPositive();
      assertThat(takeover.get().outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
      assertThat(takeover.get().resumed()).as("w2 resumed w1's plan").isTrue();
      List<TableSnapshot> replaces = fx.replaces(table);
      assertThat(replaces).extracting(s -> s.summary().get(DefaultCompactor.SUMMARY_CHUNK))
          .as("each chunk committed once").containsExactly("chunk-0", "chunk-1");
      assertThat(replaces).extracting(s -> s.summary().get(DefaultCompactor.SUMMARY_WRITER))
          .as("nothing committed by the run that lost its lease").containsOnly("w2");
      assertThat(fx.dataKeys(table)).as("w1's uncommitted outputs removed").noneMatch(k -> k.contains("/w1-c-"));
      assertThat(fx.rows(table)).isEqualTo(before);
      Checkpoint cp = second.get(id).orElseThrow();
      assertThat(cp.leaseOwner()).isNull();
      assertThat(cp.status()).isEqualTo(Checkpoint.Status.COMPLETED);
    }
  }
}
