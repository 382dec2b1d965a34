package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real checkpoint store that remembers every non-empty compaction plan written through it (plan id → the
 * table's checkpoint id and the plan's chunk ids), so a test can check each planned chunk against the commits.
 * Every call, the lease operations included, goes to the real store's own implementation.
 */
final class RecordingCheckpointStore implements CheckpointStore {
  /** One plan as stored. */
  record Plan(String checkpointId, String planId, List<String> chunkIds) {}

  private final CheckpointStore delegate;
  private final Map<String, Plan> plans;

  /** @param plans where plans are recorded; shared by the stores of several workers */
  RecordingCheckpointStore(CheckpointStore delegate, Map<String, Plan> plans) {
    this.delegate = delegate;
    this.plans = plans;
  }

  static Map<String, Plan> newPlans() {
    return new ConcurrentHashMap<>();
  }

  private Checkpoint record(Checkpoint cp) {
    if (cp.id().startsWith("compaction/") && PlanState.hasPlan(cp) && PlanState.totalGroups(cp) > 0) {
      PlanState s = PlanState.from(cp);
      plans.putIfAbsent(s.planId, new Plan(cp.id(), s.planId, s.chunks.stream().map(PlanState.Chunk::id).toList()));
    }
    return cp;
  }

  @Override
  public Optional<Checkpoint> get(String id) {
    return delegate.get(id);
  }

  @Override
  public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
    return record(delegate.compareAndSet(next, expectedVersion));
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
  public Checkpoint writeUnderLease(Checkpoint next, Duration ttl, Instant now) {
    return record(delegate.writeUnderLease(next, ttl, now));
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
