package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A compaction worker in its own JVM, on the real clock with a short lease, that stops mid-chunk (outputs written,
 * commit not made) at one chunk, tells the parent by creating a file, and waits there, renewing its lease, until
 * the parent kills it. Arguments: store root, table path, lease in ms, chunk id, signal file, then the
 * {@link SharedCheckpointStore#childArgs} of the shared checkpoint store.
 */
public final class WorkerKillChild {
  static final String WRITER = "killed-worker";

  private WorkerKillChild() {}

  public static void main(String[] args) {
    Path root = Path.of(args[0]);
    String[] t = args[1].split("/");
    Duration lease = Duration.ofMillis(Long.parseLong(args[2]));
    String chunk = args[3];
    Path signal = Path.of(args[4]);
    Clock clock = Clock.systemUTC();
    LocalObjectStore store = new LocalObjectStore(root);
    CheckpointStore checkpoints = SharedCheckpointStore.openInChild(args, 5, clock);
    LifecycleConfig.Compaction config = CompactionFixture.config(1L << 30, 2, 1, 0)
        .withLeaseAndTtl(lease, Duration.ofHours(24));
    DefaultCompactor compactor = new DefaultCompactor(store, new ManifestCatalog(store, clock), checkpoints, config,
        clock, null, WRITER, ChunkBackoff.NONE);
    compactor.stepHook((s, c) -> {
      if (s == DefaultCompactor.Step.AFTER_WRITE && c.equals(chunk)) {
        try {
          Files.writeString(signal, "paused at " + c);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        while (true) {
          LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
        }
      }
    });
    compactor.compact(TableId.of(t[0], t[1], t[2])).execute();
    // Reaching here means the step never came: a distinct exit code the test reports.
    System.err.println("never reached " + chunk + ": " + Arrays.toString(args));
    Runtime.getRuntime().halt(3);
  }
}
