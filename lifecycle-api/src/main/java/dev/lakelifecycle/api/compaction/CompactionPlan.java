package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import java.util.List;

/**
 * A dry-run plan: which files would be rewritten into which outputs, and why every other file is not.
 *
 * @param table the table planned
 * @param groups the rewrite groups, in execution order (oldest partition first by default, see {@link Order})
 * @param decisions one decision per live file
 */
public record CompactionPlan(TableId table, List<Group> groups, List<Decision> decisions) {
  public CompactionPlan {
    groups = List.copyOf(groups);
    decisions = List.copyOf(decisions);
  }

  /**
   * Files of one partition merged together; they become one output file, or several of about the target size
   * (75 % to 180 % of it) when they add up to more.
   *
   * @param id stable id within the plan, e.g. {@code cg-0}
   * @param partition the partition
   * @param inputs the files rewritten
   */
  public record Group(String id, String partition, List<DataFile> inputs) {
    public Group {
      inputs = List.copyOf(inputs);
    }

    public long inputBytes() {
      return inputs.stream().mapToLong(DataFile::sizeBytes).sum();
    }

    public long inputRows() {
      return inputs.stream().mapToLong(DataFile::recordCount).sum();
    }
  }

  /** Why a file was or was not included. */
  public enum Reason {
    /** An input of a group. */
    INCLUDED,
    /** At least 75 % of the target size: never rewritten. */
    LARGE_ENOUGH,
    /** Its partition's window plus the max wait has not passed (late writers may still add files). */
    WINDOW_OPEN,
    /** Its partition has too few small files (and bytes) of its schema to be worth compacting yet. */
    TOO_FEW_FILES,
    /** The only small file of its partition: a file is never rewritten alone. */
    ALONE_IN_PARTITION,
    /** Its Parquet schema differs from the other small files of its partition, and too few share it. */
    SCHEMA_DIFFERS,
    /**
     * Unreadable (corrupt, truncated, encrypted…): quarantined with its error and kept out of plans until
     * {@link Compactor#clearQuarantine} is called. A dry run marks an unreadable file that is not yet quarantined
     * the same way; a run quarantines it.
     */
    QUARANTINED,
    /** Eligible, but left for a later run by the run's cap on files or bytes. */
    DEFERRED_BY_CAP,
    /**
     * The table has a {@link dev.lakelifecycle.api.catalog.SortOrder sort order}, this file is not recorded as
     * sorted by it, and sorting it in memory would exceed the compaction memory budget: it is left in place (the
     * detail gives the estimate and the budget; raise {@code compaction.memory_budget_bytes} to include it).
     */
    TOO_LARGE_TO_SORT,
    /**
     * The catalog keeps it out of rewrites ({@link dev.lakelifecycle.api.catalog.CatalogTable#filesKeptFromRewrite()};
     * the detail says why). In an Iceberg table: its partition holds row-level delete files, which compaction does
     * not apply yet (rewriting without them would resurrect deleted rows), or it was written under an older
     * partition spec (files of different specs are never mixed).
     */
    KEPT_BY_CATALOG
  }

  /** The order in which eligible groups are executed (and, with a cap, which are deferred). */
  public enum Order {
    /** Oldest window first ("progressive compaction"); the default. */
    AGE,
    /** The partitions with the most small-file bytes first. */
    BYTES,
    /** The partitions with the most small files first. */
    FILES
  }

  /**
   * The decision for one live file.
   *
   * @param file the file
   * @param reason why; {@link Reason#INCLUDED} when it is an input of a group
   * @param detail human-readable explanation with the numbers that decided it
   */
  public record Decision(DataFile file, Reason reason, String detail) {}

  public boolean isEmpty() {
    return groups.isEmpty();
  }

  public int inputFiles() {
    return groups.stream().mapToInt(g -> g.inputs().size()).sum();
  }

  public long inputBytes() {
    return groups.stream().mapToLong(Group::inputBytes).sum();
  }

  /** The decisions with the given reason, in live-file order. */
  public List<Decision> decisions(Reason reason) {
    return decisions.stream().filter(d -> d.reason() == reason).toList();
  }

  /** Files eligible but deferred by a cap. */
  public int deferredFiles() {
    return decisions(Reason.DEFERRED_BY_CAP).size();
  }

  /** Bytes eligible but deferred by a cap. */
  public long deferredBytes() {
    return decisions(Reason.DEFERRED_BY_CAP).stream().mapToLong(d -> d.file().sizeBytes()).sum();
  }
}
