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
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.HashMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.parquet.schema.MessageType;

/**
 * Decides which live files of a table are rewritten into which outputs. A pure function of the live files,
 * the settings, the time, the quarantine and each file's Parquet schema: it reads nothing itself, so it is tested
 * without storage and a dry run and a real run decide alike.
 *
 * <p>Rules (the Iceberg runbook's threshold, target size and progressive compaction; the ParqueDB runbook's
 * windows and priorities; the SignalDB runbook's plan-before-execute):
 * <ol>
 *   <li>A quarantined file is {@link Reason#QUARANTINED} and never planned; so is a small file whose footer
 *       cannot be read (a run then quarantines it).</li>
 *   <li>A file is <em>small</em> when its size is below {@link Settings#minFileSizeBytes()} (75 % of the
 *       target); larger files are {@link Reason#LARGE_ENOUGH} and never rewritten.</li>
 *   <li>A partition is open for late writers until {@code PartitionSpec.endOf(p) + maxWait}; its small files
 *       are {@link Reason#WINDOW_OPEN} unless {@code force}. A partition with one small file leaves it
 *       {@link Reason#ALONE_IN_PARTITION}.</li>
 *   <li>Only files with an identical Parquet schema are merged. Within a closed partition the small files are
 *       split into schema classes; a class is compacted when it has at least {@code minInputFiles} files or
 *       its bytes reach the target, otherwise its files are {@link Reason#TOO_FEW_FILES} (the largest class) or
 *       {@link Reason#SCHEMA_DIFFERS} (the others).</li>
 *   <li>A compacted class becomes one group, or several of about equal bytes when it holds more than
 *       {@value #MAX_GROUP_TARGETS} targets of input (a group is the unit of retry; the rewriter splits its
 *       output into files of about the target, so outputs land at 75–180 % of the target).</li>
 *   <li>Groups run in {@link Settings#order()} (oldest window first by default) and are numbered
 *       {@code cg-0, cg-1, ...} in that order. With a cap on files or bytes, the groups past it are
 *       {@link Reason#DEFERRED_BY_CAP}; the first group always runs, so a cap never stalls a table.</li>
 * </ol>
 *
 * <p>Public only so that the planning benchmark can time it; an internal class, not part of the API.
 */
public final class CompactionPlanner {
  /** Most input bytes of one group, in targets. */
  static final int MAX_GROUP_TARGETS = 8;

  /** The planning thresholds of one run; caps of 0 mean none. */
  public record Settings(long targetFileSizeBytes, long minFileSizeBytes, int minInputFiles, Duration maxWait,
      boolean force, CompactionPlan.Order order, int maxFiles, long maxBytes) {
    public Settings {
      Objects.requireNonNull(maxWait, "maxWait");
      Objects.requireNonNull(order, "order");
    }

    public Settings(long targetFileSizeBytes, long minFileSizeBytes, int minInputFiles, Duration maxWait, boolean force) {
      this(targetFileSizeBytes, minFileSizeBytes, minInputFiles, maxWait, force, CompactionPlan.Order.AGE, 0, 0);
    }
  }

  /**
   * What is known of one file's Parquet schema: the schema, or why its footer could not be read.
   *
   * @param schema the file schema, or {@code null} if unreadable
   * @param unreadable why the footer could not be read, or {@code null}
   */
  public record FileSchema(MessageType schema, String unreadable) {
    public static FileSchema of(MessageType schema) {
      return new FileSchema(Objects.requireNonNull(schema, "schema"), null);
    }

    public static FileSchema unreadable(String why) {
      return new FileSchema(null, why);
    }
  }

  /** Oldest first; ties broken by size (smallest first) and location, so plans are deterministic. */
  static final Comparator<DataFile> OLDEST_FIRST = Comparator.comparing(DataFile::createdAt)
      .thenComparingLong(DataFile::sizeBytes)
      .thenComparing(DataFile::location);

  private CompactionPlanner() {}

  /** Plans with nothing quarantined. */
  static CompactionPlan plan(TableId table, List<DataFile> liveFiles, Settings settings, Instant now,
      Function<DataFile, FileSchema> schemaOf) {
    return plan(table, liveFiles, settings, now, schemaOf, f -> null);
  }

  /** A candidate group before ordering and numbering. */
  private record Candidate(String partition, Instant start, List<Indexed> files, long bytes, String why,
      String schemaNote) {}

  /**
   * A live file with its position in the live-file list: decisions are kept in an array by that position, which
   * for a million files is several times cheaper than a map keyed by file.
   */
  private record Indexed(DataFile file, int index) {}

  private static final Comparator<Indexed> INDEXED_OLDEST_FIRST = Comparator.comparing(Indexed::file, OLDEST_FIRST);

  /**
   * Plans the compaction of {@code liveFiles}.
   *
   * @param schemaOf the schema of a small file of a closed partition (only those are asked for)
   * @param quarantine the quarantine error of a file, or {@code null} if it is not quarantined
   * @return groups in execution order and exactly one decision per live file, in the order of {@code liveFiles}
   */
  public static CompactionPlan plan(TableId table, List<DataFile> liveFiles, Settings settings, Instant now,
      Function<DataFile, FileSchema> schemaOf, Function<DataFile, String> quarantine) {
    Decision[] decisions = new Decision[liveFiles.size()];
    Map<String, List<Indexed>> byPartition = new HashMap<>();
    String lastPartition = null;
    List<Indexed> last = null;
    for (int i = 0; i < decisions.length; i++) {
      DataFile f = liveFiles.get(i);
      // Files of a partition usually come together: skip the lookup for a run of them.
      if (!f.partition().equals(lastPartition)) {
        lastPartition = f.partition();
        last = byPartition.computeIfAbsent(lastPartition, p -> new ArrayList<>());
      }
      last.add(new Indexed(f, i));
    }
    // Sorted once with each start parsed once: comparing parsed partition names inside a TreeMap costs more
    // than the rest of planning a million files.
    List<Map.Entry<String, Instant>> partitions = new ArrayList<>(byPartition.size());
    for (String p : byPartition.keySet()) {
      partitions.add(Map.entry(p, startOrMax(p)));
    }
    partitions.sort(Map.Entry.<String, Instant>comparingByValue().thenComparing(Map.Entry.comparingByKey()));

    String threshold = " < threshold " + settings.minFileSizeBytes() + " B";
    List<Candidate> candidates = new ArrayList<>();
    for (Map.Entry<String, Instant> pe : partitions) {
      String partition = pe.getKey();
      List<Indexed> small = new ArrayList<>();
      for (Indexed x : byPartition.get(partition)) {
        DataFile f = x.file();
        String quarantined = quarantine.apply(f);
        if (quarantined != null) {
          decisions[x.index()] = new Decision(f, Reason.QUARANTINED, "quarantined: " + quarantined
              + " (kept out of compaction until the quarantine is cleared with Compactor.clearQuarantine)");
        } else if (f.sizeBytes() >= settings.minFileSizeBytes()) {
          decisions[x.index()] = new Decision(f, Reason.LARGE_ENOUGH, "size " + f.sizeBytes()
              + " B >= small-file threshold "
              + settings.minFileSizeBytes() + " B (75 % of target " + settings.targetFileSizeBytes()
              + " B): already large enough");
        } else {
          small.add(x);
        }
      }
      if (small.isEmpty()) {
        continue;
      }
      Instant closesAt = closesAt(partition, settings.maxWait());
      if (!settings.force() && closesAt != null && now.isBefore(closesAt)) {
        String why = "partition " + partition + " is open for late writers until " + closesAt + " (window end "
            + PartitionSpec.endOf(partition) + " + max wait " + settings.maxWait() + "), now " + now
            + "; compacted after the window closes, or with force(true); size ";
        for (Indexed x : small) {
          decisions[x.index()] = new Decision(x.file(), Reason.WINDOW_OPEN, why + x.file().sizeBytes() + " B"
              + threshold);
        }
        continue;
      }
      if (small.size() == 1) {
        DataFile f = small.get(0).file();
        decisions[small.get(0).index()] = new Decision(f, Reason.ALONE_IN_PARTITION,
            "the only small file of partition " + partition
            + " (a file is never rewritten alone); size " + f.sizeBytes() + " B" + threshold);
        continue;
      }
      small.sort(INDEXED_OLDEST_FIRST);
      List<Indexed> readable = new ArrayList<>(small.size());
      List<MessageType> schemas = new ArrayList<>(small.size());
      for (Indexed x : small) {
        DataFile f = x.file();
        FileSchema fs = schemaOf.apply(f);
        if (fs == null || fs.schema() == null) {
          String why = fs == null || fs.unreadable() == null ? "unknown schema" : fs.unreadable();
          decisions[x.index()] = new Decision(f, Reason.QUARANTINED, "unreadable Parquet footer: " + why
              + " (a run quarantines it and compacts the partition's other files; repair or replace it, then"
              + " clear the quarantine)");
        } else {
          readable.add(x);
          schemas.add(fs.schema());
        }
      }
      List<List<Indexed>> classes = schemaClasses(readable, schemas);
      for (int i = 0; i < classes.size(); i++) {
        planClass(partition, pe.getValue(), classes.get(i), i == 0, readable.size(), settings, candidates,
            decisions);
      }
    }

    switch (settings.order()) {
      case AGE -> { } // partitions were visited oldest first
      // Stable sorts: equal backlogs stay oldest first.
      case BYTES -> candidates.sort(Comparator.comparingLong(Candidate::bytes).reversed());
      case FILES -> candidates.sort(Comparator.comparingInt((Candidate c) -> c.files().size()).reversed());
    }

    List<Group> groups = new ArrayList<>();
    long files = 0;
    long bytes = 0;
    for (Candidate c : candidates) {
      boolean capped = !groups.isEmpty()
          && ((settings.maxFiles() > 0 && files + c.files().size() > settings.maxFiles())
          || (settings.maxBytes() > 0 && bytes + c.bytes() > settings.maxBytes()));
      if (capped) {
        String why = "eligible (" + c.why() + ") but deferred to a later run by the cap of " + settings.maxFiles()
            + " files / " + settings.maxBytes() + " B per run (0 = none); this run takes " + files + " files, "
            + bytes + " B";
        for (Indexed x : c.files()) {
          decisions[x.index()] = new Decision(x.file(), Reason.DEFERRED_BY_CAP, why);
        }
        continue;
      }
      files += c.files().size();
      bytes += c.bytes();
      String id = "cg-" + groups.size();
      List<DataFile> inputs = new ArrayList<>(c.files().size());
      for (Indexed x : c.files()) {
        inputs.add(x.file());
      }
      Group g = new Group(id, c.partition(), inputs);
      groups.add(g);
      String why = "in " + id + " with " + c.files().size() + " file(s), " + c.bytes() + " B of target "
          + settings.targetFileSizeBytes() + " B: partition " + c.partition() + " has " + c.why() + "; size ";
      for (Indexed x : c.files()) {
        decisions[x.index()] = new Decision(x.file(), Reason.INCLUDED, why + x.file().sizeBytes() + " B" + threshold
            + c.schemaNote());
      }
    }

    for (int i = 0; i < decisions.length; i++) {
      if (decisions[i] == null) {
        throw new IllegalStateException("no decision for " + liveFiles.get(i).location());
      }
    }
    return new CompactionPlan(table, groups, Arrays.asList(decisions));
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

  /** Time windows first (by start), anything else after, by name. */
  private static Instant startOrMax(String partition) {
    try {
      return PartitionSpec.startOf(partition);
    } catch (IllegalArgumentException notATimeWindow) {
      return Instant.MAX;
    }
  }

  /**
   * Splits readable small files (oldest first) into classes of identical schema, largest class first (ties: the
   * class of the older file first).
   */
  private static List<List<Indexed>> schemaClasses(List<Indexed> small, List<MessageType> schemas) {
    // Nearly always one schema: compare with the first by identity before hashing a whole schema per file.
    MessageType first = schemas.isEmpty() ? null : schemas.get(0);
    boolean uniform = true;
    for (MessageType m : schemas) {
      if (m != first && !m.equals(first)) {
        uniform = false;
        break;
      }
    }
    if (uniform) {
      return List.of(small);
    }
    Map<MessageType, List<Indexed>> classes = new LinkedHashMap<>();
    for (int i = 0; i < small.size(); i++) {
      classes.computeIfAbsent(schemas.get(i), k -> new ArrayList<>()).add(small.get(i));
    }
    List<List<Indexed>> ordered = new ArrayList<>(classes.values());
    // Stable sort keeps first-seen (oldest file) order among equally large classes.
    ordered.sort(Comparator.comparingInt((List<Indexed> c) -> c.size()).reversed());
    return ordered;
  }

  private static void planClass(String partition, Instant start, List<Indexed> files, boolean largestClass,
      int readableInPartition, Settings settings, List<Candidate> candidates, Decision[] decisions) {
    long bytes = 0;
    for (Indexed x : files) {
      bytes += x.file().sizeBytes();
    }
    String schemaNote = files.size() == readableInPartition ? ""
        : String.format(Locale.ROOT, "; only %d of the partition's %d readable small files share this Parquet schema"
            + " (files of differing schemas are never merged)", files.size(), readableInPartition);
    boolean compact = files.size() >= 2
        && (files.size() >= settings.minInputFiles() || bytes >= settings.targetFileSizeBytes());
    if (!compact) {
      Reason reason = largestClass ? Reason.TOO_FEW_FILES : Reason.SCHEMA_DIFFERS;
      String why = "partition " + partition + " has " + files.size() + " small file(s) of " + bytes + " B"
          + (largestClass ? "" : " with this schema") + ", needs >= " + settings.minInputFiles() + " files or >= "
          + settings.targetFileSizeBytes() + " B (target) to compact; size ";
      for (Indexed x : files) {
        decisions[x.index()] = new Decision(x.file(), reason, why + x.file().sizeBytes() + " B < threshold "
            + settings.minFileSizeBytes() + " B" + schemaNote);
      }
      return;
    }
    String why = files.size() >= settings.minInputFiles()
        ? files.size() + " small files >= min " + settings.minInputFiles()
        : bytes + " B of small files >= target " + settings.targetFileSizeBytes() + " B";
    for (List<Indexed> part : split(files, x -> x.file().sizeBytes(), bytes, settings.targetFileSizeBytes())) {
      long partBytes = 0;
      for (Indexed x : part) {
        partBytes += x.file().sizeBytes();
      }
      candidates.add(new Candidate(partition, start, part, partBytes, why, schemaNote));
    }
  }

  /**
   * Splits files (oldest first) into the fewest groups of at most {@value #MAX_GROUP_TARGETS} targets of input
   * each, of about equal bytes and at least two files.
   */
  static List<List<DataFile>> split(List<DataFile> files, long bytes, long target) {
    return split(files, DataFile::sizeBytes, bytes, target);
  }

  private static <T> List<List<T>> split(List<T> files, ToLongFunction<T> sizeOf, long bytes, long target) {
    long max = target * MAX_GROUP_TARGETS;
    int n = (int) Math.max(1, Math.min(files.size() / 2, (bytes + max - 1) / max));
    if (n == 1) {
      return List.of(files);
    }
    List<List<T>> out = new ArrayList<>(n);
    long per = bytes / n;
    List<T> open = new ArrayList<>();
    long openBytes = 0;
    for (T f : files) {
      if (open.size() >= 2 && openBytes + sizeOf.applyAsLong(f) / 2 > per && out.size() < n - 1) {
        out.add(open);
        open = new ArrayList<>();
        openBytes = 0;
      }
      open.add(f);
      openBytes += sizeOf.applyAsLong(f);
    }
    if (open.size() == 1) {
      out.get(out.size() - 1).addAll(open);
    } else if (!open.isEmpty()) {
      out.add(open);
    }
    return out;
  }
}
