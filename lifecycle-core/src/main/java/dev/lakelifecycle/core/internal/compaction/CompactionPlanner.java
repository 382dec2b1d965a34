package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.CompactionPlan.Decision;
import dev.lakelifecycle.api.compaction.CompactionPlan.Group;
import dev.lakelifecycle.api.compaction.CompactionPlan.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.parquet.schema.MessageType;

/**
 * Decides which live files of a table are rewritten into which outputs. A pure function of the live files,
 * the settings, the time and each file's Parquet schema: it reads nothing itself, so it is tested without
 * storage and a dry run and a real run decide alike.
 *
 * <p>Rules (the Iceberg runbook's threshold, target size and oldest-first; the ParqueDB runbook's windows):
 * <ol>
 *   <li>A file is <em>small</em> when its size is below {@link Settings#minFileSizeBytes()} (75 % of the
 *       target); larger files are {@link Reason#LARGE_ENOUGH} and never rewritten.</li>
 *   <li>A partition is open for late writers until {@code PartitionSpec.endOf(p) + maxWait}; its small files
 *       are {@link Reason#WINDOW_OPEN} unless {@code force}.</li>
 *   <li>Only files with an identical Parquet schema are merged. Within a closed partition the small files are
 *       split into schema classes; a class is compacted when it has at least {@code minInputFiles} files or
 *       its bytes reach the target, otherwise its files are {@link Reason#TOO_FEW_FILES}. A single small file
 *       is never rewritten alone.</li>
 *   <li>A compacted class is packed oldest first into groups of at least two files whose inputs add up to
 *       about the target, so each output lands near it. Groups run oldest partition first and are numbered
 *       {@code cg-0, cg-1, ...} in that order.</li>
 * </ol>
 */
final class CompactionPlanner {
  /** The planning thresholds of one run. */
  record Settings(long targetFileSizeBytes, long minFileSizeBytes, int minInputFiles, Duration maxWait,
      boolean force) {
    Settings {
      Objects.requireNonNull(maxWait, "maxWait");
    }
  }

  /**
   * What is known of one file's Parquet schema: the schema, or why its footer could not be read.
   *
   * @param schema the file schema, or {@code null} if unreadable
   * @param unreadable why the footer could not be read, or {@code null}
   */
  record FileSchema(MessageType schema, String unreadable) {
    static FileSchema of(MessageType schema) {
      return new FileSchema(Objects.requireNonNull(schema, "schema"), null);
    }

    static FileSchema unreadable(String why) {
      return new FileSchema(null, why);
    }
  }

  /** Oldest first; ties broken by size (smallest first) and location, so plans are deterministic. */
  static final Comparator<DataFile> OLDEST_FIRST = Comparator.comparing(DataFile::createdAt)
      .thenComparingLong(DataFile::sizeBytes)
      .thenComparing(DataFile::location);

  private CompactionPlanner() {}

  /**
   * Plans the compaction of {@code liveFiles}.
   *
   * @param schemaOf the schema of a small file of a closed partition (only those are asked for)
   * @return groups in execution order and exactly one decision per live file, in the order of {@code liveFiles}
   */
  static CompactionPlan plan(TableId table, List<DataFile> liveFiles, Settings settings, Instant now,
      Function<DataFile, FileSchema> schemaOf) {
    Map<DataFile, Decision> decisions = new IdentityHashMap<>();
    List<Group> groups = new ArrayList<>();

    // Oldest partition first: partitions named hour=/day= sort chronologically as text within one
    // granularity; we order by start instant so a mixed table is also oldest first.
    Map<String, List<DataFile>> byPartition = new TreeMap<>(CompactionPlanner::comparePartitions);
    for (DataFile f : liveFiles) {
      byPartition.computeIfAbsent(f.partition(), p -> new ArrayList<>()).add(f);
    }

    for (Map.Entry<String, List<DataFile>> e : byPartition.entrySet()) {
      String partition = e.getKey();
      List<DataFile> small = new ArrayList<>();
      for (DataFile f : e.getValue()) {
        if (f.sizeBytes() >= settings.minFileSizeBytes()) {
          decisions.put(f, new Decision(f, Reason.LARGE_ENOUGH, String.format(Locale.ROOT,
              "size %d B >= small-file threshold %d B (75 %% of target %d B): already large enough",
              f.sizeBytes(), settings.minFileSizeBytes(), settings.targetFileSizeBytes())));
        } else {
          small.add(f);
        }
      }
      if (small.isEmpty()) {
        continue;
      }
      Instant closesAt = closesAt(partition, settings.maxWait());
      if (!settings.force() && closesAt != null && now.isBefore(closesAt)) {
        for (DataFile f : small) {
          decisions.put(f, new Decision(f, Reason.WINDOW_OPEN, String.format(Locale.ROOT,
              "partition %s is open for late writers until %s (window end %s + max wait %s), now %s;"
                  + " size %d B < threshold %d B; compacted after the window closes, or with force(true)",
              partition, closesAt, PartitionSpec.endOf(partition), settings.maxWait(), now,
              f.sizeBytes(), settings.minFileSizeBytes())));
        }
        continue;
      }
      small.sort(OLDEST_FIRST);
      Map<DataFile, String> unreadable = new IdentityHashMap<>();
      for (List<DataFile> schemaClass : schemaClasses(small, schemaOf, unreadable)) {
        planClass(partition, schemaClass, small.size(), settings, unreadable, groups, decisions);
      }
    }

    List<Decision> ordered = new ArrayList<>(liveFiles.size());
    for (DataFile f : liveFiles) {
      ordered.add(Objects.requireNonNull(decisions.get(f), () -> "no decision for " + f.location()));
    }
    return new CompactionPlan(table, groups, ordered);
  }

  /**
   * When a partition's window closes: its end plus the max wait, or {@code null} for a partition value
   * that is not a time window (such a partition has no late writers to wait for).
   */
  static Instant closesAt(String partition, Duration maxWait) {
    try {
      return PartitionSpec.endOf(partition).plus(maxWait);
    } catch (IllegalArgumentException notATimeWindow) {
      return null;
    }
  }

  private static int comparePartitions(String a, String b) {
    Instant sa = startOrNull(a);
    Instant sb = startOrNull(b);
    if (sa != null && sb != null && !sa.equals(sb)) {
      return sa.compareTo(sb);
    }
    if (sa == null ^ sb == null) {
      return sa == null ? 1 : -1; // time windows first, anything else after, by name
    }
    return a.compareTo(b);
  }

  private static Instant startOrNull(String partition) {
    try {
      return PartitionSpec.startOf(partition);
    } catch (IllegalArgumentException notATimeWindow) {
      return null;
    }
  }

  /**
   * Splits the small files of a partition (oldest first) into classes of identical schema, largest class
   * first (ties: the class of the older file first). A file whose footer cannot be read is kept in the
   * largest class: its schema is unknown, not known to differ, and the rewrite then fails on it with a
   * {@link dev.lakelifecycle.api.CorruptFileException} naming it, instead of it being skipped silently forever.
   *
   * @param unreadable receives each unreadable file with the reason
   */
  private static List<List<DataFile>> schemaClasses(List<DataFile> small, Function<DataFile, FileSchema> schemaOf,
      Map<DataFile, String> unreadable) {
    Map<MessageType, List<DataFile>> classes = new LinkedHashMap<>();
    for (DataFile f : small) {
      FileSchema s = schemaOf.apply(f);
      if (s == null || s.schema() == null) {
        unreadable.put(f, s == null || s.unreadable() == null ? "unknown schema" : s.unreadable());
      } else {
        classes.computeIfAbsent(s.schema(), k -> new ArrayList<>()).add(f);
      }
    }
    List<List<DataFile>> ordered = new ArrayList<>(classes.values());
    // Stable sort keeps first-seen (oldest file) order among equally large classes.
    ordered.sort(Comparator.comparingInt((List<DataFile> c) -> c.size()).reversed());
    if (!unreadable.isEmpty()) {
      if (ordered.isEmpty()) {
        ordered.add(new ArrayList<>());
      }
      ordered.get(0).addAll(unreadable.keySet());
      ordered.get(0).sort(OLDEST_FIRST);
    }
    return ordered;
  }

  private static void planClass(String partition, List<DataFile> files, int smallInPartition, Settings settings,
      Map<DataFile, String> unreadable, List<Group> groups, Map<DataFile, Decision> decisions) {
    long bytes = files.stream().mapToLong(DataFile::sizeBytes).sum();
    String schemaNote = files.size() == smallInPartition ? ""
        : String.format(Locale.ROOT, "; only %d of the partition's %d small files share this Parquet schema"
            + " (files of differing schemas are never merged)", files.size(), smallInPartition);
    boolean compact = files.size() >= 2
        && (files.size() >= settings.minInputFiles() || bytes >= settings.targetFileSizeBytes());
    if (!compact) {
      for (DataFile f : files) {
        decisions.put(f, new Decision(f, Reason.TOO_FEW_FILES, String.format(Locale.ROOT,
            "partition %s has %d small file(s) of %d B, needs >= %d files or >= %d B (target) to compact;"
                + " size %d B < threshold %d B%s%s",
            partition, files.size(), bytes, settings.minInputFiles(), settings.targetFileSizeBytes(),
            f.sizeBytes(), settings.minFileSizeBytes(), schemaNote, unreadableNote(unreadable, f))));
      }
      return;
    }
    String why = files.size() >= settings.minInputFiles()
        ? String.format(Locale.ROOT, "%d small files >= min %d", files.size(), settings.minInputFiles())
        : String.format(Locale.ROOT, "%d B of small files >= target %d B", bytes, settings.targetFileSizeBytes());
    for (List<DataFile> packed : pack(files, settings.targetFileSizeBytes())) {
      String id = "cg-" + groups.size();
      Group g = new Group(id, partition, packed);
      groups.add(g);
      for (DataFile f : packed) {
        decisions.put(f, new Decision(f, Reason.INCLUDED, String.format(Locale.ROOT,
            "in %s with %d file(s), %d B of target %d B: partition %s has %s; size %d B < threshold %d B%s%s",
            id, packed.size(), g.inputBytes(), settings.targetFileSizeBytes(), partition, why,
            f.sizeBytes(), settings.minFileSizeBytes(), schemaNote, unreadableNote(unreadable, f))));
      }
    }
  }

  /**
   * Packs files (oldest first, at least two) into groups that stay within the target where they can: a
   * file joins the open group while the group's bytes plus its own stay at or below the target, or while the
   * group holds fewer than two files. A last group of one file joins the group before it.
   */
  static List<List<DataFile>> pack(List<DataFile> files, long target) {
    List<List<DataFile>> out = new ArrayList<>();
    List<DataFile> open = new ArrayList<>();
    long openBytes = 0;
    for (DataFile f : files) {
      if (open.size() >= 2 && openBytes + f.sizeBytes() > target) {
        out.add(open);
        open = new ArrayList<>();
        openBytes = 0;
      }
      open.add(f);
      openBytes += f.sizeBytes();
    }
    if (open.size() == 1 && !out.isEmpty()) {
      out.get(out.size() - 1).addAll(open);
    } else if (!open.isEmpty()) {
      out.add(open);
    }
    return out;
  }

  private static String unreadableNote(Map<DataFile, String> unreadable, DataFile f) {
    String why = unreadable.get(f);
    return why == null ? "" : "; WARNING: its Parquet footer cannot be read (" + why
        + "), so executing this plan fails on it until the file is repaired or removed from the table";
  }
}
