package dev.lakelifecycle.core.internal.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.SortOrder;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.internal.parquet.BatchParquetWriter;
import dev.lakelifecycle.core.internal.parquet.ParquetRows;
import dev.lakelifecycle.core.internal.parquet.RowSlice;
import dev.lakelifecycle.core.internal.parquet.StoreInputFile;
import dev.lakelifecycle.core.internal.parquet.StoreOutputFile;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writing (the staging flush's writer), reading and compacting zstd files goes through our codec factory, so Hadoop's
 * {@code CodecPool} logs nothing: operators need not silence it. slf4j-simple (the test binding) prints to whatever
 * {@code System.err} is at the time, so the test captures that; a control run through parquet-java's own codec
 * factory proves the capture sees the line when it is logged.
 */
class CodecPoolQuietTest {
  private static final TableSchema SPANS = TableSchema.builder()
      .column("service", TableSchema.Type.STRING)
      .required("ts", TableSchema.Type.TIMESTAMP)
      .column("msg", TableSchema.Type.STRING)
      .required("n", TableSchema.Type.LONG)
      .build();
  private static final String[] SERVICES = {"api", "auth", "billing", "cart", null};

  @TempDir Path dir;
  private final MutableClock clock = MutableClock.at("2026-01-20T00:00:00Z");
  private ObjectStore store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void writingReadingAndCompactingZstdFilesLogsNoCodecPoolLines() {
    store = new LocalObjectStore(dir);
    List<DataFile> inputs = new ArrayList<>();
    List<List<Object[]>> results = new ArrayList<>();
    long[] rowsIn = new long[1];

    String log = stderrDuring(() -> {
      BatchParquetWriter writer = new BatchParquetWriter(store, "w", clock);
      for (int f = 0; f < 6; f++) {
        inputs.add(writer.write("t/data/in-" + f + ".parquet", SPANS, "day=2026-01-20",
            List.of(RowSlice.all(batch(f, 700)))));
      }
      for (DataFile f : inputs) {
        rowsIn[0] += ParquetRows.read(store, key(f)).rows().size();
      }
      StreamingRewriter.Settings settings = new StreamingRewriter.Settings(1L << 30, 128L << 20, 8L << 20, 32L << 20,
          true);
      StreamingRewriter.Settings decodeOnly = new StreamingRewriter.Settings(1L << 30, 128L << 20, 8L << 20,
          32L << 20, false);
      List<StreamingRewriter.Result> runs = List.of(
          new StreamingRewriter(store).rewrite("t", "paged", inputs, settings, this::newKey),
          new StreamingRewriter(store).rewrite("t", "decoded", inputs, decodeOnly, this::newKey),
          new SortingRewriter(store).rewrite("t", "sorted", inputs, settings, this::newKey,
              SortOrder.of(1, SortOrder.Field.asc("service"), SortOrder.Field.desc("ts"))));
      for (StreamingRewriter.Result r : runs) {
        assertThat(r.quarantined()).isEmpty();
        assertThat(r.outputs()).hasSize(1);
        results.add(ParquetRows.read(store, r.outputs().get(0).key()).rows());
      }
      assertThat(runs.get(0).rowGroups().paged()).as("the page merge ran").isPositive();
      assertThat(runs.get(1).rowGroups().decoded()).as("the decode path ran").isPositive();
    });

    assertThat(log).doesNotContain("CodecPool").doesNotContain("brand-new");
    assertThat(rowsIn[0]).isEqualTo(6 * 700);
    for (List<Object[]> rows : results) {
      assertThat(rows).hasSize(6 * 700);
      assertThat(rows.stream().mapToLong(r -> (Long) r[3]).sorted().toArray())
          .isEqualTo(java.util.stream.LongStream.range(0, 6 * 700).toArray());
    }
    for (DataFile f : inputs) {
      assertThat(codecs(key(f), f.sizeBytes())).containsOnly(CompressionCodecName.ZSTD);
    }
  }

  @Test
  void theCaptureSeesTheLineParquetJavasOwnCodecFactoryLogs() throws IOException {
    store = new LocalObjectStore(dir);
    var schema = MessageTypeParser.parseMessageType("message m { required int64 n; }");

    String log = stderrDuring(() -> {
      StoreOutputFile out = new StoreOutputFile(store, "control.parquet");
      try (ParquetWriter<Group> w = ExampleParquetWriter.builder(out).withType(schema)
          .withCompressionCodec(CompressionCodecName.ZSTD).build()) {
        w.write(new SimpleGroupFactory(schema).newGroup().append("n", 1L));
      }
    });

    assertThat(log).contains("org.apache.hadoop.io.compress.CodecPool").contains("brand-new compressor");
  }

  private static RecordBatch batch(int file, int rows) {
    dev.lakelifecycle.api.RowBatch.Builder b = RecordBatch.builder(SPANS);
    for (int i = 0; i < rows; i++) {
      long n = (long) file * rows + i;
      b.row(SERVICES[(int) (n % SERVICES.length)], Instant.parse("2026-01-20T00:00:00Z").plusMillis(n * 37),
          n % 3 == 0 ? null : "span " + n + " of file " + file, n);
    }
    return b.build();
  }

  private String key(DataFile f) {
    return store.keyOf(f.location()).orElseThrow();
  }

  private String newKey() {
    return "t/data/out-" + UUID.randomUUID() + ".parquet";
  }

  private List<CompressionCodecName> codecs(String key, long size) {
    try (ParquetFileReader r = ParquetFileReader.open(new StoreInputFile(store, key, size))) {
      return r.getFooter().getBlocks().stream().flatMap(b -> b.getColumns().stream())
          .map(ColumnChunkMetaData::getCodec).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  interface Action {
    void run() throws Exception;
  }

  /** What is printed to {@code System.err} while {@code action} runs (also passed on to the real stream). */
  private static String stderrDuring(Action action) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream tee = new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        original.write(b);
        synchronized (captured) {
          captured.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        original.write(b, off, len);
        synchronized (captured) {
          captured.write(b, off, len);
        }
      }
    }, true, StandardCharsets.UTF_8);
    System.setErr(tee);
    try {
      action.run();
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      System.setErr(original);
      tee.flush();
    }
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }
}
