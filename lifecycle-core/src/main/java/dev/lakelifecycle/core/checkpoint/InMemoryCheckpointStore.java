package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.storage.ObjectStore;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** STUB: being written. */
public final class InMemoryCheckpointStore implements CheckpointStore {
  public InMemoryCheckpointStore(Clock clock) {}

  @Override public Optional<Checkpoint> get(String id) { throw new UnsupportedOperationException("not written yet"); }
  @Override public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) { throw new UnsupportedOperationException("not written yet"); }
  @Override public boolean delete(String id, long expectedVersion) { throw new UnsupportedOperationException("not written yet"); }
  @Override public List<Checkpoint> list(String idPrefix) { throw new UnsupportedOperationException("not written yet"); }
  @Override public void close() {}
}
