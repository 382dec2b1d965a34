package dev.lakelifecycle.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.compaction.CompactionListener;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore;
import dev.lakelifecycle.testkit.ForwardingCatalogTable;
import dev.lakelifecycle.testkit.ForwardingTableCatalog;
import dev.lakelifecycle.testkit.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionData;
import org.apache.iceberg.RowDelta;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.deletes.EqualityDeleteWriter;
import org.apache.iceberg.deletes.PositionDelete;
import org.apache.iceberg.deletes.PositionDeleteWriter;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.FileAppender;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction of partitions holding Iceberg row-level deletes (merge-on-read tables), on a real {@code JdbcCatalog}
 * (SQLite): tables written and deleted from with plain Iceberg APIs, every result read back with
 * {@link IcebergGenerics}, deletes committed mid-compaction through a forwarding catalog that commits them just
 * before the compactor's replace.
 */
class IcebergDeleteCompactionTest {
  private static final TableId EVENTS = TableId.of("acme", "prod", "events");
  private static final TableIdentifier IDENT = TableIdentifier.of("acme", "prod", "events");
  private static final Schema SCHEMA = new Schema(
      Types.NestedField.required(1, "ts", Types.TimestampType.withZone()),
      Types.NestedField.optional(2, "level", Types.StringType.get()),
      Types.NestedField.optional(3, "msg", Types.StringType.get()));
  private static final int ROWS = 10;

  @TempDir Path dir;
  // Iceberg stamps snapshots with the wall clock: the lifecycle's clock starts there too.
  final MutableClock clock = MutableClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  ObjectStore store;
  IcebergTableCatalog catalog;
  Instant hourA;
  Instant hourB;
  /** Messages of the rows the table should hold. */
  final TreeSet<String> expected = new TreeSet<>();

  @BeforeEach
  void open() {
    store = newStore();
    catalog = IcebergTableCatalog.jdbc("lake", "jdbc:sqlite:" + dir.resolve("catalog.db"), store, "warehouse",
        Map.of());
    catalog.iceberg().buildTable(IDENT, SCHEMA)
        .withPartitionSpec(org.apache.iceberg.PartitionSpec.builderFor(SCHEMA).hour("ts").build())
        .withProperty("format-version", "2").create();
    hourA = clock.instant().minus(5, ChronoUnit.HOURS).truncatedTo(ChronoUnit.HOURS);
    hourB = hourA.plus(1, ChronoUnit.HOURS);
  }

  /** The store the warehouse lives in: local disk, stamped by the test clock. */
  ObjectStore newStore() {
    return LocalObjectStore.builder(dir.resolve("store")).clock(clock).build();
  }

  @AfterEach
  void close() {
    catalog.close();
    store.close();
  }

  @Test
  void compactsPartitionsWithPositionAndEqualityDeletesKeepingDeletedRowsDeleted() {
    List<String> a = writeFiles(hourA, "a", 4);
    List<String> b = writeFiles(hourB, "b", 4);
    // One position-delete file over two data files, one scoped to a single file, one equality delete.
    positionDeletes(hourA, Map.of(a.get(0), List.of(0L, 1L), a.get(1), List.of(5L)));
    positionDeletes(hourA, Map.of(a.get(2), List.of(9L)));
    equalityDelete(hourB, "b1-3", "b2-7");
    assertThat(readMessages()).isEqualTo(expected).hasSize(8 * ROWS - 6);
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).hasSize(2);

    CompactionPlan plan;
    CompactionResult result;
    try (Lifecycle lake = lifecycle(catalog)) {
      plan = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).plan();
      result = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).execute();
    }

    assertThat(plan.decisions(CompactionPlan.Reason.KEPT_BY_CATALOG)).isEmpty();
    assertThat(plan.groups()).hasSize(2);
    assertThat(result.filesRemoved()).isEqualTo(8);
    assertThat(result.filesAdded()).isEqualTo(2);
    assertThat(result.rows()).isEqualTo(8 * ROWS - 6);
    assertThat(readMessages()).isEqualTo(expected);
    List<FileScanTask> tasks = tasks();
    assertThat(tasks).hasSize(2);
    // The position deletes only referenced rewritten files: they are gone. The equality delete stays (always safe)
    // but no longer applies to the compacted file, whose data sequence number is newer.
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).isEmpty();
    assertThat(deleteFiles(FileContent.EQUALITY_DELETES)).hasSize(1);
    assertThat(tasks).allSatisfy(t -> assertThat(t.deletes()).isEmpty());
    assertThat(catalog.loadTable(EVENTS).liveFiles()).hasSize(2);
  }

  @Test
  void groupWhoseRowsAreAllDeletedIsRemovedWithItsPositionDeletes() {
    List<String> a = writeFiles(hourA, "a", 2, 3);
    writeFiles(hourB, "b", 2);
    positionDeletes(hourA, Map.of(a.get(0), List.of(0L, 1L, 2L), a.get(1), List.of(0L, 1L, 2L)));
    assertThat(readMessages()).isEqualTo(expected).hasSize(2 * ROWS);

    CompactionResult result;
    try (Lifecycle lake = lifecycle(catalog)) {
      result = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).execute();
    }

    assertThat(result.filesRemoved()).isEqualTo(4);
    assertThat(result.filesAdded()).isEqualTo(1);
    assertThat(readMessages()).isEqualTo(expected);
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).isEmpty();
    assertThat(catalog.loadTable(EVENTS).liveFiles()).hasSize(1)
        .allSatisfy(f -> assertThat(f.location()).doesNotContain("/a0-", "/a1-"));
  }

  @Test
  void positionDeleteFileReferencingAFileLeftOutOfTheRewriteStays() {
    List<String> a = writeFiles(hourA, "a", 3);
    positionDeletes(hourA, Map.of(a.get(0), List.of(2L), a.get(2), List.of(4L)));
    positionDeletes(hourA, Map.of(a.get(1), List.of(7L)));
    CatalogTable t = catalog.loadTable(EVENTS);
    List<DataFile> two = t.liveFiles().stream().filter(f -> !f.location().equals(a.get(2))).toList();
    List<String> outputs = new ArrayList<>();
    List<DataFile> written = t.rewriteGroup(two, new CatalogTable.RewriteSettings(128L << 20, 8L << 20, 64L << 20),
        () -> {
          String location = t.location() + "/data/rewritten-" + outputs.size() + ".parquet";
          outputs.add(location);
          return location;
        }).orElseThrow().outputs();
    assertThat(written).singleElement().satisfies(f -> {
      assertThat(f.location()).isEqualTo(outputs.get(0));
      assertThat(f.recordCount()).isEqualTo(2 * ROWS - 2);
    });
    t.commitReplace(two, written, Map.of());

    assertThat(readMessages()).isEqualTo(expected);
    assertThat(tasks()).hasSize(2);
    // The file-scoped delete of a1 went with a1; the one also referencing a2, still live, stays and applies.
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).singleElement()
        .satisfies(d -> assertThat(d.recordCount()).isEqualTo(2));
  }

  @Test
  void outputsRollAtTheTargetSizeAndHoldEveryRemainingRowOnce() {
    List<String> a = writeFiles(hourA, "a", 4, 3000);
    positionDeletes(hourA, Map.of(a.get(1), List.of(0L, 1500L, 2999L)));
    equalityDelete(hourA, "a3-42");
    CatalogTable t = catalog.loadTable(EVENTS);
    long inputBytes = t.liveFiles().stream().mapToLong(DataFile::sizeBytes).sum();
    long target = inputBytes / 3;
    List<DataFile> written = t.rewriteGroup(t.liveFiles(), new CatalogTable.RewriteSettings(target, 8L << 20,
        64L << 20), () -> t.location() + "/data/rolled-" + System.nanoTime() + ".parquet").orElseThrow().outputs();

    // Three targets' worth of input, less the deleted rows: two or three files. Outputs are sized by the input
    // bytes their rows came from (merged rows compress a little better), so each but the last holds a target's
    // worth of input rows, a third of them.
    assertThat(written).hasSizeBetween(2, 3);
    assertThat(written.subList(0, written.size() - 1)).allSatisfy(f -> assertThat(f.recordCount())
        .isGreaterThanOrEqualTo(4 * 3000 / 3 - 10));
    assertThat(written.stream().mapToLong(DataFile::recordCount).sum()).isEqualTo(4 * 3000 - 4);
    t.commitReplace(t.liveFiles(), written, Map.of());
    assertThat(readMessages()).isEqualTo(expected).hasSize(4 * 3000 - 4);
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).isEmpty();
  }

  @Test
  void equalityDeletesCommittedMidCompactionStillApplyToTheCompactedFiles() {
    List<String> a = writeFiles(hourA, "a", 3);
    writeFiles(hourB, "b", 3);
    positionDeletes(hourA, Map.of(a.get(0), List.of(0L)));
    InjectingCatalog injecting = new InjectingCatalog(catalog, () -> {
      // Another engine deletes by key in both partitions after the rows were read, before the replace commits:
      // one partition is rewritten by Iceberg's delete filter, the other by the compactor's own merge.
      equalityDelete(hourA, "a1-4");
      equalityDelete(hourB, "b2-2");
    });
    List<CompactionListener.ChunkProgress> progress = new CopyOnWriteArrayList<>();

    CompactionResult result;
    try (Lifecycle lake = lifecycle(injecting)) {
      result = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).listener(progress::add).execute();
    }

    assertThat(injecting.conflicts).isEmpty();
    assertThat(result.filesRemoved()).isEqualTo(6);
    assertThat(progress).singleElement().satisfies(p -> assertThat(p.attempts()).isEqualTo(1));
    assertThat(readMessages()).isEqualTo(expected).doesNotContain("a0-0", "a1-4", "b2-2").hasSize(6 * ROWS - 3);
    assertThat(tasks()).hasSize(2).allSatisfy(t -> assertThat(t.deletes()).singleElement()
        .satisfies(d -> assertThat(d.content()).isEqualTo(FileContent.EQUALITY_DELETES)));
  }

  @Test
  void positionDeleteCommittedMidCompactionConflictsLeavesTheTableUnchangedAndTheRetryAppliesIt() {
    List<String> a = writeFiles(hourA, "a", 3);
    positionDeletes(hourA, Map.of(a.get(1), List.of(1L)));
    AtomicReference<Long> injected = new AtomicReference<>();
    InjectingCatalog injecting = new InjectingCatalog(catalog, () -> {
      positionDeletes(hourA, Map.of(a.get(2), List.of(3L)));
      injected.set(iceberg().currentSnapshot().snapshotId());
    });
    List<CompactionListener.ChunkProgress> progress = new CopyOnWriteArrayList<>();

    CompactionResult result;
    try (Lifecycle lake = lifecycle(injecting)) {
      result = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).listener(progress::add).execute();
    }

    assertThat(injecting.conflicts).singleElement().satisfies(c -> {
      assertThat(c).isInstanceOf(CommitConflictException.class).hasMessageContaining("re-plan");
      assertThat(injecting.snapshotAfterConflict.get()).isEqualTo(injected.get());
    });
    assertThat(result.filesRemoved()).isEqualTo(3);
    assertThat(progress).singleElement().satisfies(p -> assertThat(p.attempts()).isEqualTo(2));
    assertThat(readMessages()).isEqualTo(expected).doesNotContain("a1-1", "a2-3").hasSize(3 * ROWS - 2);
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).isEmpty();
    assertThat(tasks()).singleElement().satisfies(t -> assertThat(t.deletes()).isEmpty());
  }

  @Test
  void outputWriteFailureDuringTheDeleteApplyingRewriteIsRetriedAndEveryRowSurvivesOnce() {
    List<String> a = writeFiles(hourA, "a", 3);
    positionDeletes(hourA, Map.of(a.get(0), List.of(3L)));
    equalityDelete(hourA, "a2-8");
    FaultInjectingObjectStore faulty = FaultInjectingObjectStore.wrap(store);
    // The compactor's outputs are named <writer>-c-<uuid>: the first one written fails, nothing lands.
    faulty.failNext(FaultInjectingObjectStore.Operation.CREATE, 1, k -> k.contains("/w1-c-"),
        FaultInjectingObjectStore.Failure.FAIL);
    List<CompactionListener.ChunkProgress> progress = new CopyOnWriteArrayList<>();
    IcebergTableCatalog overFaulty = IcebergTableCatalog.jdbc("lake", "jdbc:sqlite:" + dir.resolve("catalog.db"),
        faulty, "warehouse", Map.of());
    CompactionResult result;
    try (overFaulty; Lifecycle lake = Lifecycle.builder().store(faulty).catalog(overFaulty).clock(clock)
        .writerId("w1").build()) {
      result = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).listener(progress::add).execute();
    }

    assertThat(faulty.injected(FaultInjectingObjectStore.Operation.CREATE)).isEqualTo(1);
    assertThat(result.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
    assertThat(progress).singleElement().satisfies(p -> assertThat(p.attempts()).isEqualTo(2));
    assertThat(readMessages()).isEqualTo(expected).hasSize(3 * ROWS - 2);
    assertThat(tasks()).singleElement().satisfies(t -> assertThat(t.deletes()).isEmpty());
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).isEmpty();
  }

  @Test
  void replacingFilesWithDeletesWithoutApplyingThemIsRefusedAndTheTableIsUnchanged() {
    List<String> a = writeFiles(hourA, "a", 2);
    positionDeletes(hourA, Map.of(a.get(0), List.of(0L)));
    CatalogTable t = catalog.loadTable(EVENTS);
    long snapshot = t.currentSnapshot().orElseThrow().snapshotId();
    List<DataFile> live = t.liveFiles();
    DataFile merged = new DataFile(t.location() + "/data/merged.parquet", live.get(0).partition(), 100, 2 * ROWS,
        "w1", clock.instant(), Map.of());

    assertThatThrownBy(() -> t.commitReplace(live, List.of(merged), Map.of()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("would come back")
        .hasMessageContaining(a.get(0));
    assertThat(iceberg().currentSnapshot().snapshotId()).isEqualTo(snapshot);
    assertThat(readMessages()).isEqualTo(expected);
  }

  @Test
  void sortedTableKeepsFilesWithDeletesOutOfThePlan() {
    iceberg().replaceSortOrder().asc("msg").commit();
    List<String> a = writeFiles(hourA, "a", 2);
    writeFiles(hourB, "b", 2);
    positionDeletes(hourA, Map.of(a.get(0), List.of(0L)));

    try (Lifecycle lake = lifecycle(catalog)) {
      CompactionPlan plan = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).plan();
      assertThat(plan.decisions(CompactionPlan.Reason.KEPT_BY_CATALOG)).hasSize(2)
          .allSatisfy(d -> assertThat(d.detail()).contains("row-level delete files", "sort order"));
      assertThat(plan.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).hasSize(2));
    }
  }

  @Test
  void corruptDataPageInAPartitionWithPositionDeletesIsQuarantinedTheRestCompactedAndItsDeletesKept() {
    List<String> a = writeFiles(hourA, "a", 4);
    writeFiles(hourB, "b", 3);
    // a1 has a delete of its own and shares one with a0; a2's delete references a2 only.
    positionDeletes(hourA, Map.of(a.get(1), List.of(2L)));
    positionDeletes(hourA, Map.of(a.get(0), List.of(0L), a.get(1), List.of(7L)));
    positionDeletes(hourA, Map.of(a.get(2), List.of(4L)));
    equalityDelete(hourB, "b0-1");
    String corrupt = a.get(1);
    byte[] original = corrupt(corrupt, bytes -> {
      for (int i = 4; i < 40; i++) {
        bytes[i] = (byte) 0xff; // the first page header, right after the magic: the footer stays valid
      }
      return bytes;
    });
    // Iceberg's scan offers a1 all three position-delete files (path bounds do not prune them).
    List<String> deletesOfCorrupt = deletesOf(corrupt);
    assertThat(deletesOfCorrupt).hasSize(3);

    CompactionResult result;
    try (Lifecycle lake = lifecycle(catalog)) {
      result = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).execute();
    }

    assertThat(result.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
    assertThat(result.quarantined()).singleElement().satisfies(q -> {
      assertThat(q.location()).isEqualTo(corrupt);
      assertThat(q.error()).contains(corrupt, "clearQuarantine");
    });
    assertThat(result.filesRemoved()).isEqualTo(6);
    assertThat(result.filesAdded()).isEqualTo(2);
    assertThat(catalog.loadTable(EVENTS).liveFiles()).hasSize(3).anySatisfy(f -> assertThat(f.location())
        .isEqualTo(corrupt));
    // Every row of the readable files is there once, deleted rows stay deleted; the corrupt file's deletes stay.
    assertThat(readMessagesExcept(corrupt)).isEqualTo(withoutPrefix(expected, "a1-"));
    // a2's delete went with a2; the two that reference a1 stay (restoring a1 below proves they still apply).
    assertThat(deletesOf(corrupt)).hasSize(2).isSubsetOf(deletesOfCorrupt);
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).hasSize(2);

    try (Lifecycle lake = lifecycle(catalog)) {
      CompactionPlan plan = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).plan();
      assertThat(plan.decisions(CompactionPlan.Reason.QUARANTINED)).singleElement()
          .satisfies(d -> assertThat(d.file().location()).isEqualTo(corrupt));
      assertThat(plan.groups()).isEmpty();

      // Repaired: its rows as the table always had them (no deleted row back), and compacted once released.
      store.put(store.keyOf(corrupt).orElseThrow(), original);
      assertThat(readMessages()).isEqualTo(expected);
      assertThat(lake.compactor().clearQuarantine(EVENTS, List.of(corrupt))).isEqualTo(1);
      CompactionResult after = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).execute();
      assertThat(after.quarantined()).isEmpty();
      assertThat(after.filesRemoved()).isEqualTo(2);
    }
    assertThat(readMessages()).isEqualTo(expected).hasSize(7 * ROWS - 5);
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).isEmpty();
  }

  @Test
  void fileTruncatedAfterThePlanInAPartitionWithEqualityDeletesIsQuarantinedAndTheRestCompacted() {
    writeFiles(hourA, "a", 3);
    List<String> b = writeFiles(hourB, "b", 2);
    equalityDelete(hourA, "a0-3", "a1-5", "a2-9");
    positionDeletes(hourB, Map.of(b.get(0), List.of(1L)));
    String corrupt = locationOf("a1-");

    CompactionResult result;
    try (Lifecycle lake = lifecycle(catalog)) {
      // The plan reads every footer (and remembers them); the file breaks before the rewrite reads its rows.
      assertThat(lake.compactor().compact(EVENTS).minInputFiles(2).force(true).plan().groups()).hasSize(2);
      corrupt(corrupt, bytes -> java.util.Arrays.copyOf(bytes, bytes.length / 2));
      result = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).execute();
    }

    assertThat(result.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
    assertThat(result.quarantined()).singleElement().satisfies(q -> {
      assertThat(q.location()).isEqualTo(corrupt);
      assertThat(q.error()).contains(corrupt, "Compactor.clearQuarantine");
    });
    assertThat(result.groupsCompacted()).isEqualTo(2);
    assertThat(result.filesRemoved()).isEqualTo(4);
    assertThat(catalog.loadTable(EVENTS).liveFiles()).hasSize(3);
    assertThat(readMessagesExcept(corrupt)).isEqualTo(withoutPrefix(expected, "a1-")).hasSize(5 * ROWS - 4 - 9);
    // The equality delete still applies to the quarantined file (its sequence number is unchanged).
    assertThat(deleteFiles(FileContent.EQUALITY_DELETES)).hasSize(1);
    assertThat(deletesOf(corrupt)).hasSize(1);

    try (Lifecycle lake = lifecycle(catalog)) {
      CompactionPlan plan = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).plan();
      assertThat(plan.decisions(CompactionPlan.Reason.QUARANTINED)).singleElement()
          .satisfies(d -> assertThat(d.detail()).startsWith("quarantined:"));
      assertThat(lake.compactor().compact(EVENTS).minInputFiles(2).force(true).execute().filesRemoved()).isZero();
    }
  }

  @Test
  void rowsOfALaterCorruptRowGroupAlreadyWrittenAreDiscardedAndTheGroupRewrittenWithoutIt() {
    List<String> a = writeFiles(hourA, "a", 2);
    List<Long> rowGroups = new ArrayList<>();
    String big = writeFileWithRowGroups(hourA, "z0", 3000, rowGroups);
    assertThat(rowGroups).hasSizeGreaterThan(2);
    positionDeletes(hourA, Map.of(a.get(0), List.of(1L), big, List.of(5L)));
    corrupt(big, bytes -> {
      long last = rowGroups.get(rowGroups.size() - 1);
      for (int i = 0; i < 36; i++) {
        bytes[(int) last + i] = (byte) 0xff; // the last row group's first page header
      }
      return bytes;
    });
    CatalogTable t = catalog.loadTable(EVENTS);
    List<DataFile> inputs = t.liveFiles();
    // The big file first, so its early row groups are written before its last one fails.
    List<DataFile> ordered = new ArrayList<>(inputs.stream().filter(f -> f.location().equals(big)).toList());
    inputs.stream().filter(f -> !f.location().equals(big)).forEach(ordered::add);
    List<String> given = new ArrayList<>();

    CatalogTable.Rewrite r = t.rewriteGroup(ordered, new CatalogTable.RewriteSettings(128L << 20, 8L << 20,
        64L << 20), () -> {
          String location = t.location() + "/data/rewritten-" + given.size() + ".parquet";
          given.add(location);
          return location;
        }).orElseThrow();

    assertThat(r.unreadable().entrySet()).singleElement().satisfies(e -> {
      assertThat(e.getKey().location()).isEqualTo(big);
      assertThat(e.getValue()).contains(big, "clearQuarantine");
    });
    assertThat(r.kept()).isEmpty();
    assertThat(r.rewritten()).extracting(DataFile::location).containsExactlyInAnyOrderElementsOf(a);
    assertThat(r.outputs()).singleElement().satisfies(f -> assertThat(f.recordCount()).isEqualTo(2 * ROWS - 1));
    // The first attempt's output held rows of the big file: it was deleted, only the second attempt's remains.
    assertThat(given).hasSize(2);
    assertThat(store.stat(store.keyOf(given.get(0)).orElseThrow())).isEmpty();
    t.commitReplace(r.rewritten(), r.outputs(), Map.of());

    assertThat(readMessagesExcept(big)).isEqualTo(withoutPrefix(expected, "z0-"));
    // The shared position-delete file still references the big file: it stays and still applies to it.
    assertThat(deletesOf(big)).hasSize(1);
  }

  @Test
  void unreadableDeleteFileLeavesItsGroupAloneAndTheOtherGroupsAreCompacted() {
    Instant hourC = hourB.plus(1, ChronoUnit.HOURS);
    List<String> a = writeFiles(hourA, "a", 3);
    writeFiles(hourB, "b", 3);
    List<String> c = writeFiles(hourC, "c", 3);
    positionDeletes(hourA, Map.of(a.get(0), List.of(1L), a.get(2), List.of(3L)));
    String brokenPositions = deleteFiles(FileContent.POSITION_DELETES).get(0).location();
    equalityDelete(hourB, "b1-1", "b2-2");
    String brokenEqualities = deleteFiles(FileContent.EQUALITY_DELETES).get(0).location();
    positionDeletes(hourC, Map.of(c.get(1), List.of(0L)));
    List<String> liveBefore = catalog.loadTable(EVENTS).liveFiles().stream().map(DataFile::location).toList();
    byte[] positions = corrupt(brokenPositions, bytes -> java.util.Arrays.copyOf(bytes, bytes.length - 20));
    byte[] equalities = corrupt(brokenEqualities, bytes -> {
      for (int i = bytes.length - 40; i < bytes.length - 8; i++) {
        bytes[i] = (byte) 0x5a; // the footer
      }
      return bytes;
    });

    CompactionResult result;
    try (Lifecycle lake = lifecycle(catalog)) {
      result = lake.compactor().compact(EVENTS).minInputFiles(2).force(true).execute();
    }

    // Only hour C is compacted; A and B are left exactly as they were, their data files neither quarantined nor
    // rewritten, and the broken delete files still in place.
    assertThat(result.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
    assertThat(result.quarantined()).isEmpty();
    assertThat(result.groupsCompacted()).isEqualTo(1);
    assertThat(result.filesRemoved()).isEqualTo(3);
    List<String> live = catalog.loadTable(EVENTS).liveFiles().stream().map(DataFile::location).toList();
    assertThat(live).hasSize(7).containsAll(liveBefore.stream().filter(l -> !c.contains(l)).toList());
    assertThat(deleteFiles(FileContent.POSITION_DELETES)).extracting(DeleteFile::location)
        .containsExactly(brokenPositions);
    assertThat(deleteFiles(FileContent.EQUALITY_DELETES)).extracting(DeleteFile::location)
        .containsExactly(brokenEqualities);
    // The catalog says why, naming the delete file.
    CatalogTable t = catalog.loadTable(EVENTS);
    List<DataFile> hourAFiles = t.liveFiles().stream().filter(f -> a.contains(f.location())).toList();
    assertThat(t.rewriteGroup(hourAFiles, new CatalogTable.RewriteSettings(128L << 20, 8L << 20, 64L << 20),
        () -> t.location() + "/data/never-" + System.nanoTime() + ".parquet").orElseThrow()).satisfies(r -> {
          assertThat(r.rewritten()).isEmpty();
          assertThat(r.outputs()).isEmpty();
          assertThat(r.unreadable()).isEmpty();
          assertThat(r.kept()).hasSize(3).allSatisfy((f, why) -> assertThat(why)
              .contains(brokenPositions, "left alone", "would bring deleted rows back"));
        });

    // Repaired, every row is as before the run: no deleted row came back, none was lost.
    store.put(store.keyOf(brokenPositions).orElseThrow(), positions);
    store.put(store.keyOf(brokenEqualities).orElseThrow(), equalities);
    assertThat(readMessages()).isEqualTo(expected).hasSize(9 * ROWS - 5);
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private Lifecycle lifecycle(TableCatalog tables) {
    return Lifecycle.builder().store(store).catalog(tables).clock(clock).writerId("w1").build();
  }

  private Table iceberg() {
    return catalog.iceberg().loadTable(IDENT);
  }

  /** Messages of the table's rows read by Iceberg's generic reader; fails on a duplicate. */
  private TreeSet<String> readMessages() {
    TreeSet<String> out = new TreeSet<>();
    try (CloseableIterable<Record> rows = IcebergGenerics.read(iceberg()).build()) {
      for (Record r : rows) {
        assertThat(out.add((String) r.getField("msg"))).as("duplicate row %s", r).isTrue();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private List<FileScanTask> tasks() {
    List<FileScanTask> out = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks = iceberg().newScan().planFiles()) {
      tasks.forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Delete files of the current snapshot with this content. */
  private List<DeleteFile> deleteFiles(FileContent content) {
    Table table = iceberg();
    List<DeleteFile> out = new ArrayList<>();
    for (org.apache.iceberg.ManifestFile m : table.currentSnapshot().deleteManifests(table.io())) {
      try (CloseableIterable<DeleteFile> files = org.apache.iceberg.ManifestFiles.readDeleteManifest(m, table.io(),
          table.specs())) {
        files.forEach(d -> {
          if (d.content() == content) {
            out.add(d.copy());
          }
        });
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** Replaces the bytes of the object at {@code location} by {@code change}'s; returns the original bytes. */
  private byte[] corrupt(String location, java.util.function.UnaryOperator<byte[]> change) {
    String key = store.keyOf(location).orElseThrow();
    byte[] original = store.read(key);
    store.put(key, change.apply(original.clone()));
    return original;
  }

  /** The location of the live data file whose rows' messages start with {@code prefix}. */
  private String locationOf(String prefix) {
    return tasks().stream().map(t -> t.file().location())
        .filter(l -> l.substring(l.lastIndexOf('/') + 1).startsWith(prefix)).findFirst().orElseThrow();
  }

  /** Locations of the delete files that apply to the live data file at {@code location}. */
  private List<String> deletesOf(String location) {
    return tasks().stream().filter(t -> t.file().location().equals(location)).findFirst().orElseThrow()
        .deletes().stream().map(DeleteFile::location).toList();
  }

  private static TreeSet<String> withoutPrefix(TreeSet<String> messages, String prefix) {
    TreeSet<String> out = new TreeSet<>(messages);
    out.removeIf(m -> m.startsWith(prefix));
    return out;
  }

  /**
   * Messages of the rows of every live data file but {@code skipped}, read with the deletes that apply to each by
   * Iceberg's own delete filter (a scan of the whole table would fail on the skipped, unreadable file).
   */
  private TreeSet<String> readMessagesExcept(String skipped) {
    Table table = iceberg();
    TreeSet<String> out = new TreeSet<>();
    for (FileScanTask task : tasks()) {
      if (task.file().location().equals(skipped)) {
        continue;
      }
      GenericDeleteFilter deletes = new GenericDeleteFilter(table.io(), task, table.schema(), table.schema());
      Schema required = deletes.requiredSchema();
      try (CloseableIterable<Record> rows = deletes.filter(Parquet.read(table.io().newInputFile(
          task.file().location())).project(required)
          .createReaderFunc(type -> GenericParquetReaders.buildReader(required, type)).build())) {
        for (Record r : rows) {
          assertThat(out.add((String) r.getField("msg"))).as("duplicate row %s", r).isTrue();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /**
   * Appends one file of {@code rows} rows in small row groups; {@code rowGroups} receives the row groups' start
   * offsets. Messages are {@code <prefix>-<row>}.
   */
  private String writeFileWithRowGroups(Instant hour, String prefix, int rows, List<Long> rowGroups) {
    Table table = iceberg();
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      GenericRecord r = GenericRecord.create(SCHEMA);
      r.setField("ts", OffsetDateTime.ofInstant(hour.plusMillis(i), ZoneOffset.UTC));
      r.setField("level", "INFO");
      r.setField("msg", prefix + "-" + i);
      records.add(r);
      expected.add(prefix + "-" + i);
    }
    PartitionData partition = partition(table, hour);
    OutputFile output = table.io().newOutputFile(table.locationProvider().newDataLocation(table.spec(), partition,
        prefix + "-" + System.nanoTime() + ".parquet"));
    try {
      FileAppender<Record> writer = Parquet.write(output).schema(SCHEMA)
          .set(org.apache.iceberg.TableProperties.PARQUET_ROW_GROUP_SIZE_BYTES, "2048")
          .set(org.apache.iceberg.TableProperties.PARQUET_ROW_GROUP_CHECK_MIN_RECORD_COUNT, "100")
          .set(org.apache.iceberg.TableProperties.PARQUET_ROW_GROUP_CHECK_MAX_RECORD_COUNT, "100")
          .createWriterFunc(type -> GenericParquetWriter.create(SCHEMA, type)).build();
      try (writer) {
        writer.addAll(records);
      }
      rowGroups.addAll(writer.splitOffsets());
      table.newAppend().appendFile(DataFiles.builder(table.spec()).withPath(output.location())
          .withFormat(FileFormat.PARQUET).withFileSizeInBytes(writer.length()).withMetrics(writer.metrics())
          .withSplitOffsets(writer.splitOffsets()).withPartition(partition).build()).commit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return output.location();
  }

  private static PartitionData partition(Table table, Instant hour) {
    PartitionData partition = new PartitionData(table.spec().partitionType());
    partition.set(0, (int) ChronoUnit.HOURS.between(Instant.EPOCH, hour));
    return partition;
  }

  /** Appends {@code files} files of {@value #ROWS} rows each (one commit each); returns their locations. */
  private List<String> writeFiles(Instant hour, String prefix, int files) {
    return writeFiles(hour, prefix, files, ROWS);
  }

  /** Appends {@code files} files of {@code rows} rows each (one commit each); returns their locations. */
  private List<String> writeFiles(Instant hour, String prefix, int files, int rows) {
    List<String> out = new ArrayList<>();
    for (int file = 0; file < files; file++) {
      Table table = iceberg();
      List<Record> records = new ArrayList<>();
      for (int i = 0; i < rows; i++) {
        GenericRecord r = GenericRecord.create(SCHEMA);
        r.setField("ts", OffsetDateTime.ofInstant(hour.plusMillis(file * 600_000L + i * 100L), ZoneOffset.UTC));
        r.setField("level", i % 3 == 0 ? null : "INFO");
        r.setField("msg", prefix + file + "-" + i);
        records.add(r);
        expected.add(prefix + file + "-" + i);
      }
      PartitionData partition = partition(table, hour);
      OutputFile output = table.io().newOutputFile(table.locationProvider().newDataLocation(table.spec(), partition,
          prefix + file + "-" + System.nanoTime() + ".parquet"));
      try {
        FileAppender<Record> writer = Parquet.write(output).schema(SCHEMA)
            .createWriterFunc(type -> GenericParquetWriter.create(SCHEMA, type)).build();
        try (writer) {
          writer.addAll(records);
        }
        table.newAppend().appendFile(DataFiles.builder(table.spec()).withPath(output.location())
            .withFormat(FileFormat.PARQUET).withFileSizeInBytes(writer.length()).withMetrics(writer.metrics())
            .withPartition(partition).build()).commit();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      out.add(output.location());
    }
    return out;
  }

  /** Commits one position-delete file deleting the given row positions of the given files. */
  private void positionDeletes(Instant hour, Map<String, List<Long>> positions) {
    Table table = iceberg();
    PartitionData partition = partition(table, hour);
    OutputFile out = table.io().newOutputFile(table.locationProvider().newDataLocation(table.spec(), partition,
        "pos-" + System.nanoTime() + ".parquet"));
    try {
      PositionDeleteWriter<Record> writer = Parquet.writeDeletes(out).withSpec(table.spec()).withPartition(partition)
          .overwrite().buildPositionWriter();
      try (writer) {
        for (Map.Entry<String, List<Long>> e : new TreeMap<>(positions).entrySet()) {
          for (long pos : e.getValue()) {
            writer.write(PositionDelete.<Record>create().set(e.getKey(), pos));
            expected.remove(messageAt(e.getKey(), pos));
          }
        }
      }
      table.newRowDelta().addDeletes(writer.toDeleteFile()).commit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The message written at row {@code pos} of the file at {@code location} ("a1-..." files hold "a1-pos"). */
  private static String messageAt(String location, long pos) {
    String name = location.substring(location.lastIndexOf('/') + 1);
    return name.substring(0, name.indexOf('-')) + "-" + pos;
  }

  /** Commits one equality-delete file (by {@code msg}) in the partition of {@code hour}. */
  private void equalityDelete(Instant hour, String... messages) {
    Table table = iceberg();
    Schema key = table.schema().select("msg");
    PartitionData partition = partition(table, hour);
    OutputFile out = table.io().newOutputFile(table.locationProvider().newDataLocation(table.spec(), partition,
        "eq-" + System.nanoTime() + ".parquet"));
    try {
      EqualityDeleteWriter<Record> writer = Parquet.writeDeletes(out).forTable(table).withPartition(partition)
          .rowSchema(key).equalityFieldIds(3).createWriterFunc(type -> GenericParquetWriter.create(key, type))
          .overwrite().buildEqualityWriter();
      try (writer) {
        for (String m : messages) {
          GenericRecord r = GenericRecord.create(key);
          r.setField("msg", m);
          writer.write(r);
          expected.remove(m);
        }
      }
      RowDelta delta = table.newRowDelta().addDeletes(writer.toDeleteFile());
      delta.commit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs {@code beforeFirstReplace} just before the first replace commit reaches the Iceberg catalog (after the
   * compactor read and wrote the chunk), and records that commit's conflict, if any, with the table's snapshot
   * right after it.
   */
  private final class InjectingCatalog extends ForwardingTableCatalog {
    final AtomicReference<Runnable> beforeFirstReplace;
    final List<RuntimeException> conflicts = new CopyOnWriteArrayList<>();
    final AtomicReference<Long> snapshotAfterConflict = new AtomicReference<>();

    InjectingCatalog(TableCatalog delegate, Runnable beforeFirstReplace) {
      super(delegate);
      this.beforeFirstReplace = new AtomicReference<>(beforeFirstReplace);
    }

    @Override
    public CatalogTable loadTable(TableId id) {
      return new ForwardingCatalogTable(super.loadTable(id)) {
        @Override
        public TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
            Map<String, String> summary) {
          Runnable inject = beforeFirstReplace.getAndSet(null);
          if (inject == null) {
            return super.commitReplace(removed, added, summary);
          }
          inject.run();
          try {
            return super.commitReplace(removed, added, summary);
          } catch (CommitConflictException e) {
            conflicts.add(e);
            snapshotAfterConflict.set(iceberg().currentSnapshot().snapshotId());
            throw e;
          }
        }
      };
    }

    @Override
    public void close() {
      // The test closes the Iceberg catalog itself.
    }
  }
}
