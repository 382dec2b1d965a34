package dev.lakelifecycle.core.internal.compaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridDecoder;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HybridTest {
  /** Run shapes: random, long repeats, short repeats, alternating, and mixtures at every length around 8. */
  private static int[][] shapes(int width, Random rnd) {
    int max = width == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (1L << width) - 1);
    int bound = width >= 31 ? Integer.MAX_VALUE : max + 1;
    int[][] out = new int[9][];
    out[0] = rnd.ints(1000, 0, Math.max(1, bound)).toArray();
    out[1] = new int[777];
    Arrays.fill(out[1], max);
    out[2] = new int[1003];
    for (int i = 0; i < out[2].length; ) {
      int v = rnd.nextInt(Math.max(1, bound));
      int run = 1 + rnd.nextInt(20);
      for (int r = 0; r < run && i < out[2].length; r++) {
        out[2][i++] = v;
      }
    }
    out[3] = new int[64];
    for (int i = 0; i < out[3].length; i++) {
      out[3][i] = i % 2 == 0 ? 0 : max;
    }
    out[4] = new int[] {max};
    out[5] = new int[0];
    out[6] = new int[7 + 9 + 600 + 3];
    for (int i = 0; i < out[6].length; i++) {
      out[6][i] = i < 7 ? i & max : i < 16 ? max : i < 616 ? rnd.nextInt(Math.max(1, bound)) : 0;
    }
    // more than 63 bit-packed groups in a row: the encoder starts a new run
    out[7] = rnd.ints(63 * 8 * 3 + 5, 0, Math.max(1, bound)).toArray();
    out[8] = new int[15];
    Arrays.fill(out[8], 8, 15, max);
    return out;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 20, 24, 25, 31, 32})
  void encodesWhatParquetJavaDecodes(int width) throws IOException {
    Random rnd = new Random(width);
    for (int[] values : shapes(width, rnd)) {
      Hybrid.Sink sink = new Hybrid.Sink(16);
      sink.write(0x5a); // bytes already in the sink stay put
      Hybrid.encode(values, values.length, width, sink);
      assertThat(sink.data[0]).isEqualTo((byte) 0x5a);
      RunLengthBitPackingHybridDecoder decoder = new RunLengthBitPackingHybridDecoder(width,
          new ByteArrayInputStream(sink.data, 1, sink.size - 1));
      int[] decoded = new int[values.length];
      for (int i = 0; i < values.length; i++) {
        decoded[i] = decoder.readInt();
      }
      assertThat(decoded).as("width %d, %d values", width, values.length).isEqualTo(values);
      int[] ours = new int[values.length];
      Hybrid.decode(sink.data, 1, sink.size, width, ours, values.length);
      assertThat(ours).isEqualTo(values);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 5, 8, 11, 16, 19, 24, 32})
  void decodesWhatParquetJavaEncodes(int width) throws IOException {
    Random rnd = new Random(100 + width);
    for (int[] values : shapes(width, rnd)) {
      byte[] encoded;
      try (RunLengthBitPackingHybridEncoder enc = new RunLengthBitPackingHybridEncoder(width, 64, 1 << 16,
          HeapByteBufferAllocator.getInstance())) {
        for (int v : values) {
          enc.writeInt(v);
        }
        encoded = enc.toBytes().toByteArray();
      }
      int[] decoded = new int[values.length];
      Hybrid.decode(encoded, 0, encoded.length, width, decoded, values.length);
      assertThat(decoded).as("width %d, %d values", width, values.length).isEqualTo(values);
    }
  }

  @Test
  void repeatsBecomeOneRleRun() {
    int[] values = new int[100_000];
    Arrays.fill(values, 5);
    Hybrid.Sink sink = new Hybrid.Sink(16);
    Hybrid.encode(values, values.length, 3, sink);
    // varint(100000 << 1) takes 3 bytes, the value 1
    assertThat(sink.size).isEqualTo(4);
  }

  @Test
  void decodesLastGroupCutShortAsZeros() {
    // one bit-packed group of width 8 holding 3 values, the writer dropped the 5 padding bytes
    byte[] page = {(byte) (1 << 1 | 1), 7, 8, 9};
    int[] out = new int[3];
    Hybrid.decode(page, 0, page.length, 8, out, 3);
    assertThat(out).containsExactly(7, 8, 9);
  }

  @Test
  void rejectsRunHeaderPastThePage() {
    byte[] page = {(byte) (4 << 1)}; // an RLE run of 4 without its value byte
    assertThatThrownBy(() -> Hybrid.decode(page, 0, page.length, 8, new int[4], 4))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("past the end");
    assertThatThrownBy(() -> Hybrid.decode(page, 0, 0, 8, new int[4], 4))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("past the end");
  }

  @Test
  void mergedDictionaryFindsEntriesByContentRollsBackWhatDoesNotFitThenTakesOnlyKnownEntries() {
    PageMerge.Dictionary d = new PageMerge.Dictionary();
    PrimitiveType int64 = Types.required(PrimitiveType.PrimitiveTypeName.INT64).named("x");
    int n = 5000;
    ByteBuffer first = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      first.putLong(i * 31L);
    }
    int[] a = d.add(PageMerge.Entries.of(int64, first.array(), n), 1 << 20);
    assertThat(a).isNotNull();
    for (int i = 0; i < n; i++) {
      assertThat(a[i]).isEqualTo(i);
    }
    // a second dictionary: half known entries, half new, one repeated; then one that does not fit
    ByteBuffer second = ByteBuffer.allocate(4 * 8).order(ByteOrder.LITTLE_ENDIAN);
    second.putLong(31L * 7).putLong(-1).putLong(31L * 4999).putLong(-1);
    assertThat(d.add(PageMerge.Entries.of(int64, second.array(), 4), 1 << 20)).containsExactly(7, n, 4999, n);
    int sizeBefore = d.size;
    ByteBuffer big = ByteBuffer.allocate(2000 * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 2000; i++) {
      big.putLong(-1000L - i);
    }
    assertThat(d.add(PageMerge.Entries.of(int64, big.array(), 2000), sizeBefore + 8 * 1000)).isNull();
    assertThat(d.size).isEqualTo(sizeBefore);
    assertThat(d.count).isEqualTo(n + 1);
    // after the rollback every earlier entry is still found; once full, only inputs of known entries join
    assertThat(d.add(PageMerge.Entries.of(int64, second.array(), 4), 1 << 20)).containsExactly(7, n, 4999, n);
    ByteBuffer again = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-1000L);
    assertThat(d.add(PageMerge.Entries.of(int64, again.array(), 1), 1 << 20)).isNull();
    assertThat(d.count).isEqualTo(n + 1);
  }
}
