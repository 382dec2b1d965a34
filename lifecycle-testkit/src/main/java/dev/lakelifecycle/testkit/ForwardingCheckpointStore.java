package dev.lakelifecycle.testkit;

import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A {@link CheckpointStore} that forwards every call to another store, in the style of Guava's
 * {@code Forwarding*} classes. Extend and override only what you intercept; used to wrap real stores for fault
 * injection and recording.
 *
 * <p>The lease methods are forwarded too, so the delegate's own implementation of them runs (a JDBC store's
 * single-statement lease, not the interface's compare-and-set loop over this wrapper). {@link #close()} closes
 * the delegate.
 */
public abstract class ForwardingCheckpointStore extends ForwardingObject<CheckpointStore> implements CheckpointStore {
  /**
   * @param delegate the store every call goes to
   * @throws NullPointerException if {@code delegate} is null
   */
  protected ForwardingCheckpointStore(CheckpointStore delegate) {
    super(delegate);
  }

  @Override
  public Optional<Checkpoint> get(String id) {
    return delegate().get(id);
  }

  @Override
  public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
    return delegate().compareAndSet(next, expectedVersion);
  }

  @Override
  public boolean delete(String id, long expectedVersion) {
    return delegate().delete(id, expectedVersion);
  }

  @Override
  public List<Checkpoint> list(String idPrefix) {
    return delegate().list(idPrefix);
  }

  @Override
  public Optional<Checkpoint> tryAcquireLease(String id, String owner, Duration ttl, Instant now) {
    return delegate().tryAcquireLease(id, owner, ttl, now);
  }

  @Override
  public Checkpoint writeUnderLease(Checkpoint next, Duration ttl, Instant now) {
    return delegate().writeUnderLease(next, ttl, now);
  }

  @Override
  public void releaseLease(String id, String owner) {
    delegate().releaseLease(id, owner);
  }

  @Override
  public void close() {
    delegate().close();
  }
}
