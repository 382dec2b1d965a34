package dev.lakelifecycle.benchmarks;

import dev.lakelifecycle.api.storage.ObjectInfo;
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
import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
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
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * Orphan classification at scale, side by side with the naive peer: 10,000,000 listed objects of which
 * 5,000,000 are referenced (a {@link SyntheticLake}: generated keys, no storage), every object 30 days old,
 * so the other 5,000,000 are orphans.
 *
 * <ul>
 *   <li><b>sweeper</b>: {@link DefaultOrphanSweeper} dry run with revalidation (the default: the valid set is
 *       built twice), in a child JVM with {@code -Xmx256m}; orphans go to a counting {@code SweepListener}.</li>
 *   <li><b>sweeper-no-revalidate</b>: the same with {@code revalidate(false)}, {@code -Xmx256m}: one valid
 *       set, the listing merged against it.</li>
 *   <li><b>hashset</b>: the peer: every referenced key into a {@code HashSet<String>}, then the listing
 *       streamed against it ({@code !set.contains(key) && old}), in a child JVM with {@code -Xmx4g}.</li>
 * </ul>
 * Each side runs alone (one after the other) and reports wall time, objects classified per second (listed
 * objects / wall time, valid-set building included), the peak heap use summed over heap memory pools
 * (MemoryPoolMXBean peak usage, which includes uncollected garbage and grows towards -Xmx), and the largest heap
 * use right after a garbage collection (close to the peak live heap).
 *
 * <p>Run (from the repository root):
 * <pre>
 * mvn -q -o -pl benchmarks -am package -DskipTests
 * mvn -q -o -pl benchmarks dependency:build-classpath -Dmdep.outputFile=/tmp/bench.cp
 * java -cp benchmarks/target/classes:lifecycle-core/target/classes:lifecycle-api/target/classes:$(tr ':' '\n' &lt; /tmp/bench.cp \
    | grep -v dev/lakelifecycle | paste -sd:) dev.lakelifecycle.benchmarks.OrphanSweepBenchmark [objects]
 * </pre>
 * {@code objects} defaults to 10,000,000.
 */
public final class OrphanSweepBenchmark {
  private static final Instant NOW = Instant.parse("2026-02-01T00:00:00Z");
  private static final Duration GRACE = Duration.ofHours(24);

  private OrphanSweepBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 2) {
      child(args[0], Long.parseLong(args[1]));
      return;
    }
    long objects = args.length == 1 ? Long.parseLong(args[0]) : 10_000_000L;
    System.out.printf(Locale.ROOT, "Orphan sweep benchmark: %,d listed objects, %,d referenced; %d CPUs; load %.2f%n",
        objects, (objects + 1) / 2, Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    Map<String, Map<String, String>> results = new TreeMap<>();
    results.put("sweeper", run("sweeper", objects, "-Xmx256m"));
    results.put("sweeper-no-revalidate", run("sweeper-no-revalidate", objects, "-Xmx256m"));
    results.put("hashset", run("hashset", objects, "-Xmx4g"));
    Map<String, String> peer = results.get("hashset");
    System.out.println();
    System.out.printf(Locale.ROOT, "%-24s %10s %16s %14s %14s %10s %10s%n", "side", "seconds", "objects/s",
        "peak heap MB", "live-after-GC", "speed x", "live /");
    for (Map.Entry<String, Map<String, String>> e : results.entrySet()) {
      Map<String, String> r = e.getValue();
      double secs = Double.parseDouble(r.get("seconds"));
      double heap = Double.parseDouble(r.get("peakHeapMB"));
      double live = Double.parseDouble(r.get("liveAfterGcMB"));
      System.out.printf(Locale.ROOT, "%-24s %10.2f %,16.0f %14.1f %14.1f %10.2f %10.2f   orphans=%s%n", e.getKey(),
          secs, objects / secs, heap, live, Double.parseDouble(peer.get("seconds")) / secs,
          Double.parseDouble(peer.get("liveAfterGcMB")) / live, r.get("orphans"));
    }
    System.out.printf(Locale.ROOT, "load average after: %.2f%n",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }

  private static Map<String, String> run(String side, long objects, String xmx) throws IOException, InterruptedException {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> cmd = new ArrayList<>(List.of(java, xmx, "-XX:+UseG1GC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
        OrphanSweepBenchmark.class.getName(), side, Long.toString(objects)));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Map<String, String> result = new TreeMap<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        System.out.println("  [" + side + "] " + line);
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
    AtomicLong liveAfterGc = watchLiveHeap();
    long started = System.nanoTime();
    long orphans = switch (side) {
      case "sweeper" -> sweep(lake, true);
      case "sweeper-no-revalidate" -> sweep(lake, false);
      case "hashset" -> hashSetDifference(lake);
      default -> throw new IllegalArgumentException("unknown side " + side);
    };
    double seconds = (System.nanoTime() - started) / 1e9;
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
    System.out.printf(Locale.ROOT, "RESULT seconds=%.3f peakHeapMB=%.1f liveAfterGcMB=%.1f orphans=%d maxHeapMB=%d%n",
        seconds, peak / 1048576.0, liveAfterGc.get() / 1048576.0, orphans, Runtime.getRuntime().maxMemory() >> 20);
  }

  /** The largest heap use right after any collection: live data plus what that collection left. */
  private static AtomicLong watchLiveHeap() {
    AtomicLong max = new AtomicLong();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener((notification, handback) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
          GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
              (CompositeData) notification.getUserData());
          long used = 0;
          for (MemoryUsage u : info.getGcInfo().getMemoryUsageAfterGc().values()) {
            used += u.getUsed();
          }
          max.accumulateAndGet(used, Math::max);
        }
      }, null, null);
    }
    return max;
  }

  private static long sweep(SyntheticLake lake, boolean revalidate) {
    AtomicLong orphans = new AtomicLong();
    DefaultOrphanSweeper sweeper = new DefaultOrphanSweeper(lake.store(), lake.catalog(),
        new InMemoryCheckpointStore(Clock.fixed(NOW, ZoneOffset.UTC)), LifecycleConfig.Sweep.DEFAULTS,
        Clock.fixed(NOW, ZoneOffset.UTC), new SimpleMeterRegistry());
    SweepResult r = sweeper.sweep(SyntheticLake.TABLE).dryRun(true).olderThan(GRACE).revalidate(revalidate)
        .listener(new SweepListener() {
          @Override
          public void orphan(String location, long sizeBytes, Instant lastModified) {
            orphans.incrementAndGet();
          }
        }).execute();
    if (r.orphansIdentified() != orphans.get() || r.filesScanned() != lake.objects
        || r.referencedFiles() != lake.referencedCount()) {
      throw new IllegalStateException("inconsistent result " + r.filesScanned() + "/" + r.referencedFiles() + "/"
          + r.orphansIdentified() + " vs " + orphans.get());
    }
    return orphans.get();
  }

  /** The peer: a HashSet of every referenced key, then the listing streamed against it. */
  private static long hashSetDifference(SyntheticLake lake) {
    HashSet<String> valid = new HashSet<>();
    lake.catalog().loadTable(SyntheticLake.TABLE).forEachReferencedLocation(
        l -> valid.add(l.substring(SyntheticLake.ROOT.length())));
    Instant cutoff = NOW.minus(GRACE);
    long orphans = 0;
    for (Iterator<ObjectInfo> it = lake.listing(); it.hasNext(); ) {
      ObjectInfo o = it.next();
      if (!valid.contains(o.key()) && o.lastModified().isBefore(cutoff)) {
        orphans++;
      }
    }
    return orphans;
  }
}
