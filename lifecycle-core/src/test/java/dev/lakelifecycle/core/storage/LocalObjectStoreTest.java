package dev.lakelifecycle.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.testkit.ObjectStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local-directory store against the ObjectStore contract, plus what only a file system shows. */
class LocalObjectStoreTest extends ObjectStoreContract {
  @TempDir Path dir;

  private Path root() {
    return dir.resolve("lake/t");
  }

  /** fsync changes nothing a test can observe without a power cut, and costs milliseconds per write here. */
  @Override
  protected ObjectStore newStore() {
    return LocalObjectStore.builder(root()).fsync(false).build();
  }

  @Test
  void durableStoreWritesReplacesAndCreatesConditionally() throws IOException {
    try (LocalObjectStore durable = LocalObjectStore.create(dir.resolve("durable"))) {
      ObjectInfo v1 = durable.put("k", bytes("1"), dev.lakelifecycle.api.storage.WriteCondition.ifAbsent());
      durable.put("k", bytes("2"), dev.lakelifecycle.api.storage.WriteCondition.ifMatch(v1.etag()));
      ObjectOutput out = durable.create("s/k");
      out.write(bytes("streamed"));
      out.close();

      assertThat(durable.read("k")).isEqualTo(bytes("2"));
      assertThat(durable.read("s/k")).isEqualTo(bytes("streamed"));
    }
  }

  @Test
  void writesUnderADirectoryThatConcurrentDeletesKeepEmptyingAllSucceed() throws Exception {
    // Deleting the last key under a directory removes it; a write creating it again at that moment must not
    // mistake the vanished directory for an object in the way.
    try (LocalObjectStore store = LocalObjectStore.builder(dir.resolve("racing")).fsync(false).build()) {
      int threads = 4;
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
      try {
        List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          done.add(pool.submit(() -> {
            for (int i = 0; i < 500; i++) {
              String key = "compaction-plan/acme/prod/t" + thread + "-" + i + ".json";
              store.put(key, bytes("plan"), dev.lakelifecycle.api.storage.WriteCondition.ifAbsent());
              store.put(key + ".2", bytes("plan"));
              store.delete(List.of(key, key + ".2"));
            }
            return null;
          }));
        }
        for (java.util.concurrent.Future<?> f : done) {
          f.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      try (Stream<dev.lakelifecycle.api.storage.ObjectInfo> left = store.list("compaction-plan/", null)) {
        assertThat(left).isEmpty();
      }
    }
  }

  @Test
  void lastModifiedFollowsStoreClockAndStrictlyIncreases() {
    var clock = dev.lakelifecycle.testkit.MutableClock.at("2030-01-15T10:00:00Z");
    try (LocalObjectStore clocked = LocalObjectStore.builder(dir.resolve("clocked")).clock(clock).fsync(false).build()) {
      ObjectInfo a = clocked.put("a", bytes("x"));
      ObjectInfo b = clocked.put("b", bytes("x"));
      clock.advance(java.time.Duration.ofHours(2));
      ObjectInfo c = clocked.put("c", bytes("x"));

      assertThat(a.lastModified()).isAfterOrEqualTo(java.time.Instant.parse("2030-01-15T10:00:00Z"));
      assertThat(b.lastModified()).isAfter(a.lastModified());
      assertThat(c.lastModified()).isEqualTo(java.time.Instant.parse("2030-01-15T12:00:00Z"));
      assertThat(clocked.stat("c").orElseThrow().lastModified()).isEqualTo(c.lastModified());
    }
  }

  @Test
  void rootWithSpaceMapsItsUriFormsBack() {
    try (LocalObjectStore spaced = LocalObjectStore.builder(dir.resolve("my lake")).fsync(false).build()) {
      assertThat(spaced.root().toString()).endsWith("/my%20lake/");
      assertThat(spaced.keyOf(spaced.root() + "x/y")).contains("x/y");
      assertThat(spaced.keyOf(spaced.root().resolve("a%20b").toString())).contains("a b");
      assertThat(spaced.keyOf(spaced.location("a b"))).contains("a b");
      assertThat(spaced.keyOf(dir.resolve("my lake/k").toUri().toString())).contains("k");
    }
  }

  @Test
  void rootIsFileUriOfAbsoluteDirectoryEndingWithSlash() {
    assertThat(store.root().getScheme()).isEqualTo("file");
    assertThat(store.root().toString()).isEqualTo("file:" + root().toAbsolutePath() + "/");
    assertThat(Files.isDirectory(root())).isTrue();
    assertThat(store.location("a b/c")).isEqualTo("file:" + root().toAbsolutePath() + "/a b/c");
  }

  @Test
  void keyOfAcceptsEveryLocalSpellingOfOneObject() {
    String abs = root().toAbsolutePath().toString();

    assertThat(store.keyOf("file:" + abs + "/x/y")).contains("x/y");
    assertThat(store.keyOf("file://" + abs + "/x/y")).contains("x/y");
    assertThat(store.keyOf("file://localhost" + abs + "/x/y")).contains("x/y");
    assertThat(store.keyOf(abs + "/x/y")).contains("x/y");
    assertThat(store.keyOf(abs + "/x/./z/../y")).contains("x/y");
    assertThat(store.keyOf(root().resolve("sp ace/é").toUri().toString())).contains("sp ace/é");
    assertThat(store.keyOf("file://" + abs + "/pct%2520raw")).contains("pct%20raw");
  }

  @Test
  void singleSlashFileFormIsReadRawFirst() {
    // file:/ is location()'s own (Hadoop's) raw form: a '%' there is a character of the key, not an escape.
    String fileUriForm = root().resolve("sp ace").toFile().toURI().toString();

    assertThat(fileUriForm).contains("sp%20ace");
    assertThat(store.keyOf(fileUriForm)).contains("sp%20ace");
  }

  @Test
  void rawPercentInLocationIsKeptAsWritten() {
    store.put("a%20b", bytes("raw"));

    assertThat(store.keyOf(store.location("a%20b"))).contains("a%20b");
    assertThat(store.keyOf(root().toAbsolutePath() + "/a%20b")).contains("a%20b");
  }

  @Test
  void keyOfRejectsSiblingWithSharedNamePrefixAndInternalFiles() {
    String abs = root().toAbsolutePath().toString();

    assertThat(store.keyOf(abs + "_2/x")).isEmpty();
    assertThat(store.keyOf("file:" + abs + "_2/x")).isEmpty();
    assertThat(store.keyOf("file://otherhost" + abs + "/x")).isEmpty();
    assertThat(store.keyOf(abs + "/.tmp/locks/00.lock")).isEmpty();
    assertThat(store.keyOf(abs + "/dir/")).isEmpty();
  }

  @Test
  void rejectsReservedTempPrefixAsKey() {
    assertThatThrownBy(() -> store.put(".tmp/x", bytes("x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(".tmp/x");
  }

  @Test
  void listingNeverShowsTempFilesOfOpenWrites() throws IOException {
    store.put("a", bytes("1"));
    ObjectOutput open = store.create("b");
    open.write(bytes("pending"));

    assertThat(Files.list(root().resolve(".tmp")).filter(p -> p.toString().endsWith(".tmp"))).hasSize(1);
    assertThat(store.list("").map(ObjectInfo::key)).containsExactly("a");
    assertThat(store.list(".").map(ObjectInfo::key)).isEmpty();

    open.abort();
    assertThat(Files.list(root().resolve(".tmp")).filter(p -> p.toString().endsWith(".tmp"))).isEmpty();
  }

  @Test
  void failedConditionalWriteLeavesNoTempFile() {
    store.put("k", bytes("1"));
    assertThatThrownBy(() -> store.put("k", bytes("2"), dev.lakelifecycle.api.storage.WriteCondition.ifAbsent()))
        .isInstanceOf(dev.lakelifecycle.api.PreconditionFailedException.class);

    assertThat(tempFiles()).isEmpty();
  }

  @Test
  void deleteRemovesEmptyParentDirectoriesButNeverTheRoot() {
    store.put("a/b/c/d", bytes("x"));
    store.put("a/keep", bytes("y"));

    store.delete(List.of("a/b/c/d"));
    assertThat(root().resolve("a/b")).doesNotExist();
    assertThat(root().resolve("a")).isDirectory();

    store.delete(List.of("a/keep"));
    assertThat(root().resolve("a")).doesNotExist();
    assertThat(root()).isDirectory();
  }

  @Test
  void invalidKeyInDeleteBatchIsReportedNotThrown() {
    store.put("ok", bytes("x"));

    var result = store.delete(List.of("ok", "../escape"));

    assertThat(result.deleted()).containsExactly("ok");
    assertThat(result.failed()).containsOnlyKeys("../escape");
  }

  @Test
  void closingStoreAbortsOpenStreamingWrites() throws IOException {
    ObjectOutput out = store.create("k");
    out.write(bytes("x"));

    store.close();

    assertThat(tempFiles()).isEmpty();
    try (LocalObjectStore reopened = LocalObjectStore.create(root())) {
      assertThat(reopened.stat("k")).isEmpty();
    }
  }

  @Test
  void twoStoresOnOneRootShareLocksAndData() throws Exception {
    try (LocalObjectStore other = LocalObjectStore.create(root())) {
      String base = store.put("m", bytes("base")).etag();
      List<Boolean> outcomes = race(8, i -> {
        try {
          (i % 2 == 0 ? store : other).put("m", bytes("w" + i),
              dev.lakelifecycle.api.storage.WriteCondition.ifMatch(base));
          return true;
        } catch (dev.lakelifecycle.api.PreconditionFailedException e) {
          return false;
        }
      });
      assertThat(outcomes.stream().filter(b -> b)).hasSize(1);
      assertThat(other.read("m")).isEqualTo(store.read("m"));
    }
  }

  @Test
  void providerOpensFileUrisAndRejectsOthers() {
    var provider = new LocalObjectStoreProvider();
    assertThat(provider.schemes()).containsExactly("file");
    try (ObjectStore opened = provider.open(root().toUri(), java.util.Map.of())) {
      store.put("shared", bytes("x"));
      assertThat(opened.read("shared")).isEqualTo(bytes("x"));
    }
    assertThatThrownBy(() -> provider.open(java.net.URI.create("file://host/x/"), java.util.Map.of()))
        .isInstanceOf(dev.lakelifecycle.api.InvalidConfigurationException.class).hasMessageContaining("host");
    assertThatThrownBy(() -> provider.open(root().toUri(), java.util.Map.of("region", "x")))
        .isInstanceOf(dev.lakelifecycle.api.InvalidConfigurationException.class).hasMessageContaining("region");
  }

  @Test
  void serviceLoaderFindsProviderForFileScheme() {
    var found = java.util.ServiceLoader.load(dev.lakelifecycle.api.storage.ObjectStoreProvider.class).stream()
        .map(p -> p.get())
        .filter(p -> p.schemes().contains("file"))
        .toList();
    assertThat(found).singleElement().isInstanceOf(LocalObjectStoreProvider.class);
  }

  private List<Path> tempFiles() {
    try (Stream<Path> s = Files.list(root().resolve(".tmp"))) {
      return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
