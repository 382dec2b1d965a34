package dev.lakelifecycle.api;

import java.util.Locale;
import java.util.Objects;

/**
 * A stager refused a batch because a guardrail was reached: the table's pending batches, the table's staged
 * bytes, or the staged bytes of all tables. Nothing of the refused batch was staged, so appending it again
 * later (after flushes drained the spool, or with more room configured) adds it exactly once.
 *
 * <p>Thrown at once under the {@code REJECT} policy, and after the configured wait under {@code BLOCK}.
 * Each refusal is counted by {@link Reason#tag()} in {@code lifecycle.staging.dropped.batches}.
 */
public final class StagerFullException extends LifecycleException {
  private static final long serialVersionUID = 1L;

  /** Which guardrail refused the batch. */
  public enum Reason {
    /** The table already holds {@code staging.max_pending} staged batches. */
    QUEUE_FULL("queue_full"),
    /** The table's staged bytes would exceed {@code staging.max_dataset_bytes}. */
    TABLE_BYTES("table_bytes"),
    /** The staged bytes of all tables would exceed {@code staging.max_total_bytes}. */
    TOTAL_BYTES("total_bytes");

    private final String tag;

    Reason(String tag) {
      this.tag = tag;
    }

    /** The metric tag value, as in the Timestore staging runbook ({@code queue_full}, ...). */
    public String tag() {
      return tag;
    }
  }

  private final transient TableId table;
  private final Reason reason;

  /**
   * @param table the table the batch was for
   * @param reason the guardrail reached
   * @param message what was refused, the limit and the fix
   */
  public StagerFullException(TableId table, Reason reason, String message) {
    super(message);
    this.table = Objects.requireNonNull(table, "table");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The table the refused batch was for. */
  public TableId table() {
    return table;
  }

  public Reason reason() {
    return reason;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s[%s]: %s", getClass().getName(), reason.tag(), getMessage());
  }
}
