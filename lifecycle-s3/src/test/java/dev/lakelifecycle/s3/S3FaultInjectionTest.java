package dev.lakelifecycle.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults injected between the client and a real S3 protocol server by {@link FaultProxy}: throttling,
 * connections reset mid-upload, answers lost after the server acted. Each test checks that the SDK
 * retried, and then every byte: nothing lost, nothing duplicated, no incomplete multipart upload left.
 */
class S3FaultInjectionTest {
  private static final int PART = (int) S3ObjectStore.MIN_PART_SIZE;

  private S3Server server;
  private FaultProxy proxy;
  private URI root;
  private S3ObjectStore store;
  /** A second client straight to the server, unaffected by faults: the checker and the competitor. */
  private S3ObjectStore direct;

  @BeforeEach
  void start() throws IOException {
    server = S3Server.shared();
    proxy = new FaultProxy(server.endpoint());
    root = S3Server.freshRoot("faults");
    store = server.builder(root, proxy.endpoint()).backoff(Duration.ofMillis(10), Duration.ofMillis(200))
        .partSize(PART).build();
    direct = server.builder(root).build();
  }

  @AfterEach
  void stop() throws IOException {
    store.close();
    direct.close();
    proxy.close();
  }

  @ParameterizedTest(name = "503 on request {0}")
  @ValueSource(ints = {2, 3, 5, 8, 13})
  void throttledRequestIsRetriedAndEveryObjectLandsOnce(int n) {
    proxy.injectAt(n, FaultProxy.Fault.SLOW_DOWN_503);

    List<String> keys = IntStream.range(0, 6).mapToObj(i -> "t/f-" + i).toList();
    for (String k : keys) {
      store.put(k, bytes(k), WriteCondition.ifAbsent());
    }
    List<String> listed = store.list("t/").map(ObjectInfo::key).toList();
    byte[] first = store.read("t/f-0");

    assertThat(proxy.injected()).hasSize(1).allMatch(s -> s.startsWith("SLOW_DOWN_503"));
    assertThat(listed).containsExactlyElementsOf(keys);
    assertThat(first).isEqualTo(bytes("t/f-0"));
    for (String k : keys) {
      assertThat(direct.read(k)).isEqualTo(bytes(k));
    }
  }

  @Test
  void repeatedThrottlingGivesUpWithRetryableErrorNamingTheObject() {
    S3ObjectStore impatient = server.builder(root, proxy.endpoint()).maxAttempts(3)
        .backoff(Duration.ofMillis(5), Duration.ofMillis(20)).verifyBucket(false).build();
    proxy.inject(r -> r.method().equals("PUT"), FaultProxy.Fault.SLOW_DOWN_503, 3);
    try (impatient) {
      assertThatThrownBy(() -> impatient.put("slow/k", bytes("v")))
          .isInstanceOfSatisfying(S3StorageException.class, e -> {
            assertThat(e.isRetryable()).isTrue();
            assertThat(e.statusCode()).isEqualTo(503);
            assertThat(e.errorCode()).isEqualTo("SlowDown");
          })
          .hasMessageContaining(root + "slow/k")
          .hasMessageContaining("3 attempts")
          .hasMessageNotContaining(S3Server.SECRET_KEY);
    }
    assertThat(direct.stat("slow/k")).isEmpty();
  }

  @Test
  void connectionResetMidPartIsRetriedAndTheObjectIsWhole() throws IOException {
    byte[] content = random(2 * PART + 123_457, 1);
    proxy.inject(FaultProxy.Request::isUploadPart, FaultProxy.Fault.RESET_MID_BODY, 1);

    ObjectOutput out = store.create("big/a.parquet");
    out.write(content);
    out.close();

    assertThat(proxy.injected()).singleElement().asString().startsWith("RESET_MID_BODY PUT");
    assertThat(proxy.requests().stream().filter(FaultProxy.Request::isUploadPart)).hasSize(4);
    assertThat(direct.read("big/a.parquet")).isEqualTo(content);
    assertThat(out.result().size()).isEqualTo(content.length);
    assertThat(out.result().etag()).endsWith("-3\"");
    assertThat(server.incompleteUploads(direct.prefix())).isEmpty();
  }

  @Test
  void uploadThatKeepsFailingIsAbortedLeavingNoObjectAndNoUpload() throws IOException {
    byte[] content = random(2 * PART + 10, 2);
    // Part 2 fails on every attempt: the part is lost for good, the upload must go.
    proxy.inject(r -> r.isUploadPart() && r.target().contains("partNumber=2"), FaultProxy.Fault.RESET_MID_BODY,
        Integer.MAX_VALUE);

    ObjectOutput out = store.create("big/b.parquet");
    assertThatThrownBy(() -> {
      out.write(content);
      out.close();
    }).isInstanceOf(IOException.class).hasMessageContaining(root + "big/b.parquet")
        .hasMessageContaining("nothing was published");

    assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class);
    assertThat(direct.stat("big/b.parquet")).isEmpty();
    assertThat(server.incompleteUploads(direct.prefix())).isEmpty();
  }

  @Test
  void abortedMultipartOutputLeavesNoIncompleteUpload() throws IOException {
    ObjectOutput out = store.create("big/c.parquet");
    out.write(random(PART + 1, 3));
    assertThat(server.incompleteUploads(direct.prefix())).hasSize(1);

    out.abort();

    assertThat(server.incompleteUploads(direct.prefix())).isEmpty();
    assertThat(direct.stat("big/c.parquet")).isEmpty();
  }

  @Test
  void lostAnswerToCompleteIsResolvedByLookingAtTheObject() throws IOException {
    byte[] content = random(PART + 77, 4);
    proxy.inject(FaultProxy.Request::isComplete, FaultProxy.Fault.LOSE_RESPONSE, 1);

    ObjectOutput out = store.create("big/d.parquet");
    out.write(content);
    out.close();

    assertThat(proxy.injected()).singleElement().asString().startsWith("LOSE_RESPONSE POST");
    assertThat(direct.read("big/d.parquet")).isEqualTo(content);
    assertThat(out.result()).isEqualTo(direct.stat("big/d.parquet").orElseThrow());
    assertThat(server.incompleteUploads(direct.prefix())).isEmpty();
  }

  @Test
  void createIfAbsentWhoseAnswerWasLostSucceedsAfterTheRetrySees412() {
    proxy.inject(FaultProxy.Request::isConditionalPut, FaultProxy.Fault.LOSE_RESPONSE, 1);

    ObjectInfo info = store.put("commits/v1.json", bytes("{\"v\":1}"), WriteCondition.ifAbsent());

    assertThat(proxy.injected()).singleElement().asString().startsWith("LOSE_RESPONSE PUT");
    // The retry reached the server and was refused: the object existed, written by the first attempt.
    assertThat(proxy.requests().stream().filter(FaultProxy.Request::isConditionalPut)).hasSize(2);
    assertThat(direct.read("commits/v1.json")).isEqualTo(bytes("{\"v\":1}"));
    assertThat(info).isEqualTo(direct.stat("commits/v1.json").orElseThrow());
  }

  @Test
  void replaceIfMatchWhoseAnswerWasLostSucceedsAfterTheRetrySees412() {
    ObjectInfo v1 = direct.put("lease", bytes("owner=a;v=1"));
    proxy.inject(FaultProxy.Request::isConditionalPut, FaultProxy.Fault.LOSE_RESPONSE, 1);

    ObjectInfo v2 = store.put("lease", bytes("owner=a;v=2"), WriteCondition.ifMatch(v1.etag()));

    assertThat(proxy.requests().stream().filter(FaultProxy.Request::isConditionalPut)).hasSize(2);
    assertThat(direct.read("lease")).isEqualTo(bytes("owner=a;v=2"));
    assertThat(v2.etag()).isEqualTo(direct.stat("lease").orElseThrow().etag());
  }

  @Test
  void retried412IsAConflictWhenSomeoneElseWroteTheObject() {
    // The first attempt never reaches the server; a competitor creates the object meanwhile.
    proxy.inject(FaultProxy.Request::isConditionalPut, FaultProxy.Fault.RESET_MID_BODY, 1,
        () -> direct.put("commits/v2.json", bytes("{\"by\":\"competitor\"}"), WriteCondition.ifAbsent()));

    assertThatThrownBy(() -> store.put("commits/v2.json", bytes("{\"by\":\"me\"}"), WriteCondition.ifAbsent()))
        .isInstanceOf(PreconditionFailedException.class)
        .hasMessageContaining(root + "commits/v2.json");

    assertThat(direct.read("commits/v2.json")).isEqualTo(bytes("{\"by\":\"competitor\"}"));
  }

  @Test
  void rangedReadsSurviveResetsAndThrottling() {
    byte[] content = random(600_000, 5);
    direct.put("r/file.parquet", content);
    proxy.inject(r -> r.method().equals("GET") && r.header("range") != null, FaultProxy.Fault.SLOW_DOWN_503, 2);
    proxy.inject(r -> r.method().equals("GET") && r.header("range") != null, FaultProxy.Fault.LOSE_RESPONSE, 2);

    byte[] back = store.read("r/file.parquet");

    assertThat(back).isEqualTo(content);
    assertThat(proxy.injected()).hasSize(4);
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

}
