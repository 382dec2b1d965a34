package dev.lakelifecycle.api.retention;

/** One configured retention run on one table. */
public interface RetentionAction {
  /** Report what would be dropped and expired without changing anything. Default {@code retention.dry-run} (false). */
  RetentionAction dryRun(boolean dryRun);

  /**
   * Drops every partition whose range ends at or before the cutoff, in one catalog commit, then expires
   * snapshots beyond the policy (never the current one, never fewer than one).
   */
  RetentionResult execute();
}
