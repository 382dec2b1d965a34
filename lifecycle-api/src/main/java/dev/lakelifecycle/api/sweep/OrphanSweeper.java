package dev.lakelifecycle.api.sweep;

import dev.lakelifecycle.api.TableId;

/**
 * Deletes orphan files in four phases (the SignalDB runbook's): build the valid set from the catalog;
 * list the table's location; keep as candidates the files not in the valid set and older than the grace
 * period; revalidate against a refreshed catalog and delete in batches.
 * <pre>{@code
 * SweepResult r = sweeper.sweep(table).olderThan(Duration.ofHours(24)).dryRun(true).execute();
 * }</pre>
 */
public interface OrphanSweeper {
  /** Starts configuring one sweep of {@code table}'s location. */
  SweepAction sweep(TableId table);
}
