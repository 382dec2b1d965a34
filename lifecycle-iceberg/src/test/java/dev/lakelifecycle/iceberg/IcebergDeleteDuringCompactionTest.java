package dev.lakelifecycle.iceberg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.testkit.ForwardingCatalogTable;
import dev.lakelifecycle.testkit.ForwardingTableCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionData;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.deletes.EqualityDeleteWriter;
import org.apache.iceberg.deletes.PositionDelete;
import org.apache.iceberg.deletes.PositionDeleteWriter;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A plain-Iceberg delete committed while {@code compactor().execute()} runs, after the plan and before the
 * chunk's commit (apache/iceberg#10312): a position delete or a delete of a source file fails the commit typed and
 * the chunk is re-planned in the same run; an equality delete commits and still applies to the compacted rows; no
 * deleted row comes back, and the next run has nothing to do.
 */
class IcebergDeleteDuringCompactionTest extends IcebergFixture {

  /** The concurrent change another engine commits. */
  enum ConcurrentDelete {
    /** A position delete of one row of a planned source file. */
    POSITION,
    /** An equality delete of one row's {@code msg}. */
    EQUALITY,
    /** A {@code DeleteFiles} by a row filter covering one planned source file (an overwrite of it). */
    ROW_FILTER
  }

  private Instant hour;

  /** The planned source file holding the row with this msg, found by Iceberg's metrics-pruned scan. */
  private org.apache.iceberg.DataFile fileWith(Table table, String msg) {
    try (CloseableIterable<FileScanTask> tasks = table.newScan().filter(Expressions.equal("msg", msg)).planFiles()) {
      List<org.apache.iceberg.DataFile> files = new ArrayList<>();
      tasks.forEach(t -> files.add(t.file()));
      assertThat(files).hasSize(1);
      return files.get(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Position of the row with this msg in the file, as Iceberg's reader of that file alone sees it. */
  private static long positionOf(Table table, org.apache.iceberg.DataFile file, String msg) {
    try (CloseableIterable<Record> rows = Parquet.read(table.io().newInputFile(file.location()))
        .project(table.schema())
        .withNameMapping(org.apache.iceberg.mapping.NameMappingParser.fromJson(
            table.properties().get(org.apache.iceberg.TableProperties.DEFAULT_NAME_MAPPING)))
        .createReaderFunc(type -> org.apache.iceberg.data.parquet.GenericParquetReaders.buildReader(table.schema(),
            type))
        .build()) {
      long pos = 0;
      for (Record r : rows) {
        if (msg.equals(r.getField("msg"))) {
          return pos;
        }
        pos++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("No row " + msg + " in " + file.location());
  }

  private void commitConcurrently(ConcurrentDelete kind) {
    Table other = iceberg();
    PartitionData partition = hourPartition(other, hour);
    try {
      switch (kind) {
        case POSITION -> {
          org.apache.iceberg.DataFile target = fileWith(other, "two-4");
          OutputFile out = other.io().newOutputFile(
              other.locationProvider().newDataLocation(other.spec(), partition, "pos-deletes.parquet"));
          PositionDeleteWriter<Record> deletes = Parquet.writeDeletes(out).withSpec(other.spec())
              .withPartition(partition).overwrite().buildPositionWriter();
          try (deletes) {
            deletes.write(PositionDelete.<Record>create().set(target.location(), positionOf(other, target, "two-4")));
          }
          other.newRowDelta().addDeletes(deletes.toDeleteFile()).commit();
        }
        case EQUALITY -> {
          Schema deleteSchema = other.schema().select("msg");
          OutputFile out = other.io().newOutputFile(
              other.locationProvider().newDataLocation(other.spec(), partition, "eq-deletes.parquet"));
          EqualityDeleteWriter<Record> deletes = Parquet.writeDeletes(out).forTable(other).withPartition(partition)
              .rowSchema(deleteSchema).equalityFieldIds(other.schema().findField("msg").fieldId())
              .createWriterFunc(type -> GenericParquetWriter.create(deleteSchema, type))
              .overwrite().buildEqualityWriter();
          GenericRecord row = GenericRecord.create(deleteSchema);
          row.setField("msg", "two-4");
          try (deletes) {
            deletes.write(row);
          }
          other.newRowDelta().addDeletes(deletes.toDeleteFile()).commit();
        }
        case ROW_FILTER -> {
          // Every row of file "two" and no other: Iceberg drops the whole file by its metrics.
          Expression twos = Expressions.and(
              Expressions.greaterThanOrEqual("ts", IcebergConversions.micros(hour.plusSeconds(600))),
              Expressions.lessThan("ts", IcebergConversions.micros(hour.plusSeconds(700))));
          other.newDelete().deleteFromRowFilter(twos).commit();
        }
        default -> throw new IllegalArgumentException(kind.toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @ParameterizedTest
  @EnumSource(ConcurrentDelete.class)
  void deleteCommittedMidExecuteFailsTheChunkTypedIsReplannedAndNoRowComesBack(ConcurrentDelete kind) {
    createLogs();
    hour = clock.instant().truncatedTo(ChronoUnit.HOURS).minus(4, ChronoUnit.HOURS);
    Instant otherHour = hour.plus(1, ChronoUnit.HOURS);
    Map<String, Integer> rows = new TreeMap<>();
    AtomicBoolean fired = new AtomicBoolean();
    List<RuntimeException> commitFailures = new CopyOnWriteArrayList<>();
    Map<String, Integer> afterDelete = new TreeMap<>();
    TableCatalog intercepting = new ForwardingTableCatalog(catalog) {
      @Override
      public CatalogTable loadTable(TableId id) {
        return new ForwardingCatalogTable(super.loadTable(id)) {
          @Override
          public TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
              Map<String, String> summary) {
            if (fired.compareAndSet(false, true)) {
              // Planned and written; the delete lands before the commit.
              commitConcurrently(kind);
              afterDelete.putAll(readWithIceberg());
            }
            try {
              return super.commitReplace(removed, added, summary);
            } catch (RuntimeException e) {
              commitFailures.add(e);
              throw e;
            }
          }
        };
      }
    };
    try (Lifecycle lake = lifecycle(intercepting)) {
      flushRows(lake, hour, 10, "one", rows);
      flushRows(lake, hour.plusSeconds(600), 10, "two", rows);
      flushRows(lake, hour.plusSeconds(1200), 10, "three", rows);
      flushRows(lake, otherHour, 10, "four", rows);
      flushRows(lake, otherHour.plusSeconds(600), 10, "five", rows);
      assertThat(catalog.loadTable(LOGS).liveFiles()).hasSize(5);

      CompactionResult first = lake.compactor().compact(LOGS).minInputFiles(2).force(true).execute();

      assertThat(fired).isTrue();
      if (kind == ConcurrentDelete.EQUALITY) {
        // The outputs carry the data sequence number of the snapshot their rows were read at, so the equality
        // delete committed after it still applies to them: no conflict, and the row stays deleted.
        assertThat(commitFailures).isEmpty();
      } else {
        assertThat(commitFailures).hasSize(1).first().isInstanceOf(CommitConflictException.class);
      }
      assertThat(afterDelete).hasSize(kind == ConcurrentDelete.ROW_FILTER ? 40 : 49)
          .doesNotContainKey(key(hour.plusSeconds(604), "INFO", "two-4"));
      assertThat(readWithIceberg()).isEqualTo(afterDelete);
      assertThat(first.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
      List<DataFile> live = catalog.loadTable(LOGS).liveFiles();
      // ROW_FILTER: re-planned from the still-live inputs, "one" and "three" merged, and the other hour's two
      // files. POSITION: the retry reads the hour's files with the position delete applied and merges all three.
      assertThat(first.filesRemoved()).isEqualTo(kind == ConcurrentDelete.ROW_FILTER ? 4 : 5);
      assertThat(live).hasSize(2);
      List<FileScanTask> tasks = new ArrayList<>();
      try (CloseableIterable<FileScanTask> planned = iceberg().newScan().planFiles()) {
        planned.forEach(tasks::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      // No position delete is left to apply; the equality delete stays and applies to the compacted file.
      assertThat(tasks).hasSize(2);
      assertThat(tasks.stream().flatMap(t -> t.deletes().stream()).map(d -> d.content()).toList())
          .isEqualTo(kind == ConcurrentDelete.EQUALITY ? List.of(org.apache.iceberg.FileContent.EQUALITY_DELETES)
              : List.of());

      CompactionResult second = lake.compactor().compact(LOGS).minInputFiles(2).force(true).execute();
      // Nothing is left to merge, and nothing fails: the delete is settled.
      assertThat(second.outcome()).isEqualTo(CompactionResult.Outcome.NOTHING_TO_DO);
      assertThat(second.filesRemoved()).isZero();
      assertThat(commitFailures).hasSize(kind == ConcurrentDelete.EQUALITY ? 0 : 1);
      assertThat(rows(IcebergGenerics.read(iceberg()))).isEqualTo(afterDelete);
    }
  }
}
