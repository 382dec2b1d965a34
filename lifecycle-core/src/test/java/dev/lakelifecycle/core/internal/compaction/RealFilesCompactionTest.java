package dev.lakelifecycle.core.internal.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.core.internal.parquet.StoreInputFile;
import dev.lakelifecycle.testkit.SharedData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compaction must rewrite files of any flat or nested schema written by any writer: copies of real files of the
 * Apache Parquet corpus (parquet-mr, Arrow C++, Rust, Impala, Spark; dictionary, v2 pages, lists, maps, structs,
 * decimals, INT96) are merged and must come back as the same rows with the same schema.
 */
class RealFilesCompactionTest {
  private static final TableId T = TableId.of("acme", "prod", "corpus");

  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "alltypes_plain.parquet", "alltypes_plain.snappy.parquet", "alltypes_dictionary.parquet",
      "alltypes_tiny_pages_plain.parquet", "binary.parquet", "byte_array_decimal.parquet",
      "datapage_v2.snappy.parquet", "delta_binary_packed.parquet", "delta_byte_array.parquet",
      "delta_encoding_optional_column.parquet", "fixed_length_decimal.parquet", "int32_decimal.parquet",
      "int64_decimal.parquet", "int96_from_spark.parquet", "list_columns.parquet", "nested_lists.snappy.parquet",
      "nested_maps.snappy.parquet", "nested_structs.rust.parquet", "nonnullable.impala.parquet",
      "nullable.impala.parquet", "nulls.snappy.parquet", "null_list.parquet", "old_list_structure.parquet",
      "repeated_no_annotation.parquet", "repeated_primitive_no_list.parquet", "single_nan.parquet",
      "map_no_value.parquet", "rle_boolean_encoding.parquet", "byte_stream_split.zstd.parquet"})
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
  }

  private static long footerRows(CompactionFixture fx, DataFile f) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(
        new StoreInputFile(fx.store, fx.store.keyOf(f.location()).orElseThrow(), f.sizeBytes()))) {
      return r.getRecordCount();
    }
  }
}
