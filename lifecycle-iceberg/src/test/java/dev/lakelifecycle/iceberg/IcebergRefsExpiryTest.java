package dev.lakelifecycle.iceberg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.core.Lifecycle;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.junit.jupiter.api.Test;

/**
 * Snapshot expiry keeps what Iceberg's own rules keep on every ref: branches with their own commits and
 * retention settings, tags while they live; the orphan sweep keeps their files; Iceberg reads the tag and the
 * branch the same before and after.
 */
class IcebergRefsExpiryTest extends IcebergFixture {

  private Set<Long> snapshotIds() {
    Set<Long> ids = new HashSet<>();
    iceberg().snapshots().forEach(s -> ids.add(s.snapshotId()));
    return ids;
  }

  private Map<String, Integer> readAt(long snapshotId) {
    return rows(IcebergGenerics.read(iceberg()).useSnapshot(snapshotId));
  }

  /** Appends one file of Iceberg's writer to the branch. */
  private void appendTo(String branch, Instant ts, String msg) {
    Table t = iceberg();
    DataFile f = writeWithIceberg(t, List.of(record(t, ts, "INFO", msg)), ts);
    t.newAppend().appendFile(f).toBranch(branch).commit();
  }

  @Test
  void branchAndTagOutliveExpiryOfMainTheirFilesOutliveTheSweepAndReadTheSame() {
    createLogs();
    Instant hour = clock.instant().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.HOURS);
    Map<String, Integer> main = new TreeMap<>();
    try (Lifecycle lake = lifecycle()) {
      flushRows(lake, hour.plusSeconds(0), 5, "first", main);
      long tagged = iceberg().currentSnapshot().snapshotId();
      iceberg().manageSnapshots().createTag("release-1", tagged).commit();
      Map<String, Integer> atTag = new TreeMap<>(main);

      flushRows(lake, hour.plusSeconds(100), 5, "second", main);
      iceberg().manageSnapshots().createBranch("audit", iceberg().currentSnapshot().snapshotId()).commit();
      Map<String, Integer> onBranch = new TreeMap<>(main);
      appendTo("audit", hour.plusSeconds(200), "audit-a");
      appendTo("audit", hour.plusSeconds(201), "audit-b");
      onBranch.put(key(hour.plusSeconds(200), "INFO", "audit-a"), 1);
      onBranch.put(key(hour.plusSeconds(201), "INFO", "audit-b"), 1);

      flushRows(lake, hour.plusSeconds(300), 5, "third", main);
      // Compaction replaces main's files: the tagged file is then referenced only through the tag.
      CompactionResult compacted = lake.compactor().compact(LOGS).minInputFiles(2).force(true).execute();
      assertThat(compacted.filesRemoved()).isEqualTo(3);
      Table before = iceberg();
      long branchHead = before.snapshot("audit").snapshotId();
      long branchParent = before.snapshot(branchHead).parentId();
      assertThat(before.snapshots()).hasSize(6);

      CatalogTable table = catalog.loadTable(LOGS);
      List<TableSnapshot> expired = table.expireSnapshots(1, Instant.now().plusSeconds(60), Set.of());

      Table after = iceberg();
      assertThat(after.refs()).containsOnlyKeys(SnapshotRef.MAIN_BRANCH, "audit", "release-1");
      // main keeps its head; the branch keeps its head (its own retention: the default of one); the tag keeps
      // its snapshot; everything else is history of no ref beyond the retained count.
      assertThat(snapshotIds()).containsExactlyInAnyOrder(after.currentSnapshot().snapshotId(), branchHead, tagged);
      assertThat(expired).extracting(TableSnapshot::snapshotId).hasSize(3).contains(branchParent)
          .doesNotContain(tagged, branchHead);

      assertThat(readAt(tagged)).isEqualTo(atTag);
      assertThat(readAt(after.snapshot("audit").snapshotId())).isEqualTo(onBranch);
      assertThat(readWithIceberg()).isEqualTo(main);

      clock.advance(Duration.ofHours(2));
      SweepResult swept = lake.sweeper().sweep(LOGS).olderThan(Duration.ofHours(1)).execute();
      // The files of "second" and "third" were reachable only from expired main snapshots.
      assertThat(swept.filesDeleted()).isGreaterThanOrEqualTo(2);
      for (String location : catalog.loadTable(LOGS).referencedLocations()) {
        assertThat(store.stat(store.keyOf(location).orElseThrow())).as(location).isPresent();
      }
      assertThat(readAt(tagged)).isEqualTo(atTag);
      assertThat(readAt(iceberg().snapshot("audit").snapshotId())).isEqualTo(onBranch);
      assertThat(readWithIceberg()).isEqualTo(main);
    }
  }

  @Test
  void branchAndTagRetentionSettingsAreHonouredAndPinnedSnapshotsKept() {
    createLogs();
    Instant hour = clock.instant().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
    Map<String, Integer> main = new TreeMap<>();
    try (Lifecycle lake = lifecycle()) {
      flushRows(lake, hour, 2, "m0", main);
      long base = iceberg().currentSnapshot().snapshotId();
      iceberg().manageSnapshots()
          .createBranch("keep-three", base).setMinSnapshotsToKeep("keep-three", 3)
          .createBranch("keep-young", base).setMaxSnapshotAgeMs("keep-young", Duration.ofDays(1).toMillis())
          .createTag("short-lived", base).setMaxRefAgeMs("short-lived", 1)
          .commit();
      for (int i = 0; i < 4; i++) {
        appendTo("keep-three", hour.plusSeconds(10 + i), "three-" + i);
        appendTo("keep-young", hour.plusSeconds(20 + i), "young-" + i);
      }
      for (int i = 1; i < 4; i++) {
        flushRows(lake, hour.plusSeconds(100 * i), 2, "m" + i, main);
      }
      Table before = iceberg();
      long pinned = before.currentSnapshot().parentId();
      Set<Long> threeNewest = new HashSet<>();
      long youngHead = before.snapshot("keep-young").snapshotId();
      Set<Long> young = new HashSet<>();
      for (Snapshot s = before.snapshot("keep-three"); threeNewest.size() < 3; s = before.snapshot(s.parentId())) {
        threeNewest.add(s.snapshotId());
      }
      for (Snapshot s = before.snapshot(youngHead); s != null;
          s = s.parentId() == null ? null : before.snapshot(s.parentId())) {
        young.add(s.snapshotId());
      }
      Map<String, Integer> youngRows = readAt(youngHead);

      catalog.loadTable(LOGS).expireSnapshots(1, Instant.now().plusSeconds(60), Set.of(pinned));

      Table after = iceberg();
      // The tag outlived its max-ref-age-ms of 1 ms, so Iceberg removed it (and nothing else keeps its snapshot
      // but the young branch, whose ancestor it is).
      assertThat(after.refs()).containsOnlyKeys(SnapshotRef.MAIN_BRANCH, "keep-three", "keep-young");
      Set<Long> expected = new HashSet<>(threeNewest);
      // The young branch keeps every ancestor younger than its max-snapshot-age-ms: all of them, its base too.
      expected.addAll(young);
      expected.add(after.currentSnapshot().snapshotId());
      expected.add(pinned);
      assertThat(snapshotIds()).isEqualTo(expected);
      assertThat(readAt(youngHead)).isEqualTo(youngRows);
      assertThat(readWithIceberg()).isEqualTo(main);
    }
  }
}
