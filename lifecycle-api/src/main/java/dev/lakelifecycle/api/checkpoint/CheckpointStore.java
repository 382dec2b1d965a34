package dev.lakelifecycle.api.checkpoint;

import dev.lakelifecycle.api.CheckpointConflictException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Durable state of resumable operations. Every write is a compare-and-set on {@link Checkpoint#version()}.
 * Leases are built on compare-and-set by the default methods; a store with a better primitive (PostgreSQL
 * {@code SELECT ... FOR UPDATE SKIP LOCKED}) may override them. Thread-safe. Checked by
 * {@code lifecycle-testkit}'s {@code CheckpointStoreContract}.
 */
public interface CheckpointStore extends AutoCloseable {

  Optional<Checkpoint> get(String id);

  /**
   * Stores {@code next} if the stored version equals {@code expectedVersion} (0: nothing stored yet).
   *
   * @return what was stored: {@code next} with version {@code expectedVersion + 1} and {@code updatedAt} set
   * @throws CheckpointConflictException if the stored version differs; nothing changes
   */
  Checkpoint compareAndSet(Checkpoint next, long expectedVersion);

  /**
   * Deletes the checkpoint if its stored version equals {@code expectedVersion}.
   *
   * @return whether it was deleted ({@code false} if absent or at another version)
   */
  boolean delete(String id, long expectedVersion);

  /** Checkpoints whose id starts with {@code idPrefix}, sorted by id. */
  List<Checkpoint> list(String idPrefix);

  /**
   * Takes the lease on checkpoint {@code id} for {@code owner} until {@code now + ttl}, if it is free,
   * lapsed, or already {@code owner}'s (then it is renewed). Creates a pending checkpoint if none exists.
   *
   * @return the checkpoint with the lease held, or empty if another owner holds a live lease
   */
  default Optional<Checkpoint> tryAcquireLease(String id, String owner, Duration ttl, Instant now) {
    for (int attempt = 0; attempt < 16; attempt++) {
      Optional<Checkpoint> current = get(id);
      Checkpoint base = current.orElse(Checkpoint.pending(id));
      if (base.leaseHeldAt(now) && !owner.equals(base.leaseOwner())) {
        return Optional.empty();
      }
      try {
        return Optional.of(compareAndSet(base.withLease(owner, now.plus(ttl)), base.version()));
      } catch (CheckpointConflictException raced) {
        // another worker wrote in between: look again
      }
    }
    return Optional.empty();
  }

  /**
   * Stores {@code next} only while {@code next.leaseOwner()} still holds the lease, extending it to
   * {@code now + ttl}.
   *
   * @throws CheckpointConflictException if the lease was lost (lapsed and taken, or the version moved)
   */
  default Checkpoint writeUnderLease(Checkpoint next, Duration ttl, Instant now) {
    Checkpoint stored = get(next.id()).orElseThrow(() ->
        new CheckpointConflictException("Cannot write checkpoint " + next.id() + ": it no longer exists (lease lost)"));
    if (next.leaseOwner() == null || !next.leaseOwner().equals(stored.leaseOwner())
        || (!stored.leaseHeldAt(now) && stored.version() != next.version())) {
      throw new CheckpointConflictException("Cannot write checkpoint " + next.id() + ": lease of "
          + next.leaseOwner() + " was lost to " + stored.leaseOwner() + " (stop and let the holder resume)");
    }
    return compareAndSet(next.withLease(next.leaseOwner(), now.plus(ttl)), next.version());
  }

  /** Gives the lease up if {@code owner} holds it; a no-op otherwise. */
  default void releaseLease(String id, String owner) {
    for (int attempt = 0; attempt < 16; attempt++) {
      Optional<Checkpoint> current = get(id);
      if (current.isEmpty() || !owner.equals(current.get().leaseOwner())) {
        return;
      }
      try {
        compareAndSet(current.get().withLease(null, null), current.get().version());
        return;
      } catch (CheckpointConflictException raced) {
        // re-read and try again
      }
    }
  }

  @Override
  void close();
}
