package dev.lakelifecycle.benchmarks;

import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.sweep.SweepListener;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.checkpoint.InMemoryCheckpointStore;
import dev.lakelifecycle.core.internal.sweep.DefaultOrphanSweeper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A whole orphan sweep at scale, side by side with the naive peer: 10,000,000 listed objects of which
 * 5,000,000 are referenced (a {@link SyntheticLake}: generated keys, no storage), every object 30 days old,
 * so the other 5,000,000 are orphans.
 *
 * <ul>
 *   <li><b>sweeper</b>: {@link DefaultOrphanSweeper} dry run with revalidation (the default), in a child JVM
 *       with {@code -Xmx256m}; orphans go to a counting {@code SweepListener}. Nothing is committed meanwhile,
 *       so the table's metadata version is unchanged at revalidation and the catalog is read once.</li>
 *   <li><b>sweeper-full-revalidate</b>: the same, but the table reports no metadata version (as a catalog that
 *       does not track one), so revalidation rebuilds the valid set: the catalog is read twice, as after a
 *       commit during the sweep.</li>
 *   <li><b>sweeper-no-revalidate</b>: the same with {@code revalidate(false)}, {@code -Xmx256m}: one valid
 *       set, the listing merged against it.</li>
 *   <li><b>sweeper-delete</b>: a real (not dry) sweep with revalidation, {@code -Xmx256m}: the 5,000,000
 *       orphans are deleted through {@code ObjectStore.delete} in batches of 1000, each batch checkpointed
 *       (in-memory checkpoint store). The synthetic store refuses to delete a referenced object and the run
 *       checks that exactly the orphans are gone.</li>
 *   <li><b>hashset</b>: the peer: every referenced key into a {@code HashSet<String>}, then the listing
 *       streamed against it ({@code !set.contains(key) && old}), in a child JVM with {@code -Xmx4g}.</li>
 *   <li><b>lake-only</b>: what the synthetic lake costs every side: the references streamed once and the
 *       listing once, nothing else (no sweep at all).</li>
 *   <li><b>hashset-delete</b>: the peer deleting its orphans in batches of 1000 (no checkpoints, no
 *       revalidation), {@code -Xmx4g}.</li>
 * </ul>
 * Each side runs alone (one after the other) in its own JVM. <b>Objects classified per second</b> is the
 * number of listed objects divided by the wall time of the whole sweep: building the valid set (twice with
 * revalidation), listing, classifying, revalidating, and for the deleting sides the deletes and checkpoints;
 * only generating the synthetic lake is outside the clock. Each side also reports the CPU seconds its JVM used
 * meanwhile (all threads, GC and JIT included: on a loaded machine wall time stretches, CPU time much less),
 * the peak heap use summed
 * over heap memory pools (MemoryPoolMXBean peak usage, which includes uncollected garbage and grows towards
 * -Xmx), and the largest heap use right after a garbage collection (close to the peak live heap). The speed
 * ratio compares a dry side with {@code hashset} and a deleting side with {@code hashset-delete}. The load
 * average is printed before and after: the figures are only comparable on an otherwise idle machine.
 *
 * <p>Run (from the repository root):
 * <pre>
 * mvn -q -o -pl benchmarks -am package -DskipTests dependency:build-classpath -Dmdep.outputFile=/tmp/bench.cp
 * java -cp benchmarks/target/classes:lifecycle-core/target/classes:lifecycle-api/target/classes:$(tr ':' '\n' &lt; /tmp/bench.cp \
    | grep -v dev/lakelifecycle | paste -sd:) dev.lakelifecycle.benchmarks.OrphanSweepBenchmark [objects [side,side...]]
 * </pre>
 * {@code objects} defaults to 10,000,000; the sides default to all seven.
 */
public final class OrphanSweepBenchmark {
  private static final Instant NOW = Instant.parse("2026-02-01T00:00:00Z");
  private static final Duration GRACE = Duration.ofHours(24);

  private OrphanSweepBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 1 && args[0].equals("child")) {
      child(args[1], Long.parseLong(args[2]));
      return;
    }
    long objects = args.length >= 1 ? Long.parseLong(args[0]) : 10_000_000L;
    List<String> sides = args.length >= 2 ? List.of(args[1].split(","))
        : List.of("lake-only", "sweeper", "sweeper-full-revalidate", "sweeper-no-revalidate", "sweeper-delete",
            "hashset", "hashset-delete");
    System.out.printf(Locale.ROOT, "Orphan sweep benchmark: %,d listed objects, %,d referenced; %d CPUs; load %.2f%n",
        objects, (objects + 1) / 2, Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    Map<String, Map<String, String>> results = new TreeMap<>();
    for (String side : sides) {
      results.put(side, run(side, objects, side.startsWith("hashset") ? "-Xmx4g" : "-Xmx256m"));
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "%-24s %10s %16s %10s %14s %14s %10s %10s%n", "side", "seconds", "objects/s",
        "CPU s", "peak heap MB", "live-after-GC", "speed x", "live /");
    for (Map.Entry<String, Map<String, String>> e : results.entrySet()) {
      Map<String, String> r = e.getValue();
      double secs = Double.parseDouble(r.get("seconds"));
      double heap = Double.parseDouble(r.get("peakHeapMB"));
      double live = Double.parseDouble(r.get("liveAfterGcMB"));
      // lake-only is no sweep: it has no peer; it says what the synthetic lake costs every side.
      Map<String, String> peer = e.getKey().equals("lake-only") ? null
          : results.get(e.getKey().endsWith("-delete") ? "hashset-delete" : "hashset");
      System.out.printf(Locale.ROOT, "%-24s %10.2f %,16.0f %10.2f %14.1f %14.1f %10s %10s   orphans=%s deleted=%s%n",
          e.getKey(), secs, objects / secs, Double.parseDouble(r.get("cpuSeconds")), heap, live,
          peer == null ? "-" : String.format(Locale.ROOT, "%.2f", Double.parseDouble(peer.get("seconds")) / secs),
          peer == null ? "-" : String.format(Locale.ROOT, "%.2f", Double.parseDouble(peer.get("liveAfterGcMB")) / live),
          r.get("orphans"), r.get("deleted"));
    }
    System.out.printf(Locale.ROOT, "load average after: %.2f (speed x and live / are the peer's figure over ours)%n",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }

  private static Map<String, String> run(String side, long objects, String xmx) throws IOException, InterruptedException {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> cmd = new ArrayList<>(List.of(java, xmx, "-XX:+UseG1GC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.dev.lakelifecycle.core.internal.sweep.DefaultOrphanSweeper=info", "-cp", System.getProperty("java.class.path"),
        OrphanSweepBenchmark.class.getName(), "child", side, Long.toString(objects)));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Map<String, String> result = new TreeMap<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.contains("Would delete")) { // the sweeper's dry-run INFO lines: 1000 per run
          System.out.println("  [" + side + "] " + line);
        }
        if (line.startsWith("RESULT ")) {
          for (String kv : line.substring(7).split(" ")) {
            String[] parts = kv.split("=", 2);
            result.put(parts[0], parts[1]);
          }
        }
      }
    }
    int exit = p.waitFor();
    if (exit != 0 || result.isEmpty()) {
      throw new IllegalStateException(side + " failed with exit code " + exit);
    }
    return result;
  }

  private static void child(String side, long objects) {
    SyntheticLake lake = new SyntheticLake(objects, NOW);
    System.gc();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
    LiveHeap liveAfterGc = LiveHeap.watch();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpuStarted = os.getProcessCpuTime();
    long started = System.nanoTime();
    long orphans = switch (side) {
      case "sweeper" -> sweep(lake, true, true);
      case "sweeper-no-revalidate" -> sweep(lake, false, true);
      case "sweeper-full-revalidate" -> sweep(lake.withoutMetadataVersion(), true, true);
      case "sweeper-delete" -> sweep(lake, true, false);
      case "hashset" -> hashSetDifference(lake, false);
      case "hashset-delete" -> hashSetDifference(lake, true);
      case "lake-only" -> lakeOnly(lake);
      default -> throw new IllegalArgumentException("unknown side " + side);
    };
    double seconds = (System.nanoTime() - started) / 1e9;
    double cpuSeconds = (os.getProcessCpuTime() - cpuStarted) / 1e9;
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    long expected = objects / 2;
    if (orphans != expected) {
      throw new IllegalStateException(side + " found " + orphans + " orphans, expected " + expected);
    }
    boolean deleting = side.endsWith("-delete");
    if (lake.deletedCount() != (deleting ? expected : 0)) {
      throw new IllegalStateException(side + " deleted " + lake.deletedCount() + " objects, expected "
          + (deleting ? expected : 0));
    }
    System.out.printf(Locale.ROOT,
        "RESULT seconds=%.3f cpuSeconds=%.3f peakHeapMB=%.1f liveAfterGcMB=%.1f orphans=%d deleted=%d deleteCalls=%d maxHeapMB=%d%n",
        seconds, cpuSeconds, peak / 1048576.0, liveAfterGc.maxAfterGcBytes() / 1048576.0, orphans, lake.deletedCount(), lake.deleteCalls(),
        Runtime.getRuntime().maxMemory() >> 20);
  }

  private static long sweep(SyntheticLake lake, boolean revalidate, boolean dryRun) {
    AtomicLong orphans = new AtomicLong();
    DefaultOrphanSweeper sweeper = new DefaultOrphanSweeper(lake.store(), lake.catalog(),
        new InMemoryCheckpointStore(Clock.fixed(NOW, ZoneOffset.UTC)), LifecycleConfig.Sweep.DEFAULTS,
        Clock.fixed(NOW, ZoneOffset.UTC), new SimpleMeterRegistry());
    SweepResult r = sweeper.sweep(SyntheticLake.TABLE).dryRun(dryRun).olderThan(GRACE).revalidate(revalidate)
        .listener(new SweepListener() {
          @Override
          public void orphan(String location, long sizeBytes, Instant lastModified) {
            orphans.incrementAndGet();
          }
        }).execute();
    if (r.orphansIdentified() != orphans.get() || r.filesScanned() != lake.objects
        || r.referencedFiles() != lake.referencedCount() || r.filesDeleted() != (dryRun ? 0 : orphans.get())
        || r.deleteFailures() != 0) {
      throw new IllegalStateException("inconsistent result " + r.filesScanned() + "/" + r.referencedFiles() + "/"
          + r.orphansIdentified() + " vs " + orphans.get());
    }
    return orphans.get();
  }

  /**
   * The synthetic lake's own cost, which every side pays: the references streamed once, the listing once,
   * nothing kept; returns the orphan count the listing implies.
   */
  private static long lakeOnly(SyntheticLake lake) {
    AtomicLong referenced = new AtomicLong();
    lake.catalog().loadTable(SyntheticLake.TABLE).forEachReferencedLocation(l -> referenced.addAndGet(l.length()));
    long listed = 0;
    for (Iterator<ObjectInfo> it = lake.listing(); it.hasNext(); ) {
      listed += it.next().key().isEmpty() ? 0 : 1;
    }
    return referenced.get() > 0 ? listed - lake.referencedCount() : 0;
  }

  /**
   * The peer: a HashSet of every referenced key, then the listing streamed against it; when {@code delete},
   * the orphans are deleted in batches of 1000.
   */
  private static long hashSetDifference(SyntheticLake lake, boolean delete) {
    ObjectStore store = lake.store();
    List<String> batch = new ArrayList<>(1000);
    HashSet<String> valid = new HashSet<>();
    lake.catalog().loadTable(SyntheticLake.TABLE).forEachReferencedLocation(
        l -> valid.add(l.substring(SyntheticLake.ROOT.length())));
    Instant cutoff = NOW.minus(GRACE);
    long orphans = 0;
    for (Iterator<ObjectInfo> it = lake.listing(); it.hasNext(); ) {
      ObjectInfo o = it.next();
      if (!valid.contains(o.key()) && o.lastModified().isBefore(cutoff)) {
        orphans++;
        if (delete) {
          batch.add(o.key());
          if (batch.size() == 1000) {
            store.delete(batch);
            batch.clear();
          }
        }
      }
    }
    if (!batch.isEmpty()) {
      store.delete(batch);
    }
    return orphans;
  }
}
