package dev.lakelifecycle.core.internal.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class KeyOrderTest {
  private static final Logger LOG = LoggerFactory.getLogger(KeyOrderTest.class);

  /** Characters from every UTF-8 length class, and both sides of the surrogate range where UTF-16 order breaks. */
  private static final String[] ALPHABET = {
      "a", "b", "/", " ", "%", "=", "~", ":", "\u007f", "\u00e9", "\u07ff", "\u0800", "\ud7ff", "\ue000",
      "\uff01", "\uffff", "\ud800\udc00", "\ud83d\ude00", "\udbff\udfff"};

  @Test
  void ordersSupplementaryCharactersAfterTheTopOfTheBasicPlaneAsUtf8Does() {
    String emoji = "k/\ud83d\ude00";
    String fullwidth = "k/\uff01";
    assertThat(emoji.compareTo(fullwidth)).as("UTF-16 order, the trap").isNegative();
    assertThat(KeyOrder.compare(emoji, fullwidth)).isPositive();
    assertThat(KeyOrder.compare(fullwidth, emoji)).isNegative();
    assertThat(KeyOrder.compare(emoji, emoji)).isZero();
    assertThat(KeyOrder.compare("k/a", "k/ab")).isNegative();
  }

  @ParameterizedTest
  @ValueSource(longs = {1L, 42L, 20260115L})
  void agreesWithUtf8ByteOrderOnRandomKeys(long seed) {
    LOG.info("seed {}", seed);
    Random random = new Random(seed);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(6);
      for (int j = 0; j < len; j++) {
        sb.append(ALPHABET[random.nextInt(ALPHABET.length)]);
      }
      keys.add(sb.toString());
    }
    for (int i = 0; i + 1 < keys.size(); i++) {
      String a = keys.get(i);
      String b = keys.get(i + 1);
      assertThat(Integer.signum(KeyOrder.compare(a, b)))
          .as("seed %d: %s vs %s", seed, a, b)
          .isEqualTo(Integer.signum(Arrays.compareUnsigned(
              a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8))));
    }
  }

  @Test
  void sortedMergeFindsEveryMemberAndNoOtherKey() {
    List<String> valid = List.of("t/\ud83d\ude00", "t/a", "t/\uff01", "t/a", "t/c");
    SortedKeys set = new SortedKeys(valid);
    assertThat(set.size()).isEqualTo(4);
    List<String> listing = new ArrayList<>(List.of("t/0", "t/a", "t/b", "t/c", "t/\uff01", "t/\ud83d\ude00",
        "t/\ud83d\ude01"));
    listing.sort(KeyOrder.UTF8_BINARY);
    List<String> found = new ArrayList<>();
    for (String key : listing) {
      if (set.containsAdvancing(key)) {
        found.add(key);
      }
    }
    assertThat(found).containsExactly("t/a", "t/c", "t/\uff01", "t/\ud83d\ude00");
  }
}
