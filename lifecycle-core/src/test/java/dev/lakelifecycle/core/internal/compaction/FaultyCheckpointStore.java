package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * A real checkpoint store that "crashes" once: the first write matching a predicate throws instead of being
 * stored, as if the process died just before it.
 */
final class FaultyCheckpointStore implements CheckpointStore {
  /** Thrown in place of the write; nothing catches it on purpose. */
  static final class SimulatedCrash extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SimulatedCrash(String message) {
      super(message);
    }
  }

  private final CheckpointStore delegate;
  private final Predicate<Checkpoint> crashBefore;
  private final AtomicBoolean crashed = new AtomicBoolean();

  FaultyCheckpointStore(CheckpointStore delegate, Predicate<Checkpoint> crashBefore) {
    this.delegate = delegate;
    this.crashBefore = crashBefore;
  }

  boolean crashed() {
    return crashed.get();
  }

  @Override
  public Optional<Checkpoint> get(String id) {
    return delegate.get(id);
  }

  @Override
  public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
    if (!crashed.get() && crashBefore.test(next) && crashed.compareAndSet(false, true)) {
      throw new SimulatedCrash("simulated crash before writing checkpoint " + next.id() + " at cursor " + next.cursor());
    }
    return delegate.compareAndSet(next, expectedVersion);
  }

  @Override
  public boolean delete(String id, long expectedVersion) {
    return delegate.delete(id, expectedVersion);
  }

  @Override
  public List<Checkpoint> list(String idPrefix) {
    return delegate.list(idPrefix);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
