package dev.lakelifecycle.core.internal.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.core.internal.parquet.StoreInputFile;
import dev.lakelifecycle.core.internal.parquet.StoreOutputFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.PageType;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.internal.column.columnindex.ColumnIndex;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.parquet.schema.PrimitiveType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page merge: small row groups become one large row group without decoding values, with one merged dictionary
 * per chunk, and footers (chunk statistics, column index, offset index) that say what the decode path would say.
 */
class PageMergeTest {
  private static final String PARTITION = "day=2026-01-15";
  private static final MessageType LOGS = MessageTypeParser.parseMessageType("""
      message logs {
        required int64 ts (TIMESTAMP(MICROS,true));
        required binary trace_id (STRING);
        required binary service (STRING);
        required int32 status;
        required double duration_ms;
        optional binary user_agent (STRING);
        optional group labels (LIST) { repeated group list { optional binary element (STRING); } }
      }""");

  @TempDir
  Path dir;

  private CompactionFixture fx;
  private long nextRow;

  private CompactionFixture fx() {
    if (fx == null) {
      fx = new CompactionFixture(dir);
    }
    return fx;
  }

  @Test
  void mergesSmallRowGroupsPageByPageIntoOneRowGroupWithOneDictionaryPerChunk() throws IOException {
    List<DataFile> inputs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      inputs.add(writeLogs(400, CompressionCodecName.ZSTD, ParquetProperties.WriterVersion.PARQUET_1_0, true));
    }

    StreamingRewriter.Result r = rewrite(new StreamingRewriter(fx().store), inputs, true);

    assertThat(r.rowGroups()).isEqualTo(new StreamingRewriter.RowGroups(1, 0, 0));
    assertThat(r.outputs()).hasSize(1);
    assertThat(rowsOf(r)).isEqualTo(rowsOf(inputs));
    ParquetMetadata footer = footer(r.outputs().get(0));
    assertThat(footer.getBlocks()).hasSize(1);
    assertThat(footer.getBlocks().get(0).getRowCount()).isEqualTo(12 * 400);
    for (ColumnChunkMetaData c : footer.getBlocks().get(0).getColumns()) {
      List<PageType> types = pageTypes(r.outputs().get(0).key(), c);
      assertThat(types.stream().filter(t -> t == PageType.DICTIONARY_PAGE).count()).as("%s", c.getPath())
          .isLessThanOrEqualTo(1);
      assertThat(c.getCodec()).isEqualTo(CompressionCodecName.ZSTD);
    }
    // Low-cardinality strings keep one dictionary for all twelve inputs.
    ColumnChunkMetaData service = column(footer, "service");
    assertThat(pageTypes(r.outputs().get(0).key(), service)).startsWith(PageType.DICTIONARY_PAGE);
    assertThat(service.getEncodings()).doesNotContain(Encoding.PLAIN);
  }

  @Test
  void chunkStatisticsAndPageIndexesEqualTheDecodePath() throws IOException {
    List<DataFile> inputs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      inputs.add(writeLogs(300 + 50 * i, CompressionCodecName.ZSTD, ParquetProperties.WriterVersion.PARQUET_1_0,
          true));
    }
    for (int i = 0; i < 3; i++) {
      inputs.add(writeLogs(200, CompressionCodecName.ZSTD, ParquetProperties.WriterVersion.PARQUET_2_0, true));
    }

    StreamingRewriter.Result paged = rewrite(new StreamingRewriter(fx().store), inputs, true);
    StreamingRewriter.Result decoded = rewrite(new StreamingRewriter(fx().store), inputs, false);

    assertThat(paged.rowGroups().paged()).isEqualTo(1);
    assertThat(decoded.rowGroups().paged()).isZero();
    assertThat(rowsOf(paged)).isEqualTo(rowsOf(decoded)).isEqualTo(rowsOf(inputs));
    assertSameStatisticsAsDecodePath(paged, decoded);
    assertPageIndexesDescribeTheirPages(paged.outputs().get(0));
  }

  @Test
  void nestedColumnsOfAnotherCodecAreRecompressedAndKeepTheirStatistics() throws IOException {
    // The fixture's writer uses parquet-java's defaults: uncompressed v1 pages, lists, structs, nulls.
    List<DataFile> inputs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      inputs.add(fx().writeEvents(dev.lakelifecycle.api.TableId.of("a", "b", "c"), PARTITION, 300));
    }
    inputs.add(copyWithCodec(inputs.get(0), CompressionCodecName.SNAPPY));

    StreamingRewriter.Result paged = rewrite(new StreamingRewriter(fx().store), inputs.subList(0, 5), true);
    StreamingRewriter.Result decoded = rewrite(new StreamingRewriter(fx().store), inputs.subList(0, 5), false);
    StreamingRewriter.Result mixed = rewrite(new StreamingRewriter(fx().store), inputs, true);

    assertThat(paged.rowGroups().paged()).isEqualTo(1);
    assertThat(rowsOf(paged)).isEqualTo(rowsOf(inputs.subList(0, 5)));
    assertSameStatisticsAsDecodePath(paged, decoded);
    assertPageIndexesDescribeTheirPages(paged.outputs().get(0));
    for (ColumnChunkMetaData c : footer(paged.outputs().get(0)).getBlocks().get(0).getColumns()) {
      assertThat(c.getCodec()).isEqualTo(CompressionCodecName.ZSTD);
    }
    assertThat(mixed.rowGroups().paged()).isEqualTo(1);
    assertThat(rowsOf(mixed)).isEqualTo(rowsOf(inputs));
  }

  @Test
  void inputsWhoseDictionaryDoesNotFitGetPlainPages() throws IOException {
    List<DataFile> inputs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      inputs.add(writeLogs(500, CompressionCodecName.GZIP, ParquetProperties.WriterVersion.PARQUET_1_0, true));
    }
    inputs.add(writeLogs(500, CompressionCodecName.ZSTD, ParquetProperties.WriterVersion.PARQUET_2_0, true));

    // Each input has about 70 user agents of its own (about 3 KB): an 8 KB dictionary takes two inputs' worth.
    StreamingRewriter.Result paged = rewrite(new StreamingRewriter(fx().store, 8 << 10), inputs, true);
    StreamingRewriter.Result decoded = rewrite(new StreamingRewriter(fx().store), inputs, false);

    assertThat(paged.rowGroups().paged()).isEqualTo(1);
    assertThat(rowsOf(paged)).isEqualTo(rowsOf(inputs));
    ColumnChunkMetaData trace = column(footer(paged.outputs().get(0)), "user_agent");
    List<PageType> types = pageTypes(paged.outputs().get(0).key(), trace);
    assertThat(types.get(0)).isEqualTo(PageType.DICTIONARY_PAGE);
    assertThat(types.stream().filter(t -> t == PageType.DICTIONARY_PAGE).count()).isEqualTo(1);
    assertThat(trace.getEncodings()).contains(Encoding.PLAIN);
    assertSameStatisticsAsDecodePath(paged, decoded);
    assertPageIndexesDescribeTheirPages(paged.outputs().get(0));
  }

  @Test
  void inputsLargerThanTheBudgetAreReadChunkByChunkWithTheSameOutput() throws IOException {
    List<DataFile> inputs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      inputs.add(writeLogs(500, CompressionCodecName.ZSTD, ParquetProperties.WriterVersion.PARQUET_1_0, true));
    }
    inputs.add(writeLogs(400, CompressionCodecName.GZIP, ParquetProperties.WriterVersion.PARQUET_2_0, true));
    long total = inputs.stream().mapToLong(DataFile::sizeBytes).sum();

    // A third of the input bytes: chunks are read on demand, some kept from the scan for the write, some read
    // again; the small dictionary bound also turns inputs to plain pages on that path.
    StreamingRewriter.Result paged = new StreamingRewriter(fx().store, 8 << 10).rewrite("t", "g", inputs,
        new StreamingRewriter.Settings(1L << 30, 128L << 20, 8L << 20, total / 3, true), this::newKey);
    StreamingRewriter.Result whole = rewrite(new StreamingRewriter(fx().store, 8 << 10), inputs, true);
    StreamingRewriter.Result decoded = rewrite(new StreamingRewriter(fx().store), inputs, false);

    assertThat(paged.rowGroups().paged()).isEqualTo(1);
    assertThat(rowsOf(paged)).isEqualTo(rowsOf(inputs));
    assertThat(paged.outputs().get(0).info().size()).isEqualTo(whole.outputs().get(0).info().size());
    assertThat(column(footer(paged.outputs().get(0)), "user_agent").getEncodings()).contains(Encoding.PLAIN);
    assertSameStatisticsAsDecodePath(paged, decoded);
    assertPageIndexesDescribeTheirPages(paged.outputs().get(0));
  }

  @Test
  void fallsBackToDecodingWhenInputsCarryNoStatistics() throws IOException {
    List<DataFile> inputs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      inputs.add(writeLogs(300, CompressionCodecName.ZSTD, ParquetProperties.WriterVersion.PARQUET_1_0, false));
    }

    StreamingRewriter.Result r = rewrite(new StreamingRewriter(fx().store), inputs, true);

    assertThat(r.rowGroups()).isEqualTo(new StreamingRewriter.RowGroups(0, 1, 0));
    assertThat(rowsOf(r)).isEqualTo(rowsOf(inputs));
  }

  @Test
  void aCorruptPageQuarantinesOnlyItsFile() throws IOException {
    List<DataFile> inputs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      inputs.add(writeLogs(300, CompressionCodecName.ZSTD, ParquetProperties.WriterVersion.PARQUET_1_0, true));
    }
    DataFile bad = inputs.get(2);
    corruptFirstDataPage(bad, "ts");
    List<DataFile> good = List.of(inputs.get(0), inputs.get(1), inputs.get(3));

    StreamingRewriter.Result r = rewrite(new StreamingRewriter(fx().store), inputs, true);

    assertThat(r.quarantined()).extracting(StreamingRewriter.Rejected::file).containsExactly(bad);
    assertThat(r.merged()).containsExactlyElementsOf(good);
    assertThat(r.rowGroups().paged()).isEqualTo(1);
    assertThat(rowsOf(r)).isEqualTo(rowsOf(good));
  }

  @Test
  void outputRowGroupsStopAtTheRowGroupSize() throws IOException {
    List<DataFile> inputs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      inputs.add(writeLogs(400, CompressionCodecName.ZSTD, ParquetProperties.WriterVersion.PARQUET_1_0, true));
    }
    long perInput = footer(inputs.get(0)).getBlocks().get(0).getTotalByteSize();

    StreamingRewriter.Result r = new StreamingRewriter(fx().store).rewrite("t", "g", inputs,
        new StreamingRewriter.Settings(1L << 30, perInput * 2 + perInput / 2, 8L << 20, 32L << 20, true),
        this::newKey);

    assertThat(r.rowGroups().paged()).isEqualTo(3);
    assertThat(footer(r.outputs().get(0)).getBlocks()).extracting(BlockMetaData::getRowCount)
        .containsExactly(800L, 800L, 800L);
    assertThat(rowsOf(r)).isEqualTo(rowsOf(inputs));
  }

  // ---------------------------------------------------------------------------------------------------------------

  private StreamingRewriter.Result rewrite(StreamingRewriter rewriter, List<DataFile> inputs, boolean pageMerge) {
    return rewriter.rewrite("t", "g", inputs,
        new StreamingRewriter.Settings(1L << 30, 128L << 20, 8L << 20, 32L << 20, pageMerge), this::newKey);
  }

  private String newKey() {
    return "out/" + UUID.randomUUID() + ".parquet";
  }

  private DataFile writeLogs(int rows, CompressionCodecName codec, ParquetProperties.WriterVersion version,
      boolean statistics) {
    String key = "in/" + UUID.randomUUID() + ".parquet";
    StoreOutputFile out = new StoreOutputFile(fx().store, key);
    SimpleGroupFactory groups = new SimpleGroupFactory(LOGS);
    Random random = new Random(nextRow);
    String[] services = {"api", "auth", "billing", "search", "web"};
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(out).withType(LOGS).withCompressionCodec(codec)
        .withWriterVersion(version).withStatisticsEnabled(statistics).withPageSize(4096).build()) {
      for (int i = 0; i < rows; i++) {
        long row = nextRow++;
        Group g = groups.newGroup().append("ts", 1_700_000_000_000_000L + row * 1000)
            .append("trace_id", String.format("%032x", random.nextLong() & Long.MAX_VALUE))
            .append("service", services[random.nextInt(services.length)])
            .append("status", random.nextInt(10) == 0 ? 500 : 200)
            .append("duration_ms", random.nextDouble() * 100);
        if (row % 3 != 0) {
          // Five rows per value, so values differ between files and a dictionary pays off for the writer.
          g.append("user_agent", "Mozilla/5.0 (compatible; agent-" + (row / 5) + ")");
        }
        if (row % 4 != 0) {
          Group labels = g.addGroup("labels");
          for (int t = 0; t < row % 3; t++) {
            Group element = labels.addGroup("list");
            if (t != 1) {
              element.append("element", "l" + (row % 5));
            }
          }
        }
        w.write(g);
      }
    } catch (IOException e) {
      out.abort();
      throw new UncheckedIOException(e);
    }
    ObjectInfo info = out.result();
    return new DataFile(fx().store.location(key), PARTITION, info.size(), rows, "w", fx().clock.instant(),
        Map.of());
  }

  /** A file of another codec with the rows of {@code like} (the fixture's nested schema). */
  private DataFile copyWithCodec(DataFile like, CompressionCodecName codec) throws IOException {
    String key = "in/" + UUID.randomUUID() + ".parquet";
    StoreOutputFile out = new StoreOutputFile(fx().store, key);
    MessageType schema = fx().schemaOf(like);
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(out).withType(schema).withCompressionCodec(codec)
        .build();
        var reader = CompactionFixture.groupReader(input(like))) {
      for (Group g = reader.read(); g != null; g = reader.read()) {
        w.write(g);
      }
    }
    ObjectInfo info = out.result();
    return new DataFile(fx().store.location(key), PARTITION, info.size(), like.recordCount(), "w",
        fx().clock.instant(), Map.of());
  }

  private StoreInputFile input(DataFile f) {
    return new StoreInputFile(fx().store, fx().store.keyOf(f.location()).orElseThrow(), f.sizeBytes());
  }

  private Map<String, Integer> rowsOf(List<DataFile> files) {
    List<String> rows = new ArrayList<>();
    for (DataFile f : files) {
      rows.addAll(fx().readRows(f));
    }
    return CompactionFixture.multiset(rows);
  }

  private Map<String, Integer> rowsOf(StreamingRewriter.Result r) {
    List<String> rows = new ArrayList<>();
    for (StreamingRewriter.Output o : r.outputs()) {
      rows.addAll(fx().readRows(o.key(), o.info().size()));
    }
    return CompactionFixture.multiset(rows);
  }

  private ParquetMetadata footer(DataFile f) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(input(f))) {
      return r.getFooter();
    }
  }

  private ParquetMetadata footer(StreamingRewriter.Output o) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(new StoreInputFile(fx().store, o.key(), o.info().size()))) {
      return r.getFooter();
    }
  }

  private static ColumnChunkMetaData column(ParquetMetadata footer, String name) {
    return footer.getBlocks().get(0).getColumns().stream().filter(c -> c.getPath().toDotString().equals(name))
        .findFirst().orElseThrow();
  }

  private List<PageType> pageTypes(String key, ColumnChunkMetaData c) throws IOException {
    byte[] file = fx().store.read(key);
    ByteArrayInputStream in = new ByteArrayInputStream(file, (int) c.getStartingPos(), (int) c.getTotalSize());
    List<PageType> types = new ArrayList<>();
    while (in.available() > 0) {
      PageHeader h = Util.readPageHeader(in);
      types.add(h.getType());
      in.skipNBytes(h.getCompressed_page_size());
    }
    return types;
  }

  /** Flips a byte in the body of the first data page of {@code column}: the footer and headers stay readable. */
  private void corruptFirstDataPage(DataFile f, String column) throws IOException {
    ColumnChunkMetaData c = column(footer(f), column);
    String key = fx().store.keyOf(f.location()).orElseThrow();
    byte[] file = fx().store.read(key);
    int at = (int) c.getFirstDataPageOffset();
    ByteArrayInputStream in = new ByteArrayInputStream(file, at, file.length - at);
    PageHeader h = Util.readPageHeader(in);
    int body = file.length - in.available();
    file[body + h.getCompressed_page_size() / 2] ^= 0x5a;
    fx().store.put(key, file);
  }

  private void assertSameStatisticsAsDecodePath(StreamingRewriter.Result paged, StreamingRewriter.Result decoded)
      throws IOException {
    assertThat(paged.outputs()).hasSize(1);
    assertThat(decoded.outputs()).hasSize(1);
    ParquetMetadata p = footer(paged.outputs().get(0));
    ParquetMetadata d = footer(decoded.outputs().get(0));
    assertThat(p.getBlocks()).hasSize(1);
    assertThat(d.getBlocks()).hasSize(1);
    assertThat(p.getBlocks().get(0).getRowCount()).isEqualTo(d.getBlocks().get(0).getRowCount());
    List<ColumnChunkMetaData> pc = p.getBlocks().get(0).getColumns();
    List<ColumnChunkMetaData> dc = d.getBlocks().get(0).getColumns();
    assertThat(pc).hasSameSizeAs(dc);
    for (int i = 0; i < pc.size(); i++) {
      Statistics<?> ps = pc.get(i).getStatistics();
      Statistics<?> ds = dc.get(i).getStatistics();
      assertThat(pc.get(i).getValueCount()).isEqualTo(dc.get(i).getValueCount());
      assertThat(PageMerge.sameStatistics(ps, ds)).as("%s: paged %s, decoded %s", pc.get(i).getPath(), ps, ds)
          .isTrue();
    }
  }

  /**
   * Every column-index entry of the output must be the statistics of the values of its page, and every
   * offset-index entry its first row: recomputed here by decoding the column and cutting it at the offset index.
   */
  private void assertPageIndexesDescribeTheirPages(StreamingRewriter.Output o) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(new StoreInputFile(fx().store, o.key(), o.info().size()))) {
      MessageType schema = r.getFooter().getFileMetaData().getSchema();
      BlockMetaData block = r.getFooter().getBlocks().get(0);
      PageReadStore rows = r.readRowGroup(0);
      ColumnReadStoreImpl store = new ColumnReadStoreImpl(rows, new GroupRecordConverter(schema).getRootConverter(),
          schema, r.getFooter().getFileMetaData().getCreatedBy());
      List<ColumnDescriptor> columns = schema.getColumns();
      for (int c = 0; c < columns.size(); c++) {
        ColumnChunkMetaData meta = block.getColumns().get(c);
        ColumnIndex ci = r.readColumnIndex(meta);
        OffsetIndex oi = r.readOffsetIndex(meta);
        assertThat(ci).as("column index of %s", meta.getPath()).isNotNull();
        assertThat(oi.getFirstRowIndex(0)).isZero();
        List<Statistics<?>> actual = pageStatistics(store.getColumnReader(columns.get(c)), columns.get(c), oi,
            block.getRowCount());
        assertThat(ci.getNullCounts()).as("null counts of %s", meta.getPath())
            .isEqualTo(actual.stream().map(Statistics::getNumNulls).toList());
        for (int p = 0; p < actual.size(); p++) {
          Statistics<?> s = actual.get(p);
          assertThat(ci.getNullPages().get(p)).isEqualTo(!s.hasNonNullValue());
          if (s.hasNonNullValue()) {
            assertThat(bytes(ci.getMinValues().get(p))).as("min of page %d of %s", p, meta.getPath())
                .isEqualTo(s.getMinBytes());
            assertThat(bytes(ci.getMaxValues().get(p))).as("max of page %d of %s", p, meta.getPath())
                .isEqualTo(s.getMaxBytes());
          }
        }
      }
    }
  }

  private static byte[] bytes(java.nio.ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static List<Statistics<?>> pageStatistics(ColumnReader reader, ColumnDescriptor d, OffsetIndex oi,
      long rowCount) {
    PrimitiveType type = d.getPrimitiveType();
    List<Statistics<?>> out = new ArrayList<>();
    int page = -1;
    long row = -1;
    Statistics<?> current = null;
    for (long v = 0; v < reader.getTotalValueCount(); v++) {
      if (reader.getCurrentRepetitionLevel() == 0) {
        row++;
        while (page + 1 < oi.getPageCount() && oi.getFirstRowIndex(page + 1) <= row) {
          page++;
          current = Statistics.createStats(type);
          out.add(current);
        }
      }
      if (reader.getCurrentDefinitionLevel() < d.getMaxDefinitionLevel()) {
        current.incrementNumNulls();
      } else {
        switch (type.getPrimitiveTypeName()) {
          case INT32 -> current.updateStats(reader.getInteger());
          case INT64 -> current.updateStats(reader.getLong());
          case DOUBLE -> current.updateStats(reader.getDouble());
          case FLOAT -> current.updateStats(reader.getFloat());
          case BOOLEAN -> current.updateStats(reader.getBoolean());
          default -> current.updateStats(Binary.fromConstantByteArray(reader.getBinary().getBytes()));
        }
      }
      reader.consume();
    }
    assertThat(row + 1).isEqualTo(rowCount);
    assertThat(out).hasSize(oi.getPageCount());
    Set<Long> firsts = new HashSet<>();
    for (int p = 0; p < oi.getPageCount(); p++) {
      firsts.add(oi.getFirstRowIndex(p));
    }
    assertThat(firsts).hasSize(oi.getPageCount());
    return out;
  }
}
