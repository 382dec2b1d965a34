package dev.lakelifecycle.core.internal.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputDecompressor;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ZstdCodecFactoryTest {
  /** Page sizes around the edges: empty, tiny, a zstd block (128 KiB), a default page (1 MiB) and past it. */
  private static final int[] SIZES = {0, 1, 100, 4096, (128 << 10) + 3, 1 << 20, (1 << 20) + 12345};

  private final ZstdCodecFactory ours = ZstdCodecFactory.create();
  private final CodecFactory parquets = new CodecFactory(new PlainParquetConfiguration(), 1 << 20);

  @AfterEach
  void release() {
    ours.release();
    parquets.release();
  }

  /** Half text-like (compressible), half random (not), so pages exercise both zstd paths. */
  private static byte[] page(int size, long seed) {
    byte[] b = new byte[size];
    Random random = new Random(seed);
    byte[] words = "level=INFO service=checkout latency_ms=12 user=4711 ".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < size; i++) {
      b[i] = i < size / 2 ? words[(i + random.nextInt(3)) % words.length] : (byte) random.nextInt();
    }
    return b;
  }

  private static ByteBuffer direct(byte[] bytes) {
    ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
    b.put(bytes).flip();
    return b;
  }

  private static byte[] compress(CompressionCodecFactory factory, CompressionCodecName codec, byte[] raw)
      throws IOException {
    // Copied: a compressor's output is only valid until its next call.
    return factory.getCompressor(codec).compress(BytesInput.from(raw)).toByteArray();
  }

  @Test
  void roundTripsPagesOfSeveralSizes() throws IOException {
    for (int size : SIZES) {
      byte[] raw = page(size, size);
      byte[] compressed = compress(ours, CompressionCodecName.ZSTD, raw);
      byte[] back = ours.getDecompressor(CompressionCodecName.ZSTD).decompress(BytesInput.from(compressed), size)
          .toByteArray();
      assertThat(back).as("page of %d bytes", size).isEqualTo(raw);
      if (size >= 4096) {
        assertThat(compressed.length).as("page of %d bytes is compressed", size).isLessThan(size);
      }
    }
  }

  @Test
  void readsWhatParquetJavasCodecCompressedAndTheOtherWayRound() throws IOException {
    for (int size : SIZES) {
      byte[] raw = page(size, 31L * size);
      byte[] byParquet = compress(parquets, CompressionCodecName.ZSTD, raw);
      assertThat(ours.getDecompressor(CompressionCodecName.ZSTD).decompress(BytesInput.from(byParquet), size)
          .toByteArray()).as("parquet-java's page of %d bytes read by ours", size).isEqualTo(raw);

      byte[] byUs = compress(ours, CompressionCodecName.ZSTD, raw);
      assertThat(parquets.getDecompressor(CompressionCodecName.ZSTD).decompress(BytesInput.from(byUs), size)
          .toByteArray()).as("our page of %d bytes read by parquet-java", size).isEqualTo(raw);
    }
  }

  @Test
  void decompressesBetweenHeapAndDirectBuffersAtTheirPositions() throws IOException {
    BytesInputDecompressor decompressor = ours.getDecompressor(CompressionCodecName.ZSTD);
    for (int size : new int[] {1, 4096, 1 << 20}) {
      byte[] raw = page(size, size + 7L);
      byte[] compressed = compress(ours, CompressionCodecName.ZSTD, raw);
      for (boolean directIn : new boolean[] {false, true}) {
        for (boolean directOut : new boolean[] {false, true}) {
          // The frame sits after 5 bytes of something else, and the output starts at 3: positions are honoured.
          byte[] framed = new byte[compressed.length + 9];
          System.arraycopy(compressed, 0, framed, 5, compressed.length);
          ByteBuffer in = directIn ? direct(framed) : ByteBuffer.wrap(framed);
          in.position(5);
          ByteBuffer out = directOut ? ByteBuffer.allocateDirect(size + 10) : ByteBuffer.allocate(size + 10);
          out.position(3);

          decompressor.decompress(in, compressed.length, out, size);

          String combo = (directIn ? "direct" : "heap") + " to " + (directOut ? "direct" : "heap") + ", " + size;
          assertThat(in.position()).as(combo).isEqualTo(5 + compressed.length);
          assertThat(out.position()).as(combo).isEqualTo(3 + size);
          byte[] back = new byte[size];
          out.position(3);
          out.get(back);
          assertThat(back).as(combo).isEqualTo(raw);
        }
      }
    }
  }

  @Test
  void compressesConcatenatedHeapAndDirectInputsAsParquetJavaPassesThem() throws IOException {
    byte[] levels = page(300, 1);
    byte[] values = page(200_000, 2);
    BytesInput input = BytesInput.concat(BytesInput.from(direct(levels)), BytesInput.from(values, 0, values.length),
        BytesInput.fromUnsignedVarInt(300));
    byte[] expected = input.toByteArray();

    byte[] compressed = ours.getCompressor(CompressionCodecName.ZSTD).compress(input).toByteArray();

    assertThat(parquets.getDecompressor(CompressionCodecName.ZSTD)
        .decompress(BytesInput.from(compressed), expected.length).toByteArray()).isEqualTo(expected);
    // A page handed over as a direct buffer (a direct allocator's reader) decompresses too.
    assertThat(ours.getDecompressor(CompressionCodecName.ZSTD)
        .decompress(BytesInput.from(direct(compressed)), expected.length).toByteArray()).isEqualTo(expected);
  }

  @Test
  void reusesItsCompressorAndStaysUsableAfterRelease() throws IOException {
    BytesInputCompressor first = ours.getCompressor(CompressionCodecName.ZSTD);
    assertThat(ours.getCompressor(CompressionCodecName.ZSTD)).isSameAs(first);
    assertThat(first.getCodecName()).isEqualTo(CompressionCodecName.ZSTD);
    byte[] raw = page(50_000, 5);
    byte[] before = compress(ours, CompressionCodecName.ZSTD, raw);

    ours.release();

    // Same level, same one-shot frame: the bytes do not depend on which pooled context made them.
    assertThat(compress(ours, CompressionCodecName.ZSTD, raw)).isEqualTo(before);
    assertThat(compress(ours, CompressionCodecName.SNAPPY, raw)).isEqualTo(compress(parquets,
        CompressionCodecName.SNAPPY, raw));
  }

  @Test
  void honoursAZstdLevelAndRejectsOneOutOfRange() throws IOException {
    byte[] raw = page(1 << 20, 9);
    byte[] fast = ours.getCompressor(CompressionCodecName.ZSTD, 1).compress(BytesInput.from(raw)).toByteArray();
    byte[] strong = ours.getCompressor(CompressionCodecName.ZSTD, 19).compress(BytesInput.from(raw)).toByteArray();
    assertThat(strong.length).isLessThan(fast.length);
    assertThat(parquets.getDecompressor(CompressionCodecName.ZSTD).decompress(BytesInput.from(strong), raw.length)
        .toByteArray()).isEqualTo(raw);

    assertThatThrownBy(() -> ours.getCompressor(CompressionCodecName.ZSTD, 99))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("zstd compression level 99 is out of range");
  }

  /** Codecs other than zstd still work, through parquet-java's factory, and agree with it both ways. */
  @ParameterizedTest
  @EnumSource(value = CompressionCodecName.class, names = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZ4_RAW", "LZ4"})
  void delegatesOtherCodecsToParquetJava(CompressionCodecName codec) throws IOException {
    for (int size : new int[] {1, 4096, 300_000}) {
      byte[] raw = page(size, size ^ codec.ordinal());
      byte[] byUs = compress(ours, codec, raw);
      assertThat(ours.getCompressor(codec).getCodecName()).isEqualTo(codec);
      assertThat(parquets.getDecompressor(codec).decompress(BytesInput.from(byUs), size).toByteArray())
          .as("%s page of %d bytes, ours read by parquet-java", codec, size).isEqualTo(raw);
      byte[] byParquet = compress(parquets, codec, raw);
      assertThat(ours.getDecompressor(codec).decompress(BytesInput.from(byParquet), size).toByteArray())
          .as("%s page of %d bytes, parquet-java's read by ours", codec, size).isEqualTo(raw);
      ByteBuffer out = ByteBuffer.allocate(size);
      ours.getDecompressor(codec).decompress(ByteBuffer.wrap(byParquet), byParquet.length, out, size);
      assertThat(out.array()).as("%s page of %d bytes into a buffer", codec, size).isEqualTo(raw);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void rejectsADamagedPageWithTheSizes(boolean direct) throws IOException {
    byte[] raw = page(100_000, 3);
    byte[] compressed = compress(ours, CompressionCodecName.ZSTD, raw);
    byte[] damaged = Arrays.copyOf(compressed, compressed.length / 2);
    BytesInputDecompressor decompressor = ours.getDecompressor(CompressionCodecName.ZSTD);

    assertThatThrownBy(() -> decompressor.decompress(direct ? BytesInput.from(direct(damaged))
        : BytesInput.from(damaged), raw.length))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("zstd page of " + damaged.length + " bytes did not decompress to 100000 bytes");
    // A header that claims fewer bytes than the frame holds.
    assertThatThrownBy(() -> decompressor.decompress(BytesInput.from(compressed), raw.length - 1))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("zstd page of " + compressed.length + " bytes");
    // One that claims more.
    assertThatThrownBy(() -> decompressor.decompress(BytesInput.from(compressed), raw.length + 1))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("decompressed to 100000 bytes, but its header says 100001");
    // The pool still hands out working contexts after the failures.
    assertThat(decompressor.decompress(BytesInput.from(compressed), raw.length).toByteArray()).isEqualTo(raw);
  }

  @Test
  void sharesABoundedPoolOfContextsAcrossThreadsAndFiles() throws Exception {
    int threads = 2 * ZstdContexts.MAX_IDLE;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int seed = t;
        running.add(pool.submit(() -> {
          // A factory per "file", as writers and readers use them; 20 files per thread.
          for (int file = 0; file < 20; file++) {
            ZstdCodecFactory factory = ZstdCodecFactory.create();
            try {
              byte[] raw = page(20_000 + seed, seed * 100L + file);
              byte[] compressed = compress(factory, CompressionCodecName.ZSTD, raw);
              assertThat(factory.getDecompressor(CompressionCodecName.ZSTD)
                  .decompress(BytesInput.from(compressed), raw.length).toByteArray()).isEqualTo(raw);
            } finally {
              factory.release();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(ZstdContexts.idle()).isBetween(1, 2 * ZstdContexts.MAX_IDLE);
  }
}
