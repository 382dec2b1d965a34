package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import java.util.List;

/**
 * A dry-run plan: which files would be rewritten into which outputs, and why every other file is not.
 *
 * @param table the table planned
 * @param groups the rewrite groups, in execution order (oldest partition first)
 * @param decisions one decision per live file
 */
public record CompactionPlan(TableId table, List<Group> groups, List<Decision> decisions) {
  public CompactionPlan {
    groups = List.copyOf(groups);
    decisions = List.copyOf(decisions);
  }

  /**
   * Files of one partition rewritten into one output file.
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
    INCLUDED,
    LARGE_ENOUGH,
    WINDOW_OPEN,
    TOO_FEW_FILES
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
}
