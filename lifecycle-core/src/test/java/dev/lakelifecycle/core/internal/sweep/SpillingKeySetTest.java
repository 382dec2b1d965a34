package dev.lakelifecycle.core.internal.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class SpillingKeySetTest {
  private static final Logger LOG = LoggerFactory.getLogger(SpillingKeySetTest.class);

  /** Characters from every UTF-8 length class, and both sides of the surrogate range where UTF-16 order breaks. */
  private static final String[] ALPHABET = {
      "a", "b", "/", " ", "%", "=", "~", ":", "\u007f", "\u00e9", "\u07ff", "\u0800", "\ud7ff", "\ue000",
      "\uff01", "\uffff", "\ud800\udc00", "\ud83d\ude00", "\udbff\udfff"};

  @TempDir Path spill;

  @Test
  void ordersSupplementaryCharactersAfterTheTopOfTheBasicPlaneAsUtf8Does() {
    String emoji = "k/\ud83d\ude00";
    String fullwidth = "k/\uff01";
    assertThat(emoji.compareTo(fullwidth)).as("UTF-16 order, the trap").isNegative();
    try (SpillingKeySet set = new SpillingKeySet(spill, 1 << 20)) {
      set.add(emoji);
      set.add(fullwidth);
      SpillingKeySet.Probe probe = set.probe();
      // Probed in UTF-8 order: a UTF-16 ordered set would have stepped past the full-width key.
      assertThat(probe.containsAdvancing(bytes(fullwidth))).isTrue();
      assertThat(probe.containsAdvancing(bytes(emoji))).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1L, 42L, 20260115L})
  void spilledRunsMergeToTheSortedDistinctKeysAndProbesFindExactlyTheMembers(long seed) {
    LOG.info("seed {}", seed);
    Random random = new Random(seed);
    List<String> added = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder("acme/prod/t/data/");
      int len = random.nextInt(6);
      for (int j = 0; j < len; j++) {
        sb.append(ALPHABET[random.nextInt(ALPHABET.length)]);
      }
      added.add(sb.toString());
    }
    TreeSet<byte[]> expected = new TreeSet<>(Arrays::compareUnsigned);
    added.forEach(k -> expected.add(bytes(k)));
    TreeSet<byte[]> probes = new TreeSet<>(Arrays::compareUnsigned);
    probes.addAll(expected);
    for (int i = 0; i < 5_000; i++) {
      probes.add(bytes("acme/prod/t/data/" + ALPHABET[random.nextInt(ALPHABET.length)] + random.nextInt(50)));
    }

    try (SpillingKeySet set = new SpillingKeySet(spill, 4096)) {
      added.forEach(set::add);
      SpillingKeySet.Probe probe = set.probe();
      assertThat(set.spilledRuns()).as("seed %d: a 4 KiB run buffer must spill", seed).isGreaterThan(10);
      for (byte[] key : probes) {
        assertThat(probe.containsAdvancing(key)).as("seed %d: %s", seed, new String(key, StandardCharsets.UTF_8))
            .isEqualTo(expected.contains(key));
      }
      assertThat(probe.drainAndCount()).isEqualTo(expected.size());
    }
    assertThat(filesIn(spill)).as("runs are deleted on close").isEmpty();
  }

  @Test
  void aSetThatFitsInMemoryCreatesNoFileAndCountsDistinctKeys() {
    try (SpillingKeySet set = new SpillingKeySet(spill, 1 << 20)) {
      for (String k : List.of("t/b", "t/a", "t/b", "t/c", "t/a")) {
        set.add(k);
      }
      SpillingKeySet.Probe probe = set.probe();
      assertThat(set.spilledRuns()).isZero();
      assertThat(probe.containsAdvancing(bytes("t/a"))).isTrue();
      assertThat(probe.containsAdvancing(bytes("t/aa"))).isFalse();
      assertThat(probe.containsAdvancing(bytes("t/c"))).isTrue();
      assertThat(probe.containsAdvancing(bytes("t/d"))).isFalse();
      assertThat(probe.drainAndCount()).isEqualTo(3);
    }
    assertThat(filesIn(spill)).isEmpty();
  }

  @Test
  void ascendingInputWithRepeatsAndSharedPrefixesSpillsAndMergesToTheDistinctKeys() {
    // Keys in order, as a catalog listing manifests in key order hands them over: each run skips its sort.
    // Repeats straddle run boundaries and a key that is a prefix of the next must still sort first.
    List<String> distinct = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      String k = String.format(java.util.Locale.ROOT, "acme/prod/t/data/hour=%05d/part-%06d.parquet", i / 100, i);
      distinct.add(k.substring(0, k.length() - 8));
      distinct.add(k);
    }
    try (SpillingKeySet set = new SpillingKeySet(spill, 2048)) {
      for (String k : distinct) {
        set.add(k);
        set.add(k);
      }
      SpillingKeySet.Probe probe = set.probe();
      assertThat(set.spilledRuns()).isGreaterThan(50);
      for (String k : distinct) {
        assertThat(probe.containsAdvancing(bytes(k + "!"))).as(k + "!").isFalse();
      }
      assertThat(probe.drainAndCount()).as("distinct keys, repeats merged away").isEqualTo(distinct.size());
    }
    try (SpillingKeySet set = new SpillingKeySet(spill, 2048)) {
      for (String k : distinct) {
        set.add(k);
        set.add(k);
      }
      SpillingKeySet.Probe probe = set.probe();
      for (String k : distinct) {
        assertThat(probe.containsAdvancing(bytes(k))).as(k).isTrue();
      }
      assertThat(probe.drainAndCount()).isEqualTo(distinct.size());
    }
    assertThat(filesIn(spill)).isEmpty();
  }

  @Test
  void closingBeforeTheMergeIsReadStopsItAndDeletesEveryRun() {
    try (SpillingKeySet set = new SpillingKeySet(spill, 1024)) {
      for (int i = 0; i < 50_000; i++) {
        set.add("acme/prod/t/data/part-" + (i * 7919 % 50_000) + ".parquet");
      }
      SpillingKeySet.Probe probe = set.probe();
      assertThat(probe.containsAdvancing(bytes("acme/prod/t/data/part-0.parquet"))).isTrue();
      assertThat(filesIn(spill)).hasSizeGreaterThan(100);
    }
    assertThat(filesIn(spill)).as("runs of a merge abandoned after one key").isEmpty();
  }

  @Test
  void keyFilterAddedInBatchesAdmitsWhatSingleAddsAdmit() {
    KeyFilter single = new KeyFilter(10_000);
    KeyFilter batched = new KeyFilter(10_000);
    long[] hashes = new long[10_000];
    for (int i = 0; i < 10_000; i++) {
      byte[] k = bytes("acme/prod/t/data/part-" + i + ".parquet");
      single.add(k);
      hashes[i] = KeyFilter.hash(k, 0, k.length);
    }
    batched.addHashes(hashes, hashes.length);
    for (int i = 0; i < 40_000; i++) {
      byte[] k = bytes("acme/prod/t/data/part-" + i + ".parquet");
      assertThat(batched.mightContainHash(KeyFilter.hash(k, 0, k.length))).isEqualTo(single.mightContain(k));
    }
  }

  @Test
  void candidateLogReplaysWhatWasAppendedInOrder() {
    try (CandidateLog log = new CandidateLog(spill)) {
      assertThat(filesIn(spill)).as("no file before the first candidate").isEmpty();
      log.add(bytes("t/a/x"), 10, java.time.Instant.ofEpochSecond(5, 7));
      log.add(bytes("t/a/xy"), 0, java.time.Instant.ofEpochSecond(6));
      log.add(bytes("t/b"), Long.MAX_VALUE, java.time.Instant.ofEpochSecond(-1, 999));
      log.startReading();
      List<String> replay = new ArrayList<>();
      for (CandidateLog.Entry e = log.next(); e != null; e = log.next()) {
        replay.add(new String(e.key(), StandardCharsets.UTF_8) + "|" + e.size() + "|" + e.lastModified());
      }
      assertThat(replay).containsExactly("t/a/x|10|1970-01-01T00:00:05.000000007Z", "t/a/xy|0|1970-01-01T00:00:06Z",
          "t/b|" + Long.MAX_VALUE + "|1969-12-31T23:59:59.000000999Z");
      assertThat(log.count()).isEqualTo(3);
    }
    assertThat(filesIn(spill)).isEmpty();
  }

  @Test
  void keyFilterNeverMissesAnAddedKeyAndRarelyAdmitsOthers() {
    KeyFilter filter = new KeyFilter(50_000);
    for (int i = 0; i < 50_000; i++) {
      filter.add(bytes("acme/prod/t/data/day=2026-01-15/part-" + i + ".parquet"));
    }
    int falsePositives = 0;
    for (int i = 0; i < 50_000; i++) {
      assertThat(filter.mightContain(bytes("acme/prod/t/data/day=2026-01-15/part-" + i + ".parquet"))).isTrue();
      if (filter.mightContain(bytes("acme/prod/t/data/day=2026-01-16/part-" + i + ".parquet"))) {
        falsePositives++;
      }
    }
    assertThat(falsePositives).as("about 1 %% expected at 10 bits per key").isLessThan(1_500);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<Path> filesIn(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
