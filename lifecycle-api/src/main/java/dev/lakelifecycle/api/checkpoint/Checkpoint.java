package dev.lakelifecycle.api.checkpoint;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The resumable state of one long operation, in the shape of the Timestore runbook's
 * {@code compaction_checkpoints} row.
 *
 * @param id unique key of the operation, e.g. {@code compaction/acme/prod/traces}
 * @param status {@link Status#PENDING} while work remains
 * @param cursor zero-based index of the next unprocessed group (chunk)
 * @param metadata JSON-compatible values ({@code String}, {@code Number}, {@code Boolean}, {@code List},
 *     {@code Map}, {@code null}) describing the plan: chunk partition ids, {@code completedGroupIds}, attempts
 * @param stats JSON-compatible aggregate stats: bytes, partitions, {@code chunksCompleted},
 *     {@code chunkHistory}, {@code lastError}
 * @param version compare-and-set version: 0 for a checkpoint not yet stored, then 1, 2, ... per write
 * @param updatedAt when it was last written (set by the store)
 * @param leaseOwner the worker holding the lease, or {@code null}
 * @param leaseExpiresAt when the lease lapses, or {@code null}
 */
public record Checkpoint(String id, Status status, int cursor, Map<String, Object> metadata,
    Map<String, Object> stats, long version, Instant updatedAt, String leaseOwner, Instant leaseExpiresAt) {

  /** Lifecycle of an operation; stored lower case ({@code pending}, {@code completed}, {@code failed}). */
  public enum Status { PENDING, COMPLETED, FAILED }

  public Checkpoint {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    if (cursor < 0 || version < 0) {
      throw new IllegalArgumentException("Checkpoint " + id + ": cursor and version must be >= 0");
    }
    metadata = metadata == null ? Map.of() : metadata;
    stats = stats == null ? Map.of() : stats;
    updatedAt = updatedAt == null ? Instant.EPOCH : updatedAt;
  }

  /** A new, unstored pending checkpoint at cursor 0. */
  public static Checkpoint pending(String id) {
    return new Checkpoint(id, Status.PENDING, 0, Map.of(), Map.of(), 0, Instant.EPOCH, null, null);
  }

  /** Whether a lease is held at {@code now}. */
  public boolean leaseHeldAt(Instant now) {
    return leaseOwner != null && leaseExpiresAt != null && leaseExpiresAt.isAfter(now);
  }

  public Checkpoint withStatus(Status s) {
    return new Checkpoint(id, s, cursor, metadata, stats, version, updatedAt, leaseOwner, leaseExpiresAt);
  }

  public Checkpoint withCursor(int c) {
    return new Checkpoint(id, status, c, metadata, stats, version, updatedAt, leaseOwner, leaseExpiresAt);
  }

  public Checkpoint withMetadata(Map<String, Object> m) {
    return new Checkpoint(id, status, cursor, m, stats, version, updatedAt, leaseOwner, leaseExpiresAt);
  }

  public Checkpoint withStats(Map<String, Object> s) {
    return new Checkpoint(id, status, cursor, metadata, s, version, updatedAt, leaseOwner, leaseExpiresAt);
  }

  public Checkpoint withLease(String owner, Instant expiresAt) {
    return new Checkpoint(id, status, cursor, metadata, stats, version, updatedAt, owner, expiresAt);
  }
}
