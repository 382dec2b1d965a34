package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.testkit.ForwardingCheckpointStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real checkpoint store that remembers every non-empty compaction plan written through it (plan id → the
 * table's checkpoint id and the plan's chunk ids), so a test can check each planned chunk against the commits.
 * Every call, the lease operations included, goes to the real store's own implementation.
 */
final class RecordingCheckpointStore extends ForwardingCheckpointStore {
  /** One plan as stored. */
  record Plan(String checkpointId, String planId, List<String> chunkIds) {}

  private final Map<String, Plan> plans;

  /** @param plans where plans are recorded; shared by the stores of several workers */
  RecordingCheckpointStore(CheckpointStore delegate, Map<String, Plan> plans) {
    super(delegate);
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
  public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
    return record(super.compareAndSet(next, expectedVersion));
  }

  @Override
  public Checkpoint writeUnderLease(Checkpoint next, Duration ttl, Instant now) {
    return record(super.writeUnderLease(next, ttl, now));
  }
}
