package dev.lakelifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    Path logs = QuickstartSamples.apacheLogs(tmp.resolve("in"));
    Path quakes = QuickstartSamples.earthquakes(tmp.resolve("in"));
    Path lake = tmp.resolve("lake");

    int status = run("--apache-logs", logs.toString(), "--earthquakes", quakes.toString(), "--out", lake.toString(),
        "--replicas", "2");

    assertThat(status).as(output).isZero();
    assertThat(output)
        .contains("apache_logs: 1 line(s) rejected")
        .contains("line 100: missing closing quote of the user agent")
        .contains("earthquakes.txt: 0 line(s) rejected")
        .contains("OK: every table's rows out = rows in - rows dropped by retention")
        .containsPattern("planted orphan deleted; ([\\d,]+) of \\1 live files of \\d+ tables still there");
    assertThat(output).containsPattern("180d +GLOBAL +cutoff 2016-05-19T11:00:00Z: \\d+ table\\(s\\), [1-9][\\d,]* partitions dropped");
    try (Stream<Path> files = Files.walk(lake)) {
      assertThat(files.map(Path::toString)).noneMatch(p -> p.endsWith("orphan-from-crashed-writer.parquet"));
    }
  }

  @Test
  void outTakesADirectoryAFileUriOrAStorageLocation() {
    Path dir = tmp.resolve("lake");

    assertThat(Quickstart.Options.parse(new String[] {"--out", dir.toString()}).out()).isEqualTo(dir);
    assertThat(Quickstart.Options.parse(new String[] {"--out", dir.toUri().toString()}).out()).isEqualTo(dir);
    Quickstart.Options s3 = Quickstart.Options.parse(new String[] {"--out", "s3://bucket/quickstart"});
    assertThat(s3.location()).hasToString("s3://bucket/quickstart/");
    assertThat(s3.out()).isNull();
  }

  @Test
  void rejectsALocationNoStoreServes() {
    int status = run("--out", "gs://bucket/lake/");

    assertThat(status).isEqualTo(2);
    assertThat(output).contains("no object store on the class path serves scheme 'gs'");
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
}
