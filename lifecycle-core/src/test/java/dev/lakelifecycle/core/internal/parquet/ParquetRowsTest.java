package dev.lakelifecycle.core.internal.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.CorruptFileException;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The generic reader on files of other writers: the Apache parquet-testing corpus, read in place. */
class ParquetRowsTest {
  private static ObjectStore corpus;

  @BeforeAll
  static void openCorpus() {
    corpus = new LocalObjectStore(SharedData.parquetTesting("data"));
  }

  @AfterAll
  static void closeCorpus() {
    corpus.close();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "alltypes_plain.parquet, 8",
      "alltypes_plain.snappy.parquet, 2",
      "alltypes_dictionary.parquet, 2",
      "byte_stream_split.zstd.parquet, 300",
      "datapage_v2.snappy.parquet, 5",
      "nulls.snappy.parquet, 8",
      "lz4_raw_compressed.parquet, 4",
      "concatenated_gzip_members.parquet, 513",
  })
  void readsEveryRowOfOtherWritersFiles(String file, int expectedRows) throws IOException {
    ParquetRows rows = ParquetRows.read(corpus, file);

    assertThat(rows.size()).isEqualTo(expectedRows);
    try (ParquetFileReader footer = ParquetFileReader.open(StoreInputFile.of(corpus, file))) {
      assertThat(footer.getRecordCount()).isEqualTo(expectedRows);
      assertThat(rows.schema()).isEqualTo(footer.getFooter().getFileMetaData().getSchema());
    }
    assertThat(rows.rows()).allSatisfy(r -> assertThat(r).hasSize(rows.schema().getFieldCount()));
  }

  @Test
  void decodesAlltypesPlainValuesIncludingInt96Timestamps() {
    ParquetRows rows = ParquetRows.read(corpus, "alltypes_plain.parquet");
    int id = rows.schema().getFieldIndex("id");
    int bool = rows.schema().getFieldIndex("bool_col");
    int ts = rows.schema().getFieldIndex("timestamp_col");
    int str = rows.schema().getFieldIndex("string_col");

    assertThat(rows.rows().stream().map(r -> r[id]).collect(Collectors.toList()))
        .containsExactly(4, 5, 6, 7, 2, 3, 0, 1);
    Object[] first = rows.rows().get(6);
    assertThat(first[bool]).isEqualTo(true);
    assertThat(first[ts]).isEqualTo(ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse("2009-01-01T00:00:00Z")));
    assertThat(new String((byte[]) first[str], StandardCharsets.UTF_8)).isEqualTo("0");
    TableSchema schema = rows.tableSchema();
    assertThat(schema.column("timestamp_col").type()).isEqualTo(TableSchema.Type.TIMESTAMP);
    assertThat(schema.column("bigint_col").type()).isEqualTo(TableSchema.Type.LONG);
    assertThat(schema.column("string_col").type()).isEqualTo(TableSchema.Type.BINARY);
  }

  @Test
  void returnsNestedColumnsInTheirPhysicalShapeButRefusesThemATableSchema() {
    ParquetRows rows = ParquetRows.read(corpus, "datapage_v2.snappy.parquet");
    int a = rows.schema().getFieldIndex("a");
    int e = rows.schema().getFieldIndex("e");

    assertThat(rows.rows().get(0)[a]).isEqualTo("abc");
    // e is LIST<int32>: group e { repeated group list { element } } -> Object[]{List<Object[]{value}>}
    Object[] list = (Object[]) rows.rows().get(0)[e];
    assertThat((List<?>) list[0]).extracting(x -> ((Object[]) x)[0]).containsExactly(1, 2, 3);
    assertThatThrownBy(rows::tableSchema)
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("'e'")
        .hasMessageContaining("datapage_v2.snappy.parquet");
  }

  @Test
  void rejectsAFileThatIsNotParquetNamingIt(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("bad.parquet"), "this is not a parquet file at all, it only has a name");
    try (ObjectStore store = new LocalObjectStore(dir)) {
      assertThatThrownBy(() -> ParquetRows.read(store, "bad.parquet"))
          .isInstanceOf(CorruptFileException.class)
          .hasMessageContaining(store.location("bad.parquet"));
    }
  }
}
