package dev.lakelifecycle.core.internal.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.TableSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one expiry rule that dry runs apply and that real runs hand to the catalog. */
class SnapshotExpiryTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** Snapshots 1..n, one per day from T0, oldest first. */
  private static List<TableSnapshot> days(int n) {
    List<TableSnapshot> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      out.add(new TableSnapshot(i, i == 1 ? null : (long) i - 1, T0.plusSeconds(86_400L * (i - 1)),
          TableSnapshot.Operation.APPEND, Map.of()));
    }
    return out;
  }

  private static List<Long> ids(List<TableSnapshot> s) {
    return s.stream().map(TableSnapshot::snapshotId).toList();
  }

  @Test
  void keepsTheNewestNAndExpiresTheRestOldestFirst() {
    assertThat(ids(new SnapshotExpiry(3, SnapshotExpiry.ANY_AGE, Set.of()).select(days(8))))
        .containsExactly(1L, 2L, 3L, 4L, 5L);
  }

  @Test
  void neverExpiresTheCurrentSnapshot() {
    List<TableSnapshot> one = days(1);
    assertThat(new SnapshotExpiry(1, SnapshotExpiry.ANY_AGE, Set.of()).select(one)).isEmpty();
    assertThat(ids(new SnapshotExpiry(1, SnapshotExpiry.ANY_AGE, Set.of()).select(days(4))))
        .containsExactly(1L, 2L, 3L);
  }

  @Test
  void onlySnapshotsStrictlyOlderThanTheAgeLimitExpire() {
    // Snapshot 3 was committed exactly at the limit: not strictly before it, so it stays.
    Instant limit = T0.plusSeconds(86_400L * 2);
    assertThat(ids(new SnapshotExpiry(2, limit, Set.of()).select(days(6)))).containsExactly(1L, 2L);
  }

  @Test
  void pinnedSnapshotsNeverExpire() {
    assertThat(ids(new SnapshotExpiry(2, SnapshotExpiry.ANY_AGE, Set.of(2L, 4L)).select(days(6))))
        .containsExactly(1L, 3L);
  }

  @Test
  void fewerSnapshotsThanToKeepExpireNothing() {
    assertThat(new SnapshotExpiry(5, SnapshotExpiry.ANY_AGE, Set.of()).select(days(3))).isEmpty();
  }

  @Test
  void refusesToKeepFewerThanOne() {
    assertThatThrownBy(() -> new SnapshotExpiry(0, SnapshotExpiry.ANY_AGE, Set.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anyAgeIsRepresentableInEpochMillis() {
    assertThat(SnapshotExpiry.ANY_AGE.toEpochMilli()).isPositive();
  }
}
