package dev.lakelifecycle.benchmarks;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.InMemoryCheckpointStore;
import dev.lakelifecycle.core.internal.compaction.CompactionPlanner;
import dev.lakelifecycle.core.internal.compaction.DefaultCompactor;
import dev.lakelifecycle.core.internal.parquet.WriterDefaults;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.rewrite.ParquetRewriter;
import org.apache.parquet.hadoop.rewrite.RewriteOptions;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Compaction side by side with its peers, all in one run: 2,000 small zstd files (7,000 rows each, 14 M rows, a
 * 12-column log/trace schema, about 256 MB) compacted at a 128 MiB target by
 * <ol>
 *   <li>{@code lake-lifecycle}: {@link DefaultCompactor} end to end (plan, page-level merge, manifest commit,
 *       checkpoint), in a child JVM with {@code -Xmx256m}. The inputs' 2,000 row groups become output row groups
 *       of about 128 MiB uncompressed, each written by concatenating the inputs' pages without decoding values:
 *       plain pages are copied as compressed bytes, dictionary pages are merged into one per output column chunk
 *       and each dictionary-encoded page has its ids remapped (inputs whose dictionary no longer fits the 4 MiB
 *       merged dictionary get plain pages);</li>
 *   <li>{@code duckdb-copy}: DuckDB {@code COPY (SELECT * FROM read_parquet([...])) TO ... (FORMAT parquet,
 *       COMPRESSION zstd, ROW_GROUP_SIZE n)} with {@code threads=2} and n = the rows per row group our output got;</li>
 *   <li>{@code record-rewrite}: parquet-java record by record ({@code GroupReadSupport} → {@code
 *       ExampleParquetWriter} with the library's {@code WriterDefaults});</li>
 *   <li>{@code parquet-rewriter}: parquet-java's {@code ParquetRewriter} merge (keeps the input row groups);</li>
 *   <li>{@code io-floor}: reading every input byte and writing as many.</li>
 * </ol>
 * Each peer runs in its own child JVM (so heap peaks do not mix), three times; the median is reported, with the
 * ratio to DuckDB and to the record rewrite. Then the planner is timed on 1,000,000 files (10,000 partitions).
 *
 * <p>Run (from the repository root; with {@code -am} the classpath names the reactor's classes, so a stale
 * installed snapshot is not used and nothing needs installing):
 * <pre>{@code
 * mvn -q -o -pl benchmarks -am compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp benchmarks/target/classes:$(cat benchmarks/target/cp.txt) \
 *     dev.lakelifecycle.benchmarks.CompactionBenchmark /tmp/lake-compaction-bench 3
 * }</pre>
 * The machine's load average is printed with the input; the time ratios are only meaningful when it stays below
 * the core count.
 * Arguments: the data directory (default {@code /tmp/lake-compaction-bench}), the runs per peer (default 3) and,
 * optionally, the peers to run, comma-separated (e.g. {@code lake-lifecycle,duckdb-copy,record-rewrite}; DuckDB
 * always brings lake-lifecycle along, whose output sets DuckDB's row group size). The
 * input is generated into {@code dataDir} (default {@code /tmp/lake-compaction-bench}) on the first run and reused.
 * The single argument {@code planning} times the planner alone.
 */
public final class CompactionBenchmark {
  static final int FILES = 2000;
  static final int ROWS_PER_FILE = 7000;
  static final long TARGET = 128L << 20;
  static final TableId TABLE = TableId.of("acme", "prod", "bench");
  static final String PARTITION = "day=2026-01-15";
  static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
      message access_log {
        required int64 ts (TIMESTAMP(MICROS,true));
        required binary trace_id (STRING);
        required binary span_id (STRING);
        required binary service (STRING);
        required binary host (STRING);
        required binary method (STRING);
        required binary path (STRING);
        required int32 status;
        required double duration_ms;
        required int64 bytes;
        optional binary user_agent (STRING);
        required binary level (STRING);
      }""");

  private CompactionBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("planning")) {
      planning();
      return;
    }
    if (args.length > 0 && args[0].equals("child")) {
      child(args[1], Path.of(args[2]), args.length > 3 ? Integer.parseInt(args[3]) : 0);
      return;
    }
    Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/lake-compaction-bench");
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<String> only = args.length > 2 ? List.of(args[2].split(",")) : null;
    List<Path> inputs = generate(dir);
    long inputBytes = 0;
    for (Path p : inputs) {
      inputBytes += Files.size(p);
    }
    System.out.printf(Locale.ROOT, "input: %d files, %d rows, %.1f MB; load average %.2f on %d cores%n",
        inputs.size(), (long) FILES * ROWS_PER_FILE, inputBytes / 1e6,
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().availableProcessors());

    Map<String, String> heaps = new LinkedHashMap<>();
    heaps.put("lake-lifecycle", "-Xmx256m");
    heaps.put("duckdb-copy", "-Xmx2g");
    heaps.put("record-rewrite", "-Xmx2g");
    heaps.put("parquet-rewriter", "-Xmx2g");
    heaps.put("io-floor", "-Xmx2g");
    if (only != null) {
      // DuckDB's row group size is the one our output got: lake-lifecycle runs first whenever DuckDB runs.
      heaps.keySet().removeIf(peer -> !only.contains(peer)
          && !(peer.equals("lake-lifecycle") && only.contains("duckdb-copy")));
      if (heaps.isEmpty()) {
        throw new IllegalArgumentException("no known peer in " + only);
      }
    }
    Map<String, List<String[]>> results = new LinkedHashMap<>();
    int rowGroupRows = 0;
    for (int run = 0; run < runs; run++) {
      for (Map.Entry<String, String> peer : heaps.entrySet()) {
        String[] r = runChild(peer.getKey(), peer.getValue(), dir, rowGroupRows);
        results.computeIfAbsent(peer.getKey(), k -> new ArrayList<>()).add(r);
        if (peer.getKey().equals("lake-lifecycle") && rowGroupRows == 0) {
          rowGroupRows = Integer.parseInt(r[4]);
        }
      }
    }
    double duck = results.containsKey("duckdb-copy") ? median(results.get("duckdb-copy")) : Double.NaN;
    double record = results.containsKey("record-rewrite") ? median(results.get("record-rewrite")) : Double.NaN;
    System.out.printf(Locale.ROOT, "%n%-17s %9s %8s %9s %10s %8s %10s %10s%n", "peer", "median s", "outputs",
        "out MB", "row groups", "out/in", "vs duckdb", "vs record");
    for (Map.Entry<String, List<String[]>> e : results.entrySet()) {
      double m = median(e.getValue());
      String[] last = e.getValue().get(e.getValue().size() - 1);
      long outBytes = Long.parseLong(last[2]);
      System.out.printf(Locale.ROOT, "%-17s %9.2f %8s %9.1f %10s %8.2f %10s %10s   heap after GC <= %s MB (run with %s), runs %s%n",
          e.getKey(), m, last[5], outBytes / 1e6, last[3], (double) outBytes / inputBytes, ratio(m, duck),
          ratio(m, record),
          last[6], heaps.get(e.getKey()), runsOf(e.getValue()));
    }
    planning();
  }

  /** {@code a / b} as "0.55x", or "-" when the peer {@code b} did not run. */
  private static String ratio(double a, double b) {
    return Double.isNaN(b) ? "-" : String.format(Locale.ROOT, "%.2fx", a / b);
  }

  private static String runsOf(List<String[]> rs) {
    List<String> s = new ArrayList<>();
    rs.forEach(r -> s.add(r[1]));
    return String.join(" / ", s);
  }

  private static double median(List<String[]> rs) {
    List<Double> v = new ArrayList<>();
    rs.forEach(r -> v.add(Double.parseDouble(r[1])));
    v.sort(null);
    return v.get(v.size() / 2);
  }

  /** Runs one peer in a child JVM; returns {@code [peer, seconds, outBytes, rowGroups, rowsPerRowGroup, outputs, maxHeapAfterGcMb]}. */
  private static String[] runChild(String peer, String heap, Path dir, int rowGroupRows) throws Exception {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap,
        "-cp", System.getProperty("java.class.path"), CompactionBenchmark.class.getName(), "child", peer,
        dir.toString(), Integer.toString(rowGroupRows));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String result = null;
    StringBuilder log = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("RESULT ")) {
          result = line.substring(7);
        } else {
          log.append(line).append('\n');
        }
      }
    }
    if (p.waitFor() != 0 || result == null) {
      throw new IllegalStateException("peer " + peer + " failed:\n" + log);
    }
    System.out.printf(Locale.ROOT, "%s: %s (load average after: %.2f)%n", peer, result,
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    return result.split(" ");
  }

  // ---------------------------------------------------------------- data

  static Path inputDir(Path dir) {
    return dir.resolve("store").resolve(TABLE.path()).resolve("data").resolve(PARTITION);
  }

  static List<Path> generate(Path dir) throws IOException {
    Path in = inputDir(dir);
    Files.createDirectories(in);
    // Data of an older generator (random ids on every row, twice the bytes) is not comparable: regenerate.
    Path version = dir.resolve("generator-v2");
    if (!Files.exists(version)) {
      try (Stream<Path> s = Files.list(in)) {
        for (Path old : s.toList()) {
          Files.delete(old);
        }
      }
      Files.createFile(version);
    }
    List<Path> files = new ArrayList<>();
    String[] services = new String[20];
    for (int i = 0; i < services.length; i++) {
      services[i] = "svc-" + Integer.toString(i * 7919, 36);
    }
    String[] methods = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
    String[] levels = {"INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"};
    String[] agents = new String[50];
    for (int i = 0; i < agents.length; i++) {
      agents[i] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" + (100 + i)
          + ".0.0.0 Safari/537.36";
    }
    SimpleGroupFactory f = new SimpleGroupFactory(SCHEMA);
    long t0 = Instant.parse("2026-01-15T00:00:00Z").getEpochSecond() * 1_000_000L;
    for (int file = 0; file < FILES; file++) {
      Path p = in.resolve(String.format(Locale.ROOT, "in-%04d.parquet", file));
      files.add(p);
      if (Files.exists(p)) {
        continue;
      }
      Random rnd = new Random(file);
      Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(tmp)).withType(SCHEMA)
          .withConf(new PlainParquetConfiguration()).withCompressionCodec(CompressionCodecName.ZSTD).build()) {
        // Like a real tracer's log export: each row is a log line emitted inside a span, a trace has 1-8 spans
        // (services calling each other), a span logs 1-3 lines; ids are random (128-bit trace, 64-bit span) but
        // repeat across the lines of their span and trace, as they do in real data.
        long ts = t0 + (long) file * 43_200_000L;
        int i = 0;
        while (i < ROWS_PER_FILE) {
          String traceId = hex(rnd.nextLong()) + hex(rnd.nextLong());
          int spans = 1 + rnd.nextInt(8);
          String path = "/api/v" + (1 + rnd.nextInt(3)) + "/items/" + rnd.nextInt(1000);
          String method = methods[rnd.nextInt(methods.length)];
          String agent = rnd.nextInt(10) != 0 ? agents[rnd.nextInt(agents.length)] : null;
          for (int s = 0; s < spans && i < ROWS_PER_FILE; s++) {
            String spanId = hex(rnd.nextLong());
            String service = services[rnd.nextInt(services.length)];
            String host = "ip-10-0-" + rnd.nextInt(4) + "-" + rnd.nextInt(50) + ".ec2.internal";
            int status = rnd.nextInt(100) < 95 ? 200 : (rnd.nextBoolean() ? 404 : 500);
            double duration = Math.round(rnd.nextGaussian() * 30 + 120) / 1.0;
            long bytes = 200L + rnd.nextInt(20_000);
            int lines = 1 + rnd.nextInt(3);
            for (int l = 0; l < lines && i < ROWS_PER_FILE; l++, i++) {
              ts += 1_000L + rnd.nextInt(11_000);
              Group g = f.newGroup()
                  .append("ts", ts)
                  .append("trace_id", traceId)
                  .append("span_id", spanId)
                  .append("service", service)
                  .append("host", host)
                  .append("method", method)
                  .append("path", path)
                  .append("status", status)
                  .append("duration_ms", duration)
                  .append("bytes", bytes)
                  .append("level", status == 500 ? "ERROR" : levels[rnd.nextInt(levels.length)]);
              if (agent != null) {
                g.append("user_agent", agent);
              }
              w.write(g);
            }
          }
        }
      }
      Files.move(tmp, p);
    }
    return files;
  }

  /** 16 lower-case hex digits, zero-padded, as tracers print 64-bit ids. */
  private static String hex(long v) {
    String h = Long.toHexString(v);
    return "0000000000000000".substring(h.length()) + h;
  }

  // ---------------------------------------------------------------- children

  private static void child(String peer, Path dir, int rowGroupRows) throws Exception {
    List<Path> inputs;
    try (Stream<Path> s = Files.list(inputDir(dir))) {
      inputs = s.filter(p -> p.getFileName().toString().startsWith("in-")).sorted().toList();
    }
    Path out = dir.resolve("out-" + peer);
    deleteTree(out);
    Files.createDirectories(out);
    LiveHeap heap = LiveHeap.watch();
    long start = System.nanoTime();
    List<Path> outputs = switch (peer) {
      case "lake-lifecycle" -> lake(dir, inputs);
      case "duckdb-copy" -> duck(inputs, out, rowGroupRows);
      case "record-rewrite" -> recordRewrite(inputs, out);
      case "parquet-rewriter" -> parquetRewriter(inputs, out);
      case "io-floor" -> ioFloor(inputs, out);
      default -> throw new IllegalArgumentException(peer);
    };
    double seconds = (System.nanoTime() - start) / 1e9;
    long bytes = 0;
    long rowGroups = 0;
    long rows = 0;
    for (Path o : outputs) {
      bytes += Files.size(o);
      if (!peer.equals("io-floor")) {
        try (ParquetFileReader r = ParquetFileReader.open(new LocalFile(o))) {
          for (BlockMetaData b : r.getRowGroups()) {
            rowGroups++;
            rows += b.getRowCount();
          }
        }
      }
    }
    if (!peer.equals("io-floor") && rows != (long) FILES * ROWS_PER_FILE) {
      throw new IllegalStateException(peer + " wrote " + rows + " rows, expected " + (long) FILES * ROWS_PER_FILE);
    }
    System.out.printf(Locale.ROOT, "RESULT %s %.3f %d %d %d %d %d%n", peer, seconds, bytes, rowGroups,
        rowGroups == 0 ? 0 : rows / rowGroups, outputs.size(), heap.maxAfterGcBytes() >> 20);
  }

  private static List<Path> lake(Path dir, List<Path> inputs) throws IOException {
    Path root = dir.resolve("store");
    deleteTree(root.resolve(TABLE.path()).resolve("_lifecycle"));
    try (Stream<Path> s = Files.list(inputDir(dir))) {
      for (Path p : s.filter(p -> !p.getFileName().toString().startsWith("in-")).toList()) {
        Files.delete(p);
      }
    }
    LocalObjectStore store = new LocalObjectStore(root);
    Clock clock = Clock.systemUTC();
    ManifestCatalog catalog = new ManifestCatalog(store, clock);
    CatalogTable t = catalog.createTable(TABLE, TableSchema.builder().required("ts", TableSchema.Type.TIMESTAMP)
        .build(), PartitionSpec.daily("ts"));
    List<DataFile> files = new ArrayList<>();
    for (Path p : inputs) {
      String key = TABLE.path() + "/data/" + PARTITION + "/" + p.getFileName();
      files.add(new DataFile(store.location(key), PARTITION, Files.size(p), ROWS_PER_FILE, "bench",
          Instant.parse("2026-01-15T00:00:00Z"), Map.of()));
    }
    t.commitAppend("bench", files);
    long start = System.nanoTime();
    DefaultCompactor compactor = new DefaultCompactor(store, catalog, new InMemoryCheckpointStore(clock),
        LifecycleConfig.Compaction.DEFAULTS, clock, null, "bench");
    CompactionResult r = compactor.compact(TABLE).targetFileSizeBytes(TARGET).execute();
    if (r.filesRemoved() != FILES) {
      throw new IllegalStateException("compacted " + r);
    }
    System.err.printf(Locale.ROOT, "lake-lifecycle compaction alone: %.2f s%n", (System.nanoTime() - start) / 1e9);
    List<Path> outs = new ArrayList<>();
    for (DataFile f : catalog.loadTable(TABLE).liveFiles()) {
      outs.add(root.resolve(store.keyOf(f.location()).orElseThrow()));
    }
    return outs;
  }

  private static List<Path> duck(List<Path> inputs, Path out, int rowGroupRows) throws Exception {
    Path target = out.resolve("duck.parquet");
    StringBuilder list = new StringBuilder();
    for (Path p : inputs) {
      list.append(list.length() == 0 ? "" : ",").append('\'').append(p).append('\'');
    }
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      st.execute("SET threads=2");
      st.execute("COPY (SELECT * FROM read_parquet([" + list + "])) TO '" + target
          + "' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE " + (rowGroupRows > 0 ? rowGroupRows : 1_000_000)
          + ")");
    }
    return List.of(target);
  }

  private static List<Path> recordRewrite(List<Path> inputs, Path out) throws IOException {
    Path target = out.resolve("record.parquet");
    try (ParquetWriter<Group> w = WriterDefaults.apply(ExampleParquetWriter.builder(new LocalOutputFile(target))
        .withType(SCHEMA)).build()) {
      for (Path p : inputs) {
        try (ParquetReader<Group> r = new GroupReaderBuilder(new LocalFile(p)).build()) {
          for (Group g; (g = r.read()) != null; ) {
            w.write(g);
          }
        }
      }
    }
    return List.of(target);
  }

  private static List<Path> parquetRewriter(List<Path> inputs, Path out) throws IOException {
    Path target = out.resolve("rewriter.parquet");
    List<InputFile> ins = new ArrayList<>();
    inputs.forEach(p -> ins.add(new LocalFile(p)));
    RewriteOptions opts = new RewriteOptions.Builder(new PlainParquetConfiguration(), ins, new LocalOutputFile(target))
        .build();
    try (ParquetRewriter rw = new ParquetRewriter(opts)) {
      rw.processBlocks();
    }
    return List.of(target);
  }

  private static List<Path> ioFloor(List<Path> inputs, Path out) throws IOException {
    Path target = out.resolve("floor.bin");
    byte[] buf = new byte[1 << 20];
    try (OutputStream os = Files.newOutputStream(target)) {
      for (Path p : inputs) {
        try (InputStream is = Files.newInputStream(p)) {
          for (int n; (n = is.read(buf)) > 0; ) {
            os.write(buf, 0, n);
          }
        }
      }
    }
    return List.of(target);
  }

  // ---------------------------------------------------------------- planning

  private static void planning() {
    int n = 1_000_000;
    List<DataFile> files = new ArrayList<>(n);
    Instant day = Instant.parse("2024-01-01T00:00:00Z");
    for (int i = 0; i < n; i++) {
      String partition = "hour=" + java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd-HH", Locale.ROOT)
          .withZone(java.time.ZoneOffset.UTC).format(day.plusSeconds(3600L * (i % 10_000)));
      files.add(new DataFile("s3://bucket/acme/prod/bench/data/" + partition + "/f-" + i + ".parquet", partition,
          1_000_000 + (i % 7) * 100_000, 7000, "w", day.plusSeconds(i), Map.of()));
    }
    MessageType schema = SCHEMA;
    CompactionPlanner.Settings s = new CompactionPlanner.Settings(TARGET, TARGET * 3 / 4, 10, Duration.ofMinutes(5),
        false);
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    double best = Double.MAX_VALUE;
    CompactionPlan plan = null;
    for (int i = 0; i < 5; i++) {
      long start = System.nanoTime();
      plan = CompactionPlanner.plan(TABLE, files, s, now, f -> CompactionPlanner.FileSchema.of(schema), f -> null);
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
    }
    System.out.printf(Locale.ROOT, "%nplanning %d files in 10,000 partitions: best of 5 %.2f s (%d groups, %d"
        + " decisions)%n", n, best, plan.groups().size(), plan.decisions().size());
  }

  // ---------------------------------------------------------------- helpers

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }

  /** A local input file with bulk reads (parquet-java's LocalInputFile reads byte by byte). */
  static final class LocalFile implements InputFile {
    private final Path path;

    LocalFile(Path path) {
      this.path = path;
    }

    @Override
    public long getLength() throws IOException {
      return Files.size(path);
    }

    @Override
    public org.apache.parquet.io.SeekableInputStream newStream() throws IOException {
      java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path);
      return new org.apache.parquet.io.DelegatingSeekableInputStream(java.nio.channels.Channels.newInputStream(ch)) {
        @Override
        public long getPos() throws IOException {
          return ch.position();
        }

        @Override
        public void seek(long newPos) throws IOException {
          ch.position(newPos);
        }
      };
    }
  }

  private static final class GroupReaderBuilder extends ParquetReader.Builder<Group> {
    GroupReaderBuilder(InputFile file) {
      super(file, new PlainParquetConfiguration());
    }

    @Override
    protected ReadSupport<Group> getReadSupport() {
      return new GroupReadSupport();
    }
  }
}
