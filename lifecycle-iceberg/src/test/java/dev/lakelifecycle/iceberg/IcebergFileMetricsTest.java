package dev.lakelifecycle.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.core.Lifecycle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Metrics;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.parquet.ParquetUtil;
import org.junit.jupiter.api.Test;

/**
 * Files the lifecycle flushes and compacts carry the metrics iceberg-parquet computes from the file under the
 * table's metrics config, the same as Iceberg's own Parquet writer records, and Iceberg's scan planning prunes
 * them by those metrics.
 */
class IcebergFileMetricsTest extends IcebergFixture {

  /** Every live data file of the table's current snapshot, as recorded in its manifests. */
  private static List<DataFile> liveDataFiles(Table table) throws IOException {
    List<DataFile> out = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().includeColumnStats().planFiles()) {
      tasks.forEach(t -> out.add(t.file()));
    }
    return out;
  }

  private static int plannedFiles(Table table, Expression filter) throws IOException {
    int n = 0;
    try (CloseableIterable<FileScanTask> tasks = table.newScan().filter(filter).planFiles()) {
      for (FileScanTask ignored : tasks) {
        n++;
      }
    }
    return n;
  }

  /** What iceberg-parquet computes for the file under the table's metrics config. */
  private static Metrics icebergMetrics(Table table, DataFile f) {
    return ParquetUtil.fileMetrics(table.io().newInputFile(f.location()), MetricsConfig.forTable(table),
        NameMappingParser.fromJson(table.properties().get(TableProperties.DEFAULT_NAME_MAPPING)));
  }

  private static void assertRecordedAsIcebergComputes(Table table, DataFile f) {
    Metrics m = icebergMetrics(table, f);
    assertThat(f.recordCount()).as("records of %s", f.location()).isEqualTo(m.recordCount());
    assertThat(f.columnSizes()).as("column sizes of %s", f.location()).isEqualTo(m.columnSizes())
        .containsOnlyKeys(1, 2, 3).allSatisfy((id, size) -> assertThat(size).isPositive());
    assertThat(f.valueCounts()).as("value counts of %s", f.location()).isEqualTo(m.valueCounts())
        .containsEntry(1, f.recordCount());
    assertThat(f.nullValueCounts()).as("null counts of %s", f.location()).isEqualTo(m.nullValueCounts());
    assertThat(f.lowerBounds()).as("lower bounds of %s", f.location()).isEqualTo(m.lowerBounds());
    assertThat(f.upperBounds()).as("upper bounds of %s", f.location()).isEqualTo(m.upperBounds());
  }

  private static String text(ByteBuffer b) {
    return StandardCharsets.UTF_8.decode(b.duplicate()).toString();
  }

  @Test
  void flushedAndCompactedFilesCarryTheMetricsIcebergComputesUnderTheTablesMetricsConfig() throws IOException {
    createLogs();
    // msg bounds truncated to 4 characters, level counted without bounds: the table's config, not ours.
    iceberg().updateProperties()
        .set(TableProperties.METRICS_MODE_COLUMN_CONF_PREFIX + "msg", "truncate(4)")
        .set(TableProperties.METRICS_MODE_COLUMN_CONF_PREFIX + "level", "counts")
        .commit();
    Instant hour = clock.instant().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.HOURS);
    Map<String, Integer> expected = new TreeMap<>();
    try (Lifecycle lake = lifecycle()) {
      flushRows(lake, hour.plusSeconds(60), 30, "message-one", expected);
      flushRows(lake, hour.plusSeconds(600), 30, "message-two", expected);
      Table table = iceberg();
      List<DataFile> flushed = liveDataFiles(table);
      assertThat(flushed).hasSize(2);
      for (DataFile f : flushed) {
        assertRecordedAsIcebergComputes(table, f);
        assertThat(f.nullValueCounts()).containsEntry(1, 0L).containsEntry(2, 10L).containsEntry(3, 0L);
        assertThat(f.lowerBounds()).containsKeys(1, 3).doesNotContainKey(2);
        assertThat(text(f.lowerBounds().get(3))).isEqualTo("mess");
      }

      CompactionResult compacted = lake.compactor().compact(LOGS).minInputFiles(2).force(true).execute();
      assertThat(compacted.filesRemoved()).isEqualTo(2);
      table = iceberg();
      List<DataFile> merged = liveDataFiles(table);
      assertThat(merged).hasSize(1);
      assertRecordedAsIcebergComputes(table, merged.get(0));
      assertThat(merged.get(0).nullValueCounts()).containsEntry(2, 20L);
      assertThat(readWithIceberg()).isEqualTo(expected);
    }
  }

  @Test
  void flushedFileRecordsTheSameCountsAndBoundsAsIcebergsWriterForTheSameRows() {
    createLogs();
    Instant hour = clock.instant().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
    Map<String, Integer> expected = new TreeMap<>();
    try (Lifecycle lake = lifecycle()) {
      flushRows(lake, hour.plusSeconds(5), 40, "a-rather-long-message-that-is-truncated", expected);
    }
    Table table = iceberg();
    DataFile ours = table.currentSnapshot().addedDataFiles(table.io()).iterator().next();
    List<Record> same = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      same.add(record(table, hour.plusSeconds(5 + i), i % 3 == 0 ? null : (i % 3 == 1 ? "INFO" : "WARN"),
          "a-rather-long-message-that-is-truncated-" + i));
    }
    DataFile theirs = writeWithIceberg(table, same, hour);

    assertThat(ours.recordCount()).isEqualTo(theirs.recordCount()).isEqualTo(40);
    assertThat(ours.valueCounts()).isEqualTo(theirs.valueCounts());
    assertThat(ours.nullValueCounts()).isEqualTo(theirs.nullValueCounts());
    assertThat(ours.lowerBounds()).isEqualTo(theirs.lowerBounds()).containsOnlyKeys(1, 2, 3);
    assertThat(ours.upperBounds()).isEqualTo(theirs.upperBounds());
    // Iceberg's default truncates string bounds to 16 characters.
    assertThat(text(ours.lowerBounds().get(3))).isEqualTo("a-rather-long-me");
    assertThat(ours.columnSizes()).containsOnlyKeys(theirs.columnSizes().keySet());
  }

  @Test
  void filteredIcebergScanSkipsFlushedFilesByTheirMetrics() throws IOException {
    createLogs();
    Instant hour = clock.instant().truncatedTo(ChronoUnit.HOURS).minus(4, ChronoUnit.HOURS);
    Map<String, Integer> early = new TreeMap<>();
    Map<String, Integer> middle = new TreeMap<>();
    Map<String, Integer> late = new TreeMap<>();
    try (Lifecycle lake = lifecycle()) {
      // Three files of one hour partition: only the metrics tell them apart.
      flushRows(lake, hour.plusSeconds(0), 20, "alpha", early);
      flushRows(lake, hour.plusSeconds(1200), 20, "mike", middle);
      flushRows(lake, hour.plusSeconds(2400), 20, "zulu", late);
    }
    Table table = iceberg();
    assertThat(liveDataFiles(table)).hasSize(3);

    Expression byTime = Expressions.and(
        Expressions.greaterThanOrEqual("ts", IcebergConversions.micros(hour.plusSeconds(1200))),
        Expressions.lessThan("ts", IcebergConversions.micros(hour.plusSeconds(1220))));
    assertThat(plannedFiles(table, byTime)).isEqualTo(1);
    assertThat(rows(IcebergGenerics.read(table).where(byTime))).isEqualTo(middle);

    Expression byMessage = Expressions.equal("msg", "zulu-7");
    assertThat(plannedFiles(table, byMessage)).isEqualTo(1);
    assertThat(rows(IcebergGenerics.read(table).where(byMessage))).hasSize(1)
        .containsKey(key(hour.plusSeconds(2407), "INFO", "zulu-7"));

    assertThat(plannedFiles(table, Expressions.equal("msg", "nothing-like-it"))).isZero();
    assertThat(plannedFiles(table, Expressions.startsWith("msg", "al"))).isEqualTo(1);
  }

  @Test
  void refusesToAppendAFileThatIsNotParquetOrWhoseFooterDisagreesOnTheRowCount() {
    createLogs();
    Instant hour = clock.instant().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
    try (Lifecycle lake = lifecycle()) {
      flushRows(lake, hour, 10, "real", new TreeMap<>());
    }
    CatalogTable table = catalog.loadTable(LOGS);
    dev.lakelifecycle.api.DataFile real = table.liveFiles().get(0);
    String garbage = table.location() + "/data/" + real.partition() + "/not-parquet.parquet";
    store.put(store.keyOf(garbage).orElseThrow(), "plain text, not Parquet".getBytes(StandardCharsets.UTF_8));

    dev.lakelifecycle.api.DataFile notParquet = new dev.lakelifecycle.api.DataFile(garbage, real.partition(), 23, 1,
        "w1", clock.instant(), Map.of());
    assertThatThrownBy(() -> table.commitAppend("garbage", List.of(notParquet)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(garbage);
    dev.lakelifecycle.api.DataFile wrongCount = new dev.lakelifecycle.api.DataFile(real.location() + ".copy",
        real.partition(), real.sizeBytes(), real.recordCount() + 1, "w1", clock.instant(), Map.of());
    store.put(store.keyOf(wrongCount.location()).orElseThrow(),
        readAll(store.keyOf(real.location()).orElseThrow()));
    assertThatThrownBy(() -> table.commitAppend("wrong-count", List.of(wrongCount)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10 rows in its footer but 11");
    assertThat(catalog.loadTable(LOGS).liveFiles()).containsExactly(real);
  }

  private byte[] readAll(String key) {
    try (var in = store.open(key)) {
      byte[] bytes = new byte[(int) in.length()];
      in.readFully(0, bytes, 0, bytes.length);
      return bytes;
    }
  }
}
