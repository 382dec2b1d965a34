package dev.lakelifecycle.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.ObjectStoreProvider;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.core.Lifecycle;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/** What is particular to the S3 store: requests per read, locations, errors, configuration and discovery. */
class S3ObjectStoreBehaviourTest {
  private final S3Server server = S3Server.shared();

  @Test
  void parquetStyleFooterReadCostsOneRequestAndSmallForwardReadsShareABlock() {
    AtomicInteger gets = new AtomicInteger();
    ExecutionInterceptor counter = new ExecutionInterceptor() {
      @Override
      public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (context.request() instanceof GetObjectRequest) {
          gets.incrementAndGet();
        }
      }
    };
    byte[] content = new byte[1 << 20];
    new java.util.Random(7).nextBytes(content);
    try (S3ObjectStore store = server.builder(S3Server.freshRoot("reads")).addInterceptor(counter)
        .readAheadBytes(64 * 1024).build()) {
      store.put("f.parquet", content);

      try (SeekableInput in = store.open("f.parquet")) {
        byte[] magic = new byte[8];
        in.readFully(in.length() - 8, magic, 0, 8);
        byte[] footer = new byte[40_000];
        in.readFully(in.length() - 8 - footer.length, footer, 0, footer.length);
        assertThat(gets).as("open and footer reads").hasValue(1);
        assertThat(footer).isEqualTo(java.util.Arrays.copyOfRange(content, content.length - 40_008,
            content.length - 8));

        byte[] small = new byte[4096];
        in.readFully(100_000, small, 0, small.length);
        in.readFully(104_096, small, 0, small.length);
        assertThat(small).isEqualTo(java.util.Arrays.copyOfRange(content, 104_096, 108_192));
        assertThat(gets).as("two adjacent small reads").hasValue(2);

        byte[] chunk = new byte[300_000];
        in.readFully(200_000, chunk, 0, chunk.length);
        assertThat(chunk).isEqualTo(java.util.Arrays.copyOfRange(content, 200_000, 500_000));
        assertThat(gets).as("one large column-chunk read").hasValue(3);
      }
    }
  }

  @Test
  void s3AndS3aSpellingsOfOneObjectGiveOneKey() {
    try (S3ObjectStore store = server.builder(URI.create("s3://lake/keys-test/")).verifyBucket(false).build()) {
      assertThat(store.location("t/d/f.parquet")).isEqualTo("s3://lake/keys-test/t/d/f.parquet");
      assertThat(store.keyOf("s3a://lake/keys-test/t/d/f.parquet")).contains("t/d/f.parquet");
      assertThat(store.keyOf("S3://lake/keys-test/t/./d/f.parquet")).contains("t/d/f.parquet");
      assertThat(store.keyOf("s3://lake/keys-test/t/x/../d/f.parquet")).contains("t/d/f.parquet");
      assertThat(store.keyOf("s3://other/keys-test/t/d/f.parquet")).isEmpty();
      assertThat(store.keyOf("s3://lake/keys-test//t")).isEmpty();
      assertThat(store.keyOf("gs://lake/keys-test/t")).isEmpty();
    }
    try (S3ObjectStore spaced = server.builder(URI.create("s3a://lake/my%20lake/")).verifyBucket(false).build()) {
      assertThat(spaced.prefix()).isEqualTo("my lake/");
      assertThat(spaced.root().toString()).isEqualTo("s3a://lake/my%20lake/");
      assertThat(spaced.keyOf(spaced.root() + "a%2Bb/c")).contains("a+b/c");
      assertThat(spaced.keyOf("s3://lake/my lake/a b")).contains("a b");
    }
  }

  @Test
  void missingBucketFailsAtStartNamingTheBucketAndTheFix() {
    assertThatThrownBy(() -> server.builder(URI.create("s3://no-such-bucket/lake/")).build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("no-such-bucket")
        .hasMessageContaining("does not exist");
  }

  @Test
  void missingBucketIsATypedErrorNamingTheLocation() {
    try (S3ObjectStore store = server.builder(URI.create("s3://no-such-bucket/lake/")).verifyBucket(false).build()) {
      assertThatThrownBy(() -> store.put("a/b", new byte[] {1}))
          .isInstanceOfSatisfying(S3BucketNotFoundException.class, e -> {
            assertThat(e.bucket()).isEqualTo("no-such-bucket");
            assertThat(e.key()).isEqualTo("lake/a/b");
            assertThat(e.isRetryable()).isFalse();
          })
          .hasMessageContaining("s3://no-such-bucket/lake/a/b");
      assertThatThrownBy(() -> store.list("").toList()).isInstanceOf(S3BucketNotFoundException.class)
          .hasMessageContaining("no-such-bucket");
    }
  }

  @Test
  void wrongSecretIsAccessDeniedAndNeverPrinted() {
    String secret = "wrong-secret-that-must-not-leak";
    S3ObjectStore.Builder b = S3ObjectStore.builder().root(S3Server.freshRoot("denied")).endpoint(server.endpoint())
        .region("us-east-1").credentials(S3Server.ACCESS_KEY, secret).maxAttempts(1);
    assertThatThrownBy(b::build).isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("access denied").hasMessageNotContaining(secret);

    try (S3ObjectStore store = S3ObjectStore.builder().root(S3Server.freshRoot("denied"))
        .endpoint(server.endpoint()).region("us-east-1").credentials(S3Server.ACCESS_KEY, secret)
        .verifyBucket(false).maxAttempts(1).build()) {
      assertThatThrownBy(() -> store.read("x"))
          .isInstanceOfSatisfying(S3AccessDeniedException.class, e -> assertThat(e.statusCode()).isEqualTo(403))
          .hasMessageContaining("Cannot open s3://lake/denied-")
          .hasMessageNotContaining(secret);
    }
  }

  @Test
  void deletesInBatchesOfAtMostAThousand() {
    AtomicInteger batches = new AtomicInteger();
    ExecutionInterceptor counter = new ExecutionInterceptor() {
      @Override
      public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (context.request() instanceof software.amazon.awssdk.services.s3.model.DeleteObjectsRequest d) {
          assertThat(d.delete().objects()).hasSizeLessThanOrEqualTo(1000);
          batches.incrementAndGet();
        }
      }
    };
    try (S3ObjectStore store = server.builder(S3Server.freshRoot("deletes")).addInterceptor(counter).build()) {
      List<String> keys = java.util.stream.IntStream.range(0, 2_345).mapToObj(i -> "d/" + i).toList();
      for (String k : keys.subList(0, 30)) {
        store.put(k, new byte[] {1});
      }

      var result = store.delete(keys);

      assertThat(batches).hasValue(3);
      assertThat(result.failed()).isEmpty();
      assertThat(result.deleted()).hasSize(2_345);
      assertThat(store.list("d/")).isEmpty();
    }
  }

  @Test
  void serviceLoaderFindsTheProviderForS3AndS3a() {
    List<ObjectStoreProvider> providers = ServiceLoader.load(ObjectStoreProvider.class).stream()
        .map(ServiceLoader.Provider::get).filter(p -> p instanceof S3ObjectStoreProvider).toList();

    assertThat(providers).singleElement().satisfies(p -> assertThat(p.schemes()).containsExactlyInAnyOrder("s3", "s3a"));
  }

  @Test
  void lifecycleOpensAnS3aLocationWithPropertiesAndTheEnvironmentFillsTheRest() {
    Map<String, String> props = Map.of("s3.access-key-id", S3Server.ACCESS_KEY,
        "s3.secret-access-key", S3Server.SECRET_KEY, "s3.region", "us-east-1");
    Map<String, String> env = Map.of("LIFECYCLE_S3_ENDPOINT", server.endpoint().toString(),
        "LIFECYCLE_S3_PART_SIZE", "6291456");
    URI root = URI.create(S3Server.freshRoot("provider").toString().replace("s3://", "s3a://"));
    try (ObjectStore store = new S3ObjectStoreProvider(env).open(root, props)) {
      store.put("k", new byte[] {42});
      assertThat(store.keyOf(root.toString().replace("s3a://", "s3://") + "k")).contains("k");
      assertThat(((S3ObjectStore) store).partSize()).isEqualTo(6_291_456);
    }

    String location = S3Server.freshRoot("lifecycle").toString();
    Map<String, String> withEndpoint = new java.util.HashMap<>(props);
    withEndpoint.put("s3.endpoint", server.endpoint().toString());
    try (Lifecycle lake = Lifecycle.builder().location(location).storeProperties(withEndpoint).build()) {
      assertThat(lake.store()).isInstanceOf(S3ObjectStore.class);
      assertThat(lake.store().root().toString()).isEqualTo(location);
    }
  }

  @Test
  void rejectsUnknownAndInvalidSettingsNamingThem() {
    S3ObjectStoreProvider provider = new S3ObjectStoreProvider(Map.of());
    URI root = URI.create("s3://lake/x/");
    assertThatThrownBy(() -> provider.open(root, Map.of("s3.regoin", "eu-west-1")))
        .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("s3.regoin")
        .hasMessageContaining("s3.region");
    assertThatThrownBy(() -> provider.open(root, Map.of("s3.sse", "rot13")))
        .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("s3.sse");
    assertThatThrownBy(() -> provider.open(root, Map.of("s3.part-size", "1024")))
        .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("5 MiB");
    assertThatThrownBy(() -> provider.open(root, Map.of("s3.access-key-id", "AKIA")))
        .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("together");
    assertThatThrownBy(() -> provider.open(URI.create("s3:///nobucket/"), Map.of()))
        .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("s3://bucket/prefix/");
    assertThatThrownBy(() -> S3ObjectStore.builder().root(root).region("eu-west-1").region("us-east-1"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("region");
  }
}
