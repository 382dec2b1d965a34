package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.testkit.MutableClock;

class InMemoryCheckpointStoreTest extends EmbeddedCheckpointStoreTests {
  private final MutableClock clock = MutableClock.at("2026-01-15T10:00:00Z");
  private final InMemoryCheckpointStore store = new InMemoryCheckpointStore(clock);

  @Override
  protected CheckpointStore store() {
    return store;
  }

  @Override
  protected MutableClock clock() {
    return clock;
  }
}
