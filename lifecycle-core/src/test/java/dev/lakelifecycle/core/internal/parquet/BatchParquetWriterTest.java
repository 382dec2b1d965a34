package dev.lakelifecycle.core.internal.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Operation;
import dev.lakelifecycle.testkit.MutableClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchParquetWriterTest {
  private static final TableSchema ALL_TYPES = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .column("flag", TableSchema.Type.BOOLEAN)
      .column("small", TableSchema.Type.INT)
      .required("big", TableSchema.Type.LONG)
      .column("ratio", TableSchema.Type.FLOAT)
      .column("value", TableSchema.Type.DOUBLE)
      .column("msg", TableSchema.Type.STRING)
      .column("payload", TableSchema.Type.BINARY)
      .build();

  @TempDir Path dir;
  private final MutableClock clock = MutableClock.at("2026-01-15T10:30:00Z");
  private ObjectStore store;

  @BeforeEach
  void open() {
    store = new LocalObjectStore(dir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static RowBatch allTypesBatch() {
    return RecordBatch.builder(ALL_TYPES)
        .row(Instant.parse("2026-01-15T10:00:00.123456Z"), true, 1, 10L, 1.5f, 2.25, "plain ascii", new byte[] {0, 1, 2})
        .row(Instant.parse("2026-01-15T10:59:59.999999Z"), null, null, -7L, null, null, null, null)
        .row(Instant.parse("2026-01-15T10:20:00Z"), false, Integer.MIN_VALUE, Long.MAX_VALUE, -0.0f, Double.MAX_VALUE,
            "héllo wörld ✓ 日本語 🙂", new byte[] {(byte) 0xff, 0, (byte) 0x80})
        .row(Instant.parse("1969-12-31T23:59:59.999999Z"), true, Integer.MAX_VALUE, Long.MIN_VALUE, Float.NaN, -1e-300,
            "", new byte[0])
        .build();
  }

  private static List<String> rowsAsText(List<Object[]> rows) {
    return rows.stream().map(r -> Arrays.deepToString(r)).collect(Collectors.toList());
  }

  private static List<Object[]> rowsOf(RecordBatch b, int... positions) {
    return Arrays.stream(positions).mapToObj(r -> {
      Object[] row = new Object[b.schema().size()];
      for (int c = 0; c < row.length; c++) {
        row[c] = b.get(c, r);
      }
      return row;
    }).collect(Collectors.toList());
  }

  @Test
  void roundTripsEveryColumnTypeWithNullsAndNonAsciiStrings() throws IOException {
    RowBatch batch = allTypesBatch();
    BatchParquetWriter writer = new BatchParquetWriter(store, "writer-1", clock);

    DataFile file = writer.write("t/data/hour=2026-01-15-10/a.parquet", ALL_TYPES, "hour=2026-01-15-10",
        List.of(RowSlice.all(batch)));

    ParquetRows read = ParquetRows.read(store, "t/data/hour=2026-01-15-10/a.parquet");
    assertThat(rowsAsText(read.rows())).isEqualTo(rowsAsText(rowsOf(batch, 0, 1, 2, 3)));
    assertThat(read.tableSchema()).isEqualTo(ALL_TYPES);
    assertThat(file.location()).isEqualTo(store.location("t/data/hour=2026-01-15-10/a.parquet"));
    assertThat(file.partition()).isEqualTo("hour=2026-01-15-10");
    assertThat(file.sizeBytes()).isEqualTo(Files.size(dir.resolve("t/data/hour=2026-01-15-10/a.parquet")));
    assertThat(file.recordCount()).isEqualTo(4);
    assertThat(file.writerId()).isEqualTo("writer-1");
    assertThat(file.createdAt()).isEqualTo(clock.instant());
  }

  @Test
  void writesTheDeclaredParquetTypesWithTheSharedWriterSettings() throws IOException {
    new BatchParquetWriter(store, "writer-1", clock).write("f.parquet", ALL_TYPES, "hour=2026-01-15-10",
        List.of(RowSlice.all(allTypesBatch())));

    try (ParquetFileReader reader = ParquetFileReader.open(StoreInputFile.of(store, "f.parquet"))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      assertThat(reader.getRecordCount()).isEqualTo(4);
      Type ts = schema.getType("ts");
      assertThat(ts.isRepetition(Type.Repetition.REQUIRED)).isTrue();
      assertThat(ts.asPrimitiveType().getPrimitiveTypeName()).isEqualTo(PrimitiveTypeName.INT64);
      assertThat(ts.getLogicalTypeAnnotation())
          .isEqualTo(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS));
      Type msg = schema.getType("msg");
      assertThat(msg.isRepetition(Type.Repetition.OPTIONAL)).isTrue();
      assertThat(msg.getLogicalTypeAnnotation()).isEqualTo(LogicalTypeAnnotation.stringType());
      assertThat(schema.getType("payload").getLogicalTypeAnnotation()).isNull();
      assertThat(schema.getType("payload").asPrimitiveType().getPrimitiveTypeName()).isEqualTo(PrimitiveTypeName.BINARY);
      assertThat(schema.getType("small").asPrimitiveType().getPrimitiveTypeName()).isEqualTo(PrimitiveTypeName.INT32);
      assertThat(schema.getType("big").isRepetition(Type.Repetition.REQUIRED)).isTrue();
      assertThat(reader.getFooter().getBlocks().get(0).getColumns())
          .allSatisfy(c -> assertThat(c.getCodec()).isEqualTo(CompressionCodecName.ZSTD));
      assertThat(reader.getFooter().getFileMetaData().getKeyValueMetaData())
          .containsEntry(BatchParquetWriter.WRITER_ID_METADATA, "writer-1");
    }
  }

  @Test
  void reportsColumnStatisticsFromTheFooterInDisplayForm() {
    DataFile file = new BatchParquetWriter(store, "w", clock).write("f.parquet", ALL_TYPES, "hour=2026-01-15-10",
        List.of(RowSlice.all(allTypesBatch())));

    Map<String, DataFile.ColumnStats> stats = file.columnStats();
    assertThat(stats.get("ts")).isEqualTo(new DataFile.ColumnStats(0,
        "1969-12-31T23:59:59.999999Z", "2026-01-15T10:59:59.999999Z"));
    assertThat(stats.get("small")).isEqualTo(new DataFile.ColumnStats(1,
        String.valueOf(Integer.MIN_VALUE), String.valueOf(Integer.MAX_VALUE)));
    assertThat(stats.get("big")).isEqualTo(new DataFile.ColumnStats(0,
        String.valueOf(Long.MIN_VALUE), String.valueOf(Long.MAX_VALUE)));
    assertThat(stats.get("flag")).isEqualTo(new DataFile.ColumnStats(1, "false", "true"));
    assertThat(stats.get("msg")).isEqualTo(new DataFile.ColumnStats(1, "", "plain ascii"));
    assertThat(stats.get("payload")).isEqualTo(new DataFile.ColumnStats(1, "", "ff0080"));
    assertThat(stats.get("value").nullCount()).isEqualTo(1);
  }

  @Test
  void writesOnlyTheRowsOfItsSlicesInSliceOrder() {
    RowBatch first = allTypesBatch();
    RowBatch second = allTypesBatch();

    DataFile file = new BatchParquetWriter(store, "w", clock).write("f.parquet", ALL_TYPES, "p",
        List.of(RowSlice.of(first, new int[] {2, 0}), RowSlice.all(second), RowSlice.of(first, new int[] {3})));

    List<Object[]> expected = rowsOf(first, 2, 0);
    expected.addAll(rowsOf(second, 0, 1, 2, 3));
    expected.addAll(rowsOf(first, 3));
    assertThat(rowsAsText(ParquetRows.read(store, "f.parquet").rows())).isEqualTo(rowsAsText(expected));
    assertThat(file.recordCount()).isEqualTo(7);
  }

  @Test
  void writesAFileWithNoRowsThatReadsBackEmpty() {
    DataFile file = new BatchParquetWriter(store, "w", clock).write("empty.parquet", ALL_TYPES, "p", List.of());

    ParquetRows read = ParquetRows.read(store, "empty.parquet");
    assertThat(read.rows()).isEmpty();
    assertThat(read.tableSchema()).isEqualTo(ALL_TYPES);
    assertThat(file.recordCount()).isZero();
  }

  @Test
  void leavesNothingBehindWhenARequiredColumnHoldsANull() throws IOException {
    RecordBatch nullInRequired = new NullInColumn(allTypesBatch(), 3, 1);

    assertThatThrownBy(() -> new BatchParquetWriter(store, "w", clock).write("t/f.parquet", ALL_TYPES, "p",
        List.of(RowSlice.all(nullInRequired))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'big'")
        .hasMessageContaining("Row 1");
    assertThat(store.stat("t/f.parquet")).isEmpty();
    try (Stream<Path> files = Files.walk(dir)) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void abortsTheObjectWhenPublishingFails() throws IOException {
    FaultInjectingObjectStore flaky = FaultInjectingObjectStore.wrap(store).failNth(Operation.CREATE, 1);

    assertThatThrownBy(() -> new BatchParquetWriter(flaky, "w", clock).write("t/f.parquet", ALL_TYPES, "p",
        List.of(RowSlice.all(allTypesBatch()))))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("t/f.parquet");
    assertThat(store.stat("t/f.parquet")).isEmpty();
    try (Stream<Path> files = Files.walk(dir)) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  /** A batch that reports a null at one cell, as a buggy RecordBatch implementation might. */
  private record NullInColumn(RecordBatch b, int column, int row) implements RecordBatch {
    @Override public TableSchema schema() {
      return b.schema();
    }

    @Override public int rowCount() {
      return b.rowCount();
    }

    @Override public boolean isNull(int c, int r) {
      return (c == column && r == row) || b.isNull(c, r);
    }

    @Override public boolean getBoolean(int c, int r) {
      return b.getBoolean(c, r);
    }

    @Override public int getInt(int c, int r) {
      return b.getInt(c, r);
    }

    @Override public long getLong(int c, int r) {
      return b.getLong(c, r);
    }

    @Override public float getFloat(int c, int r) {
      return b.getFloat(c, r);
    }

    @Override public double getDouble(int c, int r) {
      return b.getDouble(c, r);
    }

    @Override public String getString(int c, int r) {
      return b.getString(c, r);
    }

    @Override public byte[] getBytes(int c, int r) {
      return b.getBytes(c, r);
    }
  }
}
