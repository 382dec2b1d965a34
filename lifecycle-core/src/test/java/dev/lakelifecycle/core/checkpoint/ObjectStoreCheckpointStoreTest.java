package dev.lakelifecycle.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lakelifecycle.api.CheckpointConflictException;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Failure;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Operation;
import dev.lakelifecycle.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract, plus what is particular to keeping checkpoints as JSON objects, over real files: the embedded
 * default of {@code Lifecycle} on a {@code file:} location. Faults come from the testkit's
 * {@link FaultInjectingObjectStore}.
 */
class ObjectStoreCheckpointStoreTest extends EmbeddedCheckpointStoreTests {
  private static final String ID = "compaction/acme/prod/traces";
  private static final String KEY = "_checkpoints/compaction/acme/prod/traces.json";

  private final MutableClock clock = MutableClock.at("2026-01-15T10:00:00Z");
  @TempDir
  Path root;

  private ObjectStore backing;
  private FaultInjectingObjectStore faulty;
  private ObjectStoreCheckpointStore store;

  @BeforeEach
  void openStores() {
    backing = new LocalObjectStore(root);
    faulty = FaultInjectingObjectStore.wrap(backing);
    store = new ObjectStoreCheckpointStore(faulty, "_checkpoints/", clock);
  }

  @AfterEach
  void closeStores() {
    store.close();
    faulty.close();
  }

  @Override
  protected CheckpointStore store() {
    return store;
  }

  @Override
  protected MutableClock clock() {
    return clock;
  }

  @Test
  void keepsOneJsonObjectPerCheckpointInTheRunbookShape() throws Exception {
    Checkpoint held = store.tryAcquireLease(ID, "worker-7", Duration.ofMinutes(5), clock.instant()).orElseThrow();
    store.compareAndSet(held.withCursor(2).withStatus(Checkpoint.Status.COMPLETED)
        .withMetadata(Map.of("completedGroupIds", List.of("cg-0", "cg-1")))
        .withStats(Map.of("chunksCompleted", 2L, "ratio", 0.5)), held.version());

    try (Stream<ObjectInfo> listed = backing.list("")) {
      assertThat(listed.map(ObjectInfo::key)).containsExactly(KEY);
    }
    JsonNode json = new ObjectMapper().readTree(backing.read(KEY));
    assertThat(json.get("id").textValue()).isEqualTo(ID);
    assertThat(json.get("status").textValue()).isEqualTo("completed");
    assertThat(json.get("cursor").intValue()).isEqualTo(2);
    assertThat(json.get("metadata").get("completedGroupIds").get(1).textValue()).isEqualTo("cg-1");
    assertThat(json.get("stats").get("chunksCompleted").longValue()).isEqualTo(2L);
    assertThat(json.get("version").longValue()).isEqualTo(2L);
    assertThat(json.get("updated_at").textValue()).isEqualTo("2026-01-15T10:00:00Z");
    assertThat(json.get("lease_owner").textValue()).isEqualTo("worker-7");
    assertThat(json.get("lease_expires_at").textValue()).isEqualTo("2026-01-15T10:05:00Z");
    assertThat(json.get("write_token").textValue()).isNotBlank();
  }

  @Test
  void percentEncodesIdSegmentsInKeys() {
    store.compareAndSet(Checkpoint.pending("sweep/acme prod/ü"), 0);

    assertThat(backing.stat("_checkpoints/sweep/acme%20prod/%C3%BC.json")).isPresent();
  }

  @Test
  void seesCheckpointsWrittenThroughAnotherStoreInstance() {
    ObjectStoreCheckpointStore other = new ObjectStoreCheckpointStore(backing, "_checkpoints/", clock);
    Checkpoint v1 = other.compareAndSet(Checkpoint.pending(ID), 0);

    assertThat(store.get(ID)).contains(v1);
    assertThatThrownBy(() -> store.compareAndSet(Checkpoint.pending(ID), 0))
        .isInstanceOf(CheckpointConflictException.class);
    Checkpoint v2 = store.compareAndSet(v1.withCursor(1), 1);
    assertThat(other.get(ID)).contains(v2);
  }

  @Test
  void corruptObjectFailsWithErrorNamingItsLocation() {
    backing.put(KEY, "{\"id\": \"compaction/acme/prod/traces\", \"status\": ".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> store.get(ID))
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining(backing.location(KEY))
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> store.list("compaction/"))
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining(backing.location(KEY));
    assertThatThrownBy(() -> store.compareAndSet(Checkpoint.pending(ID), 1))
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining(backing.location(KEY));
  }

  @Test
  void objectWithWrongShapeFailsWithErrorNamingTheField() {
    backing.put(KEY, ("{\"id\": \"compaction/acme/prod/traces\", \"status\": \"running\", \"cursor\": 0,"
        + " \"version\": 1, \"updated_at\": \"2026-01-15T10:00:00Z\"}").getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> store.get(ID))
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining(backing.location(KEY))
        .hasMessageContaining("status 'running'");
  }

  @Test
  void objectHoldingAnotherIdIsReportedAsCopiedOrRenamed() {
    store.compareAndSet(Checkpoint.pending("compaction/acme/prod/logs"), 0);
    backing.put(KEY, backing.read("_checkpoints/compaction/acme/prod/logs.json"));

    assertThatThrownBy(() -> store.get(ID))
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining(backing.location(KEY))
        .hasMessageContaining("compaction/acme/prod/logs");
  }

  @Test
  void readsObjectsWithoutOptionalFields() {
    backing.put(KEY, ("{\"id\": \"compaction/acme/prod/traces\", \"status\": \"pending\", \"cursor\": 3,"
        + " \"version\": 7, \"updated_at\": \"2026-01-15T09:00:00Z\", \"future_field\": [1]}")
        .getBytes(StandardCharsets.UTF_8));

    Checkpoint read = store.get(ID).orElseThrow();

    assertThat(read.cursor()).isEqualTo(3);
    assertThat(read.version()).isEqualTo(7);
    assertThat(read.metadata()).isEmpty();
    assertThat(read.leaseOwner()).isNull();
    assertThat(store.compareAndSet(read.withCursor(4), 7).version()).isEqualTo(8);
  }

  @Test
  void listSkipsObjectsItDidNotWrite() {
    Checkpoint a = store.compareAndSet(Checkpoint.pending("compaction/a"), 0);
    backing.put("_checkpoints/compaction/README.txt", new byte[] {1});
    backing.put("_checkpoints/compaction/bad%zz.json", new byte[] {1});
    backing.put("_checkpoints/compaction/%61.json", new byte[] {1});
    backing.put("_checkpointsX/compaction/b.json", new byte[] {1});

    assertThat(store.list("compaction/")).containsExactly(a);
    assertThat(store.list("")).containsExactly(a);
  }

  @Test
  void createWhoseAcknowledgementWasLostIsRecognisedByReadingBack() {
    faulty.crashAfterWrite(Operation.PUT, 1);

    Checkpoint created = store.compareAndSet(Checkpoint.pending(ID).withCursor(1), 0);

    assertThat(created.version()).isEqualTo(1);
    assertThat(store.get(ID)).contains(created);
  }

  @Test
  void replaceWhoseAcknowledgementWasLostIsRecognisedByReadingBack() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    faulty.crashAfterWrite(Operation.PUT, 1);

    Checkpoint v2 = store.compareAndSet(v1.withCursor(1), 1);

    assertThat(v2.version()).isEqualTo(2);
    assertThat(store.get(ID)).contains(v2);
  }

  @Test
  void retriedPutAnsweringPreconditionFailedAfterLandingCountsAsSuccess() {
    faulty.failNext(Operation.PUT, 1, KEY::equals, Failure.WRITE_THEN_PRECONDITION_FAILED);
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    faulty.failNext(Operation.PUT, 1, KEY::equals, Failure.WRITE_THEN_PRECONDITION_FAILED);

    Checkpoint v2 = store.compareAndSet(v1.withCursor(1), 1);

    assertThat(store.get(ID)).contains(v2);
  }

  @Test
  void putThatDidNotLandFailsWithTheStorageErrorAndChangesNothing() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    faulty.failNth(Operation.PUT, 1);

    assertThatThrownBy(() -> store.compareAndSet(v1.withCursor(1), 1))
        .isInstanceOf(StorageException.class)
        .isNotInstanceOf(CheckpointConflictException.class)
        .satisfies(e -> assertThat(((StorageException) e).isRetryable()).isTrue());

    assertThat(store.get(ID)).contains(v1);
    assertThat(store.compareAndSet(v1.withCursor(1), 1).version()).isEqualTo(2);
  }

  @Test
  void leaseAcquiredDespiteLostAcknowledgementIsHeld() {
    faulty.crashAfterWrite(Operation.PUT, 1);

    Checkpoint held = store.tryAcquireLease(ID, "worker-a", Duration.ofMinutes(5), clock.instant()).orElseThrow();

    assertThat(held.leaseOwner()).isEqualTo("worker-a");
    assertThat(store.tryAcquireLease(ID, "worker-b", Duration.ofMinutes(5), clock.instant())).isEmpty();
  }

  @Test
  void interruptedDeleteLeavesTombstoneThatReadsAsAbsentAndIsReplacedAfterGrace() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    faulty.failWhere(Operation.DELETE, KEY::equals);

    assertThat(store.delete(ID, v1.version())).isTrue();

    assertThat(backing.stat(KEY)).isPresent();
    assertThat(store.get(ID)).isEmpty();
    assertThat(store.list("")).isEmpty();
    assertThat(store.delete(ID, 1)).isFalse();
    assertThatThrownBy(() -> store.compareAndSet(v1.withCursor(3), 1))
        .isInstanceOf(CheckpointConflictException.class);
    assertThatThrownBy(() -> store.compareAndSet(Checkpoint.pending(ID), 0))
        .isInstanceOf(CheckpointConflictException.class)
        .hasMessageContaining("being deleted");

    clock.advance(Duration.ofSeconds(ObjectStoreCheckpointStore.TOMBSTONE_GRACE_SECONDS));
    Checkpoint recreated = store.compareAndSet(Checkpoint.pending(ID).withCursor(1), 0);

    assertThat(recreated.version()).isEqualTo(1);
    assertThat(store.get(ID)).contains(recreated);
  }

  @Test
  void deleteSucceedsWhenRemovingTheTombstoneFails() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    faulty.failNth(Operation.DELETE, 1);

    assertThat(store.delete(ID, v1.version())).isTrue();

    assertThat(backing.stat(KEY)).isPresent();
    assertThat(store.get(ID)).isEmpty();
  }

  @Test
  void racingWritersThroughSeparateStoresOnOneDirectoryHaveExactlyOneWinner() throws Exception {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);

    List<Optional<Checkpoint>> outcomes = race(i -> {
      try (LocalObjectStore own = new LocalObjectStore(root)) {
        ObjectStoreCheckpointStore writer = new ObjectStoreCheckpointStore(own, "_checkpoints/", clock);
        return Optional.of(writer.compareAndSet(v1.withCursor(i + 1), 1));
      } catch (CheckpointConflictException lost) {
        return Optional.empty();
      }
    });

    List<Checkpoint> winners = outcomes.stream().flatMap(Optional::stream).toList();
    assertThat(winners).hasSize(1);
    assertThat(store.get(ID)).contains(winners.get(0));
  }

  @Test
  void deleteRemovesTheObject() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);

    assertThat(store.delete(ID, v1.version())).isTrue();

    assertThat(backing.stat(KEY)).isEmpty();
  }

  @Test
  void deleteLosingToAConcurrentWriteReturnsFalseAndKeepsTheWrite() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    Checkpoint v2 = store.compareAndSet(v1.withCursor(1), 1);

    assertThat(store.delete(ID, 1)).isFalse();

    assertThat(store.get(ID)).contains(v2);
  }

  @Test
  void rejectsIdSegmentsTooLongForAFileName() {
    String longId = "compaction/" + "x".repeat(251);

    assertThatThrownBy(() -> store.compareAndSet(Checkpoint.pending(longId), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("250");
    assertThat(store.compareAndSet(Checkpoint.pending("compaction/" + "x".repeat(250)), 0).version()).isEqualTo(1);
  }

  @Test
  void rejectsPrefixStartingWithSlash() {
    assertThatThrownBy(() -> new ObjectStoreCheckpointStore(backing, "/_checkpoints/", clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/_checkpoints/");
  }
}
