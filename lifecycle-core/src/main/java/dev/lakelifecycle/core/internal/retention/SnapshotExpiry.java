package dev.lakelifecycle.core.internal.retention;

import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The snapshot expiry rule of {@link CatalogTable#expireSnapshots(int, Instant, Set)} with its parameters, in
 * one place: a real run hands the parameters to the catalog, a dry run applies {@link #select(List)} to the
 * snapshots it sees, so both decide with the same inputs and the same rule.
 *
 * @param retainLast newest snapshots always kept, at least 1
 * @param olderThan only snapshots committed strictly before this may expire
 * @param pinned snapshot ids that never expire (named by pending compaction checkpoints)
 */
record SnapshotExpiry(int retainLast, Instant olderThan, Set<Long> pinned) {

  /**
   * "Any age" when no maximum snapshot age is configured: far enough in the future that every snapshot is
   * older, yet representable in epoch milliseconds, which catalogs such as Iceberg convert instants to.
   */
  static final Instant ANY_AGE = Instant.parse("9999-12-31T23:59:59.999Z");

  SnapshotExpiry {
    if (retainLast < 1) {
      throw new IllegalArgumentException("retainLast must be >= 1, got " + retainLast);
    }
    pinned = Set.copyOf(pinned);
  }

  /**
   * The snapshots the rule expires.
   *
   * @param snapshots every retained snapshot, oldest first; the last is the current one
   * @return those beyond the newest {@code retainLast}, committed before {@code olderThan} and not pinned,
   *     oldest first; never the current snapshot
   */
  List<TableSnapshot> select(List<TableSnapshot> snapshots) {
    List<TableSnapshot> out = new ArrayList<>();
    // retainLast >= 1 keeps the last (current) snapshot out of the candidates.
    int candidates = snapshots.size() - retainLast;
    for (int i = 0; i < candidates; i++) {
      TableSnapshot s = snapshots.get(i);
      if (s.committedAt().isBefore(olderThan) && !pinned.contains(s.snapshotId())) {
        out.add(s);
      }
    }
    return out;
  }

  /** Applies the rule through the catalog (a real run). */
  List<TableSnapshot> apply(CatalogTable table) {
    return table.expireSnapshots(retainLast, olderThan, pinned);
  }
}
