package dev.lakelifecycle.core.internal.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.catalog.SortOrder;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.internal.parquet.ParquetRows;
import dev.lakelifecycle.core.internal.parquet.StoreInputFile;
import dev.lakelifecycle.core.internal.parquet.StoreOutputFile;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sorting rewrite on real Parquet files in a real local store. */
class SortingRewriterTest {
  static final MessageType SPANS = MessageTypeParser.parseMessageType("""
      message spans {
        optional binary service (STRING);
        required int64 ts (TIMESTAMP(MICROS,true));
        optional binary msg (STRING);
        required int64 n;
      }""");
  /** Service ascending (nulls first), then time descending (nulls last). */
  static final SortOrder ORDER = SortOrder.of(3, SortOrder.Field.asc("service"), SortOrder.Field.desc("ts"));
  static final String[] SERVICES = {null, "api", "auth", "billing", "cart", "db", "edge", "feed", "éclair", "zeta"};

  @TempDir Path dir;

  /** The test's own row order on ParquetRows values: service asc nulls first, ts desc. */
  static final Comparator<Object[]> EXPECTED = Comparator.<Object[], String>comparing(r -> (String) r[0],
      Comparator.nullsFirst(Comparator.comparing(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8),
          Arrays::compareUnsigned))).thenComparing(r -> (Long) r[1], Comparator.reverseOrder());

  @Test
  void mergesSortedAndUnsortedInputsIntoOutputsSortedRowByRow() {
    ObjectStore store = LocalObjectStore.create(dir.resolve("store"));
    Random random = new Random(7);
    List<DataFile> inputs = new ArrayList<>();
    Map<String, Integer> expected = new HashMap<>();
    AtomicLong n = new AtomicLong();
    for (int i = 0; i < 8; i++) {
      boolean sorted = i % 2 == 0;
      inputs.add(write(store, "in-" + i + ".parquet", randomRows(random, 300, n), sorted));
    }
    inputs.forEach(f -> rowsOf(store, f).forEach(r -> expected.merge(Arrays.toString(r), 1, Integer::sum)));

    StreamingRewriter.Result r = new SortingRewriter(store).rewrite("t", "cg-0", inputs, settings(32L << 20),
        () -> "out-" + UUID.randomUUID() + ".parquet", ORDER);

    assertThat(r.quarantined()).isEmpty();
    assertThat(r.excluded()).isEmpty();
    assertThat(r.merged()).hasSize(8);
    assertThat(r.outputs()).hasSize(1);
    Map<String, Integer> actual = new HashMap<>();
    for (StreamingRewriter.Output o : r.outputs()) {
      List<Object[]> rows = ParquetRows.read(store, o.key()).rows();
      assertThat(rows).hasSize((int) o.rows());
      assertSorted(rows);
      rows.forEach(row -> actual.merge(Arrays.toString(row), 1, Integer::sum));
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void inputRecordedAsSortedButNotIsSortedInMemoryInstead() {
    ObjectStore store = LocalObjectStore.create(dir.resolve("store"));
    Random random = new Random(11);
    AtomicLong n = new AtomicLong();
    DataFile liar = write(store, "liar.parquet", randomRows(random, 500, n), false).withSortOrderId(3);
    DataFile honest = write(store, "honest.parquet", randomRows(random, 500, n), true);

    StreamingRewriter.Result r = new SortingRewriter(store).rewrite("t", "cg-0", List.of(liar, honest),
        settings(32L << 20), () -> "out-" + UUID.randomUUID() + ".parquet", ORDER);

    assertThat(r.merged()).containsExactly(liar, honest);
    List<Object[]> rows = ParquetRows.read(store, r.outputs().get(0).key()).rows();
    assertThat(rows).hasSize(1000);
    assertSorted(rows);
    assertThat(store.list("").map(ObjectInfo::key).filter(k -> k.startsWith("out-")).count())
        .as("the first attempt's output was discarded").isEqualTo(1);
  }

  @Test
  void unsortedInputTooLargeForTheBudgetIsLeftOutWithItsReasonAndPlannedOut() {
    ObjectStore store = LocalObjectStore.create(dir.resolve("store"));
    Random random = new Random(13);
    AtomicLong n = new AtomicLong();
    // 3,000 rows of 4 values are estimated at ~1.9 MB in memory: over the 768 KiB a 1 MiB budget leaves inputs.
    DataFile big = write(store, "big.parquet", randomRows(random, 3000, n), false);
    DataFile a = write(store, "a.parquet", randomRows(random, 200, n), true);
    DataFile b = write(store, "b.parquet", randomRows(random, 200, n), false);
    SortingRewriter sorter = new SortingRewriter(store);

    StreamingRewriter.Result r = sorter.rewrite("t", "cg-0", List.of(big, a, b), settings(1L << 20),
        () -> "out-" + UUID.randomUUID() + ".parquet", ORDER);

    assertThat(r.merged()).containsExactly(a, b);
    assertThat(r.excluded()).singleElement().satisfies(x -> {
      assertThat(x.file()).isEqualTo(big);
      assertThat(x.error()).contains("not recorded as sorted", "memory_budget_bytes");
    });
    assertSorted(ParquetRows.read(store, r.outputs().get(0).key()).rows());

    assertThat(sorter.unsortable(ORDER, List.of(big, a, b), 1L << 30, 1L << 20, 128L << 20))
        .singleElement().satisfies(d -> {
          assertThat(d.file()).isEqualTo(big);
          assertThat(d.reason()).isEqualTo(dev.lakelifecycle.api.compaction.CompactionPlan.Reason.TOO_LARGE_TO_SORT);
        });
    assertThat(sorter.unsortable(SortOrder.unsorted(), List.of(big, a, b), 1L << 30, 1L << 20, 128L << 20))
        .isEmpty();
  }

  /**
   * 24 sorted inputs of 25,000 rows (~600,000 rows, about 400 MB as rows in memory) merged in a child JVM whose whole
   * heap is 64 MB, with a 16 MB budget: the merge streams, so it completes, and every output is sorted.
   */
  @Test
  void sortedBinFarLargerThanTheHeapIsMergedWithinTheBudget() throws Exception {
    Path root = dir.resolve("store");
    ObjectStore store = LocalObjectStore.create(root);
    Random random = new Random(17);
    AtomicLong n = new AtomicLong();
    long total = 0;
    long bytes = 0;
    for (int i = 0; i < 24; i++) {
      DataFile f = write(store, "in-" + i + ".parquet", randomRows(random, 25_000, n), true);
      total += f.recordCount();
      bytes += f.sizeBytes();
    }
    assertThat(bytes).as("the bin is larger than the budget even compressed").isGreaterThan(16L << 20);
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
        "-cp", System.getProperty("java.class.path"), SortedMergeChild.class.getName(), root.toString(),
        Long.toString(16L << 20));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile())
        .start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    String log = Files.readString(dir.resolve("child.log"));
    assertThat(p.exitValue()).as(log).isZero();
    List<String> outputs = log.lines().filter(l -> l.startsWith("OUTPUT ")).map(l -> l.substring(7)).toList();
    assertThat(outputs).as(log).hasSizeGreaterThan(1);
    long rows = 0;
    for (String key : outputs) {
      Object[][] previous = {null};
      long[] count = {0};
      ParquetRows.forEach(StoreInputFile.of(store, key), row -> {
        if (previous[0] != null) {
          assertThat(EXPECTED.compare(previous[0], row)).as("row %d of %s", count[0], key).isLessThanOrEqualTo(0);
        }
        previous[0] = row;
        count[0]++;
      });
      rows += count[0];
    }
    assertThat(rows).isEqualTo(total);
  }

  static StreamingRewriter.Settings settings(long budget) {
    return new StreamingRewriter.Settings(128L << 20, 128L << 20, 8L << 20, budget);
  }

  static void assertSorted(List<Object[]> rows) {
    for (int i = 1; i < rows.size(); i++) {
      assertThat(EXPECTED.compare(rows.get(i - 1), rows.get(i))).as("row %d: %s after %s", i,
          Arrays.toString(rows.get(i)), Arrays.toString(rows.get(i - 1))).isLessThanOrEqualTo(0);
    }
  }

  static List<Object[]> rowsOf(ObjectStore store, DataFile f) {
    return ParquetRows.read(store, store.keyOf(f.location()).orElseThrow()).rows();
  }

  static List<Object[]> randomRows(Random random, int count, AtomicLong n) {
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String service = SERVICES[random.nextInt(SERVICES.length)];
      long ts = 1_700_000_000_000_000L + random.nextInt(1_000_000) * 1000L;
      String msg = random.nextInt(5) == 0 ? null : Long.toString(random.nextLong(), 36) + Long.toString(
          random.nextLong(), 36);
      rows.add(new Object[] {service, ts, msg, n.getAndIncrement()});
    }
    return rows;
  }

  /** Writes rows (sorted by {@link #ORDER} first if {@code sorted}, then recorded as such). */
  static DataFile write(ObjectStore store, String key, List<Object[]> rows, boolean sorted) {
    if (sorted) {
      rows = new ArrayList<>(rows);
      rows.sort(EXPECTED);
    }
    SimpleGroupFactory groups = new SimpleGroupFactory(SPANS);
    StoreOutputFile out = new StoreOutputFile(store, key);
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(out).withType(SPANS).build()) {
      for (Object[] r : rows) {
        Group g = groups.newGroup();
        if (r[0] != null) {
          g.add("service", (String) r[0]);
        }
        g.add("ts", (Long) r[1]);
        if (r[2] != null) {
          g.add("msg", (String) r[2]);
        }
        g.add("n", (Long) r[3]);
        w.write(g);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ObjectInfo info = out.result();
    return new DataFile(store.location(key), "day=2026-01-01", info.size(), rows.size(), "test", Instant.EPOCH,
        Map.of(), sorted ? ORDER.orderId() : 0);
  }
}
