package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * A compactor in its own JVM that dies (halts, like SIGKILL: no finally blocks, no lease release) at one step of
 * one chunk. Arguments: store root, table path, step, chunk id, clock instant.
 */
public final class CompactionCrashChild {
  static final String WRITER = "crashing-worker";

  private CompactionCrashChild() {}

  public static void main(String[] args) {
    Path root = Path.of(args[0]);
    String[] t = args[1].split("/");
    DefaultCompactor.Step step = DefaultCompactor.Step.valueOf(args[2]);
    String chunk = args[3];
    Clock clock = Clock.fixed(Instant.parse(args[4]), ZoneOffset.UTC);
    LocalObjectStore store = new LocalObjectStore(root);
    DefaultCompactor compactor = new DefaultCompactor(store, new ManifestCatalog(store, clock),
        new ObjectStoreCheckpointStore(store, "_checkpoints/", clock), CompactionFixture.config(1L << 30, 2, 1, 0),
        clock, null, WRITER, ChunkBackoff.NONE);
    compactor.stepHook((s, c) -> {
      if (s == step && c.equals(chunk)) {
        Runtime.getRuntime().halt(137);
      }
    });
    compactor.compact(TableId.of(t[0], t[1], t[2])).execute();
    // Reaching here means the step never came: a distinct exit code the test reports.
    Runtime.getRuntime().halt(3);
  }
}
