package dev.lakelifecycle.core.internal.staging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.internal.parquet.ParquetRows;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real crashes: child JVMs that stage and flush are killed with SIGKILL, and a child flushes a backlog larger than
 * its heap. Run alone with {@code -Dtest=SpoolCrashTest}; about two minutes on two cores.
 */
class SpoolCrashTest {
  private static final Logger LOG = LoggerFactory.getLogger(SpoolCrashTest.class);
  static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .required("batch_id", TableSchema.Type.LONG)
      .required("row", TableSchema.Type.INT)
      .column("msg", TableSchema.Type.STRING)
      .build();
  static final TableId TABLE = TableId.of("acme", "prod", "crash");
  static final int KILLS = 52;
  static final Instant T0 = Instant.parse("2026-01-15T10:00:00Z");

  @TempDir Path root;
  @TempDir Path spool;

  static RowBatch batch(long id, int rows, int msgLength) {
    RowBatch.Builder b = RecordBatch.builder(SCHEMA);
    String pad = "x".repeat(msgLength);
    for (int r = 0; r < rows; r++) {
      b.row(T0.plus((id * 7 + r) % 300, ChronoUnit.MINUTES), id, r, r % 5 == 0 ? null : "b" + id + "r" + r + pad);
    }
    return b.build();
  }

  static Process child(Class<?> main, List<String> jvmArgs, Path stderr, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
  }

  @Test
  void everyAcknowledgedRowIsCommittedExactlyOnceAcrossRepeatedSigkills() throws Exception {
    long seed = Long.getLong("lifecycle.seed", System.nanoTime());
    LOG.info("SIGKILL test seed {} (replay with -Dlifecycle.seed={})", seed, seed);
    Random random = new Random(seed);
    try (LocalObjectStore store = new LocalObjectStore(root);
        ManifestCatalog catalog = new ManifestCatalog(store, Clock.systemUTC())) {
      catalog.createTable(TABLE, SCHEMA, PartitionSpec.hourly("ts"));
    }
    Map<Long, Integer> acked = new HashMap<>();
    int killedBeforeAnyAck = 0;
    for (int i = 0; i < KILLS; i++) {
      // Three writer ids: a child often finds a spool it does not own and adopts it, itself killed at any moment.
      String writer = "child-" + (i % 3);
      Process p = child(CrashChild.class, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), spool.resolve("err-" + (i % 3)),
          root.toString(), spool.toString(), writer, Long.toString(i * 1_000_000L), Long.toString(random.nextLong()));
      int killAfter = random.nextInt(4) == 0 ? 0 : random.nextInt(60);
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        int seen = 0;
        String line;
        boolean ready = false;
        while ((line = out.readLine()) != null) {
          if (line.equals("READY")) {
            ready = true;
          } else if (line.startsWith("ACK ")) {
            String[] f = line.split(" ");
            acked.put(Long.parseLong(f[1]), Integer.parseInt(f[2]));
            seen++;
          }
          if (ready && seen >= killAfter) {
            break;
          }
        }
        assertThat(ready).as("child %d started (see %s)", i, spool.resolve("err-" + (i % 3))).isTrue();
        killedBeforeAnyAck += seen == 0 ? 1 : 0;
        // SIGKILL through the process handle: Process.destroyForcibly would also close our end of its stdout,
        // losing acknowledgements the child printed just before it died.
        assertThat(p.toHandle().destroyForcibly()).isTrue();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // Lines the child printed before it died were acknowledged too.
        while ((line = out.readLine()) != null) {
          if (line.startsWith("ACK ")) {
            String[] f = line.split(" ");
            acked.put(Long.parseLong(f[1]), Integer.parseInt(f[2]));
          }
        }
      }
    }
    LOG.info("{} kills, {} acknowledged batches, {} kills before any acknowledgement", KILLS, acked.size(),
        killedBeforeAnyAck);

    // Recovery: one more stager on the same staging directory drains every child's spool.
    Map<Long, Integer> committed = new HashMap<>();
    Set<String> seenRows = new HashSet<>();
    List<String> duplicates = new ArrayList<>();
    try (LocalObjectStore store = new LocalObjectStore(root);
        ManifestCatalog catalog = new ManifestCatalog(store, Clock.systemUTC())) {
      DefaultStager verify = new DefaultStager(store, catalog, new LifecycleConfig.Staging(100_000, 1L << 30,
          Duration.ofMinutes(1), Map.of()).withDirectory(spool), Clock.systemUTC(), null, "verify");
      verify.close();
      CatalogTable t = catalog.loadTable(TABLE);
      for (DataFile f : t.liveFiles()) {
        for (Object[] r : ParquetRows.read(store, store.keyOf(f.location()).orElseThrow()).rows()) {
          long id = (Long) r[1];
          if (!seenRows.add(id + "/" + r[2])) {
            duplicates.add(id + "/" + r[2]);
          }
          committed.merge(id, 1, Integer::sum);
        }
      }
    }
    assertThat(duplicates).as("rows committed twice").isEmpty();
    List<String> missing = new ArrayList<>();
    acked.forEach((id, rows) -> {
      if (!rows.equals(committed.get(id))) {
        missing.add(id + ": acknowledged " + rows + " rows, committed " + committed.get(id));
      }
    });
    assertThat(missing).as("acknowledged batches not committed exactly once (seed %d)", seed).isEmpty();
    assertThat(acked).hasSizeGreaterThan(KILLS);
    try (var s = Files.list(spool)) {
      assertThat(s.filter(Files::isDirectory).toList()).as("spools left after recovery").isEmpty();
    }
  }

  /** Appends batches forever, printing {@code ACK <batch id> <rows>} after each append returns. */
  public static final class CrashChild {
    public static void main(String[] args) throws Exception {
      Path root = Path.of(args[0]);
      Path spool = Path.of(args[1]);
      String writer = args[2];
      long firstId = Long.parseLong(args[3]);
      Random random = new Random(Long.parseLong(args[4]));
      PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
          StandardCharsets.UTF_8);
      LocalObjectStore store = new LocalObjectStore(root);
      ManifestCatalog catalog = new ManifestCatalog(store, Clock.systemUTC());
      LifecycleConfig.Staging config = new LifecycleConfig.Staging(1_500, 1L << 30, Duration.ofMillis(300), Map.of())
          .withDirectory(spool).withRetryBackoff(Duration.ofMillis(10), Duration.ofMillis(100));
      DefaultStager stager = new DefaultStager(store, catalog, config, Clock.systemUTC(), null, writer);
      out.println("READY");
      out.flush();
      for (long id = firstId; ; id++) {
        int rows = 1 + random.nextInt(200);
        stager.append(TABLE, batch(id, rows, random.nextInt(40)));
        out.println("ACK " + id + " " + rows);
        out.flush();
        if (random.nextInt(25) == 0) {
          stager.flush(TABLE);
        }
      }
    }
  }

  @Test
  void flushesABacklogLargerThanTheHeapInAChildWithASmallHeap() throws Exception {
    try (LocalObjectStore store = new LocalObjectStore(root);
        ManifestCatalog catalog = new ManifestCatalog(store, Clock.systemUTC())) {
      catalog.createTable(TABLE, SCHEMA, PartitionSpec.hourly("ts"));
      // 200 MB of spool against a 96 MB heap keeps the suite short; -Dlifecycle.test.backlogMb=1024 runs the
      // issue's 1 GB.
      long backlogTarget = Long.getLong("lifecycle.test.backlogMb", 200) << 20;
      LifecycleConfig.Staging config = new LifecycleConfig.Staging(Long.MAX_VALUE, 1L << 40, Duration.ofDays(1),
          Map.of()).withDirectory(spool).withDurability(LifecycleConfig.Staging.Durability.GROUP, false)
          .withGuardrails(Math.max(512L << 20, 2 * backlogTarget), 0, 1_000_000,
              LifecycleConfig.Staging.FullPolicy.REJECT, Duration.ZERO);
      DefaultStager writer = new DefaultStager(store, catalog, config, Clock.systemUTC(), null, "backlog");
      long rows = 0;
      long id = 0;
      // The active segment is preallocated 4 MiB ahead of its records (cut back when abandoned): aim past that.
      while (writer.spoolDirectory().toFile().exists() && diskBytes(spool) < backlogTarget + (8L << 20)) {
        for (int i = 0; i < 50; i++) {
          writer.append(TABLE, batch(id++, 1000, 300));
          rows += 1000;
        }
      }
      writer.abandon();
      long backlog = diskBytes(spool);
      assertThat(backlog).isGreaterThanOrEqualTo(backlogTarget);

      Process p = child(BacklogChild.class, List.of("-Xmx96m"), spool.resolve("backlog.err"), root.toString(),
          spool.toString());
      String report;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        report = out.readLine();
      }
      assertThat(p.waitFor(180 * Math.max(1, backlogTarget / (200L << 20)), TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("child exit; stderr in %s: %s", spool.resolve("backlog.err"),
          Files.exists(spool.resolve("backlog.err")) ? tail(spool.resolve("backlog.err")) : "").isZero();
      LOG.info("Backlog of {} MB flushed by a child with -Xmx96m: {}", backlog >> 20, report);
      assertThat(report).startsWith("FLUSHED " + rows + " ");
      catalog.loadTable(TABLE).refresh();
      long committed = catalog.loadTable(TABLE).liveFiles().stream().mapToLong(DataFile::recordCount).sum();
      assertThat(committed).isEqualTo(rows);
    }
  }

  private static String tail(Path p) throws java.io.IOException {
    String s = Files.readString(p);
    return s.substring(Math.max(0, s.length() - 3000));
  }

  private static long diskBytes(Path dir) throws java.io.IOException {
    try (var s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  /** Opens the backlog's spool with a small heap, flushes it in 16 MB ranges and reports the peak heap. */
  public static final class BacklogChild {
    public static void main(String[] args) {
      LocalObjectStore store = new LocalObjectStore(Path.of(args[0]));
      ManifestCatalog catalog = new ManifestCatalog(store, Clock.systemUTC());
      LifecycleConfig.Staging config = new LifecycleConfig.Staging(200_000, 16L << 20, Duration.ofDays(1), Map.of())
          .withDirectory(Path.of(args[1])).withDurability(LifecycleConfig.Staging.Durability.GROUP, false);
      DefaultStager stager = new DefaultStager(store, catalog, config, Clock.systemUTC(), null, "backlog");
      // Opening the stager already started flushing the recovered records in the background; close() finishes.
      stager.close();
      var table = catalog.loadTable(TABLE);
      long rows = table.liveFiles().stream().mapToLong(DataFile::recordCount).sum();
      long oldPeak = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP && pool.getName().contains("Old") && pool.getPeakUsage() != null) {
          oldPeak = Math.max(oldPeak, pool.getPeakUsage().getUsed());
        }
      }
      System.out.println("FLUSHED " + rows + " rows in " + table.liveFiles().size() + " files; peak old-gen heap "
          + (oldPeak >> 20) + " MB, max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MB");
      System.out.flush();
      catalog.close();
      store.close();
    }
  }
}
