package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.CheckpointConflictException;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link CheckpointStore} in this JVM's memory: for tests and for a single process that needs no durability
 * across restarts. Compare-and-set is atomic per id; leases are the interface's defaults on top of it.
 *
 * <p>Semantics match {@link ObjectStoreCheckpointStore} exactly, including the value model: {@code metadata}
 * and {@code stats} are deeply copied on write into unmodifiable maps and lists, integral numbers become
 * {@code Long} and fractional ones {@code Double}, and values JSON cannot hold are rejected with an
 * {@link IllegalArgumentException}. Ids are non-empty {@code /}-separated paths without empty, {@code .} or
 * {@code ..} segments. Thread-safe. {@link #close()} releases nothing and the store stays usable.
 */
public final class InMemoryCheckpointStore implements CheckpointStore {
  private final ConcurrentMap<String, Checkpoint> checkpoints = new ConcurrentHashMap<>();
  private final Clock clock;

  /**
   * @param clock sets {@link Checkpoint#updatedAt()} on every write
   */
  public InMemoryCheckpointStore(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Optional<Checkpoint> get(String id) {
    return Optional.ofNullable(checkpoints.get(CheckpointIds.validate(id)));
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if {@code expectedVersion} is negative, the id is invalid, or
   *     metadata/stats hold a value JSON cannot hold exactly
   */
  @Override
  public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
    Objects.requireNonNull(next, "next");
    String id = CheckpointIds.validate(next.id());
    if (expectedVersion < 0) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Cannot write checkpoint %s: expected version %d is negative (use 0 to create)", id, expectedVersion));
    }
    Checkpoint normalised = new Checkpoint(id, next.status(), next.cursor(),
        JsonValues.normalise(next.metadata(), id, "metadata"), JsonValues.normalise(next.stats(), id, "stats"),
        expectedVersion + 1, null, next.leaseOwner(), next.leaseExpiresAt());
    // compute() runs atomically per key; an exception thrown inside leaves the mapping unchanged.
    return checkpoints.compute(id, (key, current) -> {
      long storedVersion = current == null ? 0 : current.version();
      if (storedVersion != expectedVersion) {
        throw conflict(id, expectedVersion, current);
      }
      return new Checkpoint(id, normalised.status(), normalised.cursor(), normalised.metadata(), normalised.stats(),
          normalised.version(), clock.instant(), normalised.leaseOwner(), normalised.leaseExpiresAt());
    });
  }

  @Override
  public boolean delete(String id, long expectedVersion) {
    AtomicBoolean deleted = new AtomicBoolean();
    checkpoints.computeIfPresent(CheckpointIds.validate(id), (key, current) -> {
      if (current.version() != expectedVersion) {
        return current;
      }
      deleted.set(true);
      return null;
    });
    return deleted.get();
  }

  @Override
  public List<Checkpoint> list(String idPrefix) {
    Objects.requireNonNull(idPrefix, "idPrefix");
    return checkpoints.values().stream()
        .filter(c -> c.id().startsWith(idPrefix))
        .sorted(Comparator.comparing(Checkpoint::id))
        .toList();
  }

  /** Does nothing: the store holds no resources. */
  @Override
  public void close() {
    // Nothing to release; checkpoints stay readable so that a Lifecycle closing late can still release leases.
  }

  static CheckpointConflictException conflict(String id, long expectedVersion, Checkpoint current) {
    String found = current == null ? "it does not exist" : "it is at version " + current.version();
    return new CheckpointConflictException(String.format(Locale.ROOT,
        "Cannot write checkpoint %s at expected version %d: %s (another worker changed it; re-read and decide"
            + " again)", id, expectedVersion, found));
  }
}
