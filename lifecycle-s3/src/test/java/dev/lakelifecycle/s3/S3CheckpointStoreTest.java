package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import dev.lakelifecycle.testkit.CheckpointStoreContract;
import dev.lakelifecycle.testkit.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The testkit's CheckpointStore contract on the object-store checkpoint store, with S3 (s3proxy) underneath. */
class S3CheckpointStoreTest extends CheckpointStoreContract {
  private final MutableClock clock = MutableClock.at("2026-01-15T10:00:00Z");
  private S3ObjectStore objects;
  private ObjectStoreCheckpointStore store;

  @BeforeEach
  void open() {
    objects = S3Server.shared().builder(S3Server.freshRoot("checkpoints")).build();
    store = new ObjectStoreCheckpointStore(objects, "_checkpoints/", clock);
  }

  @AfterEach
  void close() {
    store.close();
    objects.close();
  }

  @Override
  protected CheckpointStore store() {
    return store;
  }

  @Override
  protected MutableClock clock() {
    return clock;
  }
}
