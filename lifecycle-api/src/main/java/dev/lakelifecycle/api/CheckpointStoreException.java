package dev.lakelifecycle.api;

/**
 * A {@link dev.lakelifecycle.api.checkpoint.CheckpointStore} could not read or write its database: the database
 * refused the statement (missing privileges, a dropped table), stayed unreachable for the store's whole retry
 * budget, or holds a schema this library cannot use. The message names the operation, the checkpoint id, the
 * SQLState and the fix, e.g. {@code "Cannot compare-and-set checkpoint compaction/acme/prod/traces on PostgreSQL:
 * permission denied for table compaction_checkpoints (SQLState 42501; grant SELECT, INSERT, UPDATE, DELETE on
 * compaction_checkpoints to the store's database user)"}.
 *
 * <p>Not a conflict: a compare-and-set that lost a race throws {@link CheckpointConflictException} instead.
 */
public class CheckpointStoreException extends LifecycleException {
  private static final long serialVersionUID = 1L;
  private final String sqlState;
  private final boolean retryable;

  public CheckpointStoreException(String message) {
    this(message, null, null, false);
  }

  /**
   * @param sqlState the database's SQLState, or {@code null}
   * @param retryable whether the same call may succeed later (the database was unreachable or overloaded for
   *     longer than the store's retry budget)
   */
  public CheckpointStoreException(String message, Throwable cause, String sqlState, boolean retryable) {
    super(message, cause);
    this.sqlState = sqlState;
    this.retryable = retryable;
  }

  /** The SQLState the database reported, or {@code null} (not an SQL error, or the driver gave none). */
  public String sqlState() {
    return sqlState;
  }

  /** Whether retrying the call later may succeed: the error was transient but outlasted the retry budget. */
  public boolean isRetryable() {
    return retryable;
  }
}
