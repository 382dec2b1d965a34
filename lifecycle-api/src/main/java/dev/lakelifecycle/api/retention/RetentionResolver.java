package dev.lakelifecycle.api.retention;

import dev.lakelifecycle.api.TableId;

/**
 * Resolves and enforces retention:
 * <pre>{@code
 * ResolvedRetention policy = retention.resolve(table);          // which rule applies, from which tier
 * RetentionResult report = retention.enforce(table).dryRun(true).execute();
 * }</pre>
 */
public interface RetentionResolver {
  /** The effective policy of {@code table} (cached; refreshed when the configuration is reloaded). */
  ResolvedRetention resolve(TableId table);

  /** Starts configuring one enforcement run on {@code table}. */
  RetentionAction enforce(TableId table);
}
