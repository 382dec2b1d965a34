package dev.lakelifecycle.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.InMemoryCheckpointStore;
import dev.lakelifecycle.core.checkpoint.JdbcCheckpointStore;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import dev.lakelifecycle.core.internal.compaction.DefaultCompactor;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.PostgresServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What checkpoints and leases cost, on PostgreSQL and on the embedded stores side by side, in one run:
 * <ol>
 *   <li><b>Throughput and latency of the lease protocol</b>, per store, with 1 and 4 threads on distinct ids:
 *       lease acquire + release pairs, lease renewals ({@code writeUnderLease} of an unchanged checkpoint) and
 *       checkpoint writes ({@code compareAndSet}) carrying the metadata of a real compaction plan (captured from
 *       part 2); operations/s and p50/p99 latency. Plus 4 threads racing for one lease.</li>
 *   <li><b>Overhead in a real compaction</b>: {@link DefaultCompactor} with default settings compacts
 *       {@link CompactionBenchmark}'s 2,000 zstd files (14 M rows, about 250 MB) registered as 96 daily partitions
 *       of about 21 files: two chunks of 48 groups (the runbook's default chunk). Every checkpoint call is timed
 *       (a decorator around the store); reported as a fraction of the whole run's wall time (lease, plan, chunks,
 *       completion, release), as the fraction of a chunk's time its own two writes take ({@code % a chunk}), and as
 *       the wall-time difference to the in-memory store. Each store gets one unreported warm-up run.</li>
 * </ol>
 * Stores: {@code in-memory} (the floor: no durability), {@code object-store} (the default: JSON objects with
 * conditional writes on the local disk), {@code postgresql} ({@link JdbcCheckpointStore} on a throwaway
 * PostgreSQL 15 started by {@link PostgresServer#startDurable()} on 127.0.0.1, through a HikariCP pool of 8;
 * {@code fsync} and {@code synchronous_commit} on, so every write waits for its WAL flush to disk).
 *
 * <p>Run (from the repository root):
 * <pre>{@code
 * mvn -q -o -pl benchmarks -am compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -Xmx512m -cp benchmarks/target/classes:$(cat benchmarks/target/cp.txt) \
 *     dev.lakelifecycle.benchmarks.CheckpointStoreBenchmark /tmp/lake-compaction-bench 3
 * }</pre>
 * Arguments: the data directory (default {@code /tmp/lake-compaction-bench}, shared with {@link
 * CompactionBenchmark}, whose inputs are generated there on the first run) and the compaction runs per store
 * (default 3; medians reported). The load average is printed: figures taken on a busy machine are not comparable.
 */
public final class CheckpointStoreBenchmark {
  private static final TableId TABLE = CompactionBenchmark.TABLE;
  private static final int PARTITIONS = 96;
  private static final Duration TTL = Duration.ofMinutes(5);
  private static final int MICRO_OPS = 2_000;

  private CheckpointStoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/lake-compaction-bench");
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<Path> inputs = CompactionBenchmark.generate(dir);
    Clock clock = Clock.systemUTC();
    System.out.printf(Locale.ROOT, "load average %.2f on %d cores%n",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().availableProcessors());

    try (PostgresServer pg = PostgresServer.startDurable(); HikariDataSource pool = pool(pg)) {
      Path objectStoreDir = Files.createTempDirectory("checkpoint-bench-objects");
      Map<String, Supplier<CheckpointStore>> stores = new LinkedHashMap<>();
      stores.put("in-memory", () -> new InMemoryCheckpointStore(clock));
      stores.put("object-store", () -> new ObjectStoreCheckpointStore(
          LocalObjectStore.create(objectStoreDir), "_checkpoints/", clock));
      stores.put("postgresql", () -> {
        truncate(pool);
        return JdbcCheckpointStore.builder(pool).clock(clock).build();
      });

      // Part 2 first: it captures the checkpoint a real plan writes, which part 1 then writes over and over.
      System.out.printf(Locale.ROOT, "%n== Overhead in a real compaction: %d files as %d partitions, default "
          + "settings (48 groups a chunk), %d runs a store, medians%n", inputs.size(), PARTITIONS, runs);
      System.out.printf(Locale.ROOT, "%-13s %8s %7s %7s %10s %11s %10s %12s %14s %11s%n", "store", "wall s",
          "chunks", "calls", "in store s", "% of wall", "ms/chunk", "vs in-memory", "leased bytes", "% a chunk");
      Checkpoint plan = null;
      double floor = Double.NaN;
      for (Map.Entry<String, Supplier<CheckpointStore>> e : stores.entrySet()) {
        List<double[]> results = new ArrayList<>();
        List<String> breakdowns = new ArrayList<>();
        for (int run = 0; run <= runs; run++) {
          try (TimedStore timed = new TimedStore(e.getValue().get())) {
            double wall = compact(dir, inputs, timed, clock);
            if (run == 0) {
              continue; // warm-up (JIT, the driver's and the store's first use); not reported
            }
            long[] writes = timed.byOperation.getOrDefault("writeUnderLease", new long[] {1, 0});
            results.add(new double[] {wall, timed.calls.get(), timed.nanos.get() / 1e9, timed.largest.get(),
                writes[1] / 1e6 / writes[0]});
            breakdowns.add(timed.breakdown());
            plan = plan == null || timed.largestCheckpoint.metadata().size() >= plan.metadata().size()
                ? timed.largestCheckpoint : plan;
          }
        }
        results.sort(Comparator.comparingDouble(r -> r[0]));
        double[] m = results.get(results.size() / 2);
        if (e.getKey().equals("in-memory")) {
          floor = m[0];
        }
        // A chunk's own checkpoint traffic: two writes under the lease (its output keys, then its cursor).
        System.out.printf(Locale.ROOT,
            "%-13s %8.2f %7d %7.0f %10.3f %10.2f%% %10.1f %+11.2f%% %14.0f %10.2f%%   runs %s%n",
            e.getKey(), m[0], 2, m[1], m[2], 100 * m[2] / m[0], 1000 * m[2] / 2, 100 * (m[0] - floor) / floor,
            m[3], 100 * 2 * m[4] / (1000 * m[0] / 2),
            Arrays.toString(results.stream().mapToDouble(r -> Math.round(r[0] * 100) / 100.0).toArray()));
        System.out.printf(Locale.ROOT, "%-13s calls/ms of the last run: %s%n", "", breakdowns.get(breakdowns.size() - 1));
      }

      System.out.printf(Locale.ROOT, "%n== Lease protocol, %d operations a thread on distinct ids; payload: the "
          + "captured plan checkpoint (%d metadata keys)%n", MICRO_OPS, plan.metadata().size());
      System.out.printf(Locale.ROOT, "%-13s %-24s %8s %12s %10s %10s%n", "store", "operation", "threads", "ops/s",
          "p50 ms", "p99 ms");
      for (Map.Entry<String, Supplier<CheckpointStore>> e : stores.entrySet()) {
        for (int threads : new int[] {1, 4}) {
          try (CheckpointStore store = e.getValue().get()) {
            micro(e.getKey(), store, threads, plan, clock);
          }
        }
        try (CheckpointStore store = e.getValue().get()) {
          contended(e.getKey(), store, clock);
        }
      }
      deleteTree(objectStoreDir);
      clean(dir);
    }
  }

  private static HikariDataSource pool(PostgresServer pg) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(pg.jdbcUrl());
    c.setUsername(pg.user());
    c.setPassword(pg.password());
    c.setMaximumPoolSize(8);
    c.setPoolName("checkpoint-bench");
    return new HikariDataSource(c);
  }

  private static void truncate(HikariDataSource pool) {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS compaction_checkpoints");
      s.execute("DROP TABLE IF EXISTS lifecycle_schema_version");
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- part 2: a real compaction

  /** Compacts the inputs as {@value #PARTITIONS} partitions with {@code checkpoints}; returns the wall seconds. */
  private static double compact(Path dir, List<Path> inputs, CheckpointStore checkpoints, Clock clock)
      throws IOException {
    Path root = dir.resolve("store");
    clean(dir);
    LocalObjectStore store = new LocalObjectStore(root);
    ManifestCatalog catalog = new ManifestCatalog(store, clock);
    CatalogTable t = catalog.createTable(TABLE, TableSchema.builder().required("ts", TableSchema.Type.TIMESTAMP)
        .build(), PartitionSpec.daily("ts"));
    List<DataFile> files = new ArrayList<>();
    LocalDate day0 = LocalDate.parse("2026-01-01");
    for (int i = 0; i < inputs.size(); i++) {
      Path p = inputs.get(i);
      String key = root.relativize(p).toString();
      files.add(new DataFile(store.location(key), "day=" + day0.plusDays(i % PARTITIONS), Files.size(p),
          CompactionBenchmark.ROWS_PER_FILE, "bench", Instant.parse("2026-01-15T00:00:00Z"), Map.of()));
    }
    t.commitAppend("bench", files);
    DefaultCompactor compactor = new DefaultCompactor(store, catalog, checkpoints,
        LifecycleConfig.Compaction.DEFAULTS, clock, null, "bench");
    long start = System.nanoTime();
    CompactionResult r = compactor.compact(TABLE).execute();
    double seconds = (System.nanoTime() - start) / 1e9;
    if (r.filesRemoved() != inputs.size() || r.chunksCompleted() != 2) {
      throw new IllegalStateException("unexpected compaction: " + r);
    }
    return seconds;
  }

  // ---------------------------------------------------------------- part 1: the lease protocol

  private static void micro(String name, CheckpointStore store, int threads, Checkpoint plan, Clock clock)
      throws Exception {
    report(name, "acquire + release", threads, run(threads, (t, i) -> {
      String id = "compaction/bench/t" + t + "/table-" + i;
      store.tryAcquireLease(id, "worker-" + t, TTL, clock.instant()).orElseThrow();
      store.releaseLease(id, "worker-" + t);
    }));
    Checkpoint[] held = new Checkpoint[threads];
    for (int t = 0; t < threads; t++) {
      String id = "compaction/bench/renew-" + t;
      Checkpoint base = store.tryAcquireLease(id, "worker-" + t, TTL, clock.instant()).orElseThrow();
      held[t] = store.writeUnderLease(base.withMetadata(plan.metadata()).withStats(plan.stats()), TTL,
          clock.instant());
    }
    report(name, "renew (plan payload)", threads, run(threads, (t, i) -> {
      held[t] = store.writeUnderLease(held[t], TTL, clock.instant());
    }));
    report(name, "write cursor (payload)", threads, run(threads, (t, i) -> {
      held[t] = store.writeUnderLease(held[t].withCursor(i % 1000), TTL, clock.instant());
    }));
  }

  private static void contended(String name, CheckpointStore store, Clock clock) throws Exception {
    // Each thread tries every id once: exactly one of the four gets each lease.
    AtomicLong granted = new AtomicLong();
    long[] lat = run(4, (t, i) -> {
      Optional<Checkpoint> got = store.tryAcquireLease("compaction/bench/contended-" + i, "worker-" + t, TTL,
          clock.instant());
      if (got.isPresent() && i < MICRO_OPS) {
        granted.incrementAndGet();
      }
    });
    report(name, "4 racing for a lease", 4, lat);
    if (granted.get() != MICRO_OPS) {
      throw new IllegalStateException(name + ": " + granted.get() + " leases granted for " + MICRO_OPS + " ids");
    }
  }

  @FunctionalInterface
  private interface Op {
    void run(int thread, int i) throws Exception;
  }

  /** Runs {@value #MICRO_OPS} ops on each of {@code threads}; returns [elapsed ns, latencies ns...]. */
  private static long[] run(int threads, Op op) throws Exception {
    for (int i = 0; i < 200; i++) {
      op.run(0, MICRO_OPS + i); // warm-up, on ids the measured loop does not use
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long[] lat = new long[threads * MICRO_OPS + 1];
      List<Future<?>> fs = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < MICRO_OPS; i++) {
            long s = System.nanoTime();
            op.run(thread, i);
            lat[1 + thread * MICRO_OPS + i] = System.nanoTime() - s;
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      lat[0] = System.nanoTime() - start;
      return lat;
    } finally {
      pool.shutdownNow();
    }
  }

  private static void report(String store, String op, int threads, long[] lat) {
    long[] l = Arrays.copyOfRange(lat, 1, lat.length);
    Arrays.sort(l);
    System.out.printf(Locale.ROOT, "%-13s %-24s %8d %12.0f %10.3f %10.3f%n", store, op, threads,
        l.length / (lat[0] / 1e9), l[l.length / 2] / 1e6, l[(int) (l.length * 0.99)] / 1e6);
  }

  // ---------------------------------------------------------------- the timing decorator

  /** Times every call into the store it wraps, and keeps the largest checkpoint written. */
  private static final class TimedStore implements CheckpointStore {
    final CheckpointStore delegate;
    final AtomicLong nanos = new AtomicLong();
    final AtomicLong calls = new AtomicLong();
    final AtomicLong largest = new AtomicLong();
    volatile Checkpoint largestCheckpoint;

    TimedStore(CheckpointStore delegate) {
      this.delegate = delegate;
    }

    /** Per operation: calls and nanoseconds. */
    final Map<String, long[]> byOperation = new java.util.concurrent.ConcurrentSkipListMap<>();

    private <T> T timed(String operation, Supplier<T> call) {
      long s = System.nanoTime();
      try {
        return call.get();
      } finally {
        long took = System.nanoTime() - s;
        nanos.addAndGet(took);
        calls.incrementAndGet();
        long[] op = byOperation.computeIfAbsent(operation, k -> new long[2]);
        synchronized (op) {
          op[0]++;
          op[1] += took;
        }
      }
    }

    String breakdown() {
      StringBuilder b = new StringBuilder();
      byOperation.forEach((op, v) -> b.append(String.format(Locale.ROOT, " %s %d/%.1f ms", op, v[0], v[1] / 1e6)));
      return b.toString().trim();
    }

    /** Keeps the largest checkpoint written under the lease (the plan's inputs, written once, are not). */
    private Checkpoint written(Checkpoint c) {
      if (!c.id().startsWith("compaction/")) {
        return c;
      }
      long size = (c.metadata().toString() + c.stats()).getBytes(StandardCharsets.UTF_8).length;
      if (size > largest.get()) {
        largest.set(size);
        largestCheckpoint = c;
      }
      return c;
    }

    @Override
    public Optional<Checkpoint> get(String id) {
      return timed("get", () -> delegate.get(id));
    }

    @Override
    public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
      return written(timed("compareAndSet", () -> delegate.compareAndSet(next, expectedVersion)));
    }

    @Override
    public boolean delete(String id, long expectedVersion) {
      return timed("delete", () -> delegate.delete(id, expectedVersion));
    }

    @Override
    public List<Checkpoint> list(String idPrefix) {
      return timed("list", () -> delegate.list(idPrefix));
    }

    @Override
    public Optional<Checkpoint> tryAcquireLease(String id, String owner, Duration ttl, Instant now) {
      return timed("tryAcquireLease", () -> delegate.tryAcquireLease(id, owner, ttl, now));
    }

    @Override
    public Checkpoint writeUnderLease(Checkpoint next, Duration ttl, Instant now) {
      return written(timed("writeUnderLease", () -> delegate.writeUnderLease(next, ttl, now)));
    }

    @Override
    public void releaseLease(String id, String owner) {
      timed("releaseLease", () -> {
        delegate.releaseLease(id, owner);
        return null;
      });
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** Removes everything of the table but {@link CompactionBenchmark}'s inputs. */
  private static void clean(Path dir) throws IOException {
    Path table = dir.resolve("store").resolve(TABLE.path());
    deleteTree(table.resolve("_lifecycle"));
    Path inputs = CompactionBenchmark.inputDir(dir);
    try (Stream<Path> s = Files.list(inputs.getParent())) {
      for (Path p : s.toList()) {
        if (!p.equals(inputs)) {
          deleteTree(p);
        }
      }
    }
    try (Stream<Path> s = Files.list(inputs)) {
      for (Path p : s.filter(p -> !p.getFileName().toString().startsWith("in-")).toList()) {
        Files.delete(p);
      }
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
