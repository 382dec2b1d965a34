package dev.lakelifecycle.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conditional writes stay exact across processes: separate JVMs increment one counter with
 * replace-if-etag-matches and lose no increment; the file lock, not only the in-JVM lock, makes it so.
 */
class CrossProcessCasTest {
  private static final int PROCESSES = 2;
  private static final int INCREMENTS_EACH = 40;

  @TempDir Path dir;

  @Test
  void incrementsFromSeveralProcessesAreNeverLost() throws Exception {
    try (LocalObjectStore store = LocalObjectStore.builder(dir).fsync(false).build()) {
      store.put("counter", "0".getBytes(StandardCharsets.UTF_8), WriteCondition.ifAbsent());

      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<Process> children = new ArrayList<>();
      for (int i = 0; i < PROCESSES; i++) {
        children.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
            CrossProcessCasTest.class.getName(), dir.toString(), Integer.toString(INCREMENTS_EACH))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child-" + i + ".log").toFile())
            .start());
      }
      // This JVM competes too, so in-JVM and cross-process contention mix.
      increment(store, INCREMENTS_EACH);
      for (int i = 0; i < children.size(); i++) {
        Process p = children.get(i);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("child %d finished", i).isTrue();
        assertThat(p.exitValue()).as("child %d exit; log:%n%s", i,
            Files.readString(dir.resolve("child-" + i + ".log"))).isZero();
      }

      String value = new String(store.read("counter"), StandardCharsets.UTF_8);
      assertThat(Integer.parseInt(value)).isEqualTo((PROCESSES + 1) * INCREMENTS_EACH);
    }
  }

  /** Child process: {@code <root> <increments>}. */
  public static void main(String[] args) {
    try (LocalObjectStore store = LocalObjectStore.builder(Path.of(args[0])).fsync(false).build()) {
      increment(store, Integer.parseInt(args[1]));
    }
  }

  private static void increment(LocalObjectStore store, int times) {
    for (int done = 0; done < times; ) {
      ObjectInfo current = store.stat("counter").orElseThrow();
      int value = Integer.parseInt(new String(store.read("counter"), StandardCharsets.UTF_8));
      try {
        store.put("counter", Integer.toString(value + 1).getBytes(StandardCharsets.UTF_8),
            WriteCondition.ifMatch(current.etag()));
        done++;
      } catch (PreconditionFailedException e) {
        Thread.onSpinWait();
      }
    }
  }

}
