package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * The checkpoint stores that several workers (threads or processes) can share, for the multi-worker tests: each
 * worker opens its own instance on the same backing state, as separate processes would. A child JVM gets the
 * arguments of {@link #childArgs} and opens its instance with {@link #openInChild}.
 */
enum SharedCheckpointStore {
  /** JSON objects under {@code _checkpoints/} of one local directory (the table root). */
  OBJECT_STORE {
    @Override
    CheckpointStore open(Path root, Clock clock) {
      return new ObjectStoreCheckpointStore(new LocalObjectStore(root), "_checkpoints/", clock);
    }

    @Override
    List<String> childArgs(Path root) {
      return List.of(name(), root.toString());
    }
  };

  /** A new instance on the shared state of this kind under {@code root}. */
  abstract CheckpointStore open(Path root, Clock clock);

  /** What a child JVM needs to open an instance on the same state. */
  abstract List<String> childArgs(Path root);

  /** Opens the store described by {@link #childArgs} starting at {@code args[from]}. */
  static CheckpointStore openInChild(String[] args, int from, Clock clock) {
    SharedCheckpointStore kind = valueOf(args[from]);
    return kind.open(Path.of(args[from + 1]), clock);
  }
}
