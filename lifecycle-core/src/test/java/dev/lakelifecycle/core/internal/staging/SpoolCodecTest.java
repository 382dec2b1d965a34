package dev.lakelifecycle.core.internal.staging;

import static org.assertj.core.api.Assertions.assertThat;

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

  private static byte[] frame(RecordBatch batch) {
    SpoolCodec.Out out = SpoolCodec.encode(batch, 0);
    return Arrays.copyOf(out.buf, out.pos);
  }
}
