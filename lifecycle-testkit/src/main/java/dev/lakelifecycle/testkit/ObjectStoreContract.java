package dev.lakelifecycle.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link ObjectStore} must have. An implementation's test extends this class, returns a
 * fresh, empty store from {@link #newStore()} and overrides the {@code supportsX()} flags it differs on;
 * tests for capabilities a store lacks are skipped (assumptions), not failed.
 *
 * <pre>{@code
 * class MyStoreTest extends ObjectStoreContract {
 *   @TempDir Path dir;
 *   protected ObjectStore newStore() { return MyStore.create(dir); }
 * }
 * }</pre>
 *
 * <p>Each test gets its own store, closed afterwards. The whole suite runs in a few seconds on a local
 * directory.
 */
public abstract class ObjectStoreContract {

  /** The store under test, fresh for each test. */
  protected ObjectStore store;

  /** A new, empty store. Called once before each test; the suite closes it after the test. */
  protected abstract ObjectStore newStore();

  /**
   * Whether one key may be both an object and a prefix of other objects ({@code a} and {@code a/b}).
   * S3 allows it; a directory on a file system does not. Default {@code false}.
   */
  protected boolean supportsObjectAndPrefixOfSameName() {
    return false;
  }

  /**
   * Whether conditional writes stay exact under many concurrent writers on one key (exactly one winner).
   * Default {@code true}; a store whose conditional writes are only best-effort must say so here.
   */
  protected boolean supportsConcurrentConditionalWrites() {
    return true;
  }

  /**
   * Whether every write gets a new etag, even one that writes the same bytes again. Amazon S3 derives its
   * etag from the content (the MD5 of a single unencrypted PUT), so rewriting identical bytes keeps the etag;
   * such a store returns {@code false} and is checked for the weaker rule that the etag changes whenever the
   * content does. Default {@code true}.
   */
  protected boolean supportsUniqueEtagPerWrite() {
    return true;
  }

  /** Number of objects the lazy-listing test pages through. Default 5,000. */
  protected int listingObjectCount() {
    return 5_000;
  }

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ------------------------------------------------------------------------------------------ round trips

  @Test
  void putThenReadReturnsSameBytesAndInfo() {
    byte[] content = bytes("hello, lake");
    ObjectInfo info = store.put("acme/prod/traces/data/a.parquet", content);

    assertThat(info.key()).isEqualTo("acme/prod/traces/data/a.parquet");
    assertThat(info.size()).isEqualTo(content.length);
    assertThat(store.read("acme/prod/traces/data/a.parquet")).isEqualTo(content);
    assertThat(store.stat("acme/prod/traces/data/a.parquet")).contains(info);
  }

  @Test
  void storesEmptyObject() {
    ObjectInfo info = store.put("empty", new byte[0]);

    assertThat(info.size()).isZero();
    assertThat(store.read("empty")).isEmpty();
    assertThat(store.list("").map(ObjectInfo::key)).containsExactly("empty");
  }

  @Test
  void unconditionalPutReplacesContent() {
    store.put("k", bytes("one"));
    store.put("k", bytes("two, longer"));

    assertThat(store.read("k")).isEqualTo(bytes("two, longer"));
  }

  @Test
  void statOfMissingKeyIsEmpty() {
    assertThat(store.stat("missing/key")).isEmpty();
  }

  @Test
  void readAndOpenOfMissingKeyThrowObjectNotFound() {
    assertThatThrownBy(() -> store.read("missing")).isInstanceOf(ObjectNotFoundException.class)
        .hasMessageContaining("missing");
    assertThatThrownBy(() -> store.open("missing/deeper")).isInstanceOf(ObjectNotFoundException.class)
        .hasMessageContaining("missing/deeper");
  }

  @Test
  void rejectsInvalidKeysNamingThem() {
    for (String bad : List.of("", "/abs", "a//b", "a/./b", "a/../b", "..", "a/", "nul\0char")) {
      assertThatThrownBy(() -> store.put(bad, bytes("x")))
          .as("key '%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad.isEmpty() ? "empty" : bad);
    }
  }

  @Test
  void objectAndPrefixOfSameNameCoexistWhereSupported() {
    assumeThat(supportsObjectAndPrefixOfSameName()).as("store supports object and prefix of one name").isTrue();
    store.put("a", bytes("1"));
    store.put("a/b", bytes("2"));

    assertThat(store.list("").map(ObjectInfo::key)).containsExactly("a", "a/b");
  }

  @Test
  void objectAndPrefixOfSameNameFailClearlyWhereUnsupported() {
    assumeThat(supportsObjectAndPrefixOfSameName()).as("store supports object and prefix of one name").isFalse();
    store.put("a", bytes("1"));
    store.put("b/c", bytes("2"));

    assertThatThrownBy(() -> store.put("a/b", bytes("x"))).isInstanceOf(StorageException.class)
        .hasMessageContaining("a/b");
    assertThatThrownBy(() -> store.put("b", bytes("x"))).isInstanceOf(StorageException.class)
        .hasMessageContaining("b");
    assertThat(store.read("a")).isEqualTo(bytes("1"));
    assertThat(store.read("b/c")).isEqualTo(bytes("2"));
  }

  // ------------------------------------------------------------------------------------ conditional writes

  @Test
  void ifAbsentCreatesOnceThenFailsLeavingContent() {
    ObjectInfo first = store.put("lease", bytes("first"), WriteCondition.ifAbsent());

    assertThatThrownBy(() -> store.put("lease", bytes("second"), WriteCondition.ifAbsent()))
        .isInstanceOf(PreconditionFailedException.class)
        .hasMessageContaining("lease");
    assertThat(store.read("lease")).isEqualTo(bytes("first"));
    assertThat(store.stat("lease").map(ObjectInfo::etag)).contains(first.etag());
  }

  @Test
  void ifAbsentSucceedsAgainAfterDelete() {
    store.put("k", bytes("1"), WriteCondition.ifAbsent());
    store.delete(List.of("k"));

    store.put("k", bytes("2"), WriteCondition.ifAbsent());

    assertThat(store.read("k")).isEqualTo(bytes("2"));
  }

  @Test
  void ifMatchWithCurrentEtagReplaces() {
    ObjectInfo v1 = store.put("manifest", bytes("v1"));

    ObjectInfo v2 = store.put("manifest", bytes("v2"), WriteCondition.ifMatch(v1.etag()));

    assertThat(store.read("manifest")).isEqualTo(bytes("v2"));
    assertThat(v2.etag()).isNotEqualTo(v1.etag());
    assertThat(store.stat("manifest").map(ObjectInfo::etag)).contains(v2.etag());
  }

  @Test
  void ifMatchWithStaleEtagFailsLeavingContent() {
    ObjectInfo v1 = store.put("manifest", bytes("v1"));
    ObjectInfo v2 = store.put("manifest", bytes("v2"), WriteCondition.ifMatch(v1.etag()));

    assertThatThrownBy(() -> store.put("manifest", bytes("v3"), WriteCondition.ifMatch(v1.etag())))
        .isInstanceOf(PreconditionFailedException.class)
        .hasMessageContaining("manifest");
    assertThat(store.read("manifest")).isEqualTo(bytes("v2"));
    assertThat(store.stat("manifest").map(ObjectInfo::etag)).contains(v2.etag());
  }

  @Test
  void ifMatchOnMissingKeyFails() {
    ObjectInfo other = store.put("other", bytes("x"));

    assertThatThrownBy(() -> store.put("missing", bytes("v"), WriteCondition.ifMatch(other.etag())))
        .isInstanceOf(PreconditionFailedException.class)
        .hasMessageContaining("missing");
    assertThat(store.stat("missing")).isEmpty();
  }

  @Test
  void etagChangesWhenContentChanges() {
    List<String> etags = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      etags.add(store.put("k", bytes(String.format(Locale.ROOT, "v%02d", i))).etag());
    }

    assertThat(etags).doesNotHaveDuplicates();
    assertThat(store.stat("k").map(ObjectInfo::etag)).contains(etags.get(19));
  }

  @Test
  void etagChangesOnEveryRewriteEvenWithSameSizeAndContent() {
    assumeThat(supportsUniqueEtagPerWrite()).as("store gives every write a new etag").isTrue();
    List<String> etags = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      etags.add(store.put("k", bytes("same")).etag());
    }
    for (int i = 0; i < 20; i++) {
      etags.add(store.put("k", bytes("diff" + (i % 10))).etag());
    }

    assertThat(etags).doesNotHaveDuplicates();
  }

  @Test
  void etagDoesNotRepeatAfterDeleteAndRecreate() {
    assumeThat(supportsUniqueEtagPerWrite()).as("store gives every write a new etag").isTrue();
    ObjectInfo first = store.put("k", bytes("same"));
    store.delete(List.of("k"));
    ObjectInfo second = store.put("k", bytes("same"), WriteCondition.ifAbsent());

    assertThat(second.etag()).isNotEqualTo(first.etag());
    assertThatThrownBy(() -> store.put("k", bytes("stale"), WriteCondition.ifMatch(first.etag())))
        .isInstanceOf(PreconditionFailedException.class);
  }

  @Test
  void racingIfAbsentWritersHaveExactlyOneWinner() throws Exception {
    assumeThat(supportsConcurrentConditionalWrites()).as("exact concurrent conditional writes").isTrue();
    int writers = 16;
    List<Boolean> outcomes = race(writers, i -> {
      try {
        store.put("race/lease", bytes("writer-" + i), WriteCondition.ifAbsent());
        return true;
      } catch (PreconditionFailedException e) {
        return false;
      }
    });

    assertThat(outcomes.stream().filter(b -> b)).hasSize(1);
    int winner = outcomes.indexOf(true);
    assertThat(store.read("race/lease")).isEqualTo(bytes("writer-" + winner));
  }

  @Test
  void racingIfMatchWritersOnOneBaseHaveExactlyOneWinner() throws Exception {
    assumeThat(supportsConcurrentConditionalWrites()).as("exact concurrent conditional writes").isTrue();
    String base = store.put("race/manifest", bytes("base")).etag();
    int writers = 16;
    List<Boolean> outcomes = race(writers, i -> {
      try {
        store.put("race/manifest", bytes("writer-" + i), WriteCondition.ifMatch(base));
        return true;
      } catch (PreconditionFailedException e) {
        return false;
      }
    });

    assertThat(outcomes.stream().filter(b -> b)).hasSize(1);
    int winner = outcomes.indexOf(true);
    assertThat(store.read("race/manifest")).isEqualTo(bytes("writer-" + winner));
  }

  @Test
  void compareAndSetCounterLosesNoIncrementUnderContention() throws Exception {
    assumeThat(supportsConcurrentConditionalWrites()).as("exact concurrent conditional writes").isTrue();
    store.put("counter", bytes("0"), WriteCondition.ifAbsent());
    int threads = 4;
    int incrementsEach = 25;
    race(threads, i -> {
      for (int done = 0; done < incrementsEach; ) {
        ObjectInfo current = store.stat("counter").orElseThrow();
        int value = Integer.parseInt(new String(store.read("counter"), StandardCharsets.UTF_8));
        // The etag is taken before the read: if another writer got in between, the write below fails.
        try {
          store.put("counter", bytes(Integer.toString(value + 1)), WriteCondition.ifMatch(current.etag()));
          done++;
        } catch (PreconditionFailedException e) {
          Thread.onSpinWait();
        }
      }
      return true;
    });

    assertThat(new String(store.read("counter"), StandardCharsets.UTF_8))
        .isEqualTo(Integer.toString(threads * incrementsEach));
  }

  // ------------------------------------------------------------------------------------ streaming writes

  @Test
  void streamingWriteIsVisibleOnlyAfterClose() throws IOException {
    ObjectOutput out = store.create("data/big.parquet");
    byte[] chunk = new byte[10_000];
    for (int i = 0; i < 50; i++) {
      java.util.Arrays.fill(chunk, (byte) i);
      out.write(chunk);
    }
    out.write(7);

    assertThat(out.position()).isEqualTo(500_001);
    assertThat(store.stat("data/big.parquet")).isEmpty();
    assertThat(store.list("")).isEmpty();

    out.close();

    ObjectInfo info = out.result();
    assertThat(info.size()).isEqualTo(500_001);
    assertThat(store.stat("data/big.parquet")).contains(info);
    byte[] back = store.read("data/big.parquet");
    assertThat(back).hasSize(500_001);
    assertThat(back[10_000 * 49]).isEqualTo((byte) 49);
    assertThat(back[500_000]).isEqualTo((byte) 7);
  }

  @Test
  void streamingWriteReplacesExistingObjectWhole() throws IOException {
    store.put("k", bytes("old content"));
    ObjectOutput out = store.create("k");
    out.write(bytes("new"));

    assertThat(store.read("k")).isEqualTo(bytes("old content"));
    out.close();
    assertThat(store.read("k")).isEqualTo(bytes("new"));
  }

  @Test
  void abortedStreamingWriteLeavesNothing() throws IOException {
    store.put("keep", bytes("x"));
    ObjectOutput out = store.create("data/aborted.parquet");
    out.write(new byte[100_000]);

    out.abort();
    out.abort();

    assertThat(store.stat("data/aborted.parquet")).isEmpty();
    assertThat(store.list("").map(ObjectInfo::key)).containsExactly("keep");
    assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class);
    assertThatThrownBy(out::result).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void writingAfterCloseFailsAndCloseIsIdempotent() throws IOException {
    ObjectOutput out = store.create("k");
    out.write(bytes("abc"));
    out.close();
    out.close();
    out.abort();

    assertThatThrownBy(() -> out.write(bytes("more"))).isInstanceOf(IOException.class);
    assertThat(store.read("k")).isEqualTo(bytes("abc"));
  }

  @Test
  void emptyStreamingWriteCreatesEmptyObject() throws IOException {
    ObjectOutput out = store.create("empty");
    out.close();

    assertThat(out.result().size()).isZero();
    assertThat(store.read("empty")).isEmpty();
  }

  // ------------------------------------------------------------------------------------------ ranged reads

  @Test
  void readsFooterStyleRangeFromTheEnd() {
    byte[] content = new byte[4096];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 31);
    }
    store.put("file.parquet", content);

    try (SeekableInput in = store.open("file.parquet")) {
      assertThat(in.length()).isEqualTo(4096);
      byte[] tail = new byte[8];
      in.readFully(in.length() - 8, tail, 0, 8);
      assertThat(tail).isEqualTo(java.util.Arrays.copyOfRange(content, 4088, 4096));

      byte[] middle = new byte[110];
      in.readFully(1000, middle, 10, 100);
      assertThat(java.util.Arrays.copyOfRange(middle, 10, 110))
          .isEqualTo(java.util.Arrays.copyOfRange(content, 1000, 1100));

      in.readFully(4096, new byte[0], 0, 0);
    }
  }

  @Test
  void rangedReadPastTheEndFails() {
    store.put("small", bytes("0123456789"));

    try (SeekableInput in = store.open("small")) {
      assertThatThrownBy(() -> in.readFully(5, new byte[6], 0, 6)).isInstanceOf(StorageException.class)
          .hasMessageContaining("small");
      assertThatThrownBy(() -> in.readFully(-1, new byte[1], 0, 1)).isInstanceOf(StorageException.class);
      byte[] last = new byte[5];
      in.readFully(5, last, 0, 5);
      assertThat(last).isEqualTo(bytes("56789"));
    }
  }

  @Test
  void openInputKeepsReadingTheVersionItOpened() {
    store.put("k", bytes("version-1"));
    try (SeekableInput in = store.open("k")) {
      store.put("k", bytes("v2"));
      byte[] buf = new byte[9];
      in.readFully(0, buf, 0, 9);
      assertThat(buf).isEqualTo(bytes("version-1"));
    }
  }

  // ---------------------------------------------------------------------------------------------- listing

  @Test
  void listsInUtf8BinaryOrderWithDashBeforeSlash() {
    List<String> keys = List.of("a/b", "a-b", "a.b", "a0", "a/a/z", "a", "b", "A", "a b", "a~", "a=1/x",
        "é", "z", "中", "\uD83D\uDE00", "\uFFFD");
    List<String> written = new ArrayList<>(keys);
    if (!supportsObjectAndPrefixOfSameName()) {
      written.remove("a");
    }
    Collections.shuffle(written, new java.util.Random(42));
    written.forEach(k -> store.put(k, bytes(k)));

    List<String> expected = written.stream().sorted(ObjectStoreContract::compareUtf8).toList();
    assertThat(store.list("").map(ObjectInfo::key)).containsExactlyElementsOf(expected);
    // '-' (0x2D) and '.' (0x2E) sort before '/' (0x2F), '0' (0x30) after; U+1F600 after U+FFFD in UTF-8.
    assertThat(expected.indexOf("a-b")).isLessThan(expected.indexOf("a/a/z"));
    assertThat(expected.indexOf("a/b")).isLessThan(expected.indexOf("a0"));
    assertThat(expected.indexOf("\uFFFD")).isLessThan(expected.indexOf("\uD83D\uDE00"));
  }

  @Test
  void listingReportsSizeTimeAndEtagLikeStat() {
    store.put("p/one", bytes("1"));
    store.put("p/two", bytes("22"));

    List<ObjectInfo> listed = store.list("p/").toList();

    assertThat(listed).containsExactly(store.stat("p/one").orElseThrow(), store.stat("p/two").orElseThrow());
    assertThat(listed.get(1).size()).isEqualTo(2);
  }

  @Test
  void listsPrefixEndingMidName() {
    for (String k : List.of("acme/prod/t/x", "acme/prod/t_2/y", "acme/prod/t-3", "acme/prod/u/z", "acme/prod/s",
        "acme/dev/t/x")) {
      store.put(k, bytes(k));
    }

    assertThat(store.list("acme/prod/t").map(ObjectInfo::key))
        .containsExactly("acme/prod/t-3", "acme/prod/t/x", "acme/prod/t_2/y");
    assertThat(store.list("acme/prod/t/").map(ObjectInfo::key)).containsExactly("acme/prod/t/x");
    assertThat(store.list("acme/prod/").map(ObjectInfo::key))
        .containsExactly("acme/prod/s", "acme/prod/t-3", "acme/prod/t/x", "acme/prod/t_2/y", "acme/prod/u/z");
    assertThat(store.list("acme/prod/t/x").map(ObjectInfo::key)).containsExactly("acme/prod/t/x");
    assertThat(store.list("nothing/here")).isEmpty();
    assertThat(store.list("acme/prod/t/x/deeper")).isEmpty();
  }

  @Test
  void listStartsStrictlyAfterGivenKey() {
    List<String> keys = List.of("a/1", "a/2", "a/3/x", "a/3/y", "a/4", "b/1");
    keys.forEach(k -> store.put(k, bytes(k)));

    assertThat(store.list("a/", "a/2").map(ObjectInfo::key)).containsExactly("a/3/x", "a/3/y", "a/4");
    assertThat(store.list("a/", "a/3/x").map(ObjectInfo::key)).containsExactly("a/3/y", "a/4");
    assertThat(store.list("a/", "a/3").map(ObjectInfo::key)).containsExactly("a/3/x", "a/3/y", "a/4");
    assertThat(store.list("", "a/zzz").map(ObjectInfo::key)).containsExactly("b/1");
    assertThat(store.list("a/", "0").map(ObjectInfo::key)).containsExactlyElementsOf(keys.subList(0, 5));
    assertThat(store.list("a/", "b")).isEmpty();
    assertThat(store.list("a/", "a/2-missing").map(ObjectInfo::key)).containsExactly("a/3/x", "a/3/y", "a/4");
  }

  @Test
  void resumingListingFromEachKeyYieldsTheRest() {
    List<String> keys = IntStream.range(0, 40)
        .mapToObj(i -> String.format(Locale.ROOT, "t/%s/f%02d", i % 3 == 0 ? "d=1" : "d=2", i))
        .sorted(ObjectStoreContract::compareUtf8).toList();
    keys.forEach(k -> store.put(k, bytes(k)));

    for (int i = 0; i < keys.size(); i++) {
      assertThat(store.list("t/", keys.get(i)).map(ObjectInfo::key))
          .containsExactlyElementsOf(keys.subList(i + 1, keys.size()));
    }
  }

  @Test
  void pagesLazilyThroughThousandsOfObjects() throws Exception {
    int count = listingObjectCount();
    List<String> keys = IntStream.range(0, count)
        .mapToObj(i -> String.format(Locale.ROOT, "bulk/day=%02d/part-%05d.parquet", i % 7, i))
        .toList();
    race(4, w -> {
      for (int i = w; i < count; i += 4) {
        store.put(keys.get(i), new byte[] {(byte) i});
      }
      return true;
    });

    try (Stream<ObjectInfo> listing = store.list("bulk/")) {
      Iterator<ObjectInfo> it = listing.iterator();
      assertThat(it.next().key()).isEqualTo("bulk/day=00/part-00000.parquet");
    }
    List<String> listed;
    try (Stream<ObjectInfo> listing = store.list("bulk/")) {
      listed = listing.map(ObjectInfo::key).toList();
    }
    assertThat(listed).containsExactlyElementsOf(keys.stream().sorted(ObjectStoreContract::compareUtf8).toList());
    try (Stream<ObjectInfo> listing = store.list("bulk/day=03/")) {
      assertThat(listing.count()).isEqualTo(keys.stream().filter(k -> k.startsWith("bulk/day=03/")).count());
    }
  }

  @Test
  void keysWithSpecialCharactersRoundTrip() {
    List<String> keys = List.of("p/with space", "p/colon:x", "p/percent%20y", "p/eq=1/tilde~z", "p/ünïcödé/中文",
        "p/plus+and,comma;@!", "p/emoji-\uD83D\uDE00");
    keys.forEach(k -> store.put(k, bytes(k)));

    for (String k : keys) {
      assertThat(store.read(k)).as(k).isEqualTo(bytes(k));
      assertThat(store.keyOf(store.location(k))).as(k).contains(k);
    }
    assertThat(store.list("p/").map(ObjectInfo::key))
        .containsExactlyElementsOf(keys.stream().sorted(ObjectStoreContract::compareUtf8).toList());
  }

  // ---------------------------------------------------------------------------------------------- deletes

  @Test
  void deleteIsIdempotentAndReportsMissingKeysDeleted() {
    store.put("d/a", bytes("a"));
    store.put("d/b", bytes("b"));
    store.put("keep/c", bytes("c"));

    DeleteResult first = store.delete(List.of("d/a", "d/missing", "d/b", "never/was"));
    DeleteResult second = store.delete(List.of("d/a", "d/b"));

    assertThat(first.failed()).isEmpty();
    assertThat(first.deleted()).containsExactlyInAnyOrder("d/a", "d/missing", "d/b", "never/was");
    assertThat(second.failed()).isEmpty();
    assertThat(second.deleted()).containsExactlyInAnyOrder("d/a", "d/b");
    assertThat(store.list("").map(ObjectInfo::key)).containsExactly("keep/c");
    assertThat(store.stat("d/a")).isEmpty();
  }

  @Test
  void deleteOfEmptyBatchDoesNothing() {
    store.put("k", bytes("v"));

    DeleteResult r = store.delete(List.of());

    assertThat(r.deleted()).isEmpty();
    assertThat(r.failed()).isEmpty();
    assertThat(store.read("k")).isEqualTo(bytes("v"));
  }

  @Test
  void deleteOfOneObjectLeavesSiblingsAndPrefixes() {
    store.put("t/a/1", bytes("1"));
    store.put("t/a/2", bytes("2"));
    store.put("t/b", bytes("3"));

    store.delete(List.of("t/a/1"));

    assertThat(store.list("t/").map(ObjectInfo::key)).containsExactly("t/a/2", "t/b");
    store.delete(List.of("t/a/2"));
    assertThat(store.list("t/").map(ObjectInfo::key)).containsExactly("t/b");
    store.put("t/a/3", bytes("again"));
    assertThat(store.read("t/a/3")).isEqualTo(bytes("again"));
  }

  // -------------------------------------------------------------------------------------------- locations

  @Test
  void locationStartsWithRootAndMapsBack() {
    String root = store.root().toString();

    assertThat(root).endsWith("/");
    assertThat(store.location("acme/prod/t/f.parquet")).endsWith("acme/prod/t/f.parquet");
    assertThat(store.keyOf(store.location("acme/prod/t/f.parquet"))).contains("acme/prod/t/f.parquet");
    assertThat(store.keyOf(root + "acme/x")).contains("acme/x");
  }

  @Test
  void keyOfRejectsLocationsOutsideRoot() {
    String root = store.root().toString();
    String withoutSlash = root.substring(0, root.length() - 1);

    assertThat(store.keyOf(withoutSlash + "_2/acme/x")).isEmpty();
    assertThat(store.keyOf(withoutSlash + "2/x")).isEmpty();
    assertThat(store.keyOf(root + "../outside")).isEmpty();
    assertThat(store.keyOf(root + "a/../../outside")).isEmpty();
    assertThat(store.keyOf(root)).isEmpty();
    assertThat(store.keyOf(withoutSlash)).isEmpty();
    assertThat(store.keyOf("relative/path")).isEmpty();
    assertThat(store.keyOf("other-scheme://host/x")).isEmpty();
  }

  @Test
  void operationsAfterCloseFail() {
    store.put("k", bytes("v"));
    store.close();

    assertThatThrownBy(() -> store.put("k2", bytes("v"))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.read("k")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.list("")).isInstanceOf(IllegalStateException.class);
    store.close();
  }

  // -------------------------------------------------------------------------------------------- helpers

  /** UTF-8 bytes of a string. */
  protected static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** S3's key order: UTF-8 binary, which is Unicode code point order. */
  protected static int compareUtf8(String a, String b) {
    return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  /** A body run by each of several threads released at once. */
  @FunctionalInterface
  protected interface RaceBody<T> {
    T run(int index) throws Exception;
  }

  /** Runs {@code body} on {@code threads} threads started together; returns their results in index order. */
  protected static <T> List<T> race(int threads, RaceBody<T> body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int index = i;
        Callable<T> task = () -> {
          start.await();
          return body.run(index);
        };
        futures.add(pool.submit(task));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void locationOfAPrefixIsTheRootPlusThePrefix() {
    String root = store.location("");
    assertThat(store.location("acme/prod/logs/")).isEqualTo(root + "acme/prod/logs/");
    assertThat(store.location("acme/prod/logs/data/x.parquet")).startsWith(store.location("acme/prod/logs/"));
  }
}
