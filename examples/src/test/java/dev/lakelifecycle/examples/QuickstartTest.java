package dev.lakelifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickstartTest {
  @TempDir
  Path tmp;

  private String output;

  private int run(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      status = Quickstart.run(args, out);
    }
    output = bytes.toString(StandardCharsets.UTF_8);
    return status;
  }

  @Test
  void runsTheWholeLifecycleOnASampleOfTheRealDataAndVerifiesEveryRow() throws IOException {
    Path shared = SharedDataLocator.root().orElseThrow();
    // Lines 8,800-9,099 of the access log hold its one truncated line (8,899, here line 100); every 100th
    // earthquake keeps the whole January-November span, so that retention drops part of it. Small on purpose:
    // the full data is the quickstart's own run.
    Path logs = sample(shared.resolve("real/apache_logs"), "apache_logs", 8_799, 300, 1);
    Path quakes = sample(shared.resolve("real/earthquakes.txt"), "earthquakes.txt", 0, Integer.MAX_VALUE, 100);
    Path lake = tmp.resolve("lake");

    int status = run("--apache-logs", logs.toString(), "--earthquakes", quakes.toString(), "--out", lake.toString(),
        "--replicas", "2");

    assertThat(status).as(output).isZero();
    assertThat(output)
        .contains("apache_logs: 1 line(s) rejected")
        .contains("line 100: missing closing quote of the user agent")
        .contains("earthquakes.txt: 0 line(s) rejected")
        .contains("OK: every table's rows out = rows in - rows dropped by retention");
    assertThat(output).containsPattern("180d +GLOBAL +cutoff 2016-05-19T11:00:00Z: \\d+ table\\(s\\), [1-9][\\d,]* partitions dropped");
    try (Stream<Path> files = Files.walk(lake)) {
      assertThat(files.map(Path::toString)).noneMatch(p -> p.endsWith("orphan-from-crashed-writer.parquet"));
    }
  }

  @Test
  void refusesANonEmptyOutputDirectory() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("used"));
    Files.writeString(out.resolve("keep.txt"), "mine");

    int status = run("--out", out.toString());

    assertThat(status).isEqualTo(2);
    assertThat(output).contains("is not empty; the quickstart needs a fresh directory");
    assertThat(out.resolve("keep.txt")).hasContent("mine");
  }

  @Test
  void rejectsUnknownArgumentsWithTheUsage() {
    int status = run("--frobnicate");

    assertThat(status).isEqualTo(2);
    assertThat(output).contains("unknown argument '--frobnicate'").contains("Usage: Quickstart");
  }

  @Test
  void rejectsAMissingInputFile() {
    int status = run("--apache-logs", tmp.resolve("nope.log").toString());

    assertThat(status).isEqualTo(2);
    assertThat(output).contains("nope.log is not a readable file");
  }

  @Test
  void printsUsageForHelp() {
    int status = run("--help");

    assertThat(status).isZero();
    assertThat(output).contains("--apache-logs FILE").contains("--earthquakes FILE").contains("--out DIR");
  }

  /** Writes the header (if {@code every} > 1) and every {@code every}-th of {@code count} lines after {@code skip}. */
  private Path sample(Path source, String name, int skip, int count, int every) throws IOException {
    List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    int first = skip;
    if (every > 1) {
      out.add(lines.get(0));
      first = Math.max(1, skip);
    }
    for (int i = first; i < lines.size() && i < (long) skip + count; i++) {
      if ((i - first) % every == 0) {
        out.add(lines.get(i));
      }
    }
    Path dir = Files.createDirectories(tmp.resolve("in"));
    return Files.write(dir.resolve(name), out, StandardCharsets.UTF_8);
  }
}
