package dev.lakelifecycle.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.CheckpointConflictException;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.Checkpoint.Status;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link CheckpointStore} must have: compare-and-set on the version, exact round trip of
 * the Timestore-shaped fields, listing by id prefix, versioned delete, and the lease protocol of the interface's
 * default methods (or of the store's overrides), under concurrency.
 *
 * <p>Extend it and return a fresh, empty store per test whose clock is {@link #clock()}:
 * <pre>{@code
 * class MyCheckpointStoreTest extends CheckpointStoreContract {
 *   private final MutableClock clock = MutableClock.at("2026-01-15T10:00:00Z");
 *   private final MyCheckpointStore store = new MyCheckpointStore(..., clock);
 *   protected CheckpointStore store() { return store; }
 *   protected MutableClock clock() { return clock; }
 * }
 * }</pre>
 * The suite moves the clock forward only; it never sleeps. Ids used are {@code /}-separated paths of
 * non-empty segments. Metadata values used are {@code String}, {@code Long}, {@code Double}, {@code Boolean},
 * {@code null}, {@code List} and {@code Map}, which must come back equal.
 */
public abstract class CheckpointStoreContract {
  private static final String ID = "compaction/acme/prod/traces";
  private static final Duration TTL = Duration.ofMinutes(5);
  private static final int THREADS = 8;

  /** The store under test: the same instance for the whole test, empty at its start. */
  protected abstract CheckpointStore store();

  /** The clock the store stamps {@code updatedAt} with. */
  protected abstract MutableClock clock();

  // ---------------------------------------------------------------- get / compare-and-set

  @Test
  public void getOfMissingCheckpointIsEmpty() {
    assertThat(store().get(ID)).isEmpty();
  }

  @Test
  public void createsWithExpectedVersionZero() {
    Checkpoint created = store().compareAndSet(Checkpoint.pending(ID).withCursor(2), 0);

    assertThat(created.version()).isEqualTo(1);
    assertThat(created.updatedAt()).isEqualTo(clock().instant());
    assertThat(created.cursor()).isEqualTo(2);
    assertThat(created.status()).isEqualTo(Status.PENDING);
    assertThat(store().get(ID)).contains(created);
  }

  @Test
  public void refusesSecondCreateWithExpectedVersionZero() {
    Checkpoint first = store().compareAndSet(Checkpoint.pending(ID).withCursor(1), 0);

    assertThatThrownBy(() -> store().compareAndSet(Checkpoint.pending(ID).withCursor(9), 0))
        .isInstanceOf(CheckpointConflictException.class)
        .hasMessageContaining(ID);
    assertThat(store().get(ID)).contains(first);
  }

  @Test
  public void compareAndSetWithCurrentVersionIncrementsVersionAndStampsUpdatedAt() {
    Checkpoint v1 = store().compareAndSet(Checkpoint.pending(ID), 0);
    Instant later = clock().advance(Duration.ofSeconds(90));

    Checkpoint v2 = store().compareAndSet(v1.withCursor(1), v1.version());

    assertThat(v2.version()).isEqualTo(2);
    assertThat(v2.updatedAt()).isEqualTo(later);
    assertThat(v2.cursor()).isEqualTo(1);
    assertThat(store().get(ID)).contains(v2);
  }

  @Test
  public void storedVersionIsExpectedPlusOneWhateverVersionNextCarries() {
    Checkpoint v1 = store().compareAndSet(Checkpoint.pending(ID), 0);
    Checkpoint carryingOtherVersion = new Checkpoint(ID, Status.PENDING, 4, Map.of(), Map.of(), 77,
        Instant.EPOCH, null, null);

    Checkpoint v2 = store().compareAndSet(carryingOtherVersion, v1.version());

    assertThat(v2.version()).isEqualTo(2);
    assertThat(v2.updatedAt()).isEqualTo(clock().instant());
    assertThat(store().get(ID)).contains(v2);
  }

  @Test
  public void staleVersionConflictsAndLeavesStoredCheckpointUnchanged() {
    Checkpoint v1 = store().compareAndSet(Checkpoint.pending(ID), 0);
    Checkpoint v2 = store().compareAndSet(v1.withCursor(1), 1);

    assertThatThrownBy(() -> store().compareAndSet(v1.withCursor(5).withStatus(Status.FAILED), 1))
        .isInstanceOf(CheckpointConflictException.class)
        .hasMessageContaining(ID);
    assertThatThrownBy(() -> store().compareAndSet(v1.withCursor(5), 3))
        .isInstanceOf(CheckpointConflictException.class);
    assertThat(store().get(ID)).contains(v2);
  }

  @Test
  public void compareAndSetOnMissingCheckpointWithNonZeroVersionConflicts() {
    assertThatThrownBy(() -> store().compareAndSet(Checkpoint.pending(ID), 1))
        .isInstanceOf(CheckpointConflictException.class)
        .hasMessageContaining(ID);
    assertThat(store().get(ID)).isEmpty();
  }

  @Test
  public void racingCompareAndSetsFromOneVersionHaveExactlyOneWinner() throws Exception {
    Checkpoint v1 = store().compareAndSet(Checkpoint.pending(ID), 0);

    List<Optional<Checkpoint>> outcomes = race(i -> {
      try {
        return Optional.of(store().compareAndSet(v1.withCursor(i + 1), v1.version()));
      } catch (CheckpointConflictException lost) {
        return Optional.empty();
      }
    });

    List<Checkpoint> winners = outcomes.stream().flatMap(Optional::stream).toList();
    assertThat(winners).hasSize(1);
    assertThat(winners.get(0).version()).isEqualTo(2);
    assertThat(store().get(ID)).contains(winners.get(0));
  }

  @Test
  public void racingCreatesHaveExactlyOneWinner() throws Exception {
    List<Optional<Checkpoint>> outcomes = race(i -> {
      try {
        return Optional.of(store().compareAndSet(Checkpoint.pending(ID).withCursor(i), 0));
      } catch (CheckpointConflictException lost) {
        return Optional.empty();
      }
    });

    List<Checkpoint> winners = outcomes.stream().flatMap(Optional::stream).toList();
    assertThat(winners).hasSize(1);
    assertThat(store().get(ID)).contains(winners.get(0));
  }

  // ---------------------------------------------------------------- values

  @Test
  public void roundTripsNestedMetadataAndStatsExactly() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("none", null);
    inner.put("flag", false);
    inner.put("list", Arrays.asList(1L, -2.5, "x", null, true, List.of(), Map.of()));
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("string", "héllo \"quoted\" \\ / \n tab\t 日本");
    metadata.put("long", 42L);
    metadata.put("maxLong", Long.MAX_VALUE);
    metadata.put("minLong", Long.MIN_VALUE);
    metadata.put("zero", 0L);
    metadata.put("double", 0.1);
    metadata.put("wholeDouble", 2.0);
    metadata.put("tiny", -1.5e-300);
    metadata.put("huge", 1.7976931348623157e308);
    metadata.put("bool", true);
    metadata.put("null", null);
    metadata.put("nested", Map.of("deeper", inner));
    metadata.put("emptyMap", Map.of());
    metadata.put("emptyList", List.of());
    Map<String, Object> stats = Map.of("bytes", 123_456_789_012L, "ratio", 0.4375);

    Checkpoint created = store().compareAndSet(Checkpoint.pending(ID).withMetadata(metadata).withStats(stats), 0);

    Checkpoint read = store().get(ID).orElseThrow();
    assertThat(read).isEqualTo(created);
    assertThat(read.metadata()).isEqualTo(metadata);
    assertThat(read.stats()).isEqualTo(stats);
    assertThat(read.metadata().get("double")).isInstanceOf(Double.class);
    assertThat(read.metadata().get("wholeDouble")).isInstanceOf(Double.class).isEqualTo(2.0);
    assertThat(read.metadata().get("long")).isInstanceOf(Long.class);
    assertThat(read.metadata()).containsKey("null");
  }

  @Test
  public void roundTripsTheRunbookFields() {
    Map<String, Object> metadata = Map.of(
        "chunkPartitionIds", List.of(List.of("p-1", "p-2"), List.of("p-3")),
        "completedGroupIds", List.of("cg-0", "cg-1"),
        "attempts", Map.of("cg-2", 2L));
    Map<String, Object> chunk = new LinkedHashMap<>();
    chunk.put("groupId", "cg-1");
    chunk.put("bytes", 1_048_576L);
    chunk.put("attempts", 1L);
    chunk.put("completedAt", "2026-01-15T10:00:00Z");
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("bytes", 2_097_152L);
    stats.put("partitions", 3L);
    stats.put("chunksCompleted", 2L);
    stats.put("chunkHistory", List.of(chunk, Map.of("groupId", "cg-0", "bytes", 1_048_576L, "attempts", 3L)));
    stats.put("lastError", "S3 throttled: SlowDown (retry 3 of 3)");
    Instant leaseEnd = clock().instant().plus(TTL);
    Checkpoint next = new Checkpoint(ID, Status.FAILED, 2, metadata, stats, 0, null, "worker-7", leaseEnd);

    Checkpoint v1 = store().compareAndSet(next, 0);
    Map<String, Object> cleared = new LinkedHashMap<>(stats);
    cleared.put("lastError", null);
    Checkpoint v2 = store().compareAndSet(v1.withStatus(Status.COMPLETED).withStats(cleared).withLease(null, null), 1);

    Checkpoint read = store().get(ID).orElseThrow();
    assertThat(read).isEqualTo(v2);
    assertThat(read.status()).isEqualTo(Status.COMPLETED);
    assertThat(read.cursor()).isEqualTo(2);
    assertThat(read.metadata()).isEqualTo(metadata);
    assertThat(read.stats()).isEqualTo(cleared);
    assertThat(read.stats()).containsEntry("lastError", null);
    assertThat(read.leaseOwner()).isNull();
    assertThat(read.leaseExpiresAt()).isNull();
    assertThat(v1.status()).isEqualTo(Status.FAILED);
    assertThat(v1.leaseOwner()).isEqualTo("worker-7");
    assertThat(v1.leaseExpiresAt()).isEqualTo(leaseEnd);
  }

  @Test
  public void roundTripsIdsWithCharactersOutsidePlainAscii() {
    String odd = "sweep/acme prod/ü%20+x:y~z";
    Checkpoint created = store().compareAndSet(Checkpoint.pending(odd).withCursor(3), 0);

    assertThat(store().get(odd)).contains(created);
    assertThat(store().list("sweep/acme ")).containsExactly(created);
    assertThat(store().get("sweep/acme prod/ü")).isEmpty();
  }

  // ---------------------------------------------------------------- list

  @Test
  public void listsCheckpointsWithIdPrefixSortedById() {
    for (String id : List.of("compaction/ab/x", "compaction/a/z", "sweep/a", "compaction/a/b", "compaction/a",
        "compaction/a-b", "retention/acme")) {
      store().compareAndSet(Checkpoint.pending(id), 0);
    }

    assertThat(ids(store().list("compaction/a/"))).containsExactly("compaction/a/b", "compaction/a/z");
    assertThat(ids(store().list("compaction/a")))
        .containsExactly("compaction/a", "compaction/a-b", "compaction/a/b", "compaction/a/z", "compaction/ab/x");
    assertThat(ids(store().list("compaction/ab"))).containsExactly("compaction/ab/x");
    assertThat(ids(store().list("")))
        .containsExactly("compaction/a", "compaction/a-b", "compaction/a/b", "compaction/a/z", "compaction/ab/x",
            "retention/acme", "sweep/a");
    assertThat(store().list("nothing/")).isEmpty();
  }

  @Test
  public void listMatchesThePrefixLiterallyWhateverItsCharacters() {
    for (String id : List.of("compaction/a_b/x", "compaction/aXb/x", "compaction/A_B/x", "compaction/a%b/x",
        "compaction/a%bc/y", "compaction/a\\b/w", "compaction/ab/z")) {
      store().compareAndSet(Checkpoint.pending(id), 0);
    }

    assertThat(ids(store().list("compaction/a_b"))).containsExactly("compaction/a_b/x");
    assertThat(ids(store().list("compaction/a%b"))).containsExactly("compaction/a%b/x", "compaction/a%bc/y");
    assertThat(ids(store().list("compaction/a\\"))).containsExactly("compaction/a\\b/w");
    assertThat(ids(store().list("compaction/A"))).containsExactly("compaction/A_B/x");
  }

  @Test
  public void listReturnsWhatGetReturns() {
    Checkpoint a = store().compareAndSet(Checkpoint.pending("compaction/a").withStats(Map.of("bytes", 5L)), 0);
    Checkpoint a2 = store().compareAndSet(a.withCursor(1), 1);

    assertThat(store().list("compaction/")).containsExactly(a2);
  }

  // ---------------------------------------------------------------- delete

  @Test
  public void deletesAtCurrentVersionAndAllowsRecreation() {
    Checkpoint v1 = store().compareAndSet(Checkpoint.pending(ID), 0);
    Checkpoint v2 = store().compareAndSet(v1.withCursor(4), 1);

    assertThat(store().delete(ID, v2.version())).isTrue();

    assertThat(store().get(ID)).isEmpty();
    assertThat(store().list("compaction/")).isEmpty();
    Checkpoint recreated = store().compareAndSet(Checkpoint.pending(ID), 0);
    assertThat(recreated.version()).isEqualTo(1);
    assertThat(store().get(ID)).contains(recreated);
  }

  @Test
  public void refusesDeleteAtOtherVersion() {
    Checkpoint v1 = store().compareAndSet(Checkpoint.pending(ID), 0);
    Checkpoint v2 = store().compareAndSet(v1.withCursor(4), 1);

    assertThat(store().delete(ID, 1)).isFalse();
    assertThat(store().delete(ID, 3)).isFalse();

    assertThat(store().get(ID)).contains(v2);
  }

  @Test
  public void deleteOfMissingCheckpointReturnsFalse() {
    assertThat(store().delete(ID, 1)).isFalse();
    assertThat(store().delete(ID, 0)).isFalse();
    assertThat(store().get(ID)).isEmpty();
  }

  @Test
  public void compareAndSetAtDeletedVersionConflicts() {
    Checkpoint v1 = store().compareAndSet(Checkpoint.pending(ID), 0);
    assertThat(store().delete(ID, 1)).isTrue();

    assertThatThrownBy(() -> store().compareAndSet(v1.withCursor(1), 1))
        .isInstanceOf(CheckpointConflictException.class);
    assertThat(store().get(ID)).isEmpty();
  }

  // ---------------------------------------------------------------- leases

  @Test
  public void acquiringLeaseOnMissingCheckpointCreatesPendingCheckpointHoldingIt() {
    Instant now = clock().instant();

    Checkpoint held = store().tryAcquireLease(ID, "worker-a", TTL, now).orElseThrow();

    assertThat(held.status()).isEqualTo(Status.PENDING);
    assertThat(held.cursor()).isZero();
    assertThat(held.version()).isEqualTo(1);
    assertThat(held.leaseOwner()).isEqualTo("worker-a");
    assertThat(held.leaseExpiresAt()).isEqualTo(now.plus(TTL));
    assertThat(store().get(ID)).contains(held);
  }

  @Test
  public void acquiringLeaseKeepsExistingProgress() {
    Checkpoint v1 = store().compareAndSet(Checkpoint.pending(ID).withCursor(3)
        .withMetadata(Map.of("completedGroupIds", List.of("cg-0", "cg-1", "cg-2"))), 0);

    Checkpoint held = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();

    assertThat(held.cursor()).isEqualTo(3);
    assertThat(held.metadata()).isEqualTo(v1.metadata());
    assertThat(held.version()).isEqualTo(2);
  }

  @Test
  public void refusesSecondOwnerWhileLeaseIsLive() {
    Checkpoint held = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();
    Instant justBeforeExpiry = clock().advance(TTL.minusMillis(1));

    assertThat(store().tryAcquireLease(ID, "worker-b", TTL, justBeforeExpiry)).isEmpty();

    assertThat(store().get(ID)).contains(held);
  }

  @Test
  public void anotherOwnerTakesLeaseOnceItExpired() {
    store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();
    Instant afterExpiry = clock().advance(TTL.plusSeconds(1));

    Checkpoint taken = store().tryAcquireLease(ID, "worker-b", TTL, afterExpiry).orElseThrow();

    assertThat(taken.leaseOwner()).isEqualTo("worker-b");
    assertThat(taken.leaseExpiresAt()).isEqualTo(afterExpiry.plus(TTL));
    assertThat(taken.version()).isEqualTo(2);
    assertThat(store().get(ID)).contains(taken);
  }

  @Test
  public void ownerReacquiringRenewsLease() {
    Checkpoint first = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();
    Instant later = clock().advance(Duration.ofMinutes(3));

    Checkpoint renewed = store().tryAcquireLease(ID, "worker-a", TTL, later).orElseThrow();

    assertThat(renewed.leaseOwner()).isEqualTo("worker-a");
    assertThat(renewed.leaseExpiresAt()).isEqualTo(later.plus(TTL)).isAfter(first.leaseExpiresAt());
    assertThat(renewed.version()).isEqualTo(first.version() + 1);
    Instant afterFirstExpiry = clock().advance(Duration.ofMinutes(3));
    assertThat(store().tryAcquireLease(ID, "worker-b", TTL, afterFirstExpiry)).isEmpty();
  }

  @Test
  public void holderWritesUnderLeaseAndExtendsIt() {
    Checkpoint held = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();
    Instant later = clock().advance(Duration.ofMinutes(2));

    Checkpoint written = store().writeUnderLease(held.withCursor(1)
        .withStats(Map.of("chunksCompleted", 1L)), TTL, later);

    assertThat(written.cursor()).isEqualTo(1);
    assertThat(written.version()).isEqualTo(held.version() + 1);
    assertThat(written.leaseOwner()).isEqualTo("worker-a");
    assertThat(written.leaseExpiresAt()).isEqualTo(later.plus(TTL));
    assertThat(written.updatedAt()).isEqualTo(later);
    assertThat(store().get(ID)).contains(written);
  }

  @Test
  public void writeUnderLeaseFailsAfterLeaseWasTakenOver() {
    Checkpoint heldByA = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();
    Instant afterExpiry = clock().advance(TTL.plusSeconds(1));
    Checkpoint heldByB = store().tryAcquireLease(ID, "worker-b", TTL, afterExpiry).orElseThrow();

    assertThatThrownBy(() -> store().writeUnderLease(heldByA.withCursor(7), TTL, afterExpiry))
        .isInstanceOf(CheckpointConflictException.class)
        .hasMessageContaining(ID);

    assertThat(store().get(ID)).contains(heldByB);
  }

  @Test
  public void writeUnderLeaseFailsWhenVersionMovedUnderTheHolder() {
    Checkpoint held = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();
    Checkpoint renewed = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();

    assertThatThrownBy(() -> store().writeUnderLease(held.withCursor(7), TTL, clock().instant()))
        .isInstanceOf(CheckpointConflictException.class);

    assertThat(store().get(ID)).contains(renewed);
  }

  @Test
  public void writeUnderLeaseFailsWhenCheckpointWasDeleted() {
    Checkpoint held = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();
    assertThat(store().delete(ID, held.version())).isTrue();

    assertThatThrownBy(() -> store().writeUnderLease(held.withCursor(1), TTL, clock().instant()))
        .isInstanceOf(CheckpointConflictException.class)
        .hasMessageContaining(ID);
    assertThat(store().get(ID)).isEmpty();
  }

  @Test
  public void releasedLeaseCanBeTakenByAnotherOwnerAtOnce() {
    Checkpoint held = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();

    store().releaseLease(ID, "worker-a");

    Checkpoint released = store().get(ID).orElseThrow();
    assertThat(released.leaseOwner()).isNull();
    assertThat(released.leaseExpiresAt()).isNull();
    assertThat(released.version()).isEqualTo(held.version() + 1);
    Checkpoint taken = store().tryAcquireLease(ID, "worker-b", TTL, clock().instant()).orElseThrow();
    assertThat(taken.leaseOwner()).isEqualTo("worker-b");
  }

  @Test
  public void releaseByNonHolderChangesNothing() {
    Checkpoint held = store().tryAcquireLease(ID, "worker-a", TTL, clock().instant()).orElseThrow();

    store().releaseLease(ID, "worker-b");
    store().releaseLease("compaction/acme/prod/other", "worker-a");

    assertThat(store().get(ID)).contains(held);
    assertThat(store().get("compaction/acme/prod/other")).isEmpty();
    assertThat(store().tryAcquireLease(ID, "worker-b", TTL, clock().instant())).isEmpty();
  }

  @Test
  public void racingLeaseAcquisitionsHaveExactlyOneHolder() throws Exception {
    Instant now = clock().instant();

    List<Optional<Checkpoint>> outcomes = race(i -> store().tryAcquireLease(ID, "worker-" + i, TTL, now));

    List<Checkpoint> holders = outcomes.stream().flatMap(Optional::stream).toList();
    assertThat(holders).hasSize(1);
    Checkpoint stored = store().get(ID).orElseThrow();
    assertThat(stored.leaseOwner()).isEqualTo(holders.get(0).leaseOwner());
    assertThat(stored).isEqualTo(holders.get(0));
  }

  @Test
  public void racingLeaseAcquisitionsOfExpiredLeaseHaveExactlyOneHolder() throws Exception {
    store().tryAcquireLease(ID, "worker-old", TTL, clock().instant()).orElseThrow();
    Instant afterExpiry = clock().advance(TTL.plusSeconds(1));

    List<Optional<Checkpoint>> outcomes = race(i -> store().tryAcquireLease(ID, "worker-" + i, TTL, afterExpiry));

    List<Checkpoint> holders = outcomes.stream().flatMap(Optional::stream).toList();
    assertThat(holders).hasSize(1);
    assertThat(store().get(ID)).contains(holders.get(0));
  }

  // ---------------------------------------------------------------- helpers

  /** A task of one racing thread, given its index. */
  @FunctionalInterface
  protected interface RaceTask<T> {
    T run(int index) throws Exception;
  }

  /** Runs {@value #THREADS} copies of {@code task} released at the same instant; returns their results. */
  protected static <T> List<T> race(RaceTask<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch ready = new CountDownLatch(THREADS);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < THREADS; i++) {
        int index = i;
        Callable<T> racer = () -> {
          ready.countDown();
          go.await();
          return task.run(index);
        };
        futures.add(pool.submit(racer));
      }
      assertThat(ready.await(30, TimeUnit.SECONDS)).as("racing threads started").isTrue();
      go.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  private static List<String> ids(List<Checkpoint> checkpoints) {
    return checkpoints.stream().map(Checkpoint::id).toList();
  }
}
