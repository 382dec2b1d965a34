package dev.lakelifecycle.core.internal.staging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.core.ArrowBatch;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class SpoolCodecTest {
  static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .required("msg", TableSchema.Type.STRING)
      .build();

  @Test
  void arrowStringsWhoseOffsetsDoNotStartAtZeroEncodeExactlyLikeTheSameRows() {
    List<String> messages = List.of("GET /a", "", "POST /bé");
    try (BufferAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(
            new Field("ts", new FieldType(false, new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"), null), null),
            new Field("msg", new FieldType(false, ArrowType.Utf8.INSTANCE, null), null))), allocator)) {
      root.allocateNew();
      TimeStampMicroTZVector ts = (TimeStampMicroTZVector) root.getVector(0);
      VarCharVector msg = (VarCharVector) root.getVector(1);
      // A leading value, then dropped from the offsets, so the vector's first value starts at byte 5.
      msg.setSafe(0, "skip!".getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i < messages.size(); i++) {
        ts.setSafe(i, 1_700_000_000_000_000L + i);
        msg.setSafe(i + 1, messages.get(i).getBytes(StandardCharsets.UTF_8));
      }
      for (int i = 0; i <= messages.size(); i++) {
        msg.getOffsetBuffer().setInt(4L * i, msg.getOffsetBuffer().getInt(4L * (i + 1)));
      }
      ts.setValueCount(messages.size());
      msg.setValueCount(messages.size());
      root.setRowCount(messages.size());
      assertThat(msg.getOffsetBuffer().getInt(0)).isEqualTo(5);

      byte[] fromArrow = frame(ArrowBatch.wrap(root, SCHEMA));
      RowBatch.Builder rows = RecordBatch.builder(SCHEMA);
      for (int i = 0; i < messages.size(); i++) {
        rows.row(1_700_000_000_000_000L + i, messages.get(i));
      }
      byte[] fromRows = frame(rows.build());

      assertThat(fromArrow).isEqualTo(fromRows);
      SpoolBatch decoded = SpoolCodec.decode(Arrays.copyOfRange(fromArrow, SpoolCodec.FRAME_HEADER, fromArrow.length),
          fromArrow.length - SpoolCodec.FRAME_HEADER);
      for (int i = 0; i < messages.size(); i++) {
        assertThat(decoded.getString(1, i)).isEqualTo(messages.get(i));
        assertThat(decoded.getLong(0, i)).isEqualTo(1_700_000_000_000_000L + i);
      }
    }
  }

  @Test
  void rowStringsOfEveryLengthAndScriptRoundTripAsTheirUtf8() {
    TableSchema schema = TableSchema.builder()
        .required("ts", TableSchema.Type.TIMESTAMP)
        .column("msg", TableSchema.Type.STRING)
        .build();
    // Short and long (the encoder copies strings up to 16 chars itself and hands longer ones to the JDK), ASCII,
    // Latin-1, a CJK char whose low byte is ASCII ('\u4e2d' -> 0x2d), a surrogate pair, an unpaired surrogate.
    List<String> messages = Arrays.asList("", "GET", "exactly 16 chars", "exactly 17 chars!", "caf\u00e9",
        "\u4e2d-\u6587", "x\ud83d\ude00y", "bad \ud800 half", null,
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.107",
        "/articles/caf\u00e9-cr\u00e8me-br\u00fbl\u00e9e/\u4e2d\u6587/index.html?q=1", "0123456789abcdef\u00ff");
    RowBatch.Builder rows = RecordBatch.builder(schema);
    for (int i = 0; i < messages.size(); i++) {
      rows.row(1_700_000_000_000_000L + i, messages.get(i));
    }
    byte[] frame = frame(rows.build());

    SpoolBatch decoded = SpoolCodec.decode(Arrays.copyOfRange(frame, SpoolCodec.FRAME_HEADER, frame.length),
        frame.length - SpoolCodec.FRAME_HEADER);
    assertThat(decoded.rowCount()).isEqualTo(messages.size());
    for (int i = 0; i < messages.size(); i++) {
      String m = messages.get(i);
      assertThat(decoded.isNull(1, i)).as("row %d null", i).isEqualTo(m == null);
      if (m != null) {
        assertThat(decoded.getBytes(1, i)).as("row %d: %s", i, m).isEqualTo(m.getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void nullInANonNullableColumnIsRefusedNamingItsRowAndColumn() {
    // A batch read through its accessors whose producer did not check nullability (RowBatch's builder would).
    String[] msgs = {"a", "b", null, "d"};
    RecordBatch batch = new RecordBatch() {
      @Override
      public TableSchema schema() {
        return SCHEMA;
      }

      @Override
      public int rowCount() {
        return msgs.length;
      }

      @Override
      public boolean isNull(int column, int row) {
        return column == 1 && msgs[row] == null;
      }

      @Override
      public boolean getBoolean(int column, int row) {
        throw new UnsupportedOperationException();
      }

      @Override
      public int getInt(int column, int row) {
        throw new UnsupportedOperationException();
      }

      @Override
      public long getLong(int column, int row) {
        return row;
      }

      @Override
      public float getFloat(int column, int row) {
        throw new UnsupportedOperationException();
      }

      @Override
      public double getDouble(int column, int row) {
        throw new UnsupportedOperationException();
      }

      @Override
      public String getString(int column, int row) {
        return msgs[row];
      }

      @Override
      public byte[] getBytes(int column, int row) {
        throw new UnsupportedOperationException();
      }
    };

    assertThatThrownBy(() -> SpoolCodec.encode(batch, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Row 2")
        .hasMessageContaining("column 'msg', which is not nullable");
  }

  private static byte[] frame(RecordBatch batch) {
    SpoolCodec.Out out = SpoolCodec.encode(batch, 0);
    return Arrays.copyOf(out.buf, out.pos);
  }
}
