package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.catalog.CatalogTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SortOrder;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IdentityPartitionConverters;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.mapping.NameMapping;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.util.ContentFileUtil;
import org.apache.iceberg.util.PartitionUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compaction of data files that Iceberg row-level deletes apply to: the files of one partition are read as of one
 * snapshot with their position and equality deletes applied by Iceberg's own {@link GenericDeleteFilter} (the
 * delete files each input's {@link FileScanTask} carries), and the remaining rows are streamed into new Parquet
 * files by Iceberg's {@link GenericParquetWriter} with the table's schema, partition spec, properties and metrics
 * configuration. Outputs roll by the input bytes their rows came from. Memory: one input row group being read, one output row group being written (capped at a quarter
 * of the memory budget), plus what Iceberg's delete filter loads per input: a bitmap of deleted positions and the
 * set of equality-deleted keys.
 *
 * <p>The {@link Result} is kept by the table handle until {@code commitReplace}, which commits it through
 * {@code RewriteFiles} validated from the snapshot read here, with that snapshot's sequence number as the new
 * files' data sequence number, and removes the position-delete files whose every referenced data file it
 * replaces. Equality-delete files are always left in place: the outputs' data sequence number is that of the
 * snapshot read, so equality deletes committed up to it no longer apply to them, while those committed later
 * still do (apache/iceberg#10312); removing one would need proof that no remaining file of a lower sequence
 * number needs it.
 */
final class IcebergDeleteRewrite {
  private static final Logger LOG = LoggerFactory.getLogger(IcebergDeleteRewrite.class);

  private IcebergDeleteRewrite() {}

  /**
   * One rewrite of one group, kept until its commit.
   *
   * @param snapshot the snapshot the inputs were read at (with its deletes)
   * @param inputs locations of the rewritten data files
   * @param outputs the written files, by location, with Iceberg's metrics
   * @param positionDeletes the position-delete files that applied to the inputs, each with the data file
   *     locations it references, or {@code null} if these could not be determined (then it is never removed)
   */
  record Result(Snapshot snapshot, Set<String> inputs, Map<String, DataFile> outputs,
      Map<DeleteFile, Set<String>> positionDeletes) {}

  /**
   * Reads {@code inputs} (live at {@code snapshot}, all of partition {@code partition}) with their deletes applied
   * and writes the remaining rows to files at {@code nextLocation}'s locations.
   *
   * @throws CommitConflictException if an input is not a data file of {@code snapshot}
   * @throws StorageException if a file cannot be read or written
   */
  static Result rewrite(Table table, TableId id, Snapshot snapshot, PartitionSpec spec, String partition,
      List<DataFile> inputs, CatalogTable.RewriteSettings sizes, Supplier<String> nextLocation) {
    Map<String, FileScanTask> tasks = tasksOf(table, id, snapshot, spec, partition, inputs);
    Schema schema = table.schema();
    NameMapping mapping = nameMapping(table);
    long rowGroup = Math.max(1L << 20, Math.min(sizes.rowGroupSizeBytes(), sizes.memoryBudgetBytes() / 4));
    long target = sizes.targetFileSizeBytes();
    long remaining = inputs.stream().mapToLong(DataFile::fileSizeInBytes).sum();
    Map<String, DataFile> outputs = new LinkedHashMap<>();
    Map<String, DeleteFile> positionDeletes = new LinkedHashMap<>();
    GenericRecord out = GenericRecord.create(schema);
    DataWriter<Record> writer = null;
    double estimate = 0;
    long deleted = 0;
    try {
      for (DataFile input : inputs) {
        FileScanTask task = tasks.get(input.location());
        remaining -= input.fileSizeInBytes();
        for (DeleteFile d : task.deletes()) {
          if (d.content() == FileContent.POSITION_DELETES) {
            positionDeletes.putIfAbsent(d.location(), d);
          }
        }
        GenericDeleteFilter deletes = new GenericDeleteFilter(table.io(), task, schema, schema);
        Schema required = deletes.requiredSchema();
        int[] positions = positionsOf(schema, required);
        long read = 0;
        // Output bytes are estimated by the input bytes their rows came from (the same rows compress alike);
        // the writer's own length counts its buffered row group uncompressed, which overstates small outputs.
        double bytesPerRow = (double) input.fileSizeInBytes() / Math.max(1, input.recordCount());
        try (CloseableIterable<Record> rows = deletes.filter(open(table, task, required, mapping))) {
          for (Record row : rows) {
            read++;
            if (writer == null) {
              writer = newWriter(table, nextLocation.get(), input.partition(), rowGroup);
              estimate = 0;
            }
            for (int i = 0; i < positions.length; i++) {
              out.set(i, row.get(positions[i], Object.class));
            }
            writer.write(out);
            estimate += bytesPerRow;
            // Roll at the target only when the rest is estimated to fill most of another file, so that no
            // tiny tail file is left (outputs land between 75 % and 180 % of the target when inputs allow).
            if (estimate >= target) {
              double unread = remaining + Math.max(0, input.fileSizeInBytes() - bytesPerRow * read);
              if (unread >= target * 0.75 || estimate >= target * 1.8) {
                DataFile done = close(writer);
                outputs.put(done.location(), done);
                writer = null;
              }
            }
          }
        }
        deleted += input.recordCount() - read;
      }
      if (writer != null) {
        DataFile done = close(writer);
        outputs.put(done.location(), done);
        writer = null;
      }
    } catch (IOException | UncheckedIOException | org.apache.iceberg.exceptions.NotFoundException e) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot rewrite %d files of partition %s of %s with"
          + " their row-level deletes applied: %s; the outputs are discarded, retry", inputs.size(), partition, id,
          e.getMessage()), e);
    } finally {
      if (writer != null) {
        try {
          writer.close();
        } catch (IOException | RuntimeException suppressed) {
          LOG.debug("Closing an abandoned output of {} failed", id, suppressed);
        }
      }
    }
    Map<DeleteFile, Set<String>> referenced = new LinkedHashMap<>();
    for (DeleteFile d : positionDeletes.values()) {
      referenced.put(d, referencedBy(table, id, d));
    }
    Set<String> locations = new HashSet<>();
    inputs.forEach(f -> locations.add(f.location()));
    LOG.info("Rewrote {} files of partition {} of {} at snapshot {} with {} delete files applied: {} rows dropped,"
        + " {} outputs", inputs.size(), partition, id, snapshot.snapshotId(), positionDeletes.size(), deleted,
        outputs.size());
    return new Result(snapshot, Set.copyOf(locations), Map.copyOf(outputs), referenced);
  }

  /**
   * The position-delete files of {@code results} that reference only data files of {@code removed}: once those
   * are replaced, no live file needs them.
   */
  static Collection<DeleteFile> obsoletePositionDeletes(Collection<Result> results, Set<String> removed) {
    Map<String, DeleteFile> out = new LinkedHashMap<>();
    for (Result r : results) {
      r.positionDeletes().forEach((d, refs) -> {
        if (refs != null && removed.containsAll(refs)) {
          out.putIfAbsent(d.location(), d);
        }
      });
    }
    return out.values();
  }

  /** The scan tasks of {@code inputs} at {@code snapshot}; each carries the delete files that apply to it. */
  private static Map<String, FileScanTask> tasksOf(Table table, TableId id, Snapshot snapshot, PartitionSpec spec,
      String partition, List<DataFile> inputs) {
    Set<String> wanted = new HashSet<>();
    inputs.forEach(f -> wanted.add(f.location()));
    Expression range = Expressions.and(
        Expressions.greaterThanOrEqual(spec.timestampColumn(), IcebergConversions.micros(PartitionSpec.startOf(partition))),
        Expressions.lessThan(spec.timestampColumn(), IcebergConversions.micros(PartitionSpec.endOf(partition))));
    Map<String, FileScanTask> tasks = new HashMap<>();
    // Residuals are ignored: every row of the file is wanted, the filter only prunes other partitions' files.
    try (CloseableIterable<FileScanTask> planned = table.newScan().useSnapshot(snapshot.snapshotId()).filter(range)
        .ignoreResiduals().planFiles()) {
      for (FileScanTask t : planned) {
        if (wanted.contains(t.file().location())) {
          tasks.put(t.file().location(), t);
        }
      }
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot plan the files of partition %s of %s at"
          + " snapshot %d: %s", partition, id, snapshot.snapshotId(), e.getMessage()), e);
    }
    List<String> missing = wanted.stream().filter(l -> !tasks.containsKey(l)).sorted().toList();
    if (!missing.isEmpty()) {
      throw new CommitConflictException(String.format(Locale.ROOT, "Cannot rewrite %s of %s: not live at snapshot"
          + " %d; re-plan from the current snapshot", missing, id, snapshot.snapshotId()));
    }
    return tasks;
  }

  private static CloseableIterable<Record> open(Table table, FileScanTask task, Schema required, NameMapping mapping) {
    if (task.file().format() != FileFormat.PARQUET) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot rewrite %s: it is a %s file; compaction reads"
          + " Parquet only", task.file().location(), task.file().format()));
    }
    Map<Integer, ?> constants = PartitionUtil.constantsMap(task, IdentityPartitionConverters::convertConstant);
    Parquet.ReadBuilder read = Parquet.read(table.io().newInputFile(task.file().location())).project(required)
        .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(required, fileSchema, constants));
    if (mapping != null) {
      read.withNameMapping(mapping);
    }
    return read.build();
  }

  private static DataWriter<Record> newWriter(Table table, String location, StructLike partition, long rowGroup)
      throws IOException {
    return Parquet.writeData(table.io().newOutputFile(location))
        .forTable(table)
        .withPartition(partition)
        // Rows come out in file order, not the table's order: the file is recorded as unsorted.
        .withSortOrder(SortOrder.unsorted())
        .set(TableProperties.PARQUET_ROW_GROUP_SIZE_BYTES, Long.toString(rowGroup))
        .createWriterFunc(GenericParquetWriter::create)
        .overwrite()
        .build();
  }

  private static DataFile close(DataWriter<Record> writer) throws IOException {
    writer.close();
    return writer.toDataFile();
  }

  /** Where each column of the table schema sits in the rows read with the delete filter's schema. */
  private static int[] positionsOf(Schema schema, Schema required) {
    List<Types.NestedField> columns = required.columns();
    int[] out = new int[schema.columns().size()];
    for (int i = 0; i < out.length; i++) {
      int fieldId = schema.columns().get(i).fieldId();
      out[i] = -1;
      for (int j = 0; j < columns.size(); j++) {
        if (columns.get(j).fieldId() == fieldId) {
          out[i] = j;
        }
      }
      if (out[i] < 0) {
        throw new IllegalStateException("Iceberg's delete filter dropped column " + schema.columns().get(i).name());
      }
    }
    return out;
  }

  private static NameMapping nameMapping(Table table) {
    String json = table.properties().get(TableProperties.DEFAULT_NAME_MAPPING);
    return json == null ? null : NameMappingParser.fromJson(json);
  }

  /**
   * The data files a position-delete file references: the one it is scoped to when Iceberg records that (deletion
   * vectors, file-scoped deletes, equal path bounds), else every path in its {@code file_path} column, read in a
   * stream. {@code null} when they cannot be read; such a file is left in place, which is always safe.
   */
  private static Set<String> referencedBy(Table table, TableId id, DeleteFile d) {
    String single = ContentFileUtil.referencedDataFileLocation(d);
    if (single != null) {
      return Set.of(single);
    }
    if (d.format() != FileFormat.PARQUET) {
      LOG.info("Position-delete file {} of {} is {}, not Parquet; it stays in place", d.location(), id, d.format());
      return null;
    }
    Schema pathOnly = new Schema(MetadataColumns.DELETE_FILE_PATH);
    Set<String> paths = new HashSet<>();
    try (CloseableIterable<Record> rows = Parquet.read(table.io().newInputFile(d.location())).project(pathOnly)
        .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(pathOnly, fileSchema)).build()) {
      for (Record r : rows) {
        paths.add(r.get(0, CharSequence.class).toString());
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot read which data files position-delete file {} of {} references; it stays in place",
          d.location(), id, e);
      return null;
    }
    return paths;
  }
}
