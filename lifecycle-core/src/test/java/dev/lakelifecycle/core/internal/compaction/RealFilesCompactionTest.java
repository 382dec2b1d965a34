package dev.lakelifecycle.core.internal.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.core.internal.parquet.StoreInputFile;
import dev.lakelifecycle.testkit.SharedData;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.QuarantinedFile;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.Set;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import java.util.stream.Stream;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.InputFile;
import org.junit.jupiter.api.Test;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compaction must rewrite files of any flat or nested schema written by any writer: copies of real files of the
 * Apache Parquet corpus (parquet-mr, Arrow C++, Rust, Impala, Spark; dictionary, v2 pages, lists, maps, structs,
 * decimals, INT96) are merged and must come back as the same rows with the same schema.
 */
class RealFilesCompactionTest {
  private static final TableId T = TableId.of("acme", "prod", "corpus");

  @TempDir
  Path dir;

  /**
   * Every {@code .parquet} file of {@code parquet-testing/data} that parquet-java itself can read record by record
   * (those it cannot — brotli (no codec on the class path), encrypted, malformed — are the quarantine tests' business).
   */
  static Stream<String> readableCorpusFiles() throws IOException {
    Path data = SharedData.parquetTesting("data");
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.list(data)) {
      for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().toList()) {
        if (readableByParquetJava(p)) {
          names.add(p.getFileName().toString());
        }
      }
    }
    return names.stream();
  }

  private static boolean readableByParquetJava(Path p) {
    try (ParquetReader<Group> r = new GroupReaderBuilder(new StoreInputFile(
        new dev.lakelifecycle.core.storage.LocalObjectStore(p.getParent()), p.getFileName().toString(),
        Files.size(p))).build()) {
      long n = 0;
      while (r.read() != null) {
        n++;
      }
      return n > 0;
    } catch (IOException | RuntimeException | LinkageError e) {
      return false;
    }
  }

  @Test
  void theCorpusHoldsFarMoreReadableFilesThanTheOriginalList() throws IOException {
    assertThat(readableCorpusFiles().count()).isGreaterThan(40);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("readableCorpusFiles")
  void rewritesCopiesOfACorpusFileToTheSameRowsAndSchema(String name) throws IOException {
    CompactionFixture fx = new CompactionFixture(dir);
    fx.createTable(T);
    Path source = SharedData.parquetTesting("data/" + name);
    List<DataFile> copies = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      DataFile copy = fx.copyIn(T, "day=2026-01-15", source, 0);
      copies.add(new DataFile(copy.location(), copy.partition(), copy.sizeBytes(), footerRows(fx, copy), "external",
          copy.createdAt(), copy.columnStats()));
    }
    fx.append(T, copies);
    List<String> expected = new ArrayList<>(fx.readRows(copies.get(0)));
    expected.addAll(fx.readRows(copies.get(1)));

    CompactionResult result = fx.compactor(CompactionFixture.config(1L << 30, 2, 48, 0)).compact(T).execute();

    assertThat(result.filesRemoved()).isEqualTo(2);
    List<DataFile> live = fx.catalog.loadTable(T).liveFiles();
    assertThat(live).hasSize(1);
    assertThat(CompactionFixture.multiset(fx.readRows(live.get(0)))).isEqualTo(CompactionFixture.multiset(expected));
    assertThat(fx.schemaOf(live.get(0))).isEqualTo(fx.schemaOf(copies.get(0)));
    assertThat(live.get(0).recordCount()).isEqualTo(2 * copies.get(0).recordCount());
    // The page merge is taken wherever the file carries what it needs; the rest is decoded.
    if (NOT_PAGE_MERGEABLE.contains(name)) {
      assertThat(fx.rowGroups("paged")).isZero();
      assertThat(fx.rowGroups("decoded")).isEqualTo(1);
    } else {
      assertThat(fx.rowGroups("paged")).isEqualTo(1);
      assertThat(fx.rowGroups("decoded")).isZero();
    }
  }

  /**
   * Corpus files whose copies are decoded rather than merged page by page, because a column chunk lacks what the
   * output's statistics need: chunk statistics at all (old or minimal writers), a min and max parquet-java trusts
   * (decimals and strings of old writers, floats with NaN: the decode path computes them afresh), page statistics
   * of a multi-page chunk without a column index (alltypes_tiny_pages*, overflow_i16_page_cnt), or page statistics
   * that add up to the chunk's (binary_truncated_min_max: truncated in the column index).
   */
  private static final Set<String> NOT_PAGE_MERGEABLE = Set.of(
      "alltypes_dictionary.parquet", "alltypes_plain.parquet", "alltypes_plain.snappy.parquet",
      "alltypes_tiny_pages.parquet", "alltypes_tiny_pages_plain.parquet", "binary_truncated_min_max.parquet",
      "byte_array_decimal.parquet", "concatenated_gzip_members.parquet",
      "data_index_bloom_encoding_with_length.parquet", "datapage_v1-corrupt-checksum.parquet",
      "datapage_v1-snappy-compressed-checksum.parquet", "datapage_v1-uncompressed-checksum.parquet",
      "delta_length_byte_array.parquet", "fixed_length_decimal.parquet", "fixed_length_decimal_legacy.parquet",
      "floating_orders_nan_count.parquet", "int32_decimal.parquet", "int64_decimal.parquet", "map_no_value.parquet",
      "nan_in_stats.parquet", "nested_lists.snappy.parquet", "nested_maps.snappy.parquet",
      "nested_structs.rust.parquet", "nullable.impala.parquet", "overflow_i16_page_cnt.parquet",
      "repeated_no_annotation.parquet", "unknown-logical-type.parquet");

  @ParameterizedTest(name = "{0}")
  @MethodSource("readableCorpusFiles")
  void pageMergeOfACorpusFileGivesTheDecodePathsChunkStatistics(String name) throws IOException {
    CompactionFixture fx = new CompactionFixture(dir);
    Path source = SharedData.parquetTesting("data/" + name);
    List<DataFile> copies = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      DataFile copy = fx.copyIn(T, "day=2026-01-15", source, 0);
      copies.add(new DataFile(copy.location(), copy.partition(), copy.sizeBytes(), footerRows(fx, copy), "external",
          copy.createdAt(), copy.columnStats()));
    }
    StreamingRewriter rewriter = new StreamingRewriter(fx.store);
    StreamingRewriter.Result paged = rewriter.rewrite("t", "g", copies,
        new StreamingRewriter.Settings(1L << 30, 128L << 20, 8L << 20, 32L << 20, true), () -> "p/" + name);
    StreamingRewriter.Result decoded = rewriter.rewrite("t", "g", copies,
        new StreamingRewriter.Settings(1L << 30, 128L << 20, 8L << 20, 32L << 20, false), () -> "d/" + name);

    assertThat(paged.rowGroups().paged()).isEqualTo(NOT_PAGE_MERGEABLE.contains(name) ? 0 : 1);
    List<ColumnChunkMetaData> p = chunks(fx, paged.outputs().get(0));
    List<ColumnChunkMetaData> d = chunks(fx, decoded.outputs().get(0));
    assertThat(p).hasSameSizeAs(d);
    for (int i = 0; i < p.size(); i++) {
      Statistics<?> ps = p.get(i).getStatistics();
      Statistics<?> ds = d.get(i).getStatistics();
      assertThat(p.get(i).getValueCount()).isEqualTo(d.get(i).getValueCount());
      assertThat(ps.isEmpty() && ds.isEmpty() || PageMerge.sameStatistics(ps, ds))
          .as("%s: page merge %s, decode path %s", p.get(i).getPath(), ps, ds).isTrue();
    }
  }

  private static List<ColumnChunkMetaData> chunks(CompactionFixture fx, StreamingRewriter.Output o)
      throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(new StoreInputFile(fx.store, o.key(), o.info().size()))) {
      assertThat(r.getRowGroups()).hasSize(1);
      return r.getRowGroups().get(0).getColumns();
    }
  }



  @ParameterizedTest(name = "{0}")
  @MethodSource("unreadableFiles")
  void quarantinesAnUnreadableFileAndStillCompactsItsPartition(String relative) {
    CompactionFixture fx = new CompactionFixture(dir);
    fx.createTable(T);
    // Two copies, so that the bad file has a partner of its own schema and compaction really tries to read it.
    List<DataFile> bad = List.of(fx.copyIn(T, "day=2026-01-15", SharedData.parquetTesting(relative), 1),
        fx.copyIn(T, "day=2026-01-15", SharedData.parquetTesting(relative), 1));
    List<DataFile> good = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      good.add(fx.writeEvents(T, "day=2026-01-15", 20));
    }
    fx.append(T, good);
    fx.append(T, bad);
    Map<String, Integer> goodRows = fx.rows(T, good);
    DefaultCompactor compactor = fx.compactor(CompactionFixture.config(1L << 30, 2, 48, 0));

    CompactionResult result = compactor.compact(T).execute();

    assertThat(result.outcome()).isEqualTo(CompactionResult.Outcome.COMPLETED);
    // Both copies are quarantined, or the first is and its twin is left alone (a lone file is never rewritten).
    assertThat(result.quarantined()).isNotEmpty().extracting(QuarantinedFile::location)
        .isSubsetOf(bad.stream().map(DataFile::location).toList());
    assertThat(result.quarantined()).allSatisfy(q -> assertThat(q.error()).isNotBlank());
    assertThat(result.filesRemoved()).isEqualTo(3);
    List<DataFile> live = fx.catalog.loadTable(T).liveFiles();
    assertThat(live).hasSize(3).containsAll(bad);
    assertThat(fx.rows(T, live.stream().filter(f -> !bad.contains(f)).toList())).isEqualTo(goodRows);
    assertThat(compactor.compact(T).plan().decisions()).filteredOn(d -> bad.contains(d.file()))
        .allSatisfy(d -> assertThat(d.reason()).isIn(CompactionPlan.Reason.QUARANTINED,
            CompactionPlan.Reason.ALONE_IN_PARTITION, CompactionPlan.Reason.SCHEMA_DIFFERS,
            CompactionPlan.Reason.TOO_FEW_FILES))
        .anySatisfy(d -> assertThat(d.reason()).isEqualTo(CompactionPlan.Reason.QUARANTINED));
  }

  /** Every file of bad_data, encrypted files, a truncated file and one with a garbled footer. */
  static Stream<String> unreadableFiles() throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(SharedData.parquetTesting("bad_data"))) {
      files.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted()
          .forEach(f -> out.add("bad_data/" + f.getFileName()));
    }
    try (Stream<Path> files = Files.list(SharedData.parquetTesting("data"))) {
      files.filter(f -> f.getFileName().toString().endsWith(".parquet.encrypted")).sorted()
          .forEach(f -> out.add("data/" + f.getFileName()));
    }
    return out.stream();
  }

  @Test
  void quarantinesATruncatedFileAndAGarbledFooter() throws IOException {
    CompactionFixture fx = new CompactionFixture(dir);
    fx.createTable(T);
    List<DataFile> good = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      good.add(fx.writeEvents(T, "day=2026-01-15", 20));
    }
    DataFile truncated = fx.writeEvents(T, "day=2026-01-15", 20);
    String tk = fx.store.keyOf(truncated.location()).orElseThrow();
    byte[] tb = fx.store.read(tk);
    fx.store.put(tk, java.util.Arrays.copyOf(tb, tb.length / 2));
    DataFile garbled = fx.writeEvents(T, "day=2026-01-15", 20);
    String gk = fx.store.keyOf(garbled.location()).orElseThrow();
    byte[] gb = fx.store.read(gk);
    for (int i = gb.length - 40; i < gb.length - 8; i++) {
      gb[i] = (byte) 0x5a; // inside the footer, before its length and the magic
    }
    fx.store.put(gk, gb);
    DataFile truncatedEntry = new DataFile(truncated.location(), truncated.partition(), tb.length / 2,
        truncated.recordCount(), "w", truncated.createdAt(), Map.of());
    fx.append(T, good);
    fx.append(T, List.of(truncatedEntry, garbled));
    Map<String, Integer> goodRows = fx.rows(T, good);

    CompactionResult result = fx.compactor(CompactionFixture.config(1L << 30, 2, 48, 0)).compact(T).execute();

    assertThat(result.quarantined()).extracting(QuarantinedFile::location)
        .containsExactlyInAnyOrder(truncated.location(), garbled.location());
    List<DataFile> live = fx.catalog.loadTable(T).liveFiles();
    assertThat(live).hasSize(3);
    assertThat(fx.rows(T, live.stream().filter(f -> f.writerId().equals(CompactionFixture.WRITER)).toList()))
        .isEqualTo(goodRows);
  }

  private static long footerRows(CompactionFixture fx, DataFile f) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(
        new StoreInputFile(fx.store, fx.store.keyOf(f.location()).orElseThrow(), f.sizeBytes()))) {
      return r.getRecordCount();
    }
  }

  private static final class GroupReaderBuilder extends ParquetReader.Builder<Group> {
    GroupReaderBuilder(InputFile file) {
      super(file, new org.apache.parquet.conf.PlainParquetConfiguration());
    }

    @Override
    protected ReadSupport<Group> getReadSupport() {
      return new GroupReadSupport();
    }
  }
}
