package dev.lakelifecycle.core.internal.parquet;

import dev.lakelifecycle.api.CorruptFileException;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.storage.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads every row of a flat Parquet file, whoever wrote it, as {@code Object[]} rows in schema order.
 *
 * <p>Values are boxed as {@link dev.lakelifecycle.api.RecordBatch#get} boxes them: {@code Boolean},
 * {@code Integer} (any INT32), {@code Long} (any INT64), {@code Float}, {@code Double}, {@code String} (BINARY
 * annotated STRING, ENUM or JSON, decoded as UTF-8), {@code byte[]} (other BINARY and FIXED_LEN_BYTE_ARRAY), or
 * {@code null}. Timestamps become epoch microseconds as a {@code Long}: INT64 TIMESTAMP in MILLIS or NANOS is
 * converted (nanos rounded toward negative infinity), legacy INT96 (Impala/Spark) is decoded from its Julian
 * day and nanos of day. Other logical types (DECIMAL, DATE, TIME, unsigned ints) keep their physical value.
 *
 * <p>Nested columns come back in Parquet's physical shape, so that any file can be read: a group is an
 * {@code Object[]} of its fields, a repeated field a {@code List} of its values (absent, i.e. {@code null}, when
 * it has none). A LIST-annotated column {@code a} is thus {@code Object[]{List<Object[]{element}>}}. Only flat
 * files map to a {@link #tableSchema()}.
 *
 * <p>Not for the write hot path: it materialises a row object per record.
 */
public final class ParquetRows {
  private static final long JULIAN_EPOCH_DAY = 2_440_588L;
  private static final long MICROS_PER_DAY = 86_400_000_000L;

  private final MessageType schema;
  private final List<Object[]> rows;
  private final String source;

  private ParquetRows(MessageType schema, List<Object[]> rows, String source) {
    this.schema = schema;
    this.rows = rows;
    this.source = source;
  }

  /** Reads the whole object at {@code key}. */
  public static ParquetRows read(ObjectStore store, String key) {
    return read(StoreInputFile.of(store, key));
  }

  /**
   * Reads every row of {@code file} into memory.
   *
   * @throws CorruptFileException naming the file if it is not readable Parquet
   * @throws StorageException if the bytes could not be read
   */
  public static ParquetRows read(InputFile file) {
    List<Object[]> rows = new ArrayList<>();
    MessageType schema = forEach(file, rows::add);
    return new ParquetRows(schema, List.copyOf(rows), file.toString());
  }

  /**
   * Streams every row of {@code file} to {@code consumer}, one new array per row, and returns the file schema.
   *
   * @throws CorruptFileException naming the file if it is not readable Parquet
   * @throws StorageException if the bytes could not be read
   */
  public static MessageType forEach(InputFile file, Consumer<Object[]> consumer) {
    RowReadSupport support = new RowReadSupport();
    try (ParquetReader<Object[]> reader = new Builder(file, support).build()) {
      for (Object[] row = reader.read(); row != null; row = reader.read()) {
        consumer.accept(row);
      }
    } catch (IOException | RuntimeException e) {
      throw translate(e, file.toString());
    } catch (LinkageError e) {
      // A codec whose library is not on the class path (e.g. Hadoop LZ4 needs lz4-java).
      throw new CorruptFileException(String.format(Locale.ROOT,
          "Cannot read Parquet file %s: its compression codec is not available here (%s); rewrite it with "
              + "zstd, snappy or gzip, or add the codec's library", file, e), e);
    }
    if (support.schema == null) {
      // A file without row groups never reaches prepareForRead; its schema is still in the footer.
      try (ParquetFileReader r = ParquetFileReader.open(file, ZstdCodecFactory.readOptions())) {
        return r.getFooter().getFileMetaData().getSchema();
      } catch (IOException | RuntimeException e) {
        throw translate(e, file.toString());
      }
    }
    return support.schema;
  }

  /** The file's Parquet schema. */
  public MessageType schema() {
    return schema;
  }

  /**
   * The file's schema as a table schema.
   *
   * @throws SchemaMismatchException if a column has no table type (see {@link ParquetSchemas#toTableSchema})
   */
  public TableSchema tableSchema() {
    return ParquetSchemas.toTableSchema(schema, source);
  }

  /** Every row in file order; each array is in schema column order. Unmodifiable list. */
  public List<Object[]> rows() {
    return rows;
  }

  public int size() {
    return rows.size();
  }

  /**
   * Every row as the columns of {@code table}, in the table's order, matched to the file's top-level columns by
   * name: how a reader sees a file written before the table gained a column (the column reads null in every row).
   * A file column the table does not have is left out. Values are boxed as in {@link #rows()}; types are not
   * converted (the file was written for this table).
   *
   * @return a new list of new arrays, each of {@code table.size()} values
   * @throws SchemaMismatchException if the file lacks a column of {@code table} that is not nullable, naming it
   */
  public List<Object[]> rowsAs(TableSchema table) {
    int[] from = new int[table.size()];
    for (int i = 0; i < table.size(); i++) {
      TableSchema.Column c = table.column(i);
      from[i] = schema.containsField(c.name()) ? schema.getFieldIndex(c.name()) : -1;
      if (from[i] < 0 && !c.nullable()) {
        throw new SchemaMismatchException(String.format(Locale.ROOT,
            "Cannot read Parquet file %s as the table schema %s: it has no column '%s', which is not nullable "
                + "(only nullable columns can be added to a table after files were written)", source, table,
            c.name()));
      }
    }
    List<Object[]> out = new ArrayList<>(rows.size());
    for (Object[] row : rows) {
      Object[] r = new Object[from.length];
      for (int i = 0; i < from.length; i++) {
        r[i] = from[i] < 0 ? null : row[from[i]];
      }
      out.add(r);
    }
    return out;
  }

  private static LifecycleException translate(Exception e, String location) {
    if (e instanceof LifecycleException le) {
      return le;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StorageException se) {
        return se;
      }
    }
    return new CorruptFileException(String.format(Locale.ROOT,
        "Cannot read Parquet file %s: %s (the file is damaged or not Parquet; move it aside and restore it from its source)",
        location, e), e);
  }

  /** Reader builder over any {@link InputFile} with a plain (Hadoop-free) configuration. */
  private static final class Builder extends ParquetReader.Builder<Object[]> {
    private final RowReadSupport support;

    Builder(InputFile file, RowReadSupport support) {
      super(file, new PlainParquetConfiguration());
      this.support = support;
      withCodecFactory(ZstdCodecFactory.create());
    }

    @Override
    protected ReadSupport<Object[]> getReadSupport() {
      return support;
    }
  }

  private static final class RowReadSupport extends ReadSupport<Object[]> {
    private volatile MessageType schema;

    @Override
    public ReadContext init(InitContext context) {
      return new ReadContext(context.getFileSchema());
    }

    @Override
    public RecordMaterializer<Object[]> prepareForRead(Configuration configuration,
        Map<String, String> keyValueMetaData, MessageType fileSchema, ReadContext readContext) {
      return materializer(readContext.getRequestedSchema());
    }

    @Override
    public RecordMaterializer<Object[]> prepareForRead(ParquetConfiguration configuration,
        Map<String, String> keyValueMetaData, MessageType fileSchema, ReadContext readContext) {
      return materializer(readContext.getRequestedSchema());
    }

    private RecordMaterializer<Object[]> materializer(MessageType requested) {
      schema = requested;
      return new RowMaterializer(requested);
    }
  }

  private static final class RowMaterializer extends RecordMaterializer<Object[]> {
    private final GroupField root;

    RowMaterializer(MessageType schema) {
      this.root = new GroupField(schema, null, 0, false);
    }

    @Override
    public Object[] getCurrentRecord() {
      return root.current;
    }

    @Override
    public GroupConverter getRootConverter() {
      return root;
    }
  }

  /** A group (the row itself at the root): an {@code Object[]} of its fields, placed into its parent's slot. */
  private static final class GroupField extends GroupConverter {
    private final Converter[] fields;
    private final GroupField parent;
    private final int index;
    private final boolean repeated;
    Object[] current;

    GroupField(GroupType type, GroupField parent, int index, boolean repeated) {
      this.parent = parent;
      this.index = index;
      this.repeated = repeated;
      fields = new Converter[type.getFieldCount()];
      for (int i = 0; i < fields.length; i++) {
        Type f = type.getType(i);
        boolean rep = f.isRepetition(Type.Repetition.REPEATED);
        fields[i] = f.isPrimitive() ? primitive(f.asPrimitiveType(), i, rep) : new GroupField(f.asGroupType(), this, i, rep);
      }
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return fields[fieldIndex];
    }

    @Override
    public void start() {
      current = new Object[fields.length];
      if (parent != null) {
        parent.put(index, current, repeated);
      }
    }

    @Override
    public void end() {}

    @SuppressWarnings("unchecked")
    void put(int i, Object v, boolean rep) {
      if (rep) {
        List<Object> list = (List<Object>) current[i];
        if (list == null) {
          list = new ArrayList<>();
          current[i] = list;
        }
        list.add(v);
      } else {
        current[i] = v;
      }
    }

    private PrimitiveConverter primitive(PrimitiveType type, int i, boolean rep) {
      LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
      switch (type.getPrimitiveTypeName()) {
        case INT64:
          if (logical instanceof TimestampLogicalTypeAnnotation ts) {
            return switch (ts.getUnit()) {
              case MILLIS -> new Field(i, rep) {
                @Override public void addLong(long v) {
                  set(Math.multiplyExact(v, 1000L));
                }
              };
              case NANOS -> new Field(i, rep) {
                @Override public void addLong(long v) {
                  set(Math.floorDiv(v, 1000L));
                }
              };
              case MICROS -> new Field(i, rep);
            };
          }
          return new Field(i, rep);
        case INT96:
          return new Field(i, rep) {
            @Override public void addBinary(Binary v) {
              set(int96ToMicros(v));
            }
          };
        case BINARY:
          if (logical != null && ParquetSchemas.isText(logical)) {
            return new Field(i, rep) {
              @Override public void addBinary(Binary v) {
                set(v.toStringUsingUTF8());
              }
            };
          }
          return new Field(i, rep);
        default:
          return new Field(i, rep);
      }
    }

    /** Stores each physical value as its boxed Java value. */
    private class Field extends PrimitiveConverter {
      private final int index;
      private final boolean repeated;

      Field(int index, boolean repeated) {
        this.index = index;
        this.repeated = repeated;
      }

      final void set(Object v) {
        put(index, v, repeated);
      }

      @Override public void addBoolean(boolean v) {
        set(v);
      }

      @Override public void addInt(int v) {
        set(v);
      }

      @Override public void addLong(long v) {
        set(v);
      }

      @Override public void addFloat(float v) {
        set(v);
      }

      @Override public void addDouble(double v) {
        set(v);
      }

      @Override public void addBinary(Binary v) {
        // copy() is a no-op unless the decoder reuses the backing array for the next value.
        set(v.copy().getBytes());
      }
    }
  }

  /** INT96 timestamps: 8 bytes nanos of day then 4 bytes Julian day, both little-endian. */
  static long int96ToMicros(Binary v) {
    ByteBuffer buf = v.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    long nanosOfDay = buf.getLong(buf.position());
    long julianDay = Integer.toUnsignedLong(buf.getInt(buf.position() + 8));
    return (julianDay - JULIAN_EPOCH_DAY) * MICROS_PER_DAY + Math.floorDiv(nanosOfDay, 1000L);
  }
}
