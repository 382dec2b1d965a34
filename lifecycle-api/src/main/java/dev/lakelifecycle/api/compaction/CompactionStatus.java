package dev.lakelifecycle.api.compaction;

import dev.lakelifecycle.api.TableId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The table's compaction as an operator reads it: the checkpoint, the backlog and a health verdict, like the
 * ParqueDB runbook's status endpoint.
 *
 * @param table the table
 * @param state where the last run stands
 * @param cursor next unprocessed group
 * @param totalGroups groups in the checkpointed plan
 * @param chunksCompleted chunks committed over the plan's life
 * @param lastError the last chunk failure, or {@code null}
 * @param updatedAt when the checkpoint was last written, or {@code null} if none
 * @param windowsPending closed windows (partitions) with enough small files to compact, not being processed
 * @param windowsProcessing windows of a pending plan whose lease is live (being compacted now)
 * @param windowsStuck windows of a pending plan whose lease has expired (work stuck past its lease; the next run
 *     resumes it)
 * @param oldestPendingAge how long the oldest pending window has been closed, or {@link Duration#ZERO}
 * @param pendingFiles small files in pending windows
 * @param quarantinedFiles files quarantined as unreadable
 * @param leaseOwner the lease holder, or {@code null}
 * @param leaseExpiresAt when the lease lapses, or {@code null}
 * @param health the verdict
 * @param issues what caused a verdict other than {@link Health#HEALTHY}, e.g.
 *     {@code "oldest pending window is 3h old (> warning 2h)"}
 */
public record CompactionStatus(TableId table, State state, int cursor, int totalGroups, int chunksCompleted,
    String lastError, Instant updatedAt, int windowsPending, int windowsProcessing, int windowsStuck,
    Duration oldestPendingAge, long pendingFiles, int quarantinedFiles, String leaseOwner, Instant leaseExpiresAt,
    Health health, List<String> issues) {
  /** Checkpoint state. */
  public enum State { IDLE, PENDING, COMPLETED, FAILED }

  /** The runbook's verdict: {@code healthy}, {@code degraded} (investigate) or {@code unhealthy} (act now). */
  public enum Health { HEALTHY, DEGRADED, UNHEALTHY }

  public CompactionStatus {
    issues = List.copyOf(issues);
  }

  /** The checkpoint part only; backlog empty and healthy. */
  public CompactionStatus(TableId table, State state, int cursor, int totalGroups, int chunksCompleted,
      String lastError, Instant updatedAt) {
    this(table, state, cursor, totalGroups, chunksCompleted, lastError, updatedAt, 0, 0, 0, Duration.ZERO, 0, 0,
        null, null, Health.HEALTHY, List.of());
  }
}
