package dev.lakelifecycle.core.internal.parquet;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes rows of {@link RecordBatch}es to one Parquet object of an {@link ObjectStore}, with the shared
 * {@link WriterDefaults} and the schema of {@link ParquetSchemas#toMessageType}.
 *
 * <p>Rows go straight from the batches' typed accessors to parquet-java's {@link RecordConsumer}: no Avro, no
 * per-row map or array. The object appears whole when the write succeeds; on any failure the write is
 * aborted, so nothing is left at the key. Thread-safe: each {@link #write} call is independent.
 */
public final class BatchParquetWriter {
  /** Key of the footer metadata entry that records the writer id. */
  public static final String WRITER_ID_METADATA = "lake-lifecycle.writer-id";

  private static final Logger LOG = LoggerFactory.getLogger(BatchParquetWriter.class);

  private final ObjectStore store;
  private final String writerId;
  private final Clock clock;

  /**
   * @param writerId recorded in each {@link DataFile} and in the file footer
   * @param clock gives {@link DataFile#createdAt()}
   */
  public BatchParquetWriter(ObjectStore store, String writerId, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.writerId = Objects.requireNonNull(writerId, "writerId");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Writes the rows of {@code slices}, in order, to the object at {@code key}.
   *
   * @param schema the schema of every slice's batch (not checked here: the caller validated the batches)
   * @param partition recorded as {@link DataFile#partition()}
   * @return the published file, with per-column statistics read from the written footer
   * @throws StorageException if the object could not be written; nothing is left at the key
   * @throws IllegalArgumentException if a non-nullable column holds a null; nothing is left at the key
   */
  public DataFile write(String key, TableSchema schema, String partition, List<RowSlice> slices) {
    FileWriter w = open(key, schema, partition);
    boolean done = false;
    try {
      for (RowSlice slice : slices) {
        w.write(slice);
      }
      DataFile f = w.finish();
      done = true;
      return f;
    } finally {
      if (!done) {
        w.abort();
      }
    }
  }

  /**
   * Opens a streaming write of one object at {@code key}: rows are added slice by slice, so a caller streams
   * batches from elsewhere (the staging spool) without holding them all. The writer buffers one row group of
   * encoded pages. Not thread-safe; call {@link FileWriter#finish()} or {@link FileWriter#abort()} exactly once.
   *
   * @throws StorageException if the object cannot be created
   */
  public FileWriter open(String key, TableSchema schema, String partition) {
    StoreOutputFile out = new StoreOutputFile(store, key);
    RowWriteSupport support = new RowWriteSupport(schema, ParquetSchemas.toMessageType(schema),
        Map.of(WRITER_ID_METADATA, writerId));
    try {
      return new FileWriter(key, schema, partition, out, WriterDefaults.apply(new Builder(out, support)).build());
    } catch (IOException e) {
      abortQuietly(out);
      throw storageFailure(key, e);
    } catch (RuntimeException e) {
      abortQuietly(out);
      throw e;
    }
  }

  /** One Parquet object being written; see {@link #open}. */
  public final class FileWriter {
    private final String key;
    private final TableSchema schema;
    private final String partition;
    private final StoreOutputFile out;
    private final ParquetWriter<RowCursor> writer;
    private final RowCursor cursor = new RowCursor();
    private long rows;
    private boolean ended;

    private FileWriter(String key, TableSchema schema, String partition, StoreOutputFile out,
        ParquetWriter<RowCursor> writer) {
      this.key = key;
      this.schema = schema;
      this.partition = partition;
      this.out = out;
      this.writer = writer;
    }

    /**
     * Adds the rows of {@code slice}, in order. The slice's batch may be dropped once this returns.
     *
     * @throws StorageException if the store failed; then call {@link #abort()}
     * @throws IllegalArgumentException if a non-nullable column holds a null; then call {@link #abort()}
     */
    public void write(RowSlice slice) {
      cursor.batch = slice.batch();
      try {
        for (int i = 0, n = slice.size(); i < n; i++) {
          cursor.row = slice.row(i);
          writer.write(cursor);
        }
      } catch (IOException e) {
        throw storageFailure(key, e);
      } finally {
        cursor.batch = null;
      }
      rows += slice.size();
    }

    /** Rows written so far. */
    public long rows() {
      return rows;
    }

    /**
     * Publishes the object.
     *
     * @return the file, with per-column statistics read from the written footer
     * @throws StorageException if the object could not be published; nothing is left at the key
     */
    public DataFile finish() {
      ended = true;
      boolean published = false;
      try {
        writer.close();
        published = true;
        ObjectInfo info = out.result();
        return new DataFile(store.location(key), partition, info.size(), rows, writerId, clock.instant(),
            columnStats(schema, writer.getFooter()));
      } catch (IOException e) {
        throw storageFailure(key, e);
      } finally {
        if (!published) {
          abortQuietly(out);
        }
      }
    }

    /** Discards the object; nothing is left at the key. Idempotent, and a no-op after {@link #finish()}. */
    public void abort() {
      if (!ended) {
        ended = true;
        // Not closed on purpose: close() would publish a truncated object. abort() discards it.
        abortQuietly(out);
      }
    }
  }

  private StorageException storageFailure(String key, IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StorageException se) {
        return se;
      }
    }
    return new StorageException(String.format(Locale.ROOT,
        "Cannot write Parquet file %s: %s (check the store is reachable and writable, then flush again)",
        store.location(key), e.getMessage()), e);
  }

  private void abortQuietly(StoreOutputFile out) {
    try {
      out.abort();
    } catch (RuntimeException e) {
      LOG.warn("Could not abort the failed write of {}; a temporary object may remain until the orphan sweep",
          out.getPath(), e);
    }
  }

  /**
   * Null counts and display min/max per column, merged over the row groups of {@code footer}. A column whose
   * statistics the writer did not record (e.g. min/max too large for the footer) has null min/max.
   */
  static Map<String, DataFile.ColumnStats> columnStats(TableSchema schema, ParquetMetadata footer) {
    Map<String, Statistics<?>> merged = new HashMap<>();
    for (BlockMetaData block : footer.getBlocks()) {
      for (ColumnChunkMetaData chunk : block.getColumns()) {
        Statistics<?> s = chunk.getStatistics();
        if (s == null || !s.isNumNullsSet()) {
          continue;
        }
        String name = chunk.getPath().toDotString();
        Statistics<?> acc = merged.get(name);
        if (acc == null) {
          merged.put(name, s.copy());
        } else {
          acc.mergeStatistics(s);
        }
      }
    }
    Map<String, DataFile.ColumnStats> out = new HashMap<>();
    for (TableSchema.Column c : schema.columns()) {
      Statistics<?> s = merged.get(c.name());
      if (s != null) {
        boolean values = s.hasNonNullValue();
        out.put(c.name(), new DataFile.ColumnStats(s.getNumNulls(),
            values ? display(c.type(), s.genericGetMin()) : null,
            values ? display(c.type(), s.genericGetMax()) : null));
      }
    }
    return out;
  }

  /** The display form of a statistics value: ISO-8601 for timestamps, UTF-8 text, lower-case hex for binary. */
  static String display(TableSchema.Type type, Object value) {
    return switch (type) {
      case TIMESTAMP -> Instant.EPOCH.plus((Long) value, ChronoUnit.MICROS).toString();
      case STRING -> ((Binary) value).toStringUsingUTF8();
      case BINARY -> HexFormat.of().formatHex(((Binary) value).getBytes());
      default -> String.valueOf(value);
    };
  }

  /**
   * A batch that holds STRING (UTF-8) and BINARY values as byte ranges, so the writer hands them to Parquet
   * without building a {@code String} or copying an array per value.
   */
  public interface BinaryColumns {
    /** The value at {@code (column, row)} of a STRING or BINARY column, not null; must stay unchanged while written. */
    Binary binary(int column, int row);
  }

  /** The row being written; one instance reused for every row so the hot path allocates nothing. */
  private static final class RowCursor {
    RecordBatch batch;
    int row;
  }

  private static final class Builder extends ParquetWriter.Builder<RowCursor, Builder> {
    private final RowWriteSupport support;

    Builder(OutputFile file, RowWriteSupport support) {
      super(file);
      this.support = support;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<RowCursor> getWriteSupport(Configuration conf) {
      return support;
    }

    @Override
    protected WriteSupport<RowCursor> getWriteSupport(ParquetConfiguration conf) {
      return support;
    }
  }

  private static final class RowWriteSupport extends WriteSupport<RowCursor> {
    private final MessageType message;
    private final Map<String, String> metadata;
    private final String[] names;
    private final TableSchema.Type[] types;
    private final boolean[] nullable;
    private RecordConsumer consumer;

    RowWriteSupport(TableSchema schema, MessageType message, Map<String, String> metadata) {
      this.message = message;
      this.metadata = metadata;
      int n = schema.size();
      names = new String[n];
      types = new TableSchema.Type[n];
      nullable = new boolean[n];
      for (int i = 0; i < n; i++) {
        names[i] = schema.column(i).name();
        types[i] = schema.column(i).type();
        nullable[i] = schema.column(i).nullable();
      }
    }

    @Override
    public WriteContext init(Configuration configuration) {
      return new WriteContext(message, metadata);
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
      return new WriteContext(message, metadata);
    }

    @Override
    public String getName() {
      return "lake-lifecycle";
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      this.consumer = recordConsumer;
    }

    @Override
    public void write(RowCursor cursor) {
      RecordBatch b = cursor.batch;
      BinaryColumns bc = b instanceof BinaryColumns x ? x : null;
      int r = cursor.row;
      RecordConsumer rc = consumer;
      rc.startMessage();
      for (int c = 0; c < names.length; c++) {
        if (b.isNull(c, r)) {
          if (!nullable[c]) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                "Row %d of the batch has a null in column '%s', which is not nullable (fill the value or make the column nullable)",
                r, names[c]));
          }
          continue;
        }
        rc.startField(names[c], c);
        switch (types[c]) {
          case BOOLEAN -> rc.addBoolean(b.getBoolean(c, r));
          case INT -> rc.addInteger(b.getInt(c, r));
          case LONG, TIMESTAMP -> rc.addLong(b.getLong(c, r));
          case FLOAT -> rc.addFloat(b.getFloat(c, r));
          case DOUBLE -> rc.addDouble(b.getDouble(c, r));
          case STRING -> rc.addBinary(bc != null ? bc.binary(c, r) : Binary.fromString(b.getString(c, r)));
          case BINARY -> rc.addBinary(bc != null ? bc.binary(c, r) : Binary.fromConstantByteArray(b.getBytes(c, r)));
        }
        rc.endField(names[c], c);
      }
      rc.endMessage();
    }
  }
}
