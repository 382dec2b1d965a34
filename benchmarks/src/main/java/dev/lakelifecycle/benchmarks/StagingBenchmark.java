package dev.lakelifecycle.benchmarks;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.core.ArrowBatch;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.internal.parquet.BatchParquetWriter;
import dev.lakelifecycle.core.internal.parquet.RowSlice;
import dev.lakelifecycle.core.internal.parquet.WriterDefaults;
import dev.lakelifecycle.core.internal.staging.SpoolSizes;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * The staging spool against its peers, on the 12-column access-log schema ({@code real/apache_logs}, 10,000
 * lines replayed until {@code rows} rows):
 * <ul>
 *   <li><b>append</b>: {@code threads} threads append 1,000-row batches through {@code Lifecycle.stager()} with the
 *       default configuration (group commit, every append durable on return; background flushing; 512 MiB per
 *       table); rows/s, MB/s (of spool records, roughly the rows' raw size) and per-append latency p50/p99. Run
 *       twice: with Arrow {@code VectorSchemaRoot} input (the first-class path: buffers copied whole) and with the
 *       row API ({@code RowBatch}: every value read through its accessor);</li>
 *   <li><b>end-to-end</b>: from the first append until every row is committed Parquet (the appends, then
 *       {@code flushAll()}); the input batches are built before the clock starts for every contender;</li>
 *   <li><b>parquet-java</b>: {@code ExampleParquetWriter} writing the same rows straight into one local file, same
 *       codec and page settings, no durability;</li>
 *   <li><b>BatchParquetWriter</b>: the library's writer (the one a flush uses) writing the Arrow batches straight
 *       into one file, no spool: shows the writer itself against parquet-java's example writer;</li>
 *   <li><b>DuckDB</b>: an in-memory database, {@code Appender} then {@code COPY ... TO} Parquet (zstd).</li>
 * </ul>
 *
 * <p>Run (from the repository root; the reactor build resolves the core module from its target directory, which a
 * classpath of the benchmarks module alone cannot do offline without {@code mvn install}):
 * <pre>
 * mvn -o -q -pl benchmarks -am package dependency:build-classpath -DskipTests -Dmdep.outputFile=/tmp/bench-cp.txt
 * java -Xmx256m -cp benchmarks/target/classes:$(cat /tmp/bench-cp.txt) \
 *     dev.lakelifecycle.benchmarks.StagingBenchmark [rows] [threads] [workDir|-] [mode]
 * </pre>
 * {@code mode} is {@code all} (default: every contender above), or only the stager's append run: {@code stager}
 * (Arrow input, then the row API), {@code arrow} or {@code rows}; each warmed up as in the full run.
 * {@code -Xmx256m} is deliberate: the default run stages about 700 MB of spool records, so it completing in a
 * 256 MB heap shows the heap is bounded by the flush thresholds, not by the backlog.
 * Defaults: 3,000,000 rows, 8 threads, a temporary directory. Every figure comes from the same run, printed with
 * the load average before and after it: the machine's other work skews the contenders alike only when it is steady.
 */
public final class StagingBenchmark {
  static final TableSchema SCHEMA = TableSchema.builder()
      .required("timestamp", TableSchema.Type.TIMESTAMP)
      .required("client_ip", TableSchema.Type.STRING)
      .column("ident", TableSchema.Type.STRING)
      .column("user", TableSchema.Type.STRING)
      .required("method", TableSchema.Type.STRING)
      .required("path", TableSchema.Type.STRING)
      .column("protocol", TableSchema.Type.STRING)
      .required("status", TableSchema.Type.INT)
      .column("bytes", TableSchema.Type.LONG)
      .column("referrer", TableSchema.Type.STRING)
      .column("user_agent", TableSchema.Type.STRING)
      .required("line", TableSchema.Type.LONG)
      .build();
  private static final Pattern LINE = Pattern.compile(
      "^(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] \"(\\S+) (\\S+)(?: (\\S+))?\" (\\d{3}) (\\S+)(?: \"([^\"]*)\" \"([^\"]*)\")?.*$");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);
  private static final int BATCH = 1_000;

  private StagingBenchmark() {}

  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 3_000_000;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    Path work = args.length > 2 && !args[2].equals("-") ? Path.of(args[2]) : Files.createTempDirectory("staging-bench");
    String mode = args.length > 3 ? args[3] : "all";
    if (!List.of("all", "stager", "arrow", "rows").contains(mode)) {
      throw new IllegalArgumentException("mode must be all, stager, arrow or rows, not " + mode);
    }
    List<Object[]> lines = parse(Path.of(System.getProperty("lifecycle.shared", "/work/shared/data"), "real", "apache_logs"));
    List<RowBatch> batches = new ArrayList<>();
    for (int i = 0; i + BATCH <= lines.size(); i += BATCH) {
      RowBatch.Builder b = RecordBatch.builder(SCHEMA);
      lines.subList(i, i + BATCH).forEach(b::row);
      batches.add(b.build());
    }
    BufferAllocator allocator = new RootAllocator();
    List<RecordBatch> arrow = new ArrayList<>();
    for (RowBatch b : batches) {
      arrow.add(ArrowBatch.wrap(toArrow(b, allocator), SCHEMA));
    }
    List<RecordBatch> rowInput = new ArrayList<>(batches);
    long nBatches = rows / BATCH;
    System.out.printf(Locale.ROOT, "%,d rows (%,d batches of %,d) from %,d log lines, %d append threads, %d cores, "
        + "load average %.1f, -Xmx %d MB%n", nBatches * BATCH, nBatches, BATCH, lines.size(), threads,
        Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().maxMemory() >> 20);
    if (!mode.equals("all")) {
      stagerOnly(work, mode, arrow, rowInput, nBatches, threads);
      for (RecordBatch b : arrow) {
        ((ArrowBatch) b).root().close();
      }
      allocator.close();
      return;
    }

    // Warm-up: a short run of each, so the JIT has compiled the paths before anything is measured.
    stager(work.resolve("warm"), arrow, Math.min(nBatches, 300), threads);
    stager(work.resolve("warm"), rowInput, Math.min(nBatches, 300), threads);
    parquetJava(work.resolve("warm.parquet"), batches, Math.min(nBatches, 300));
    duckdb(work.resolve("warm-duck.parquet"), batches, Math.min(nBatches, 300));

    double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    // The peer runs before and after the stager and counts as the mean of both, so a load that drifts during the
    // run weighs on both sides alike.
    double pjBefore = parquetJava(work.resolve("plain.parquet"), batches, nBatches);
    long gcBefore = gcMillis();
    Result ours = stager(work.resolve("lake"), arrow, nBatches, threads);
    long gcArrow = gcMillis() - gcBefore;
    Result rowsApi = stager(work.resolve("lake-rows"), rowInput, nBatches, threads);
    double direct = batchWriter(work.resolve("direct"), arrow, nBatches);
    double pjAfter = parquetJava(work.resolve("plain.parquet"), batches, nBatches);
    double pj = (pjBefore + pjAfter) / 2;
    double duck = duckdb(work.resolve("duck.parquet"), batches, nBatches);
    double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    double rawMb = SpoolSizes.frameBytes(batches.get(0)) / 1e6 / BATCH;
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getName().contains("Old") && pool.getPeakUsage() != null) {
        peak = Math.max(peak, pool.getPeakUsage().getUsed());
      }
    }
    for (String[] r : new String[][] {{"Arrow input", null}, {"row API", null}}) {
      Result x = r[0].startsWith("Arrow") ? ours : rowsApi;
      System.out.printf(Locale.ROOT, "%s append (group commit, durable): %,.0f rows/s, %.1f MB/s, latency p50 %.3f ms, "
          + "p99 %.3f ms, max %.1f ms%n", r[0], x.appendRowsPerSec, x.spoolMbPerSec, x.p50Ms, x.p99Ms, x.maxMs);
      System.out.printf(Locale.ROOT, "%s end-to-end append -> committed Parquet: %,.0f rows/s, %.1f MB/s (%d files, "
          + "%.1f MB)%n", r[0], x.endToEndRowsPerSec, x.endToEndRowsPerSec * rawMb, x.files, x.parquetBytes / 1e6);
    }
    System.out.printf(Locale.ROOT, "parquet-java ExampleParquetWriter, one file, no durability: %,.0f rows/s, %.1f MB/s "
        + "(%,.0f before the stager runs, %,.0f after)%n", pj, pj * rawMb, pjBefore, pjAfter);
    System.out.printf(Locale.ROOT, "BatchParquetWriter, Arrow input, one file, no spool: %,.0f rows/s (%.2f x "
        + "parquet-java)%n", direct, direct / pj);
    System.out.printf(Locale.ROOT, "DuckDB Appender + COPY TO parquet (in-memory db): %,.0f rows/s, %.1f MB/s%n", duck,
        duck * rawMb);
    System.out.printf(Locale.ROOT, "ratios (Arrow input): end-to-end / parquet-java %.2f; end-to-end / DuckDB %.2f; "
        + "append / parquet-java %.2f%n", ours.endToEndRowsPerSec / pj, ours.endToEndRowsPerSec / duck,
        ours.appendRowsPerSec / pj);
    System.out.printf(Locale.ROOT, "ratios (row API): end-to-end / parquet-java %.2f; end-to-end / DuckDB %.2f; "
        + "append / parquet-java %.2f%n", rowsApi.endToEndRowsPerSec / pj, rowsApi.endToEndRowsPerSec / duck,
        rowsApi.appendRowsPerSec / pj);
    System.out.printf(Locale.ROOT, "load average %.1f before, %.1f after; peak old-gen heap %d MB of -Xmx %d MB; GC time "
        + "during the Arrow run %d ms%n", loadBefore, loadAfter, peak >> 20, Runtime.getRuntime().maxMemory() >> 20,
        gcArrow);
    for (RecordBatch b : arrow) {
      ((ArrowBatch) b).root().close();
    }
    allocator.close();
  }

  /**
   * Only the stager's append contenders ({@code arrow}, {@code rows} or both for {@code stager}), warmed up the same
   * way as in the full run: quick before/after comparisons of the append path on a shared machine.
   */
  private static void stagerOnly(Path work, String mode, List<RecordBatch> arrow, List<RecordBatch> rowInput,
      long nBatches, int threads) throws Exception {
    List<String> runs = mode.equals("stager") ? List.of("arrow", "rows") : List.of(mode);
    for (String run : runs) {
      stager(work.resolve("warm"), run.equals("arrow") ? arrow : rowInput, Math.min(nBatches, 300), threads);
    }
    for (String run : runs) {
      double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      long gcBefore = gcMillis();
      Result x = stager(work.resolve("lake-" + run), run.equals("arrow") ? arrow : rowInput, nBatches, threads);
      System.out.printf(Locale.ROOT, "%s append (group commit, durable): %,.0f rows/s, latency p50 %.3f ms, p99 %.3f "
          + "ms, max %.1f ms; end-to-end %,.0f rows/s; CPU per row: appending threads %.0f ns, process %.0f ns; GC %d "
          + "ms; load average %.1f before, %.1f after%n",
          run.equals("arrow") ? "Arrow input" : "row API", x.appendRowsPerSec, x.p50Ms, x.p99Ms, x.maxMs,
          x.endToEndRowsPerSec, x.appendCpuNsPerRow, x.processCpuNsPerRow, gcMillis() - gcBefore, loadBefore,
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  private static long gcMillis() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionTime());
    }
    return n;
  }

  /** The rows of {@code b} as an Arrow root of the mapped types (timestamp micros UTC, Utf8, Int32, Int64). */
  static VectorSchemaRoot toArrow(RowBatch b, BufferAllocator allocator) {
    List<Field> fields = new ArrayList<>();
    for (TableSchema.Column c : SCHEMA.columns()) {
      ArrowType t = switch (c.type()) {
        case TIMESTAMP -> new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
        case INT -> new ArrowType.Int(32, true);
        case LONG -> new ArrowType.Int(64, true);
        default -> ArrowType.Utf8.INSTANCE;
      };
      fields.add(new Field(c.name(), new FieldType(c.nullable(), t, null), null));
    }
    VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(fields), allocator);
    root.allocateNew();
    int n = b.rowCount();
    for (int c = 0; c < SCHEMA.size(); c++) {
      var v = root.getVector(c);
      for (int r = 0; r < n; r++) {
        if (b.isNull(c, r)) {
          v.setNull(r);
          continue;
        }
        switch (SCHEMA.column(c).type()) {
          case TIMESTAMP -> ((TimeStampMicroTZVector) v).setSafe(r, b.getLong(c, r));
          case INT -> ((IntVector) v).setSafe(r, b.getInt(c, r));
          case LONG -> ((BigIntVector) v).setSafe(r, b.getLong(c, r));
          default -> ((VarCharVector) v).setSafe(r, b.getString(c, r).getBytes(StandardCharsets.UTF_8));
        }
      }
      v.setValueCount(n);
    }
    root.setRowCount(n);
    return root;
  }

  /**
   * One stager run; {@code appendCpuNsPerRow} is the CPU time of the appending threads per row (encoding, spool
   * write, waiting excluded), {@code processCpuNsPerRow} the whole process's CPU time per row until every row is
   * committed (flush included): both hardly depend on what else the machine runs, unlike the rates.
   */
  record Result(double appendRowsPerSec, double spoolMbPerSec, double p50Ms, double p99Ms, double maxMs,
      double endToEndRowsPerSec, int files, long parquetBytes, double appendCpuNsPerRow, double processCpuNsPerRow) {}

  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : -1;
  }

  static Result stager(Path dir, List<RecordBatch> batches, long nBatches, int threads) throws Exception {
    Path root = dir.resolve("store");
    Files.createDirectories(root);
    TableId table = TableId.of("bench", "prod", "access");
    LifecycleConfig config = LifecycleConfig.builder()
        .staging(LifecycleConfig.defaults().staging().withDirectory(dir.resolve("spool"))).build();
    try (Lifecycle lake = Lifecycle.builder().location(root.toUri().toString()).config(config).writerId("bench")
        .build()) {
      lake.catalog().createTable(table, SCHEMA, PartitionSpec.daily("timestamp"));
      long[] latencies = new long[(int) nBatches];
      AtomicLong next = new AtomicLong();
      AtomicLong appendCpu = new AtomicLong();
      long cpuStart = processCpuNanos();
      long start = System.nanoTime();
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Thread w = new Thread(() -> {
          long i;
          while ((i = next.getAndIncrement()) < nBatches) {
            long t0 = System.nanoTime();
            lake.stager().append(table, batches.get((int) (i % batches.size())));
            latencies[(int) i] = System.nanoTime() - t0;
          }
          appendCpu.addAndGet(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
        });
        w.start();
        workers.add(w);
      }
      for (Thread w : workers) {
        w.join();
      }
      long appended = System.nanoTime() - start;
      lake.stager().flushAll();
      long committed = System.nanoTime() - start;
      long cpu = processCpuNanos() - cpuStart;
      List<DataFile> files = lake.catalog().loadTable(table).liveFiles();
      long rows = files.stream().mapToLong(DataFile::recordCount).sum();
      if (rows != nBatches * BATCH) {
        throw new IllegalStateException("committed " + rows + " rows, appended " + nBatches * BATCH);
      }
      long[] frame = new long[batches.size()];
      for (int i = 0; i < frame.length; i++) {
        frame[i] = SpoolSizes.frameBytes(batches.get(i));
      }
      long spoolBytes = 0;
      for (long i = 0; i < nBatches; i++) {
        spoolBytes += frame[(int) (i % frame.length)];
      }
      Arrays.sort(latencies);
      return new Result(nBatches * BATCH / (appended / 1e9), spoolBytes / 1e6 / (appended / 1e9),
          latencies[(int) (nBatches * 0.50)] / 1e6, latencies[(int) Math.min(nBatches - 1, nBatches * 0.99)] / 1e6,
          latencies[(int) nBatches - 1] / 1e6, nBatches * BATCH / (committed / 1e9), files.size(),
          files.stream().mapToLong(DataFile::sizeBytes).sum(), (double) appendCpu.get() / (nBatches * BATCH),
          (double) cpu / (nBatches * BATCH));
    } finally {
      deleteTree(dir);
    }
  }

  static double batchWriter(Path dir, List<RecordBatch> batches, long nBatches) throws IOException {
    Files.createDirectories(dir);
    try (dev.lakelifecycle.core.storage.LocalObjectStore store = new dev.lakelifecycle.core.storage.LocalObjectStore(dir)) {
      BatchParquetWriter writer = new BatchParquetWriter(store, "bench", java.time.Clock.systemUTC());
      long start = System.nanoTime();
      BatchParquetWriter.FileWriter w = writer.open("direct.parquet", SCHEMA, "all");
      for (long i = 0; i < nBatches; i++) {
        w.write(RowSlice.all(batches.get((int) (i % batches.size()))));
      }
      w.finish();
      return nBatches * BATCH / ((System.nanoTime() - start) / 1e9);
    } finally {
      deleteTree(dir);
    }
  }

  static double parquetJava(Path file, List<RowBatch> batches, long nBatches) throws IOException {
    Files.deleteIfExists(file);
    MessageType schema = Types.buildMessage()
        .required(PrimitiveTypeName.INT64).as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS)).named("timestamp")
        .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("client_ip")
        .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("ident")
        .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("user")
        .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("method")
        .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("path")
        .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("protocol")
        .required(PrimitiveTypeName.INT32).named("status")
        .optional(PrimitiveTypeName.INT64).named("bytes")
        .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("referrer")
        .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("user_agent")
        .required(PrimitiveTypeName.INT64).named("line")
        .named("access");
    SimpleGroupFactory groups = new SimpleGroupFactory(schema);
    long start = System.nanoTime();
    try (ParquetWriter<Group> w = WriterDefaults.apply(ExampleParquetWriter.builder(new LocalOutputFile(file))
        .withType(schema)).build()) {
      for (long i = 0; i < nBatches; i++) {
        RowBatch b = batches.get((int) (i % batches.size()));
        for (int r = 0; r < b.rowCount(); r++) {
          Group g = groups.newGroup();
          for (int c = 0; c < SCHEMA.size(); c++) {
            Object v = b.get(c, r);
            if (v == null) {
              continue;
            }
            String name = SCHEMA.column(c).name();
            switch (SCHEMA.column(c).type()) {
              case TIMESTAMP, LONG -> g.add(name, (Long) v);
              case INT -> g.add(name, (Integer) v);
              default -> g.add(name, (String) v);
            }
          }
          w.write(g);
        }
      }
    }
    double rate = nBatches * BATCH / ((System.nanoTime() - start) / 1e9);
    Files.deleteIfExists(file);
    return rate;
  }

  static double duckdb(Path file, List<RowBatch> batches, long nBatches) throws Exception {
    Files.deleteIfExists(file);
    long start = System.nanoTime();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE access (timestamp TIMESTAMP NOT NULL, client_ip VARCHAR NOT NULL, ident VARCHAR, "
          + "\"user\" VARCHAR, method VARCHAR NOT NULL, path VARCHAR NOT NULL, protocol VARCHAR, status INTEGER NOT "
          + "NULL, bytes BIGINT, referrer VARCHAR, user_agent VARCHAR, line BIGINT NOT NULL)");
      try (DuckDBAppender a = ((DuckDBConnection) c).createAppender(DuckDBConnection.DEFAULT_SCHEMA, "access")) {
        for (long i = 0; i < nBatches; i++) {
          RowBatch b = batches.get((int) (i % batches.size()));
          for (int r = 0; r < b.rowCount(); r++) {
            a.beginRow();
            for (int col = 0; col < SCHEMA.size(); col++) {
              Object v = b.get(col, r);
              switch (SCHEMA.column(col).type()) {
                case TIMESTAMP -> a.append(Timestamp.from(Instant.EPOCH.plusNanos((Long) v * 1000)).toLocalDateTime());
                case LONG -> {
                  if (v == null) {
                    a.appendNull();
                  } else {
                    a.append((long) (Long) v);
                  }
                }
                case INT -> a.append((int) (Integer) v);
                default -> {
                  if (v == null) {
                    a.appendNull();
                  } else {
                    a.append((String) v);
                  }
                }
              }
            }
            a.endRow();
          }
        }
      }
      st.execute("COPY access TO '" + file + "' (FORMAT parquet, COMPRESSION zstd)");
    }
    double rate = nBatches * BATCH / ((System.nanoTime() - start) / 1e9);
    Files.deleteIfExists(file);
    return rate;
  }

  static List<Object[]> parse(Path file) throws IOException {
    List<Object[]> out = new ArrayList<>();
    long n = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      n++;
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      out.add(new Object[] {ZonedDateTime.parse(m.group(4), TIME).toInstant(), m.group(1), dash(m.group(2)),
          dash(m.group(3)), m.group(5), m.group(6), m.group(7), Integer.parseInt(m.group(8)),
          m.group(9).equals("-") ? null : Long.parseLong(m.group(9)), dash(m.group(10)), dash(m.group(11)), n});
    }
    return out;
  }

  private static String dash(String s) {
    return s == null || s.equals("-") ? null : s;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }


}
