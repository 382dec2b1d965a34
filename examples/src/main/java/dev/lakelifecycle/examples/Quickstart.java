package dev.lakelifecycle.examples;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.RowBatch;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.retention.ResolvedRetention;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.api.retention.RetentionResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.ObjectStoreProvider;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Statistic;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the whole lifecycle on real data, using only the public API, and checks that no row was lost or
 * doubled on the way:
 * <ol>
 *   <li><b>Ingest.</b> Parses an Apache access log (tenant {@code web}, table {@code web/site/logs}, hourly
 *       partitions) and the NCEDC earthquake catalogue (one tenant per reporting network,
 *       {@code <network>/ncedc/events}, daily partitions). An ingestion tier of several replicas behind a
 *       round-robin load balancer, each embedding its own {@link Lifecycle} on the same storage root, stages
 *       the rows in batches of {@value #BATCH_ROWS} and flushes a table every {@value #FLUSH_ROWS} staged
 *       rows: many small Parquet files, several per partition.</li>
 *   <li><b>Compact</b> every table with a separate maintenance instance.</li>
 *   <li><b>Enforce retention</b>: events are kept 180 days (tenant {@code us}: 365), logs forever. The clock
 *       is fixed at {@value #NOW_TEXT}, the day after the last event, so part of the events expire.</li>
 *   <li><b>Sweep orphans</b> after planting one: a stray Parquet file, a week old, as a crashed writer
 *       would leave it. The sweep must delete it and no live file. On a store that stamps objects with its
 *       own time (S3), the file cannot be back-dated and the fixed clock cannot age it, so this stage runs on
 *       the store's clock with no grace period, which is safe only because nothing is in flight then.</li>
 *   <li><b>Read back</b> every live file through the store and compare, per table and partition, the rows
 *       that came out with the rows that went in, less what retention dropped.</li>
 * </ol>
 * Prints a short report per stage and exits with status 1 if any check fails (2 for bad arguments).
 * Run it with {@code mvn -q -Pquickstart -pl examples -am -DskipTests verify}; pass arguments with
 * {@code -Dexec.args="--out lake-out"}. The lake goes to a local directory, or with
 * {@code --out s3://bucket/prefix/} to S3 (its settings come from the environment: {@code LIFECYCLE_S3_*},
 * {@code AWS_*}).
 */
public final class Quickstart {
  static final String NOW_TEXT = "2016-11-15T12:00:00Z";
  /** The fixed "now" of every instance: the day after the last earthquake, 18 months after the logs. */
  static final Instant NOW = Instant.parse(NOW_TEXT);
  /** Rows per staged batch, as an ingestion service would receive them. */
  static final int BATCH_ROWS = 250;
  /** staging.flush_max_rows: small on purpose, so that ingestion leaves many small files to compact. */
  static final int FLUSH_ROWS = 1000;
  static final int DEFAULT_REPLICAS = 3;
  static final Duration SWEEP_GRACE = Duration.ofHours(24);

  static final TableId LOGS = TableId.of("web", "site", "logs");
  static final String EVENTS_DATASET = "ncedc";
  static final String EVENTS_TABLE = "events";

  private static final String USAGE = String.join(System.lineSeparator(),
      "Usage: Quickstart [--apache-logs FILE] [--earthquakes FILE] [--out DIR|URI] [--replicas N] [--metrics]",
      "",
      "Runs ingest -> compact -> retention -> orphan sweep -> read back on real data and checks every row.",
      "",
      "  --apache-logs FILE  Apache combined-format access log (default <shared data>/real/apache_logs)",
      "  --earthquakes FILE  NCEDC earthquake CSV with header (default <shared data>/real/earthquakes.txt)",
      "  --out DIR           a new or empty directory for the lake (default: a fresh temporary directory)",
      "  --out URI           or an empty location in object storage, e.g. s3://bucket/prefix/ (endpoint,",
      "                      region and credentials from the environment: LIFECYCLE_S3_*, AWS_*)",
      "  --replicas N        ingestion replicas, 1 to 16 (default " + DEFAULT_REPLICAS + ")",
      "  --metrics           print the lifecycle.* meters the run recorded, summed over tables",
      "  --help              print this and exit",
      "",
      "The shared data is found through -Dlifecycle.shared.data, else the first shared/data directory",
      "above the working directory.");

  private final PrintStream out;
  private final Options options;
  private final List<String> failures = new ArrayList<>();
  private final RowLedger staged = new RowLedger();
  private final Map<TableId, TableSchema> schemas = new TreeMap<>((a, b) -> a.path().compareTo(b.path()));
  private final Map<TableId, PartitionSpec> specs = new HashMap<>();
  private final List<ParseErrors> parseErrors = new ArrayList<>();
  private final MeterRegistry registry = new SimpleMeterRegistry();

  private Quickstart(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public static void main(String[] args) {
    int status = run(args, System.out);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Runs the quickstart.
   *
   * @return 0 if every check passed, 1 if one failed or a stage threw, 2 for bad arguments
   */
  static int run(String[] args, PrintStream out) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      out.println("Error: " + e.getMessage());
      out.println(USAGE);
      return 2;
    }
    if (options.help()) {
      out.println(USAGE);
      return 0;
    }
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    if (options.location() != null) {
      ObjectStore store;
      try {
        store = openEmpty(options.location());
      } catch (IllegalArgumentException | LifecycleException e) {
        out.println("Error: " + e.getMessage());
        return 2;
      }
      try (store) {
        return new Quickstart(options, out).run(store, null, clock);
      }
    }
    Path lake;
    try {
      lake = prepareOutput(options.out());
    } catch (IllegalArgumentException e) {
      out.println("Error: " + e.getMessage());
      return 2;
    }
    // The store stamps objects with the same fixed clock, so that file ages agree with the lifecycle's idea of
    // now. The lake is scratch data, so writes skip fsync (still atomic and whole); a service keeps the default.
    try (ObjectStore store = LocalObjectStore.builder(lake).clock(clock).fsync(false).build()) {
      return new Quickstart(options, out).run(store, lake, clock);
    }
  }

  /**
   * Runs every stage on {@code store}, which every instance below shares, as one bucket is shared by the
   * replicas of a service.
   *
   * @param localRoot the directory under {@code store} when it is a local store stamping objects with
   *     {@code clock}; null for a store that stamps them with its own time (S3)
   */
  private int run(ObjectStore store, Path localRoot, Clock clock) {
    String lake = localRoot != null ? localRoot.toString() : store.root().toString();
    out.printf(Locale.ROOT, "Lake Lifecycle quickstart: lake at %s, clock fixed at %s%n", lake, NOW);
    LifecycleConfig config = config();
    String stage = "1. ingest";
    try {
      long started = System.nanoTime();
      ingest(store, clock, config);
      try (Lifecycle maintenance = Lifecycle.builder().store(store).clock(clock).config(config)
          .meterRegistry(registry).writerId("maintenance").build()) {
        List<TableId> tables = maintenance.catalog().listTables();
        checkTablesCommitted(maintenance, tables);
        started = took(started);
        stage = "2. compact";
        compact(maintenance, tables);
        started = took(started);
        stage = "3. retention";
        Map<TableId, RetentionResult> retention = enforceRetention(maintenance, tables);
        started = took(started);
        stage = "4. sweep";
        sweep(maintenance, localRoot, tables);
        started = took(started);
        stage = "5. read back";
        readBack(maintenance, tables, retention);
        took(started);
      }
    } catch (RuntimeException e) {
      failures.add(String.format(Locale.ROOT, "stage %s threw %s", stage, e));
      e.printStackTrace(out);
    }
    if (options.metrics()) {
      printMetrics();
    }
    out.println();
    if (failures.isEmpty()) {
      out.printf(Locale.ROOT, "OK: every table's rows out = rows in - rows dropped by retention, row for row. "
          + "The lake is in %s%n", lake);
      return 0;
    }
    out.printf(Locale.ROOT, "FAILED (%d):%n", failures.size());
    failures.forEach(f -> out.println("  - " + f));
    out.printf(Locale.ROOT, "The lake is left in %s for inspection.%n", lake);
    return 1;
  }

  /** Prints the wall time since {@code started} (System.nanoTime) and returns now. */
  private long took(long started) {
    long now = System.nanoTime();
    out.printf(Locale.ROOT, "  (%.1f s)%n", (now - started) / 1e9);
    return now;
  }

  /** The configuration every instance shares; in a service it would come from LifecycleConfig.load(...). */
  static LifecycleConfig config() {
    LifecycleConfig d = LifecycleConfig.defaults();
    return LifecycleConfig.builder()
        .staging(new LifecycleConfig.Staging(FLUSH_ROWS, d.staging().flushMaxBytes(), d.staging().flushMaxAge(),
            Map.of()))
        .retention(new LifecycleConfig.RetentionSettings(
            Map.of(EVENTS_TABLE, Retention.days(180), LOGS.table(), Retention.forever()),
            Map.of("us", Map.of(EVENTS_TABLE, Retention.days(365))),
            Map.of(),
            Duration.ofHours(1), 5, null, Duration.ofHours(1), false, Duration.ofHours(1)))
        .build();
  }

  // ---------------------------------------------------------------- 1. ingest

  private void ingest(ObjectStore store, Clock clock, LifecycleConfig config) {
    out.printf(Locale.ROOT, "%n== 1. Ingest: %d replicas stage batches of %d rows; a table flushes at %,d staged rows%n",
        options.replicas(), BATCH_ROWS, FLUSH_ROWS);
    List<Lifecycle> replicas = new ArrayList<>();
    try {
      for (int i = 1; i <= options.replicas(); i++) {
        replicas.add(Lifecycle.builder().store(store).clock(clock).config(config).meterRegistry(registry)
            .writerId("ingest-" + i).build());
      }
      Ingestion ingestion = new Ingestion(replicas);
      readApacheLogs(ingestion);
      readEarthquakes(ingestion);
      ingestion.finish();
      out.printf(Locale.ROOT, "  staged %,d rows into %d tables in %,d batches%n",
          staged.rows(), schemas.size(), ingestion.batches);
    } finally {
      replicas.forEach(Lifecycle::close);
    }
    for (ParseErrors e : parseErrors) {
      out.printf(Locale.ROOT, "  %s: %,d line(s) rejected%n", e.file(), e.count());
      e.examples().forEach(x -> out.printf(Locale.ROOT, "    line %,d: %s%n", x.lineNumber(), x.reason()));
    }
  }

  private void readApacheLogs(Ingestion ingestion) {
    Path file = options.apacheLogs();
    ParseErrors errors = new ParseErrors(file.getFileName().toString());
    parseErrors.add(errors);
    TableSchema schema = ApacheLogParser.SCHEMA;
    createTable(ingestion, LOGS, schema, PartitionSpec.hourly("timestamp"));
    long[] lineNo = {0};
    long rows = forEachLine(file, line -> {
      lineNo[0]++;
      try {
        ingestion.add(LOGS, ApacheLogParser.parse(line));
        return true;
      } catch (MalformedLineException e) {
        errors.add(lineNo[0], e.getMessage());
        return false;
      }
    });
    out.printf(Locale.ROOT, "  %s: %,d lines -> %,d rows of %s (hourly)%n", file.getFileName(), lineNo[0], rows, LOGS);
  }

  private void readEarthquakes(Ingestion ingestion) {
    Path file = options.earthquakes();
    ParseErrors errors = new ParseErrors(file.getFileName().toString());
    parseErrors.add(errors);
    long[] lineNo = {0};
    EarthquakeCsvParser[] parser = {null};
    Set<String> tenants = new HashSet<>();
    long rows = forEachLine(file, line -> {
      lineNo[0]++;
      try {
        if (parser[0] == null) {
          parser[0] = EarthquakeCsvParser.forHeader(line);
          return false;
        }
        EarthquakeCsvParser.Event event = parser[0].parse(line);
        TableId table = TableId.of(event.tenant(), EVENTS_DATASET, EVENTS_TABLE);
        if (tenants.add(event.tenant())) {
          createTable(ingestion, table, EarthquakeCsvParser.SCHEMA, PartitionSpec.daily("timestamp"));
        }
        ingestion.add(table, event.values());
        return true;
      } catch (MalformedLineException e) {
        if (parser[0] == null) {
          throw new IllegalArgumentException(String.format(Locale.ROOT,
              "%s is not the earthquake CSV: its %s", file, e.getMessage()), e);
        }
        errors.add(lineNo[0], e.getMessage());
        return false;
      }
    });
    out.printf(Locale.ROOT, "  %s: %,d lines -> %,d rows of %d tables */%s/%s (daily, one tenant per network)%n",
        file.getFileName(), lineNo[0], rows, tenants.size(), EVENTS_DATASET, EVENTS_TABLE);
  }

  private void createTable(Ingestion ingestion, TableId table, TableSchema schema, PartitionSpec spec) {
    ingestion.replicas.get(0).catalog().loadOrCreateTable(table, schema, spec);
    schemas.put(table, schema);
    specs.put(table, spec);
    staged.touch(table);
  }

  /** Feeds every line to {@code parser}; returns how many it accepted. Malformed UTF-8 is replaced, not fatal. */
  private static long forEachLine(Path file, LineHandler parser) {
    long accepted = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (parser.accept(line)) {
          accepted++;
        }
      }
      return accepted;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  @FunctionalInterface
  private interface LineHandler {
    boolean accept(String line);
  }

  /**
   * The ingestion tier: a round-robin load balancer over replicas, each with its own Lifecycle, batching
   * rows per table. A replica's stager flushes a table inside {@code append} once the table reaches
   * staging.flush_max_rows; the rest is flushed at the end, as a service's shutdown would.
   */
  private final class Ingestion {
    final List<Lifecycle> replicas;
    final List<Map<TableId, RowBatch.Builder>> pending = new ArrayList<>();
    long next;
    long batches;

    Ingestion(List<Lifecycle> replicas) {
      this.replicas = replicas;
      replicas.forEach(r -> pending.add(new LinkedHashMap<>()));
    }

    void add(TableId table, Object[] values) {
      TableSchema schema = schemas.get(table);
      int replica = (int) (next++ % replicas.size());
      RowBatch.Builder batch = pending.get(replica).computeIfAbsent(table, t -> RecordBatch.builder(schema));
      batch.row(values);
      Instant ts = (Instant) values[schema.indexOf("timestamp")];
      staged.add(table, specs.get(table).partitionOf(ts), RowFingerprint.ofValues(schema, values));
      if (batch.size() >= BATCH_ROWS) {
        append(replica, table, batch);
      }
    }

    private void append(int replica, TableId table, RowBatch.Builder batch) {
      replicas.get(replica).stager().append(table, batch.build());
      batches++;
    }

    void finish() {
      for (int i = 0; i < replicas.size(); i++) {
        for (Map.Entry<TableId, RowBatch.Builder> e : pending.get(i).entrySet()) {
          if (e.getValue().size() > 0) {
            append(i, e.getKey(), e.getValue());
          }
        }
        replicas.get(i).stager().flushAll();
      }
    }
  }

  /** Invariant 1: every row whose append returned is committed exactly once. */
  private void checkTablesCommitted(Lifecycle lake, List<TableId> tables) {
    if (!new HashSet<>(tables).equals(schemas.keySet())) {
      failures.add(String.format(Locale.ROOT, "the catalog lists tables %s but the quickstart created %s",
          tables, schemas.keySet()));
    }
    Stats all = new Stats();
    for (TableId t : tables) {
      Stats s = Stats.of(lake.catalog().loadTable(t).liveFiles());
      all.add(s);
      long in = staged.total(t, Set.of()).rows;
      if (s.rows != in) {
        failures.add(String.format(Locale.ROOT, "%s: %,d rows staged but %,d committed after the final flush", t, in, s.rows));
      }
    }
    out.printf(Locale.ROOT, "  committed: %s in %d tables%n", all, tables.size());
  }

  // ---------------------------------------------------------------- 2. compact

  private void compact(Lifecycle lake, List<TableId> tables) {
    out.printf(Locale.ROOT, "%n== 2. Compact every table (a partition with at least 2 small files is rewritten)%n");
    Map<String, Stats[]> byType = new TreeMap<>();
    int groups = 0;
    for (TableId t : tables) {
      CatalogTable table = lake.catalog().loadTable(t);
      Stats before = Stats.of(table.liveFiles());
      // Every partition ended long before the fixed clock, so none is open for late data and force is not needed.
      CompactionResult r = lake.compactor().compact(t).minInputFiles(2).execute();
      table.refresh();
      Stats after = Stats.of(table.liveFiles());
      groups += r.groupsCompacted();
      if (before.rows != after.rows) {
        failures.add(String.format(Locale.ROOT, "%s: compaction changed the row count from %,d to %,d", t, before.rows, after.rows));
      }
      if (after.files != before.files - r.filesRemoved() + r.filesAdded()) {
        failures.add(String.format(Locale.ROOT, "%s: %d files before, %d removed, %d added, but %d live after",
            t, before.files, r.filesRemoved(), r.filesAdded(), after.files));
      }
      Stats[] agg = byType.computeIfAbsent(typeLabel(t), k -> new Stats[] {new Stats(), new Stats()});
      agg[0].add(before);
      agg[1].add(after);
    }
    byType.forEach((label, s) -> out.printf(Locale.ROOT, "  %-28s %s  ->  %s%n", label, s[0].filesAndBytes(), s[1].filesAndBytes()));
    out.printf(Locale.ROOT, "  %d partitions rewritten%n", groups);
  }

  private String typeLabel(TableId t) {
    if (t.equals(LOGS)) {
      return LOGS.path();
    }
    long n = schemas.keySet().stream().filter(x -> !x.equals(LOGS)).count();
    return String.format(Locale.ROOT, "*/%s/%s (%d tables)", t.dataset(), t.table(), n);
  }

  // ---------------------------------------------------------------- 3. retention

  private Map<TableId, RetentionResult> enforceRetention(Lifecycle lake, List<TableId> tables) {
    out.printf(Locale.ROOT, "%n== 3. Retention at %s: events 180 days (tenant us: 365), logs forever, grace 1 h%n", NOW);
    Map<TableId, RetentionResult> results = new TreeMap<>((a, b) -> a.path().compareTo(b.path()));
    // Group the report by policy: one line per (retention, tier) rather than one per tenant.
    Map<String, long[]> byPolicy = new TreeMap<>();
    Map<String, String[]> range = new HashMap<>();
    long expired = 0;
    for (TableId t : tables) {
      RetentionResult r = lake.retention().enforce(t).execute();
      results.put(t, r);
      expired += r.snapshotsExpired().size();
      ResolvedRetention p = r.policy();
      String key = String.format(Locale.ROOT, "%-5s %-7s %s", p.retention(), p.retentionTier(),
          r.cutoff() == null ? "no cutoff" : "cutoff " + r.cutoff());
      long[] agg = byPolicy.computeIfAbsent(key, k -> new long[4]);
      agg[0]++;
      agg[1] += r.partitionsDropped().size();
      agg[2] += r.rowsDropped();
      agg[3] += r.partitionsDropped().stream().mapToLong(RetentionResult.DroppedPartition::files).sum();
      for (RetentionResult.DroppedPartition d : r.partitionsDropped()) {
        String[] mm = range.computeIfAbsent(key, k -> new String[2]);
        mm[0] = mm[0] == null || d.partition().compareTo(mm[0]) < 0 ? d.partition() : mm[0];
        mm[1] = mm[1] == null || d.partition().compareTo(mm[1]) > 0 ? d.partition() : mm[1];
        // Invariant 3: nothing newer than the cutoff is dropped.
        if (r.cutoff() == null || PartitionSpec.endOf(d.partition()).isAfter(r.cutoff())) {
          failures.add(String.format(Locale.ROOT, "%s: retention dropped %s although it ends after the cutoff %s",
              t, d.partition(), r.cutoff()));
        }
      }
    }
    byPolicy.forEach((key, agg) -> {
      String[] mm = range.get(key);
      out.printf(Locale.ROOT, "  %s: %d table(s), %,d partitions dropped%s, %,d files, %,d rows%n", key, agg[0], agg[1],
          mm == null ? "" : " (" + mm[0] + " .. " + mm[1] + ")", agg[3], agg[2]);
    });
    out.printf(Locale.ROOT, "  %,d snapshots expired%n", expired);
    return results;
  }

  // ---------------------------------------------------------------- 4. sweep

  private void sweep(Lifecycle lake, Path localRoot, List<TableId> tables) {
    ObjectStore store = lake.store();
    CatalogTable logs = lake.catalog().loadTable(LOGS);
    List<DataFile> live = logs.liveFiles();
    if (live.isEmpty()) {
      failures.add(LOGS + " has no live file to plant an orphan beside; sweep not checked");
      return;
    }
    // A copy of a real data file, never committed: what a writer that crashed before its commit leaves behind.
    String liveKey = keyOf(store, live.get(0).location());
    String orphanKey = liveKey.substring(0, liveKey.lastIndexOf('/') + 1) + "orphan-from-crashed-writer.parquet";
    store.put(orphanKey, store.read(liveKey));
    if (localRoot != null) {
      try {
        Files.setLastModifiedTime(localRoot.resolve(orphanKey), FileTime.from(NOW.minus(Duration.ofDays(7))));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot age the planted orphan " + orphanKey + ": " + e.getMessage(), e);
      }
    }
    Instant seen = store.stat(orphanKey).map(ObjectInfo::lastModified).orElseThrow(() -> new IllegalStateException(
        "The orphan " + orphanKey + " just planted is not in the store"));
    if (localRoot != null) {
      out.printf(Locale.ROOT, "%n== 4. Sweep orphans older than %d h; planted %s (last modified %s)%n",
          SWEEP_GRACE.toHours(), orphanKey, seen);
      sweep(lake, tables, SWEEP_GRACE, orphanKey);
      return;
    }
    // The store stamps objects with its own time (S3: the server's), which the fixed 2016 clock cannot move:
    // every object is "written" years after the quickstart's now, so no grace period would ever pass. This
    // stage therefore runs on the store's clock, now = the time it stamped on the orphan, the last object
    // written (rather than this machine's clock, which may lag the server's by seconds), with no grace at all.
    // That is safe here only because ingestion and compaction have finished and nothing is in flight; a
    // service keeps the grace period (default 24 h, at least sweep.min_grace_period_hours = 1 h). Without a
    // grace period every unreferenced file goes, not just the planted one: the files of expired snapshots
    // and old manifest versions too.
    Clock storeClock = Clock.fixed(seen.plusSeconds(1), ZoneOffset.UTC);
    LifecycleConfig c = lake.config();
    LifecycleConfig.Sweep noGrace = new LifecycleConfig.Sweep(Duration.ZERO, Duration.ZERO, c.sweep().batchSize(),
        false, c.sweep().interval());
    out.printf(Locale.ROOT, "%n== 4. Sweep orphans on the store's clock with no grace period (nothing is in flight "
        + "now; a service keeps 24 h)%n  planted %s (last modified %s by the store)%n", orphanKey, seen);
    try (Lifecycle sweeper = Lifecycle.builder().store(store).clock(storeClock)
        .config(c.toBuilder().sweep(noGrace).build())
        .meterRegistry(registry).writerId("sweeper").build()) {
      sweep(sweeper, tables, Duration.ZERO, orphanKey);
    }
  }

  /**
   * Sweeps every table with {@code grace} and checks the outcome: the planted orphan is gone, no delete failed,
   * and every live file of every table is still in the store (its rows are read back in stage 5).
   */
  private void sweep(Lifecycle lake, List<TableId> tables, Duration grace, String orphanKey) {
    ObjectStore store = lake.store();
    long scanned = 0;
    long referenced = 0;
    long deleted = 0;
    long freed = 0;
    List<String> orphans = new ArrayList<>();
    for (TableId t : tables) {
      SweepResult r = lake.sweeper().sweep(t).olderThan(grace).execute();
      scanned += r.filesScanned();
      referenced += r.referencedFiles();
      deleted += r.filesDeleted();
      freed += r.bytesFreed();
      orphans.addAll(r.orphanSample());
      r.failedSample().forEach((loc, why) -> failures.add("sweep could not delete " + loc + ": " + why));
      if (r.deleteFailures() > r.failedSample().size()) {
        failures.add(String.format(Locale.ROOT, "%s: the sweep failed to delete %,d files", t, r.deleteFailures()));
      }
    }
    List<String> orphanKeys = orphans.stream().map(o -> keyOf(store, o)).toList();
    String shown = orphanKeys.size() <= 3 ? ": " + orphanKeys : ", e.g. " + orphanKeys.subList(0, 3);
    out.printf(Locale.ROOT, "  scanned %,d objects, %,d referenced; %,d orphan(s) deleted, %s freed%s%n",
        scanned, referenced, deleted, Stats.bytes(freed), shown);
    if (store.stat(orphanKey).isPresent()) {
      failures.add("the planted orphan " + orphanKey + " still exists after the sweep");
    }
    // Invariant 4: the sweep deletes only what no retained snapshot references, so every live file survives.
    long liveFiles = 0;
    List<String> missing = new ArrayList<>();
    for (TableId t : tables) {
      for (DataFile f : lake.catalog().loadTable(t).liveFiles()) {
        liveFiles++;
        if (store.stat(keyOf(store, f.location())).isEmpty()) {
          missing.add(f.location());
        }
      }
    }
    if (!missing.isEmpty()) {
      failures.add(String.format(Locale.ROOT, "the sweep deleted %,d live file(s), e.g. %s", missing.size(),
          missing.subList(0, Math.min(3, missing.size()))));
    }
    out.printf(Locale.ROOT, "  planted orphan %s; %,d of %,d live files of %d tables still there%n",
        store.stat(orphanKey).isPresent() ? "STILL THERE" : "deleted", liveFiles - missing.size(), liveFiles,
        tables.size());
  }

  private static String keyOf(ObjectStore store, String location) {
    return store.keyOf(location).orElseThrow(() -> new IllegalStateException(
        "Location " + location + " is outside the store " + store.root()));
  }

  // ---------------------------------------------------------------- 5. read back

  private void readBack(Lifecycle lake, List<TableId> tables, Map<TableId, RetentionResult> retention) {
    out.printf(Locale.ROOT, "%n== 5. Read every live file back through the store%n");
    out.printf(Locale.ROOT, "  %-22s %9s %9s %9s %6s %6s  %s%n", "table", "rows in", "dropped", "rows out", "files",
        "parts", "check");
    RowLedger read = new RowLedger();
    long totalIn = 0;
    long totalDropped = 0;
    long totalOut = 0;
    for (TableId t : tables) {
      CatalogTable table = lake.catalog().loadTable(t);
      TableSchema schema = table.schema();
      PartitionSpec spec = table.partitionSpec();
      int tsColumn = schema.indexOf(spec.timestampColumn());
      String tsName = spec.timestampColumn();
      read.touch(t);
      List<DataFile> files = table.liveFiles();
      for (DataFile f : files) {
        long[] misplaced = {0};
        ParquetRows.FileRows fr = ParquetRows.forEach(lake.store(), keyOf(lake.store(), f.location()), row -> {
          long micros = (Long) RowFingerprint.value(schema.column(tsColumn), row);
          if (!spec.partitionOfMicros(micros).equals(f.partition())) {
            misplaced[0]++;
          }
          read.add(t, f.partition(), RowFingerprint.ofGroup(schema, row));
        });
        if (fr.rowsRead() != fr.footerRows() || fr.rowsRead() != f.recordCount()) {
          failures.add(String.format(Locale.ROOT, "%s: read %,d rows, the footer says %,d, the catalog %,d",
              f.location(), fr.rowsRead(), fr.footerRows(), f.recordCount()));
        }
        if (misplaced[0] > 0) {
          failures.add(String.format(Locale.ROOT, "%s: %,d rows have a %s outside partition %s",
              f.location(), misplaced[0], tsName, f.partition()));
        }
      }
      RetentionResult r = retention.get(t);
      List<String> droppedPartitions = r == null ? List.of()
          : r.partitionsDropped().stream().map(RetentionResult.DroppedPartition::partition).toList();
      long rowsDropped = r == null ? 0 : r.rowsDropped();
      RowLedger.Tally in = staged.total(t, Set.of());
      RowLedger.Tally expected = staged.total(t, droppedPartitions);
      RowLedger.Tally got = read.total(t, Set.of());
      List<String> problems = new ArrayList<>();
      if (got.rows != in.rows - rowsDropped) {
        problems.add(String.format(Locale.ROOT, "rows out %,d != rows in %,d - dropped %,d", got.rows, in.rows, rowsDropped));
      }
      if (in.rows - expected.rows != rowsDropped) {
        problems.add(String.format(Locale.ROOT, "retention reported %,d rows dropped but its partitions held %,d",
            rowsDropped, in.rows - expected.rows));
      }
      if (got.rows == expected.rows && got.fingerprint != expected.fingerprint) {
        problems.add("same row count but different rows (fingerprints differ)");
      }
      problems.addAll(partitionDiffs(staged.partitions(t), read.partitions(t), droppedPartitions));
      problems.forEach(p -> failures.add(t + ": " + p));
      totalIn += in.rows;
      totalDropped += rowsDropped;
      totalOut += got.rows;
      out.printf(Locale.ROOT, "  %-22s %,9d %,9d %,9d %6d %6d  %s%n", t, in.rows, rowsDropped, got.rows, files.size(),
          read.partitions(t).size(), problems.isEmpty() ? "ok" : "MISMATCH");
    }
    out.printf(Locale.ROOT, "  %-22s %,9d %,9d %,9d%n", "total", totalIn, totalDropped, totalOut);
  }

  /** The first few partitions whose rows differ between what went in (less dropped partitions) and what came out. */
  private static List<String> partitionDiffs(Map<String, RowLedger.Tally> in, Map<String, RowLedger.Tally> got,
      List<String> dropped) {
    Set<String> all = new java.util.TreeSet<>(in.keySet());
    all.addAll(got.keySet());
    List<String> diffs = new ArrayList<>();
    for (String p : all) {
      boolean wasDropped = dropped.contains(p);
      RowLedger.Tally a = in.get(p);
      RowLedger.Tally b = got.get(p);
      long inRows = a == null || wasDropped ? 0 : a.rows;
      long inPrint = a == null || wasDropped ? 0 : a.fingerprint;
      long outRows = b == null ? 0 : b.rows;
      long outPrint = b == null ? 0 : b.fingerprint;
      if (inRows != outRows || inPrint != outPrint) {
        if (diffs.size() == 3) {
          diffs.add("... more partitions differ");
          break;
        }
        diffs.add(String.format(Locale.ROOT, "partition %s%s: %,d rows expected, %,d read%s", p,
            wasDropped ? " (dropped by retention)" : "", inRows, outRows,
            inRows == outRows ? " (but different rows)" : ""));
      }
    }
    return diffs;
  }

  // ---------------------------------------------------------------- metrics

  /** Every lifecycle.* meter, summed over its tags (tenant, dataset, table...). */
  private void printMetrics() {
    Map<String, double[]> sums = new TreeMap<>();
    Map<String, String> kinds = new HashMap<>();
    Map<String, Set<String>> tagKeys = new HashMap<>();
    for (Meter m : registry.getMeters()) {
      String name = m.getId().getName();
      if (!name.startsWith("lifecycle.")) {
        continue;
      }
      double[] sum = sums.computeIfAbsent(name, k -> new double[2]);
      kinds.put(name, m.getId().getType().name().toLowerCase(Locale.ROOT));
      tagKeys.computeIfAbsent(name, k -> new java.util.TreeSet<>()).addAll(
          m.getId().getTags().stream().map(io.micrometer.core.instrument.Tag::getKey).toList());
      for (Measurement x : m.measure()) {
        if (x.getStatistic() == Statistic.COUNT || x.getStatistic() == Statistic.VALUE) {
          sum[0] += x.getValue();
        } else if (x.getStatistic() == Statistic.TOTAL_TIME || x.getStatistic() == Statistic.TOTAL) {
          sum[1] += x.getValue();
        }
      }
    }
    out.printf(Locale.ROOT, "%n== Metrics (lifecycle.*, summed over tags)%n");
    sums.forEach((name, v) -> out.printf(Locale.ROOT, "  %-44s %-16s %,14.0f%s  tags %s%n", name, kinds.get(name), v[0],
        kinds.get(name).equals("timer") ? String.format(Locale.ROOT, " (%.2f s)", v[1])
            : v[1] != 0 ? String.format(Locale.ROOT, " (total %,.0f)", v[1]) : "",
        tagKeys.get(name)));
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Opens the store at {@code location} through the {@link ObjectStoreProvider} on the class path that serves
   * its scheme ({@code s3://} and {@code s3a://}: lifecycle-s3, which reads its settings from the environment),
   * and checks that nothing is stored under it yet.
   *
   * @throws IllegalArgumentException if no provider serves the scheme or the location is not empty
   * @throws LifecycleException if the store cannot be opened (missing bucket, bad credentials...)
   */
  static ObjectStore openEmpty(URI location) {
    String scheme = location.getScheme().toLowerCase(Locale.ROOT);
    ObjectStoreProvider provider = ServiceLoader.load(ObjectStoreProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(p -> p.schemes().stream().anyMatch(scheme::equalsIgnoreCase))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("--out " + location + ": no object store on the class path"
            + " serves scheme '" + scheme + "' (s3:// and s3a:// need lifecycle-s3)"));
    // Empty properties: each provider reads its own settings from the environment (LIFECYCLE_S3_*, AWS_*).
    ObjectStore store = provider.open(location, Map.of());
    boolean empty;
    try (Stream<ObjectInfo> objects = store.list("")) {
      empty = objects.findAny().isEmpty();
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    if (!empty) {
      store.close();
      throw new IllegalArgumentException("--out " + location + " is not empty; the quickstart needs a fresh"
          + " location (delete what is under it, or pass another prefix)");
    }
    return store;
  }

  private static Path prepareOutput(Path requested) {
    try {
      if (requested == null) {
        return Files.createTempDirectory("lake-quickstart-").toAbsolutePath();
      }
      Path dir = requested.toAbsolutePath().normalize();
      if (Files.exists(dir)) {
        if (!Files.isDirectory(dir)) {
          throw new IllegalArgumentException("--out " + dir + " is a file; give a new or empty directory");
        }
        try (Stream<Path> entries = Files.list(dir)) {
          if (entries.findAny().isPresent()) {
            throw new IllegalArgumentException("--out " + dir + " is not empty; the quickstart needs a fresh "
                + "directory (delete it, or pass another --out)");
          }
        }
      }
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot create the output directory " + requested + ": " + e.getMessage(), e);
    }
  }

  /** Files, bytes, rows and partitions of a set of live files. */
  static final class Stats {
    long files;
    long bytes;
    long rows;
    long partitions;

    static Stats of(List<DataFile> live) {
      Stats s = new Stats();
      for (DataFile f : live) {
        s.files++;
        s.bytes += f.sizeBytes();
        s.rows += f.recordCount();
      }
      s.partitions = live.stream().map(DataFile::partition).distinct().count();
      return s;
    }

    /** Adds another table's stats (partitions of different tables are different partitions). */
    void add(Stats o) {
      files += o.files;
      bytes += o.bytes;
      rows += o.rows;
      partitions += o.partitions;
    }

    String filesAndBytes() {
      return String.format(Locale.ROOT, "%,6d files %9s", files, bytes(bytes));
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%,d files, %s, %,d rows, %,d partitions", files, bytes(bytes), rows,
          partitions);
    }

    static String bytes(long n) {
      if (n < 1024) {
        return n + " B";
      }
      if (n < 1024 * 1024) {
        return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
      }
      return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }
  }

  /**
   * The command line. {@code --out} is either a local directory ({@link #out}) or, given as a URI with a
   * scheme other than {@code file:}, a storage location ({@link #location}, ending in {@code /}).
   */
  record Options(Path apacheLogs, Path earthquakes, Path out, URI location, int replicas, boolean metrics,
      boolean help) {
    /** A URI scheme and its colon; two characters at least, so that a Windows drive ({@code C:\lake}) is a path. */
    private static final Pattern URI_SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+:");

    static Options parse(String[] args) {
      Map<String, String> values = new HashMap<>();
      boolean help = false;
      boolean metrics = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--help", "-h" -> help = true;
          case "--metrics" -> metrics = true;
          case "--apache-logs", "--earthquakes", "--out", "--replicas" -> {
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
              throw new IllegalArgumentException(a + " needs a value");
            }
            if (values.put(a, args[++i]) != null) {
              throw new IllegalArgumentException(a + " was given twice");
            }
          }
          default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
        }
      }
      if (help) {
        return new Options(null, null, null, null, DEFAULT_REPLICAS, false, true);
      }
      int replicas = DEFAULT_REPLICAS;
      if (values.containsKey("--replicas")) {
        try {
          replicas = Integer.parseInt(values.get("--replicas"));
        } catch (NumberFormatException e) {
          replicas = -1;
        }
        if (replicas < 1 || replicas > 16) {
          throw new IllegalArgumentException("--replicas must be an integer from 1 to 16, got " + values.get("--replicas"));
        }
      }
      Path logs = input(values.get("--apache-logs"), "apache_logs", "--apache-logs");
      Path quakes = input(values.get("--earthquakes"), "earthquakes.txt", "--earthquakes");
      Path out = null;
      URI location = null;
      String given = values.get("--out");
      if (given != null && URI_SCHEME.matcher(given).lookingAt()) {
        try {
          URI u = new URI(given.endsWith("/") ? given : given + "/");
          if (u.getScheme().equalsIgnoreCase("file")) {
            out = Paths.get(u);
          } else {
            location = u;
          }
        } catch (URISyntaxException | IllegalArgumentException e) {
          throw new IllegalArgumentException("--out " + given + " is not a valid location URI: " + e.getMessage(), e);
        }
      } else if (given != null) {
        out = Paths.get(given);
      }
      return new Options(logs, quakes, out, location, replicas, metrics, false);
    }

    private static Path input(String given, String sharedName, String option) {
      Path p;
      if (given != null) {
        p = Paths.get(given);
      } else {
        Path shared = SharedDataLocator.root().orElseThrow(() -> new IllegalArgumentException(
            "cannot find the shared data directory (shared/data above the working directory) for the default "
                + option + ": pass " + option + " FILE or -Dlifecycle.shared.data=/path/to/shared/data"));
        p = shared.resolve("real").resolve(sharedName);
      }
      if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
        throw new IllegalArgumentException(option + " " + p + " is not a readable file");
      }
      return p;
    }
  }
}
