package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.testkit.ForwardingCheckpointStore;
import java.time.Duration;
import java.time.Instant;

/**
 * A real checkpoint store whose lease-extending writes can be held up, as if the worker's process were paused
 * (a long GC pause, a frozen VM): while {@link #pause() paused}, {@link #writeUnderLease} blocks until
 * {@link #resume()}, then goes to the real store. Everything else goes straight through.
 */
final class PausableCheckpointStore extends ForwardingCheckpointStore {
  private boolean paused;
  private int blocked;

  PausableCheckpointStore(CheckpointStore delegate) {
    super(delegate);
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
    return super.writeUnderLease(next, ttl, now);
  }
}
