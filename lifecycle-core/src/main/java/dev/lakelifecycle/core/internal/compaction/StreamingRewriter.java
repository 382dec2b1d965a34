package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.CorruptFileException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.internal.parquet.StoreInputFile;
import dev.lakelifecycle.core.internal.parquet.StoreOutputFile;
import dev.lakelifecycle.core.internal.parquet.WriterDefaults;
import dev.lakelifecycle.core.internal.parquet.ZstdCodecFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PrimitiveIterator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the inputs of one group into as few outputs of about the target size as the input allows. The inputs'
 * row groups, in file order, are cut into output row groups: an input row group of at least
 * {@link Settings#fastPathRowGroupBytes()} (uncompressed) is copied byte for byte; consecutive smaller ones are
 * gathered up to {@link Settings#rowGroupBytes()} (uncompressed, and up to what the current output still takes)
 * and become one output row group, written page by page without decoding values by {@link PageMerge} whenever it
 * applies (see there), and otherwise decoded into primitive values (no record assembly) and re-encoded into fresh
 * column writers with fresh dictionaries. {@link Result#rowGroups()} says how many took each path.
 *
 * <p><b>Memory</b>: the page merge holds at most {@link Settings#memoryBudgetBytes()} of input (else it reads
 * column chunk by column chunk) and streams its pages to the output; the decode path buffers at most one output
 * row group (compressed), flushed early at the same budget, and reads one input row group at a time. A group of
 * any size needs the same memory.
 *
 * <p><b>Speed of the decode path</b>: the columns of a row group are decoded and re-encoded side by side on a
 * small pool (one thread per core, at most 4, per rewrite), in slices of rows so that pages are flushed in step. A string value
 * of a dictionary-encoded input page is copied once per dictionary entry, and the output dictionary recognises
 * that copy by identity ({@link RecurringValuesWriterFactory}) instead of hashing its bytes per row.
 *
 * <p>Outputs roll when one reaches the target and the rest of the input is estimated (from the compression
 * achieved so far) to fill at least 75 % of another; so outputs land between 75 % and 180 % of the target when
 * the input holds that much.
 *
 * <p><b>Bad inputs</b>: an input whose footer or pages cannot be read, or whose rows disagree with the table, is
 * reported in {@link Result#quarantined()} and left out; the merge restarts without it (outputs written so far
 * are discarded), so its rows are never half-copied and the other inputs are still merged. An input whose schema
 * differs from the group's is reported in {@link Result#excluded()} and left in place.
 */
final class StreamingRewriter {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingRewriter.class);
  private static final String WRITER_MODEL_KEY = "writer.model.name";
  /** Rows copied per column before the next column: bounds page overshoot to one slice. */
  private static final int SLICE_ROWS = 4096;
  /**
   * Threads that decode and re-encode columns of one slice side by side. Columns are independent, so a merge
   * scales with cores; capped so that compaction inside an ingestion service leaves cores to ingestion.
   */
  private static final int COLUMN_THREADS = Math.min(4, Runtime.getRuntime().availableProcessors());
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();

  /**
   * Sizes of one rewrite.
   *
   * @param targetFileSizeBytes output file size to aim for
   * @param rowGroupBytes output row group size, uncompressed; default 128 MiB
   * @param fastPathRowGroupBytes input row groups at least this large (uncompressed) are copied undecoded
   * @param memoryBudgetBytes the most compressed output bytes buffered before a row group is flushed early, and
   *     the most input bytes the page merge holds at once
   * @param pageMerge whether row groups are merged page by page ({@link PageMerge}) where that applies; the
   *     default, {@code false} only to compare with the decode path
   */
  record Settings(long targetFileSizeBytes, long rowGroupBytes, long fastPathRowGroupBytes, long memoryBudgetBytes,
      boolean pageMerge) {
    Settings(long targetFileSizeBytes, long rowGroupBytes, long fastPathRowGroupBytes, long memoryBudgetBytes) {
      this(targetFileSizeBytes, rowGroupBytes, fastPathRowGroupBytes, memoryBudgetBytes, true);
    }
  }

  /**
   * How the output row groups of a rewrite were made.
   *
   * @param paged merged page by page from small input row groups, values not decoded
   * @param decoded decoded and re-encoded (the fallback)
   * @param copied large input row groups copied byte for byte
   */
  record RowGroups(int paged, int decoded, int copied) {
    static final RowGroups NONE = new RowGroups(0, 0, 0);
  }

  /** One written output. */
  record Output(String key, ObjectInfo info, long rows) {}

  /** An input left out, with why. */
  record Rejected(DataFile file, String error) {}

  /**
   * The outcome of one group.
   *
   * @param outputs outputs written (empty if fewer than two good inputs remained)
   * @param merged inputs whose rows are in the outputs
   * @param quarantined unreadable inputs, left out
   * @param excluded inputs left in place, each with why: of another schema, or kept by the catalog (see
   *     {@link dev.lakelifecycle.api.catalog.CatalogTable.Rewrite#kept()})
   * @param rowGroups how the output row groups were made
   */
  record Result(List<Output> outputs, List<DataFile> merged, List<Rejected> quarantined, List<Rejected> excluded,
      RowGroups rowGroups) {
    /** A result that does not tell how its row groups were made (the sorting rewrite's). */
    Result(List<Output> outputs, List<DataFile> merged, List<Rejected> quarantined, List<Rejected> excluded) {
      this(outputs, merged, quarantined, excluded, RowGroups.NONE);
    }

    long rows() {
      return outputs.stream().mapToLong(Output::rows).sum();
    }
  }

  private final ObjectStore store;
  private final ParquetProperties props;
  /** Most bytes of a merged dictionary (plain-encoded): the dictionary page size the writer uses too. */
  private final int dictionaryBound;

  StreamingRewriter(ObjectStore store) {
    this(store, WriterDefaults.DICTIONARY_PAGE_SIZE);
  }

  /** With another bound on merged dictionaries (tests make inputs overflow it). */
  StreamingRewriter(ObjectStore store, int dictionaryBound) {
    this.store = store;
    this.dictionaryBound = dictionaryBound;
    this.props = ParquetProperties.builder()
        .withDictionaryEncoding(true)
        .withDictionaryPageSize(WriterDefaults.DICTIONARY_PAGE_SIZE)
        .withPageSize(WriterDefaults.PAGE_SIZE)
        .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
        .withValuesWriterFactory(new RecurringValuesWriterFactory())
        .build();
  }

  /** The schema of a file for planning, or why its footer cannot be read. */
  CompactionPlanner.FileSchema schemaOf(DataFile file) {
    try (ParquetFileReader r = open(file)) {
      return CompactionPlanner.FileSchema.of(r.getFooter().getFileMetaData().getSchema());
    } catch (IOException | RuntimeException e) {
      return CompactionPlanner.FileSchema.unreadable(rootMessage(e));
    }
  }

  /**
   * Merges {@code inputs}; each output is written to a fresh key from {@code keys}.
   *
   * @throws StorageException if the store fails while writing (outputs are discarded)
   */
  Result rewrite(String table, String groupId, List<DataFile> inputs, Settings settings, Supplier<String> keys) {
    List<Rejected> quarantined = new ArrayList<>();
    List<Rejected> excluded = new ArrayList<>();
    List<DataFile> good = new ArrayList<>();
    List<ParquetMetadata> metas = new ArrayList<>();
    MessageType schema = null;
    for (DataFile f : inputs) {
      try (ParquetFileReader r = open(f)) {
        FileMetaData meta = r.getFooter().getFileMetaData();
        if (r.getRecordCount() != f.recordCount()) {
          quarantined.add(new Rejected(f, String.format(Locale.ROOT, "its footer holds %d rows but the table"
              + " records %d (the table metadata disagrees with the file)", r.getRecordCount(), f.recordCount())));
          continue;
        }
        if (schema == null) {
          schema = meta.getSchema();
        } else if (!schema.equals(meta.getSchema())) {
          excluded.add(new Rejected(f, "its Parquet schema differs from the group's: " + meta.getSchema()));
          continue;
        }
        good.add(f);
        metas.add(r.getFooter());
      } catch (IOException | RuntimeException e) {
        quarantined.add(new Rejected(f, describe(e)));
      }
    }
    while (true) {
      if (good.size() < 2) {
        return new Result(List.of(), List.of(), quarantined, excluded, RowGroups.NONE);
      }
      Merge merge = new Merge(table, groupId, good, metas, schema, settings, keys);
      ExecutorService pool = COLUMN_THREADS > 1 && schema.getColumns().size() > 1
          ? Executors.newFixedThreadPool(COLUMN_THREADS, r -> {
            Thread t = new Thread(r, "lifecycle-compaction-column-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
          })
          : null;
      merge.pool = pool;
      try {
        List<Output> outputs = merge.run();
        return new Result(outputs, List.copyOf(good), quarantined, excluded,
            new RowGroups(merge.paged, merge.decoded, merge.copied));
      } catch (BadInput bad) {
        merge.discardAll();
        int i = good.indexOf(bad.file);
        LOG.warn("Group {} of {}: input {} is unreadable ({}); quarantining it and merging the other {} inputs again",
            groupId, table, bad.file.location(), bad.getMessage(), good.size() - 1, bad.getCause());
        quarantined.add(new Rejected(bad.file, bad.getMessage()));
        good.remove(i);
        metas.remove(i);
      } catch (IOException e) {
        merge.discardAll();
        throw new StorageException(String.format(Locale.ROOT, "Cannot write compacted output for group %s of %s:"
            + " %s (the outputs were discarded; retry)", groupId, table, rootMessage(e)), e, true);
      } catch (RuntimeException | Error e) {
        merge.discardAll();
        throw e;
      } finally {
        merge.pages().close();
        merge.codecs.release();
        if (pool != null) {
          pool.shutdownNow();
        }
      }
    }
  }

  /** Deletes outputs that will never be committed; the orphan sweeper catches what remains. */
  void deleteQuietly(List<String> keys) {
    if (keys.isEmpty()) {
      return;
    }
    try {
      Map<String, String> failed = store.delete(keys).failed();
      if (!failed.isEmpty()) {
        LOG.warn("Could not delete uncommitted compaction outputs {} (the orphan sweeper removes them later)", failed);
      }
    } catch (RuntimeException e) {
      LOG.warn("Could not delete uncommitted compaction outputs {} (the orphan sweeper removes them later)", keys, e);
    }
  }

  private ParquetFileReader open(DataFile f) throws IOException {
    String key = store.keyOf(f.location()).orElseThrow(() -> new LifecycleException(String.format(Locale.ROOT,
        "Cannot read data file %s: it is outside the store at %s (the catalog and the store disagree;"
            + " configure the Lifecycle with the store that holds the table)", f.location(), store.root())));
    return ParquetFileReader.open(new StoreInputFile(store, key, f.sizeBytes()),
        ZstdCodecFactory.readOptions());
  }

  /**
   * Why a file cannot be read. Storage failures are not the file's fault: they propagate (and may pass on retry).
   */
  private static String describe(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StorageException se) {
        throw se;
      }
      if (t instanceof dev.lakelifecycle.api.ObjectNotFoundException gone) {
        throw gone;
      }
    }
    return rootMessage(e);
  }

  /** An input that failed while being read; the merge restarts without it. */
  private static final class BadInput extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient DataFile file;

    BadInput(DataFile file, String why, Throwable cause) {
      super(why, cause, false, false);
      this.file = file;
    }
  }

  /** One attempt at merging a fixed list of good inputs. */
  private final class Merge {
    private final String table;
    private final String groupId;
    private final List<DataFile> inputs;
    private final List<ParquetMetadata> metas;
    private final MessageType schema;
    private final Settings settings;
    private final Supplier<String> keys;
    private final List<ColumnDescriptor> columns;
    private final Map<String, String> keyValues;
    private final List<Output> done = new ArrayList<>();
    /** Copies columns of a slice in parallel; {@code null} copies them on the calling thread. */
    private ExecutorService pool;

    private StoreOutputFile out;
    private String outKey;
    private ParquetFileWriter writer;
    private long outRows;
    private ColumnChunkPageWriteStore pages;
    private ColumnWriteStore columnStore;
    private ColumnWriter[] writers;
    private long groupRows;

    private final PageMerge pageMerge;
    /** Compresses the decoded path's pages; one per merge, as its compressors are not thread-safe. */
    private final CompressionCodecFactory codecs = ZstdCodecFactory.create();
    /** Output row groups made by the page merge, by decoding, and by copying. */
    int paged;
    int decoded;
    int copied;

    private long uncompressedLeft;
    private long uncompressedWrittenTotal;
    private long bytesWrittenTotal;

    Merge(String table, String groupId, List<DataFile> inputs, List<ParquetMetadata> metas, MessageType schema,
        Settings settings, Supplier<String> keys) {
      this.table = table;
      this.groupId = groupId;
      this.inputs = inputs;
      this.metas = metas;
      this.schema = schema;
      this.settings = settings;
      this.keys = keys;
      this.columns = schema.getColumns();
      this.keyValues = sharedKeyValues(metas);
      this.pageMerge = new PageMerge(store, WriterDefaults.CODEC, dictionaryBound);
    }

    PageMerge pages() {
      return pageMerge;
    }

    /**
     * Cuts the inputs' row groups into output row groups: consecutive small row groups up to the row group size
     * (and up to what the current output still takes), each written by the page merge where it applies and
     * decoded otherwise; a large row group is copied on its own.
     */
    List<Output> run() throws IOException {
      for (ParquetMetadata m : metas) {
        for (BlockMetaData b : m.getBlocks()) {
          uncompressedLeft += b.getTotalByteSize();
        }
      }
      List<PageMerge.Source> unit = new ArrayList<>();
      long unitBytes = 0;
      long unitCompressed = 0;
      for (int i = 0; i < inputs.size(); i++) {
        DataFile f = inputs.get(i);
        String key = store.keyOf(f.location()).orElseThrow();
        List<BlockMetaData> blocks = metas.get(i).getBlocks();
        for (BlockMetaData b : blocks) {
          if (b.getRowCount() == 0) {
            continue;
          }
          boolean large = b.getTotalByteSize() >= settings.fastPathRowGroupBytes();
          if (!unit.isEmpty() && (large || unitBytes + b.getTotalByteSize() > settings.rowGroupBytes()
              || unitCompressed >= room())) {
            writeUnit(unit);
            unit.clear();
            unitBytes = 0;
            unitCompressed = 0;
          }
          if (large) {
            ensureWriter();
            appendUndecoded(f, b);
            copied++;
            account(b.getTotalByteSize());
            continue;
          }
          if (unit.isEmpty()) {
            closeIfNearlyFull();
          }
          unit.add(new PageMerge.Source(f, key, b, metas.get(i).getFileMetaData().getCreatedBy()));
          unitBytes += b.getTotalByteSize();
          unitCompressed += b.getCompressedSize();
        }
      }
      if (!unit.isEmpty()) {
        writeUnit(unit);
      }
      closeOutput();
      return List.copyOf(done);
    }

    /**
     * Compressed bytes the current output still takes: up to the target when it will roll there (the rest of the
     * input fills 75 % of another output), else up to 175 % of it (the rest joins this one).
     */
    private long room() throws IOException {
      long target = settings.targetFileSizeBytes();
      if (writer == null) {
        return target;
      }
      return (rollsAtTarget() ? target : target * 7 / 4) - writer.getPos();
    }

    private boolean rollsAtTarget() throws IOException {
      double ratio = uncompressedWrittenTotal == 0 ? 1.0
          : (double) (bytesWrittenTotal + writer.getPos()) / (double) uncompressedWrittenTotal;
      return (long) (uncompressedLeft * ratio) >= settings.targetFileSizeBytes() * 3 / 4;
    }

    /**
     * Closes the output before a new row group when it is already at least 75 % of the target and would only
     * take a small row group more: a small row group is what compaction exists to remove.
     */
    private void closeIfNearlyFull() throws IOException {
      long target = settings.targetFileSizeBytes();
      if (writer != null && writer.getPos() >= target * 3 / 4 && room() < target / 8) {
        closeOutput();
      }
    }

    private void account(long uncompressed) throws IOException {
      uncompressedLeft -= uncompressed;
      uncompressedWrittenTotal += uncompressed;
      maybeRoll();
    }

    /** Writes consecutive small input row groups as one output row group. */
    private void writeUnit(List<PageMerge.Source> unit) throws IOException {
      ensureWriter();
      long rows = 0;
      long uncompressed = 0;
      for (PageMerge.Source s : unit) {
        rows += s.block().getRowCount();
        uncompressed += s.block().getTotalByteSize();
      }
      boolean written;
      try {
        written = settings.pageMerge() && pageMerge.write(unit, columns, writer, settings.memoryBudgetBytes(),
            pool);
      } catch (PageMerge.BadPage bad) {
        throw new BadInput(bad.file, bad.getMessage(), bad.getCause());
      }
      LOG.debug("Group {} of {}: output row group of {} input row groups, {} rows, {} B uncompressed: {}", groupId,
          table, unit.size(), rows, uncompressed, written ? "merged page by page" : "decoded");
      if (written) {
        paged++;
        outRows += rows;
      } else {
        decodeUnit(unit);
      }
      account(uncompressed);
    }

    /** The fallback: decodes the unit's row groups into fresh column writers, flushed as one row group. */
    private void decodeUnit(List<PageMerge.Source> unit) throws IOException {
      ParquetFileReader reader = null;
      DataFile open = null;
      try {
        for (PageMerge.Source s : unit) {
          if (s.file() != open) {
            if (reader != null) {
              reader.close();
            }
            reader = null;
            open = s.file();
            try {
              reader = open(s.file());
            } catch (IOException | RuntimeException e) {
              throw new BadInput(s.file(), describe(e), e);
            }
          }
          int index = reader.getRowGroups().indexOf(s.block());
          if (index < 0) {
            index = indexOf(reader.getRowGroups(), s.block());
          }
          PageReadStore rowGroup;
          try {
            rowGroup = reader.readRowGroup(index);
          } catch (IOException | RuntimeException e) {
            throw new BadInput(s.file(), describe(e), e);
          }
          ensureColumnStore();
          copyRowGroup(s.file(), rowGroup, s.block().getRowCount(), s.createdBy());
          if (columnStore.getBufferedSize() >= settings.memoryBudgetBytes()) {
            flushRowGroup();
          }
        }
      } finally {
        if (reader != null) {
          reader.close();
        }
      }
      flushRowGroup();
    }

    /** The index of a row group by its position in the file (footers read twice are equal, not identical). */
    private int indexOf(List<BlockMetaData> blocks, BlockMetaData b) {
      for (int i = 0; i < blocks.size(); i++) {
        if (blocks.get(i).getStartingPos() == b.getStartingPos()) {
          return i;
        }
      }
      throw new IllegalStateException("row group at " + b.getStartingPos() + " not found on a second read");
    }

    private void appendUndecoded(DataFile f, BlockMetaData b) throws IOException {
      String key = store.keyOf(f.location()).orElseThrow();
      try (SeekableInputStream in = new StoreInputFile(store, key, f.sizeBytes()).newStream()) {
        writer.appendRowGroup(in, b, false);
      } catch (IOException e) {
        if (e.getCause() instanceof StorageException se) {
          throw se;
        }
        throw new BadInput(f, describe(e), e);
      }
      outRows += b.getRowCount();
    }

    private void copyRowGroup(DataFile f, PageReadStore rowGroup, long rows, String createdBy) {
      ColumnReader[] readers = new ColumnReader[columns.size()];
      try {
        // Pages are decompressed here, on this thread: a reader's decompressors are shared by its columns and
        // not thread-safe. Decoding and re-encoding, the expensive part, then runs per column in parallel.
        BufferedRowGroup buffered = BufferedRowGroup.of(rowGroup, columns);
        ColumnReadStoreImpl readStore = new ColumnReadStoreImpl(buffered, new NoopConverter(schema), schema,
            createdBy);
        for (int c = 0; c < readers.length; c++) {
          readers[c] = readStore.getColumnReader(columns.get(c));
        }
        long[] consumed = new long[readers.length];
        ValueCopies[] copies = new ValueCopies[readers.length];
        for (int c = 0; c < readers.length; c++) {
          if (!columns.get(c).getPrimitiveType().getPrimitiveTypeName().javaType.isPrimitive()) {
            copies[c] = new ValueCopies();
          }
        }
        List<Future<?>> running = new ArrayList<>(readers.length);
        for (long done = 0; done < rows; done += SLICE_ROWS) {
          int slice = (int) Math.min(SLICE_ROWS, rows - done);
          if (pool == null) {
            for (int c = 0; c < readers.length; c++) {
              consumed[c] += copyRows(readers[c], writers[c], columns.get(c), slice, consumed[c], copies[c]);
            }
          } else {
            running.clear();
            for (int c = 0; c < readers.length; c++) {
              int col = c;
              running.add(pool.submit(() -> {
                consumed[col] += copyRows(readers[col], writers[col], columns.get(col), slice,
                    consumed[col], copies[col]);
              }));
            }
            awaitAll(running);
          }
          // endRecord may flush pages of any column: only after every column of the slice is written.
          for (int r = 0; r < slice; r++) {
            columnStore.endRecord();
          }
        }
      } catch (BadInput e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        throw new BadInput(f, describe(e), e);
      }
      groupRows += rows;
      outRows += rows;
    }

    /** Waits for every task (so none still touches a writer), then rethrows the first failure. */
    private void awaitAll(List<Future<?>> running) {
      Throwable failure = null;
      for (Future<?> task : running) {
        try {
          task.get();
        } catch (ExecutionException e) {
          failure = failure == null ? e.getCause() : failure;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          failure = failure == null ? e : failure;
        }
      }
      if (failure instanceof RuntimeException re) {
        throw re;
      }
      if (failure instanceof Error err) {
        throw err;
      }
      if (failure != null) {
        throw new IllegalStateException("Column copy interrupted", failure);
      }
    }

    private void ensureWriter() throws IOException {
      if (writer == null) {
        outKey = keys.get();
        out = new StoreOutputFile(store, outKey);
        writer = new ParquetFileWriter(out, schema, ParquetFileWriter.Mode.CREATE, settings.rowGroupBytes(), 0,
            null, props);
        writer.start();
        outRows = 0;
      }
    }

    private void ensureColumnStore() {
      if (columnStore == null) {
        pages = new ColumnChunkPageWriteStore(codecs.getCompressor(WriterDefaults.CODEC), schema,
            props.getAllocator(), props.getColumnIndexTruncateLength(), props.getPageWriteChecksumEnabled());
        columnStore = props.newColumnWriteStore(schema, pages, pages);
        writers = new ColumnWriter[columns.size()];
        for (int c = 0; c < writers.length; c++) {
          writers[c] = columnStore.getColumnWriter(columns.get(c));
        }
        groupRows = 0;
      }
    }

    private void flushRowGroup() throws IOException {
      if (columnStore == null) {
        return;
      }
      if (groupRows > 0) {
        writer.startBlock(groupRows);
        columnStore.flush();
        pages.flushToFileWriter(writer);
        writer.endBlock();
        decoded++;
      }
      columnStore.close();
      pages.close();
      columnStore = null;
      pages = null;
      writers = null;
    }

    /**
     * Starts a new output when this one reached the target and the rest is estimated to fill 75 % of another
     * (or this one would pass 175 %), so no small tail file is left.
     */
    private void maybeRoll() throws IOException {
      long size = writer.getPos() + (columnStore == null ? 0 : columnStore.getBufferedSize());
      long target = settings.targetFileSizeBytes();
      if (size < target) {
        return;
      }
      double ratio = uncompressedWrittenTotal == 0 ? 1.0
          : (double) (bytesWrittenTotal + size) / (double) uncompressedWrittenTotal;
      long remainingEstimate = (long) (uncompressedLeft * ratio);
      if (remainingEstimate >= target * 3 / 4 || size >= target * 7 / 4) {
        closeOutput();
      }
    }

    private void closeOutput() throws IOException {
      if (writer == null) {
        return;
      }
      flushRowGroup();
      writer.end(keyValues);
      ObjectInfo info = out.result();
      bytesWrittenTotal += info.size();
      done.add(new Output(outKey, info, outRows));
      writer = null;
      out = null;
      outKey = null;
    }

    void discardAll() {
      List<String> published = new ArrayList<>();
      done.forEach(o -> published.add(o.key()));
      deleteQuietly(published);
      if (out != null) {
        // Deliberately not closing the writer: that would publish a partial object.
        out.abort();
      }
      if (columnStore != null) {
        try {
          columnStore.close();
          pages.close();
        } catch (RuntimeException e) {
          LOG.debug("Closing the buffers of an abandoned merge of group {} of {} failed", groupId, table, e);
        }
      }
    }
  }

  /**
   * Copies {@code rows} whole rows of one column; returns the values copied. One loop per physical type on
   * purpose: this runs once per value of every compacted column, and a per-value type switch or copy callback
   * there costs measurably in the compaction benchmark.
   */
  private static long copyRows(ColumnReader r, ColumnWriter w, ColumnDescriptor d, int rows, long consumedBefore,
      ValueCopies copies) {
    long total = r.getTotalValueCount();
    int maxDl = d.getMaxDefinitionLevel();
    long consumed = consumedBefore;
    int started = 0;
    switch (d.getPrimitiveType().getPrimitiveTypeName()) {
      case INT32 -> {
        while (consumed < total) {
          int rl = r.getCurrentRepetitionLevel();
          if (rl == 0 && started++ == rows) {
            break;
          }
          int dl = r.getCurrentDefinitionLevel();
          if (dl == maxDl) {
            w.write(r.getInteger(), rl, dl);
          } else {
            w.writeNull(rl, dl);
          }
          r.consume();
          consumed++;
        }
      }
      case INT64 -> {
        while (consumed < total) {
          int rl = r.getCurrentRepetitionLevel();
          if (rl == 0 && started++ == rows) {
            break;
          }
          int dl = r.getCurrentDefinitionLevel();
          if (dl == maxDl) {
            w.write(r.getLong(), rl, dl);
          } else {
            w.writeNull(rl, dl);
          }
          r.consume();
          consumed++;
        }
      }
      case BOOLEAN -> {
        while (consumed < total) {
          int rl = r.getCurrentRepetitionLevel();
          if (rl == 0 && started++ == rows) {
            break;
          }
          int dl = r.getCurrentDefinitionLevel();
          if (dl == maxDl) {
            w.write(r.getBoolean(), rl, dl);
          } else {
            w.writeNull(rl, dl);
          }
          r.consume();
          consumed++;
        }
      }
      case FLOAT -> {
        while (consumed < total) {
          int rl = r.getCurrentRepetitionLevel();
          if (rl == 0 && started++ == rows) {
            break;
          }
          int dl = r.getCurrentDefinitionLevel();
          if (dl == maxDl) {
            w.write(r.getFloat(), rl, dl);
          } else {
            w.writeNull(rl, dl);
          }
          r.consume();
          consumed++;
        }
      }
      case DOUBLE -> {
        while (consumed < total) {
          int rl = r.getCurrentRepetitionLevel();
          if (rl == 0 && started++ == rows) {
            break;
          }
          int dl = r.getCurrentDefinitionLevel();
          if (dl == maxDl) {
            w.write(r.getDouble(), rl, dl);
          } else {
            w.writeNull(rl, dl);
          }
          r.consume();
          consumed++;
        }
      }
      default -> { // BINARY, FIXED_LEN_BYTE_ARRAY, INT96
        while (consumed < total) {
          int rl = r.getCurrentRepetitionLevel();
          if (rl == 0 && started++ == rows) {
            break;
          }
          int dl = r.getCurrentDefinitionLevel();
          if (dl == maxDl) {
            // A value read from a page is a slice of the whole decompressed page and "constant": written as is,
            // the output dictionary would keep it and with it the input page.
            w.write(copies.of(r.getBinary()), rl, dl);
          } else {
            w.writeNull(rl, dl);
          }
          r.consume();
          consumed++;
        }
      }
    }
    return consumed - consumedBefore;
  }

  private static Map<String, String> sharedKeyValues(List<ParquetMetadata> metas) {
    Map<String, String> shared = new LinkedHashMap<>(metas.get(0).getFileMetaData().getKeyValueMetaData());
    shared.remove(WRITER_MODEL_KEY);
    for (ParquetMetadata m : metas.subList(1, metas.size())) {
      Map<String, String> kv = m.getFileMetaData().getKeyValueMetaData();
      shared.entrySet().removeIf(e -> !Objects.equals(e.getValue(), kv.get(e.getKey())));
    }
    return new HashMap<>(shared);
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage();
    return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }

  /** A row group whose pages were all read (and decompressed) up front, replayed to the column readers. */
  private record BufferedRowGroup(long rowCount, Map<ColumnDescriptor, BufferedPages> pages,
      Optional<PrimitiveIterator.OfLong> rowIndexes) implements PageReadStore {
    static BufferedRowGroup of(PageReadStore source, List<ColumnDescriptor> columns) throws IOException {
      Map<ColumnDescriptor, BufferedPages> pages = new HashMap<>(columns.size() * 2);
      for (ColumnDescriptor c : columns) {
        PageReader r = source.getPageReader(c);
        List<DataPage> data = new ArrayList<>();
        DictionaryPage dictionary = r.readDictionaryPage();
        if (dictionary != null) {
          dictionary = dictionary.copy();
        }
        for (DataPage p; (p = r.readPage()) != null; ) {
          data.add(materialized(p));
        }
        pages.put(c, new BufferedPages(dictionary, r.getTotalValueCount(), data));
      }
      return new BufferedRowGroup(source.getRowCount(), pages, source.getRowIndexes());
    }

    /**
     * The page with its bytes decompressed now: some codecs decompress lazily, through a decompressor that the
     * reader shares between all pages and resets for each, so a page kept for later must be read out at once.
     */
    private static DataPage materialized(DataPage page) throws IOException {
      if (page instanceof DataPageV1 v1) {
        return new DataPageV1(BytesInput.copy(v1.getBytes()), v1.getValueCount(), v1.getUncompressedSize(),
            v1.getStatistics(), v1.getRlEncoding(), v1.getDlEncoding(), v1.getValueEncoding());
      }
      if (page instanceof DataPageV2 v2) {
        return DataPageV2.uncompressed(v2.getRowCount(), v2.getNullCount(), v2.getValueCount(),
            BytesInput.copy(v2.getRepetitionLevels()), BytesInput.copy(v2.getDefinitionLevels()),
            v2.getDataEncoding(), BytesInput.copy(v2.getData()), v2.getStatistics());
      }
      throw new IllegalStateException("Unknown Parquet page type " + page.getClass().getName());
    }

    @Override
    public PageReader getPageReader(ColumnDescriptor descriptor) {
      return pages.get(descriptor);
    }

    @Override
    public long getRowCount() {
      return rowCount;
    }

    @Override
    public Optional<PrimitiveIterator.OfLong> getRowIndexes() {
      return rowIndexes;
    }
  }

  /** The pages of one column chunk, read once. */
  private static final class BufferedPages implements PageReader {
    private final DictionaryPage dictionary;
    private final long totalValueCount;
    private final List<DataPage> data;
    private int next;

    BufferedPages(DictionaryPage dictionary, long totalValueCount, List<DataPage> data) {
      this.dictionary = dictionary;
      this.totalValueCount = totalValueCount;
      this.data = data;
    }

    @Override
    public DictionaryPage readDictionaryPage() {
      return dictionary;
    }

    @Override
    public long getTotalValueCount() {
      return totalValueCount;
    }

    @Override
    public DataPage readPage() {
      return next < data.size() ? data.get(next++) : null;
    }
  }

  /**
   * Exact-size copies of the values of one input column chunk, found by identity: a dictionary-encoded page hands
   * out the same instance for each occurrence of an entry, so each entry is copied once, and the output dictionary
   * then hashes and compares plain arrays and keeps no input page alive. Direct-mapped, so it never grows; a
   * value of a plain page simply misses and is copied once, as it has to be.
   */
  private static final class ValueCopies {
    private static final int SLOTS = 4096;
    private final Binary[] in = new Binary[SLOTS];
    private final Binary[] out = new Binary[SLOTS];

    Binary of(Binary value) {
      int slot = System.identityHashCode(value) & (SLOTS - 1);
      if (in[slot] != value) {
        in[slot] = value;
        out[slot] = Binary.fromConstantByteArray(value.getBytes());
      }
      return out[slot];
    }
  }

  /** Converters are required by the column readers' constructor; values are read with the typed getters. */
  private static final class NoopConverter extends GroupConverter {
    private final Converter[] children;

    NoopConverter(GroupType type) {
      children = new Converter[type.getFieldCount()];
      for (int i = 0; i < children.length; i++) {
        Type t = type.getType(i);
        children[i] = t.isPrimitive() ? new PrimitiveConverter() { } : new NoopConverter(t.asGroupType());
      }
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return children[fieldIndex];
    }

    @Override
    public void start() {
      // values are not assembled into records
    }

    @Override
    public void end() {
      // values are not assembled into records
    }
  }
}
