package dev.lakelifecycle.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.WriteCondition;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Failure;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Operation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The testkit's fault injector over a real local store: each fault does what it says and nothing more. */
class FaultInjectingObjectStoreTest {
  @TempDir Path dir;
  private LocalObjectStore real;
  private FaultInjectingObjectStore store;

  @BeforeEach
  void open() {
    real = LocalObjectStore.builder(dir).fsync(false).build();
    store = FaultInjectingObjectStore.wrap(real);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void failsExactlyTheNthPutWithRetryableErrorAndWritesNothing() {
    store.failNth(Operation.PUT, 2);

    store.put("a", bytes("1"));
    assertThatThrownBy(() -> store.put("b", bytes("2")))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.isRetryable()).isTrue())
        .hasMessageContaining("Injected fault").hasMessageContaining("b");
    store.put("c", bytes("3"));

    assertThat(real.list("").map(ObjectInfo::key)).containsExactly("a", "c");
    assertThat(store.calls(Operation.PUT)).isEqualTo(3);
  }

  @Test
  void crashAfterPutLeavesObjectWrittenButThrows() {
    store.crashAfterWrite(Operation.PUT, 1);

    assertThatThrownBy(() -> store.put("lease", bytes("mine"))).isInstanceOf(StorageException.class)
        .hasMessageContaining("was written");

    assertThat(real.read("lease")).isEqualTo(bytes("mine"));
    store.put("lease", bytes("again"));
    assertThat(real.read("lease")).isEqualTo(bytes("again"));
  }

  @Test
  void failedStreamingPublishLeavesNothingAndCrashedOnePublishes() throws IOException {
    store.failNth(Operation.CREATE, 1).crashAfterWrite(Operation.CREATE, 2);

    ObjectOutput failing = store.create("failed");
    failing.write(bytes("lost"));
    assertThatThrownBy(failing::close).isInstanceOf(IOException.class).hasMessageContaining("failed");
    ObjectOutput crashing = store.create("crashed");
    crashing.write(bytes("kept"));
    assertThatThrownBy(crashing::close).isInstanceOf(IOException.class).hasMessageContaining("was written");

    assertThat(real.list("").map(ObjectInfo::key)).containsExactly("crashed");
    assertThat(real.read("crashed")).isEqualTo(bytes("kept"));
  }

  @Test
  void keyPredicateFailsEveryMatchingCallUntilCleared() {
    real.put("x.parquet", bytes("p"));
    real.put("x.json", bytes("j"));
    store.failWhere(Operation.OPEN, k -> k.endsWith(".parquet"));

    assertThatThrownBy(() -> store.read("x.parquet")).isInstanceOf(StorageException.class);
    assertThatThrownBy(() -> store.open("x.parquet")).isInstanceOf(StorageException.class);
    assertThat(store.read("x.json")).isEqualTo(bytes("j"));

    store.clearFaults();
    assertThat(store.read("x.parquet")).isEqualTo(bytes("p"));
    assertThat(store.calls(Operation.OPEN)).isEqualTo(4);
  }

  @Test
  void deleteReportsPredicateKeysAsFailedAndDeletesTheRest() {
    real.put("a", bytes("1"));
    real.put("b", bytes("2"));
    store.failWhere(Operation.DELETE, "b"::equals);

    DeleteResult r = store.delete(List.of("a", "b"));

    assertThat(r.deleted()).containsExactly("a");
    assertThat(r.failed()).containsOnlyKeys("b");
    assertThat(real.list("").map(ObjectInfo::key)).containsExactly("b");
  }

  @Test
  void nthDeleteCallFailsWhole() {
    real.put("a", bytes("1"));
    store.failNth(Operation.DELETE, 1);

    assertThatThrownBy(() -> store.delete(List.of("a"))).isInstanceOf(StorageException.class);
    assertThat(real.stat("a")).isPresent();
    assertThat(store.delete(List.of("a")).deleted()).containsExactly("a");
  }

  @Test
  void listAndStatFaultsStrikeTheirCall() {
    real.put("p/a", bytes("1"));
    store.failNth(Operation.LIST, 1).failNth(Operation.STAT, 1);

    assertThatThrownBy(() -> store.list("p/")).isInstanceOf(StorageException.class).hasMessageContaining("p/");
    assertThatThrownBy(() -> store.stat("p/a")).isInstanceOf(StorageException.class);
    assertThat(store.list("p/").map(ObjectInfo::key)).containsExactly("p/a");
    assertThat(store.stat("p/a")).isPresent();
  }

  @Test
  void rejectsNonsenseArming() {
    assertThatThrownBy(() -> store.failNth(Operation.PUT, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.crashAfterWrite(Operation.OPEN, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void failNextStrikesOnlyMatchingCallsThenDisarms() {
    store.failNext(Operation.PUT, 2, k -> k.startsWith("v"), Failure.FAIL_PERMANENTLY);

    store.put("a", bytes("1"));
    assertThatThrownBy(() -> store.put("v1", bytes("2")))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.isRetryable()).isFalse())
        .hasMessageContaining("Injected fault").hasMessageContaining("v1");
    assertThatThrownBy(() -> store.put("v2", bytes("3"))).isInstanceOf(StorageException.class);
    store.put("v3", bytes("4"));

    assertThat(real.list("").map(ObjectInfo::key)).containsExactly("a", "v3");
    assertThat(store.calls(Operation.PUT)).isEqualTo(4);
    assertThat(store.injected(Operation.PUT)).isEqualTo(2);
  }

  @Test
  void writeThenPreconditionFailedLandsAConditionalPutAndAnswers412() {
    store.failNext(Operation.PUT, 1, k -> true, Failure.WRITE_THEN_PRECONDITION_FAILED);

    store.put("plain", bytes("unconditional puts are never answered 412"));
    assertThatThrownBy(() -> store.put("cas", bytes("mine"), WriteCondition.ifAbsent()))
        .isInstanceOf(PreconditionFailedException.class)
        .hasMessageContaining("was written");

    assertThat(real.read("cas")).isEqualTo(bytes("mine"));
    assertThat(store.injected(Operation.PUT)).isEqualTo(1);
  }

  @Test
  void preconditionFailedWritesNothing() {
    store.failNext(Operation.PUT, 1, "cas"::equals, Failure.PRECONDITION_FAILED);

    assertThatThrownBy(() -> store.put("cas", bytes("mine"), WriteCondition.ifAbsent()))
        .isInstanceOf(PreconditionFailedException.class);

    assertThat(real.stat("cas")).isEmpty();
    assertThat(store.put("cas", bytes("mine"), WriteCondition.ifAbsent()).key()).isEqualTo("cas");
  }

  @Test
  void failedStreamingWriteOfAMatchingKeyIsAbortedWithARetryableCause() throws IOException {
    store.failNext(Operation.CREATE, 1, k -> k.startsWith("data/"), Failure.FAIL);

    try (ObjectOutput kept = store.create("meta/kept")) {
      kept.write(bytes("kept"));
    }
    ObjectOutput failing = store.create("data/lost");
    failing.write(bytes("lost"));
    assertThatThrownBy(failing::close).isInstanceOf(IOException.class)
        .cause().isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.isRetryable()).isTrue());

    assertThat(real.list("").map(ObjectInfo::key)).containsExactly("meta/kept");
  }

  @Test
  void rejectsFailuresThatDoNotApplyToTheOperation() {
    assertThatThrownBy(() -> store.failNext(Operation.OPEN, 1, k -> true, Failure.WRITE_THEN_FAIL))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.failNext(Operation.CREATE, 1, k -> true, Failure.PRECONDITION_FAILED))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.failNext(Operation.DELETE, 1, k -> true, Failure.FAIL))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.failNext(Operation.PUT, 0, k -> true, Failure.FAIL))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
