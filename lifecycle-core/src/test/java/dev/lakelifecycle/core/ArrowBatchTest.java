package dev.lakelifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.staging.FlushResult;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.internal.parquet.ParquetRows;
import dev.lakelifecycle.core.internal.staging.DefaultStager;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMilliVector;
import org.apache.arrow.vector.TimeStampNanoTZVector;
import org.apache.arrow.vector.TimeStampSecVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowBatchTest {
  private static final Instant T = Instant.parse("2026-01-15T10:15:30.123456Z");
  private static final long T_MICROS = ChronoUnit.MICROS.between(Instant.EPOCH, T);
  private static final TableSchema TABLE = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .required("id", TableSchema.Type.LONG)
      .column("msg", TableSchema.Type.STRING)
      .build();

  private BufferAllocator allocator;

  @BeforeEach
  void open() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void close() {
    allocator.close();
  }

  private static FieldType nullable(ArrowType t) {
    return FieldType.nullable(t);
  }

  private static FieldType notNull(ArrowType t) {
    return FieldType.notNullable(t);
  }

  /** ts (micros, UTC, not null), id (int64 nullable in Arrow), msg (utf8). */
  private VectorSchemaRoot logsRoot() {
    TimeStampMicroTZVector ts = new TimeStampMicroTZVector("ts",
        notNull(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), allocator);
    BigIntVector id = new BigIntVector("id", nullable(new ArrowType.Int(64, true)), allocator);
    VarCharVector msg = new VarCharVector("msg", allocator);
    return new VectorSchemaRoot(List.<FieldVector>of(ts, id, msg));
  }

  private static void fill(VectorSchemaRoot root, long firstId, String... messages) {
    root.allocateNew();
    TimeStampMicroTZVector ts = (TimeStampMicroTZVector) root.getVector("ts");
    BigIntVector id = (BigIntVector) root.getVector("id");
    VarCharVector msg = (VarCharVector) root.getVector("msg");
    for (int i = 0; i < messages.length; i++) {
      ts.setSafe(i, T_MICROS + i * 3_600_000_000L);
      id.setSafe(i, firstId + i);
      if (messages[i] == null) {
        msg.setNull(i);
      } else {
        msg.setSafe(i, messages[i].getBytes(StandardCharsets.UTF_8));
      }
    }
    root.setRowCount(messages.length);
  }

  @Test
  void derivesTheTableSchemaAndReadsEveryTypeInPlace() {
    BitVector flag = new BitVector("flag", allocator);
    IntVector n = new IntVector("n", allocator);
    BigIntVector big = new BigIntVector("big", notNull(new ArrowType.Int(64, true)), allocator);
    Float4Vector f = new Float4Vector("f", allocator);
    Float8Vector d = new Float8Vector("d", allocator);
    VarCharVector s = new VarCharVector("s", allocator);
    VarBinaryVector b = new VarBinaryVector("b", allocator);
    TimeStampMicroTZVector ts = new TimeStampMicroTZVector("ts",
        nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), allocator);
    try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(flag, n, big, f, d, s, b, ts))) {
      root.allocateNew();
      flag.setSafe(0, 1);
      n.setSafe(0, -5);
      big.setSafe(0, Long.MAX_VALUE);
      f.setSafe(0, 1.5f);
      d.setSafe(0, -2.25);
      s.setSafe(0, "日本語 ✓".getBytes(StandardCharsets.UTF_8));
      b.setSafe(0, new byte[] {1, (byte) 0xff});
      ts.setSafe(0, T_MICROS);
      flag.setNull(1);
      n.setNull(1);
      big.setSafe(1, 0);
      f.setNull(1);
      d.setNull(1);
      s.setNull(1);
      b.setNull(1);
      ts.setNull(1);
      root.setRowCount(2);

      ArrowBatch batch = ArrowBatch.wrap(root);

      assertThat(batch.schema()).isEqualTo(TableSchema.builder()
          .column("flag", TableSchema.Type.BOOLEAN)
          .column("n", TableSchema.Type.INT)
          .required("big", TableSchema.Type.LONG)
          .column("f", TableSchema.Type.FLOAT)
          .column("d", TableSchema.Type.DOUBLE)
          .column("s", TableSchema.Type.STRING)
          .column("b", TableSchema.Type.BINARY)
          .column("ts", TableSchema.Type.TIMESTAMP)
          .build());
      assertThat(batch.rowCount()).isEqualTo(2);
      assertThat(batch.getBoolean(0, 0)).isTrue();
      assertThat(batch.getInt(1, 0)).isEqualTo(-5);
      assertThat(batch.getLong(2, 0)).isEqualTo(Long.MAX_VALUE);
      assertThat(batch.getFloat(3, 0)).isEqualTo(1.5f);
      assertThat(batch.getDouble(4, 0)).isEqualTo(-2.25);
      assertThat(batch.getString(5, 0)).isEqualTo("日本語 ✓");
      assertThat(batch.getBytes(6, 0)).containsExactly(1, 0xff);
      assertThat(batch.getLong(7, 0)).isEqualTo(T_MICROS);
      for (int c = 0; c < 8; c++) {
        assertThat(batch.isNull(c, 1)).as("column %d", c).isEqualTo(c != 2);
      }
    }
  }

  @Test
  void convertsSecondMilliAndNanoTimestampsToMicros() {
    TimeStampSecVector sec = new TimeStampSecVector("sec", allocator);
    TimeStampMilliVector milli = new TimeStampMilliVector("milli", allocator);
    TimeStampNanoTZVector nano = new TimeStampNanoTZVector("nano",
        nullable(new ArrowType.Timestamp(TimeUnit.NANOSECOND, "+00:00")), allocator);
    try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(sec, milli, nano))) {
      root.allocateNew();
      sec.setSafe(0, 1_768_472_130L);
      milli.setSafe(0, 1_768_472_130_123L);
      nano.setSafe(0, 1_768_472_130_123_456_789L);
      sec.setSafe(1, -1);
      milli.setSafe(1, -1);
      nano.setSafe(1, -1);
      root.setRowCount(2);

      ArrowBatch batch = ArrowBatch.wrap(root);

      assertThat(batch.schema().columns()).extracting(TableSchema.Column::type).containsOnly(TableSchema.Type.TIMESTAMP);
      assertThat(batch.getLong(0, 0)).isEqualTo(1_768_472_130_000_000L);
      assertThat(batch.getLong(1, 0)).isEqualTo(1_768_472_130_123_000L);
      assertThat(batch.getLong(2, 0)).isEqualTo(1_768_472_130_123_456L);
      assertThat(batch.getLong(0, 1)).isEqualTo(-1_000_000L);
      assertThat(batch.getLong(1, 1)).isEqualTo(-1_000L);
      assertThat(batch.getLong(2, 1)).as("nanos round toward the past").isEqualTo(-1L);
    }
  }

  @Test
  void rejectsUnsupportedArrowTypesNamingTheField() {
    try (VectorSchemaRoot small = new VectorSchemaRoot(List.<FieldVector>of(new SmallIntVector("level", allocator)))) {
      assertThatThrownBy(() -> ArrowBatch.wrap(small))
          .isInstanceOf(SchemaMismatchException.class)
          .hasMessageContaining("'level'")
          .hasMessageContaining("Int(16, true)")
          .hasMessageContaining("supported: Bool, Int(32, signed)");
    }
    TimeStampMicroTZVector paris = new TimeStampMicroTZVector("local_ts",
        nullable(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "Europe/Paris")), allocator);
    try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(paris))) {
      assertThatThrownBy(() -> ArrowBatch.wrap(root))
          .isInstanceOf(SchemaMismatchException.class)
          .hasMessageContaining("'local_ts'")
          .hasMessageContaining("Europe/Paris");
    }
  }

  @Test
  void checksAgainstATableSchemaByNameTypeAndActualNulls() {
    try (VectorSchemaRoot root = logsRoot()) {
      fill(root, 1, "a", null);

      // id is nullable in Arrow but holds no null: accepted for the table's non-null column.
      assertThat(ArrowBatch.wrap(root, TABLE).schema()).isEqualTo(TABLE);

      ((BigIntVector) root.getVector("id")).setNull(1);
      assertThatThrownBy(() -> ArrowBatch.wrap(root, TABLE))
          .isInstanceOf(SchemaMismatchException.class)
          .hasMessageContaining("column 'id' is nullable in the batch but not null in the table");

      TableSchema other = TableSchema.builder()
          .required("ts", TableSchema.Type.TIMESTAMP)
          .column("id", TableSchema.Type.INT)
          .column("msg", TableSchema.Type.STRING)
          .column("host", TableSchema.Type.STRING)
          .build();
      assertThatThrownBy(() -> ArrowBatch.wrap(root, other))
          .isInstanceOf(SchemaMismatchException.class)
          .hasMessageContaining("column 'id' is long in the batch but int in the table")
          .hasMessageContaining("missing column 'host' (string)");
    }
  }

  @Test
  void stagesAndFlushesEqualRowsAlthoughTheCallerRefillsTheRoot(@TempDir Path dir) {
    TableId id = TableId.of("acme", "prod", "logs");
    MutableClock clock = MutableClock.at("2026-01-15T12:00:00Z");
    try (LocalObjectStore store = new LocalObjectStore(dir);
        TableCatalog catalog = new ManifestCatalog(store, clock);
        VectorSchemaRoot root = logsRoot()) {
      catalog.createTable(id, TABLE, PartitionSpec.hourly("ts"));
      DefaultStager stager = new DefaultStager(store, catalog,
          new LifecycleConfig.Staging(1_000, 1L << 30, Duration.ofMinutes(1), Map.of()), clock, null, "arrow-test");

      fill(root, 1, "first", null, "dritte ✓");
      stager.append(id, ArrowBatch.wrap(root, TABLE));
      // The caller reuses its vectors for the next batch, as Arrow producers do.
      fill(root, 100, "again", "und noch");
      stager.append(id, ArrowBatch.wrap(root, TABLE));
      FlushResult result = stager.flush(id);
      stager.close();

      assertThat(result.rows()).isEqualTo(5);
      assertThat(result.files()).extracting(DataFile::partition)
          .containsExactly("hour=2026-01-15-10", "hour=2026-01-15-11", "hour=2026-01-15-12");
      List<String> rows = new ArrayList<>();
      for (DataFile f : catalog.loadTable(id).liveFiles()) {
        for (Object[] r : ParquetRows.read(store, store.keyOf(f.location()).orElseThrow()).rows()) {
          rows.add(Arrays.toString(r));
        }
      }
      long h = 3_600_000_000L;
      assertThat(rows).containsExactlyInAnyOrder(
          Arrays.toString(new Object[] {T_MICROS, 1L, "first"}),
          Arrays.toString(new Object[] {T_MICROS + h, 2L, null}),
          Arrays.toString(new Object[] {T_MICROS + 2 * h, 3L, "dritte ✓"}),
          Arrays.toString(new Object[] {T_MICROS, 100L, "again"}),
          Arrays.toString(new Object[] {T_MICROS + h, 101L, "und noch"}));
    }
  }
}
