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
import org.apache.iceberg.data.DeleteFilter;
import org.apache.iceberg.data.GenericDeleteFilter;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IdentityPartitionConverters;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.CloseableIterator;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
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
   * @param inputs locations of the rewritten data files (those whose rows are in {@code outputs})
   * @param outputs the written files, by location, with Iceberg's metrics
   * @param positionDeletes the position-delete files that applied to the rewritten inputs, each with the data file
   *     locations it references, or {@code null} if these could not be determined (then it is never removed)
   * @param unreadable locations of inputs whose own data could not be read, each with why; left out, they stay live
   *     with every delete file that applies to them
   * @param kept why nothing of the group was rewritten (a delete file that applies to it cannot be read), or
   *     {@code null} if it was
   */
  record Result(Snapshot snapshot, Set<String> inputs, Map<String, DataFile> outputs,
      Map<DeleteFile, Set<String>> positionDeletes, Map<String, String> unreadable, String kept) {}

  /**
   * Reads {@code inputs} (live at {@code snapshot}, all of partition {@code partition}) with their deletes applied
   * and writes the remaining rows to files at {@code nextLocation}'s locations.
   *
   * <p>An input whose own data cannot be read (garbage footer, truncated, corrupt page) is left out and reported in
   * {@link Result#unreadable()}; if rows of it were already written, the outputs so far are deleted and the group is
   * written again without it (so no row of it reaches an output, and its delete files stay in place). If fewer than
   * two readable inputs remain, nothing is written. A delete file that cannot be read is never skipped (its deleted
   * rows would come back): the outputs so far are deleted and the whole group is left alone, with why in
   * {@link Result#kept()}. The delete files of each input are loaded before its rows are read, which is what tells
   * the two apart.
   *
   * @throws CommitConflictException if an input is not a data file of {@code snapshot}
   * @throws StorageException if the store fails to read or write (not the files' fault; outputs are discarded)
   */
  static Result rewrite(Table table, TableId id, Snapshot snapshot, PartitionSpec spec, String partition,
      List<DataFile> inputs, CatalogTable.RewriteSettings sizes, Supplier<String> nextLocation) {
    Map<String, FileScanTask> tasks = tasksOf(table, id, snapshot, spec, partition, inputs);
    Map<String, String> unreadable = new LinkedHashMap<>();
    while (true) {
      List<DataFile> readable = inputs.stream().filter(f -> !unreadable.containsKey(f.location())).toList();
      if (!unreadable.isEmpty() && readable.size() < 2) {
        LOG.warn("Partition {} of {}: {} of {} inputs are unreadable; the other {} are left as they are",
            partition, id, unreadable.size(), inputs.size(), readable.size());
        return new Result(snapshot, Set.of(), Map.of(), Map.of(), Map.copyOf(unreadable), null);
      }
      Attempt attempt = new Attempt(table, id, partition, sizes, nextLocation);
      try {
        attempt.run(readable, tasks, unreadable);
      } catch (RowsOfUnreadableInput restart) {
        attempt.discard();
        LOG.warn("Partition {} of {}: input {} turned out unreadable after some of its rows were written; the"
            + " outputs so far are deleted and the other {} inputs rewritten again", partition, id,
            restart.getMessage(), readable.size() - 1);
        continue;
      } catch (UnreadableDeletes e) {
        attempt.discard();
        LOG.warn("Partition {} of {}: {}", partition, id, e.getMessage(), e.getCause());
        return new Result(snapshot, Set.of(), Map.of(), Map.of(), Map.of(), e.getMessage());
      } catch (IOException | UncheckedIOException | org.apache.iceberg.exceptions.NotFoundException e) {
        attempt.discard();
        throw new StorageException(String.format(Locale.ROOT, "Cannot rewrite %d files of partition %s of %s with"
            + " their row-level deletes applied: %s; the outputs are discarded, retry", inputs.size(), partition,
            id, e.getMessage()), e);
      } catch (RuntimeException | Error e) {
        attempt.discard();
        throw e;
      }
      if (!unreadable.isEmpty() && inputs.size() - unreadable.size() < 2) {
        attempt.discard(); // inputs found unreadable before any of their rows was written left too few
        continue;
      }
      Map<DeleteFile, Set<String>> referenced = new LinkedHashMap<>();
      for (DeleteFile d : attempt.positionDeletes.values()) {
        referenced.put(d, referencedBy(table, id, d));
      }
      Set<String> locations = new HashSet<>();
      inputs.stream().filter(f -> !unreadable.containsKey(f.location())).forEach(f -> locations.add(f.location()));
      LOG.info("Rewrote {} files of partition {} of {} at snapshot {} with {} position-delete files applied: {} rows"
          + " dropped, {} outputs, {} unreadable inputs left out", locations.size(), partition, id,
          snapshot.snapshotId(), attempt.positionDeletes.size(), attempt.deleted, attempt.outputs.size(),
          unreadable.size());
      return new Result(snapshot, Set.copyOf(locations), Map.copyOf(attempt.outputs), referenced,
          Map.copyOf(unreadable), null);
    }
  }

  /** One pass over a fixed list of inputs, writing its outputs; discarded whole if it cannot finish. */
  private static final class Attempt {
    private final Table table;
    private final TableId id;
    private final String partition;
    private final Supplier<String> nextLocation;
    private final long rowGroup;
    private final long target;
    final Map<String, DataFile> outputs = new LinkedHashMap<>();
    final Map<String, DeleteFile> positionDeletes = new LinkedHashMap<>();
    long deleted;
    /** The output being written, and its location (so it can be deleted if the attempt is discarded). */
    private DataWriter<Record> writer;
    private String writing;

    Attempt(Table table, TableId id, String partition, CatalogTable.RewriteSettings sizes,
        Supplier<String> nextLocation) {
      this.table = table;
      this.id = id;
      this.partition = partition;
      this.nextLocation = nextLocation;
      this.rowGroup = Math.max(1L << 20, Math.min(sizes.rowGroupSizeBytes(), sizes.memoryBudgetBytes() / 4));
      this.target = sizes.targetFileSizeBytes();
    }

    /**
     * Rewrites {@code inputs}; an input found unreadable before any of its rows was written is added to
     * {@code unreadable} and skipped.
     *
     * @throws RowsOfUnreadableInput if an input was found unreadable after rows of it were written (it is added to
     *     {@code unreadable}; the attempt must be discarded)
     * @throws UnreadableDeletes if a delete file that applies to an input cannot be read
     */
    void run(List<DataFile> inputs, Map<String, FileScanTask> tasks, Map<String, String> unreadable)
        throws IOException {
      Schema schema = table.schema();
      NameMapping mapping = nameMapping(table);
      long remaining = inputs.stream().mapToLong(DataFile::fileSizeInBytes).sum();
      GenericRecord out = GenericRecord.create(schema);
      double estimate = 0;
      for (DataFile input : inputs) {
        FileScanTask task = tasks.get(input.location());
        remaining -= input.fileSizeInBytes();
        GenericDeleteFilter deletes = new GenericDeleteFilter(table.io(), task, schema, schema);
        loadDeletes(deletes, task);
        Schema required = deletes.requiredSchema();
        int[] positions = positionsOf(schema, required);
        long read = 0;
        // Output bytes are estimated by the input bytes their rows came from (the same rows compress alike);
        // the writer's own length counts its buffered row group uncompressed, which overstates small outputs.
        double bytesPerRow = (double) input.fileSizeInBytes() / Math.max(1, input.recordCount());
        CloseableIterable<Record> rows = null;
        CloseableIterator<Record> it = null;
        try {
          while (true) {
            Record row;
            try {
              if (it == null) {
                rows = deletes.filter(open(table, task, required, mapping));
                it = rows.iterator();
              }
              if (!it.hasNext()) {
                break;
              }
              row = it.next();
            } catch (RuntimeException e) {
              // The deletes are loaded: what fails now is the data file itself, or the store.
              unreadable.put(input.location(), unreadableData(input, e));
              if (read > 0) {
                throw new RowsOfUnreadableInput(input.location());
              }
              LOG.warn("Partition {} of {}: {}", partition, id, unreadable.get(input.location()), e);
              break;
            }
            read++;
            if (writer == null) {
              writing = nextLocation.get();
              writer = newWriter(table, writing, input.partition(), rowGroup);
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
                closeOutput();
              }
            }
          }
        } finally {
          closeQuietly(it, rows, input);
        }
        if (unreadable.containsKey(input.location())) {
          continue;
        }
        for (DeleteFile d : task.deletes()) {
          if (d.content() == FileContent.POSITION_DELETES) {
            positionDeletes.putIfAbsent(d.location(), d);
          }
        }
        deleted += input.recordCount() - read;
      }
      if (writer != null) {
        closeOutput();
      }
    }

    /**
     * Loads the deletes of one input before any of its rows is read, so that a failure is known to be a delete
     * file's. Never reuse {@code deletes} after this throws: Iceberg caches a partly loaded delete set.
     */
    private void loadDeletes(GenericDeleteFilter deletes, FileScanTask task) {
      if (task.deletes().isEmpty()) {
        return;
      }
      try {
        deletes.deletedRowPositions();
        deletes.eqDeletedRowFilter();
      } catch (RuntimeException e) {
        rethrowIfStore(e);
        List<String> broken = new ArrayList<>();
        for (DeleteFile d : task.deletes()) {
          if (!readable(task, d)) {
            broken.add(d.location());
          }
        }
        if (broken.isEmpty()) {
          task.deletes().forEach(d -> broken.add(d.location()));
        }
        throw new UnreadableDeletes(String.format(Locale.ROOT, "Cannot read delete file(s) %s that apply to data"
            + " file %s of %s: %s; the group is left alone (rewriting it without them would bring deleted rows"
            + " back) and retried by later runs: repair or replace the delete file", broken,
            task.file().location(), id, rootMessage(e)), e);
      }
    }

    /** Whether delete file {@code d} alone loads for {@code task}'s data file. */
    private boolean readable(FileScanTask task, DeleteFile d) {
      try {
        Probe probe = new Probe(table.io(), task.file().location(), d, table.schema());
        probe.deletedRowPositions();
        probe.eqDeletedRowFilter();
        return true;
      } catch (RuntimeException e) {
        rethrowIfStore(e);
        return false;
      }
    }

    private String unreadableData(DataFile input, RuntimeException e) {
      rethrowIfStore(e);
      return String.format(Locale.ROOT, "Cannot read data file %s of %s with its row-level deletes applied: %s; it"
          + " stays live with its delete files and out of compaction plans: repair or replace it, then release it"
          + " with Compactor.clearQuarantine", input.location(), id, rootMessage(e));
    }

    private void closeOutput() throws IOException {
      DataWriter<Record> w = writer;
      writer = null;
      w.close();
      DataFile done = w.toDataFile();
      writing = null;
      outputs.put(done.location(), done);
    }

    /** Deletes every output this attempt wrote or began; failures are logged (the orphan sweeper takes them). */
    void discard() {
      if (writer != null) {
        try {
          writer.close();
        } catch (IOException | RuntimeException suppressed) {
          LOG.debug("Closing an abandoned output of {} failed", id, suppressed);
        }
        writer = null;
      }
      List<String> written = new ArrayList<>(outputs.keySet());
      if (writing != null) {
        written.add(writing);
      }
      for (String location : written) {
        try {
          table.io().deleteFile(location);
        } catch (RuntimeException e) {
          LOG.info("Cannot delete discarded output {} of {}; the orphan sweeper will: {}", location, id,
              e.getMessage());
        }
      }
      outputs.clear();
      writing = null;
    }

    private void closeQuietly(CloseableIterator<Record> it, CloseableIterable<Record> rows, DataFile input) {
      try {
        if (it != null) {
          it.close();
        }
        if (rows != null) {
          rows.close();
        }
      } catch (IOException | RuntimeException e) {
        // Every row wanted was read (or the file is already known unreadable): a failing close loses nothing.
        LOG.debug("Closing the reader of {} of {} failed", input.location(), id, e);
      }
    }
  }

  /** A failure that is the store's, not a file's: it propagates, so the chunk is retried. */
  private static void rethrowIfStore(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StorageException || t instanceof org.apache.iceberg.exceptions.NotFoundException) {
        throw e;
      }
      if (t.getCause() == t) {
        break;
      }
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage();
    return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }

  /** Rows of an input already written when it turned out unreadable: the attempt is discarded and redone. */
  private static final class RowsOfUnreadableInput extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RowsOfUnreadableInput(String location) {
      super(location, null, false, false);
    }
  }

  /** A delete file that applies to an input cannot be read: the group is left alone. */
  private static final class UnreadableDeletes extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnreadableDeletes(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /** Iceberg's delete loading for one data file and one delete file: tells which delete file is unreadable. */
  private static final class Probe extends DeleteFilter<Record> {
    private final FileIO io;

    Probe(FileIO io, String dataFile, DeleteFile delete, Schema schema) {
      super(dataFile, List.of(delete), schema, schema);
      this.io = io;
    }

    @Override
    protected StructLike asStructLike(Record record) {
      return record; // only delete loading is probed, never a row
    }

    @Override
    protected InputFile getInputFile(String location) {
      return io.newInputFile(location);
    }
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
