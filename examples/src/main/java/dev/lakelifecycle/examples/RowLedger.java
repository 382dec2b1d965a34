package dev.lakelifecycle.examples;

import dev.lakelifecycle.api.TableId;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Row counts and summed {@link RowFingerprint}s per table and partition: what went in, or what came out.
 * Comparing two ledgers partition by partition shows rows lost, doubled or altered anywhere on the way.
 */
final class RowLedger {
  /** The rows of one partition: how many, and the sum of their fingerprints (wrapping). */
  static final class Tally {
    long rows;
    long fingerprint;

    void add(long rowFingerprint) {
      rows++;
      fingerprint += rowFingerprint;
    }

    void add(Tally other) {
      rows += other.rows;
      fingerprint += other.fingerprint;
    }
  }

  private final Map<TableId, Map<String, Tally>> tables = new TreeMap<>((a, b) -> a.path().compareTo(b.path()));

  void add(TableId table, String partition, long rowFingerprint) {
    tables.computeIfAbsent(table, t -> new TreeMap<>()).computeIfAbsent(partition, p -> new Tally()).add(rowFingerprint);
  }

  /** Registers a table that may end up with no rows, so that it is still compared. */
  void touch(TableId table) {
    tables.computeIfAbsent(table, t -> new TreeMap<>());
  }

  Set<TableId> tables() {
    return tables.keySet();
  }

  /** The partitions of a table, sorted; empty if unknown. */
  Map<String, Tally> partitions(TableId table) {
    return tables.getOrDefault(table, Map.of());
  }

  /** The whole table's tally, or of its partitions other than {@code excluded}. */
  Tally total(TableId table, Collection<String> excluded) {
    Tally t = new Tally();
    partitions(table).forEach((p, tally) -> {
      if (!excluded.contains(p)) {
        t.add(tally);
      }
    });
    return t;
  }

  long rows() {
    return tables.keySet().stream().mapToLong(t -> total(t, Set.of()).rows).sum();
  }
}
