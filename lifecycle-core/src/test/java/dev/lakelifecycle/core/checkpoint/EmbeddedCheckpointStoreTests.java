package dev.lakelifecycle.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.testkit.CheckpointStoreContract;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the stores of this package promise beyond the contract: the shared JSON value model, id rules and
 * argument checks (see the package documentation). Run by the embedded stores and by the JDBC store on each
 * database.
 */
abstract class EmbeddedCheckpointStoreTests extends CheckpointStoreContract {
  private static final String ID = "compaction/acme/prod/traces";

  @Test
  void returnsIntegralNumbersAsLongAndFractionalAsDouble() {
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("int", 5);
    stats.put("short", (short) 7);
    stats.put("bigInteger", BigInteger.valueOf(Long.MAX_VALUE));
    stats.put("float", 1.5f);
    stats.put("ints", List.of(1, 2));

    Checkpoint written = store().compareAndSet(Checkpoint.pending(ID).withStats(stats), 0);

    Map<String, Object> expected = Map.of("int", 5L, "short", 7L, "bigInteger", Long.MAX_VALUE, "float", 1.5,
        "ints", List.of(1L, 2L));
    assertThat(written.stats()).isEqualTo(expected);
    assertThat(store().get(ID).orElseThrow().stats()).isEqualTo(expected);
  }

  @Test
  void rejectsValuesJsonCannotHoldAndStoresNothing() {
    List<Map<String, Object>> bad = List.of(
        Map.of("ratio", Double.NaN),
        Map.of("limit", Double.POSITIVE_INFINITY),
        Map.of("at", Instant.EPOCH),
        Map.of("exact", new BigDecimal("0.1")),
        Map.of("huge", BigInteger.TWO.pow(70)),
        Map.of("nested", Map.of(1, "x")),
        Map.of("history", List.of(Map.of("startedAt", Instant.EPOCH))));

    for (Map<String, Object> stats : bad) {
      assertThatThrownBy(() -> store().compareAndSet(Checkpoint.pending(ID).withStats(stats), 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(ID)
          .hasMessageContaining("stats.");
    }
    assertThat(store().get(ID)).isEmpty();
  }

  @Test
  void namesThePathOfABadNestedValue() {
    Map<String, Object> stats =
        Map.of("chunkHistory", List.of(Map.of("bytes", 1L), Map.of("startedAt", Instant.EPOCH)));

    assertThatThrownBy(() -> store().compareAndSet(Checkpoint.pending(ID).withStats(stats), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stats.chunkHistory[1].startedAt")
        .hasMessageContaining("java.time.Instant");
  }

  @Test
  void storedValuesAreUnmodifiableAndDetachedFromTheCallersMaps() {
    List<Object> groups = new ArrayList<>(List.of("cg-0"));
    Map<String, Object> metadata = new HashMap<>();
    metadata.put("completedGroupIds", groups);

    Checkpoint written = store().compareAndSet(Checkpoint.pending(ID).withMetadata(metadata), 0);
    groups.add("cg-1");
    metadata.put("attempts", 3L);

    Checkpoint read = store().get(ID).orElseThrow();
    assertThat(read.metadata()).isEqualTo(Map.of("completedGroupIds", List.of("cg-0")));
    assertThat(written.metadata()).isEqualTo(read.metadata());
    assertThatThrownBy(() -> read.metadata().put("x", 1L)).isInstanceOf(UnsupportedOperationException.class);
    @SuppressWarnings("unchecked")
    List<Object> readGroups = (List<Object>) read.metadata().get("completedGroupIds");
    assertThatThrownBy(() -> readGroups.add("cg-9")).isInstanceOf(UnsupportedOperationException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/compaction/a", "compaction/a/", "compaction//a", "compaction/../a", "./a", "a/."})
  void rejectsInvalidIds(String id) {
    assertThatThrownBy(() -> store().compareAndSet(Checkpoint.pending(id), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Invalid checkpoint id");
    assertThatThrownBy(() -> store().get(id)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store().delete(id, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(store().list("")).isEmpty();
  }

  @Test
  void rejectsNegativeExpectedVersion() {
    assertThatThrownBy(() -> store().compareAndSet(Checkpoint.pending(ID), -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThat(store().get(ID)).isEmpty();
  }
}
