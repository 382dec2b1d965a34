package dev.lakelifecycle.core.internal.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.compaction.CompactionStatus;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A compactor killed at each step of a chunk (a child JVM halted: no cleanup, its lease left held), then resumed by
 * another worker once the lease lapses: every row exactly once, no duplicate live files, the plan finished.
 */
class CompactionCrashTest {
  private static final TableId T = TableId.of("acme", "prod", "crash");
  private static final List<String> DAYS = List.of("day=2026-01-10", "day=2026-01-11", "day=2026-01-12");

  @TempDir
  Path dir;

  @ParameterizedTest(name = "crash {0}")
  @EnumSource(DefaultCompactor.Step.class)
  void resumesAfterACrashAtEachStepWithEveryRowOnceAndNoDuplicateFiles(DefaultCompactor.Step step)
      throws Exception {
    CompactionFixture fx = new CompactionFixture(dir);
    fx.createTable(T);
    for (String day : DAYS) {
      for (int i = 0; i < 3; i++) {
        fx.append(T, List.of(fx.writeEvents(T, day, 25)));
      }
    }
    Map<String, Integer> before = fx.rows(T);
    CheckpointStore cps = new ObjectStoreCheckpointStore(fx.store, "_checkpoints/", fx.clock);

    // chunk-1 of three one-partition chunks: chunk-0 is committed before the crash, chunk-2 not started.
    int exit = runChild(step, "chunk-1", fx);
    assertThat(exit).as("child exit code (137 = halted at the step)").isEqualTo(137);

    DefaultCompactor other = fx.compactor(CompactionFixture.config(1L << 30, 2, 1, 0), fx.catalog, cps);
    assertThat(other.compact(T).execute().outcome()).as("the crashed worker's lease is still live")
        .isEqualTo(CompactionResult.Outcome.ALREADY_RUNNING);
    CompactionStatus stuck = other.status(T);
    fx.clock.advance(Duration.ofMinutes(6));
    CompactionStatus lapsed = other.status(T);
    CompactionResult resumed = other.compact(T).execute();

    assertThat(stuck.windowsProcessing()).isPositive();
    assertThat(lapsed.windowsStuck()).isPositive();
    assertThat(lapsed.health()).isNotEqualTo(CompactionStatus.Health.HEALTHY);
    assertThat(resumed.resumed()).isTrue();
    // The resumed chunks were merged page by page, not decoded.
    assertThat(fx.rowGroups("paged")).isPositive();
    assertThat(fx.rowGroups("decoded")).isZero();
    assertThat(fx.rows(T)).isEqualTo(before);
    List<DataFile> live = fx.catalog.loadTable(T).liveFiles();
    assertThat(new HashSet<>(live.stream().map(DataFile::location).toList())).hasSize(live.size());
    for (String day : DAYS) {
      assertThat(live).filteredOn(f -> f.partition().equals(day)).as(day).hasSize(1);
    }
    assertThat(other.status(T).state()).isEqualTo(CompactionStatus.State.COMPLETED);
    assertThat(other.compact(T).execute().outcome()).isEqualTo(CompactionResult.Outcome.NOTHING_TO_DO);
  }

  @Test
  void aSecondCompactorGetsAClearOutcomeWhileTheFirstRuns() {
    CompactionFixture fx = new CompactionFixture(dir);
    fx.createTable(T);
    for (int i = 0; i < 3; i++) {
      fx.append(T, List.of(fx.writeEvents(T, DAYS.get(0), 10)));
    }
    DefaultCompactor first = fx.compactor(CompactionFixture.config(1L << 30, 2, 1, 0));
    DefaultCompactor second = new DefaultCompactor(fx.store, fx.catalog, fx.checkpoints,
        CompactionFixture.config(1L << 30, 2, 1, 0), fx.clock, null, "compactor-2", ChunkBackoff.NONE);
    AtomicReference<CompactionResult> during = new AtomicReference<>();
    first.stepHook((step, chunk) -> {
      if (step == DefaultCompactor.Step.AFTER_WRITE) {
        during.set(second.compact(T).execute());
      }
    });

    CompactionResult result = first.compact(T).execute();

    assertThat(during.get().outcome()).isEqualTo(CompactionResult.Outcome.ALREADY_RUNNING);
    assertThat(during.get().filesRemoved()).isZero();
    assertThat(result.filesRemoved()).isEqualTo(3);
    assertThat(fx.catalog.loadTable(T).liveFiles()).hasSize(1);
  }

  private int runChild(DefaultCompactor.Step step, String chunk, CompactionFixture fx)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), CompactionCrashChild.class.getName(),
        dir.toString(), T.path(), step.name(), chunk, fx.clock.instant().toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile())
        .start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("child compactor did not stop within 120 s; see " + dir.resolve("child.log"));
    }
    return p.exitValue();
  }
}
