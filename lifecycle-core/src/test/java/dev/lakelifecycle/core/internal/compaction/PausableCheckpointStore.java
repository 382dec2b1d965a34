package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A real checkpoint store whose lease-extending writes can be held up, as if the worker's process were paused
 * (a long GC pause, a frozen VM): while {@link #pause() paused}, {@link #writeUnderLease} blocks until
 * {@link #resume()}, then goes to the real store. Everything else goes straight through.
 */
final class PausableCheckpointStore implements CheckpointStore {
  private final CheckpointStore delegate;
  private boolean paused;
  private int blocked;

  PausableCheckpointStore(CheckpointStore delegate) {
    this.delegate = delegate;
  }

  synchronized void pause() {
    paused = true;
  }

  synchronized void resume() {
    paused = false;
    notifyAll();
  }

  /** How many writes found the store paused so far. */
  synchronized int blockedWrites() {
    return blocked;
  }

  @Override
  public Checkpoint writeUnderLease(Checkpoint next, Duration ttl, Instant now) {
    synchronized (this) {
      if (paused) {
        blocked++;
      }
      while (paused) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while paused", e);
        }
      }
    }
    return delegate.writeUnderLease(next, ttl, now);
  }

  @Override
  public Optional<Checkpoint> get(String id) {
    return delegate.get(id);
  }

  @Override
  public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
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
  public Optional<Checkpoint> tryAcquireLease(String id, String owner, Duration ttl, Instant now) {
    return delegate.tryAcquireLease(id, owner, ttl, now);
  }

  @Override
  public void releaseLease(String id, String owner) {
    delegate.releaseLease(id, owner);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
