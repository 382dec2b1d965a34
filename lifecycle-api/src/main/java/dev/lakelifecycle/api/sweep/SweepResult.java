package dev.lakelifecycle.api.sweep;

import dev.lakelifecycle.api.TableId;
import java.util.List;
import java.util.Map;

/**
 * What a sweep found and did.
 *
 * @param table the table
 * @param dryRun whether nothing was deleted
 * @param filesScanned objects listed under the table's location
 * @param referencedFiles size of the valid set
 * @param orphans locations identified as orphans (candidates that survived revalidation)
 * @param filesDeleted objects really deleted (0 in a dry run)
 * @param bytesFreed bytes of the deleted objects
 * @param failed locations that could not be deleted, with the reason; the next run retries them
 */
public record SweepResult(TableId table, boolean dryRun, long filesScanned, long referencedFiles,
    List<String> orphans, long filesDeleted, long bytesFreed, Map<String, String> failed) {
  public SweepResult {
    orphans = List.copyOf(orphans);
    failed = Map.copyOf(failed);
  }
}
