package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.storage.ObjectStore;

/** The object-store checkpoint store's protocol over an in-memory store with S3's conditional-write semantics. */
class ObjectStoreCheckpointStoreOnMemoryTest extends ObjectStoreCheckpointStoreTests {
  @Override
  protected ObjectStore newObjectStore() {
    return new MemoryObjectStore();
  }
}
