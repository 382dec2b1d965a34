package dev.lakelifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.s3.S3ObjectStore;
import dev.lakelifecycle.s3.S3Server;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart on S3, as a user runs it: its {@code main} in a child JVM with {@code --out s3://bucket/prefix/}
 * and the store's settings in the environment only ({@code LIFECYCLE_S3_ENDPOINT}, {@code AWS_ACCESS_KEY_ID},
 * {@code AWS_SECRET_ACCESS_KEY}), against s3proxy in-process on 127.0.0.1. The child's exit status and
 * report say its own checks passed; the test then reads the bucket itself.
 */
class QuickstartOnS3Test {
  private static final String ORPHAN = "orphan-from-crashed-writer.parquet";

  @TempDir
  Path tmp;

  @Test
  void runsTheWholeLifecycleOnS3WithOneSettingAndVerifiesEveryRow() throws Exception {
    Path logs = QuickstartSamples.apacheLogs(tmp.resolve("in"));
    // Fewer earthquakes than the local test: each flush is a few requests, and the machine may be busy.
    Path quakes = QuickstartSamples.earthquakes(tmp.resolve("in"), 400);
    URI root = S3Server.freshRoot("quickstart");

    Child child = runMain("--apache-logs", logs.toString(), "--earthquakes", quakes.toString(),
        "--replicas", "2", "--out", root.toString());

    assertThat(child.status).as(child.output).isZero();
    assertThat(child.output)
        .contains("lake at " + root)
        .contains("apache_logs: 1 line(s) rejected")
        .contains("Sweep orphans on the store's clock with no grace period")
        .contains("planted web/site/logs/")
        .contains("OK: every table's rows out = rows in - rows dropped by retention")
        .doesNotContain("MISMATCH");
    // Retention dropped rows, so "rows out = rows in - dropped" is not trivially "out = in".
    assertThat(child.output)
        .containsPattern("180d +GLOBAL +cutoff 2016-05-19T11:00:00Z: \\d+ table\\(s\\), [1-9][\\d,]* partitions dropped");
    Matcher swept = Pattern.compile("planted orphan deleted; ([\\d,]+) of ([\\d,]+) live files of (\\d+) tables still there")
        .matcher(child.output);
    assertThat(swept.find()).as(child.output).isTrue();
    assertThat(swept.group(1)).isEqualTo(swept.group(2));
    // Compaction replaced files and retention expired snapshots: with no grace period, those files go too.
    Matcher deleted = Pattern.compile("([\\d,]+) orphan\\(s\\) deleted").matcher(child.output);
    assertThat(deleted.find()).isTrue();
    assertThat(number(deleted.group(1))).isGreaterThan(1);
    Matcher total = Pattern.compile("\\n  total +([\\d,]+) +([\\d,]+) +([\\d,]+)\\n").matcher(child.output);
    assertThat(total.find()).as(child.output).isTrue();
    long rowsOut = number(total.group(3));
    assertThat(rowsOut).isEqualTo(number(total.group(1)) - number(total.group(2))).isPositive();

    // The bucket as the test sees it: no orphan, every live file present, the catalog's row count as reported.
    try (S3ObjectStore store = S3Server.shared().builder(root).build();
        Lifecycle lake = Lifecycle.builder().store(store).writerId("check").build()) {
      try (Stream<ObjectInfo> all = store.list("")) {
        assertThat(all.map(ObjectInfo::key)).isNotEmpty().noneMatch(k -> k.endsWith(ORPHAN));
      }
      List<TableId> tables = lake.catalog().listTables();
      assertThat(tables).hasSize(Integer.parseInt(swept.group(3)));
      long rows = 0;
      for (TableId t : tables) {
        for (DataFile f : lake.catalog().loadTable(t).liveFiles()) {
          assertThat(store.stat(store.keyOf(f.location()).orElseThrow())).as(f.location()).isPresent();
          rows += f.recordCount();
        }
      }
      assertThat(rows).isEqualTo(rowsOut);
      assertThat(S3Server.shared().incompleteUploads(store.prefix())).isEmpty();
    }
  }

  @Test
  void refusesALocationThatIsNotEmpty() throws Exception {
    URI root = S3Server.freshRoot("quickstart-used");
    try (S3ObjectStore store = S3Server.shared().builder(root).build()) {
      store.put("keep.txt", "mine".getBytes(StandardCharsets.UTF_8));
    }

    Child child = runMain("--out", root.toString());

    assertThat(child.status).as(child.output).isEqualTo(2);
    assertThat(child.output).contains("--out " + root + " is not empty");
    try (S3ObjectStore store = S3Server.shared().builder(root).build()) {
      assertThat(store.read("keep.txt")).asString(StandardCharsets.UTF_8).isEqualTo("mine");
    }
  }

  @Test
  void namesTheBucketWhenItDoesNotExist() throws Exception {
    Child child = runMain("--out", "s3://no-such-bucket-for-the-quickstart/lake/");

    assertThat(child.status).as(child.output).isEqualTo(2);
    assertThat(child.output).contains("Error: ").contains("bucket 'no-such-bucket-for-the-quickstart' does not exist");
  }

  /** Runs the quickstart's main in a child JVM whose only S3 settings are the endpoint and the keys. */
  private Child runMain(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dlifecycle.shared.data=" + SharedDataLocator.root().orElseThrow(),
        "-cp", System.getProperty("java.class.path"), Quickstart.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("child-" + System.nanoTime() + ".out").toFile());
    Map<String, String> env = pb.environment();
    // Nothing from this machine's AWS setup may leak in: the documented variables are all the child gets.
    env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("LIFECYCLE_"));
    env.put("LIFECYCLE_S3_ENDPOINT", S3Server.shared().endpoint().toString());
    env.put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
    env.put("AWS_CONFIG_FILE", tmp.resolve("no-aws-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-aws-credentials").toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("the quickstart did not finish within 5 minutes: "
          + Files.readString(pb.redirectOutput().file().toPath()));
    }
    return new Child(p.exitValue(), Files.readString(pb.redirectOutput().file().toPath(), StandardCharsets.UTF_8));
  }

  private static long number(String digits) {
    return Long.parseLong(digits.replace(",", ""));
  }

  private record Child(int status, String output) {}
}
