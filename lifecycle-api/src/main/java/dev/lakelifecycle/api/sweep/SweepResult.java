package dev.lakelifecycle.api.sweep;

import dev.lakelifecycle.api.TableId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a sweep found and did: counts, plus bounded samples of the locations. A sweep of a large table can
 * find millions of orphans; every one of them is passed to the run's {@link SweepListener}, and at most
 * {@link #SAMPLE_LIMIT} are kept here, so a result never grows with the table.
 *
 * @param table the table
 * @param dryRun whether nothing was deleted
 * @param filesScanned objects listed under the table's location
 * @param referencedFiles distinct store keys in the valid set (data and metadata of every retained snapshot,
 *     outputs of pending compactions)
 * @param orphansIdentified candidates that survived revalidation (would be deleted in a dry run)
 * @param orphanSample the first {@link #SAMPLE_LIMIT} orphan locations in key order; all of them if
 *     {@code orphansIdentified <= SAMPLE_LIMIT}
 * @param filesDeleted objects really deleted (0 in a dry run); never counts a failed delete
 * @param bytesFreed bytes of the deleted objects, as listed
 * @param deleteFailures orphans the store failed to delete; the next run retries them
 * @param failedSample the first {@link #SAMPLE_LIMIT} failed locations with the store's reason
 * @param prefixMismatches references whose scheme or authority differs from the store's and that the
 *     {@link PrefixMismatchMode} let through ({@code IGNORE} or {@code TREAT_AS_EQUAL}); 0 under {@code FAIL}
 * @param revalidation how the candidates were checked against the catalog again before deletion
 * @param status whether the sweep ran, or did nothing because another sweep of the table holds its lease
 */
public record SweepResult(TableId table, boolean dryRun, long filesScanned, long referencedFiles,
    long orphansIdentified, List<String> orphanSample, long filesDeleted, long bytesFreed, long deleteFailures,
    Map<String, String> failedSample, long prefixMismatches, Revalidation revalidation,
    Status status) {
  /** Most locations a result keeps in {@link #orphanSample()} and in {@link #failedSample()}. */
  public static final int SAMPLE_LIMIT = 1000;

  /** Whether a sweep ran. */
  public enum Status {
    /** The sweep ran to its end (see the counts for what it found and deleted). */
    COMPLETED,
    /**
     * Another sweep of the table (in this or another process) holds the lease on the table's sweep checkpoint,
     * so this one did nothing: every count is 0 and the samples are empty. Retry later; if the holder crashed,
     * its lease lapses and the next sweep resumes where it stopped. Only deleting sweeps take the lease, so a
     * dry run never ends this way.
     */
    ALREADY_RUNNING
  }

  /** How a sweep checked its orphan candidates against the catalog again right before deleting them. */
  public enum Revalidation {
    /** Revalidation was turned off ({@code revalidate(false)} or {@code sweep.revalidate = false}). */
    OFF,
    /** There were no candidates, so there was nothing to revalidate. */
    NOT_NEEDED,
    /** The valid set was rebuilt from a freshly loaded table and pending compactions. */
    FULL,
    /**
     * The freshly loaded table's {@link dev.lakelifecycle.api.catalog.CatalogTable#metadataVersion() metadata
     * version} equalled the one the valid set was built from, so nothing was committed meanwhile and the catalog's
     * references were not read again; pending compactions' outputs were still checked afresh.
     */
    SKIPPED_UNCHANGED
  }

  public SweepResult {
    java.util.Objects.requireNonNull(revalidation, "revalidation");
    java.util.Objects.requireNonNull(status, "status");
    orphanSample = List.copyOf(orphanSample);
    // Insertion (key) order is kept: the sample is "the first failures", which Map.copyOf would scramble.
    failedSample = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(failedSample));
    if (orphanSample.size() > SAMPLE_LIMIT || failedSample.size() > SAMPLE_LIMIT) {
      throw new IllegalArgumentException("Cannot build the result of sweeping " + table + ": samples hold at most "
          + SAMPLE_LIMIT + " locations, got " + orphanSample.size() + " orphans and " + failedSample.size()
          + " failures (pass the rest to a SweepListener)");
    }
  }
}
