package dev.lakelifecycle.core.internal.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.compaction.CompactionPlan.Decision;
import dev.lakelifecycle.api.compaction.CompactionPlan.Group;
import dev.lakelifecycle.api.compaction.CompactionPlan.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;

/** The planner as a pure function of live files, settings, time and schemas: no storage involved. */
class CompactionPlannerTest {
  private static final TableId TABLE = TableId.of("acme", "prod", "logs");
  private static final long TARGET = 1000;
  private static final CompactionPlanner.Settings SETTINGS =
      new CompactionPlanner.Settings(TARGET, 750, 3, Duration.ofMinutes(5), false);
  private static final MessageType SCHEMA_A =
      MessageTypeParser.parseMessageType("message m { required int64 id; optional binary msg (STRING); }");
  private static final MessageType SCHEMA_B =
      MessageTypeParser.parseMessageType("message m { required int64 id; optional double value; }");
  private static final Function<DataFile, CompactionPlanner.FileSchema> ALL_A =
      f -> CompactionPlanner.FileSchema.of(SCHEMA_A);
  /** Long after every partition used here has closed. */
  private static final Instant LATER = Instant.parse("2026-02-01T00:00:00Z");

  private int seq;

  private DataFile file(String partition, long size) {
    int n = seq++;
    return new DataFile("file:/lake/acme/prod/logs/data/" + partition + "/f" + n + ".parquet", partition, size,
        10, "w", Instant.parse("2026-01-15T00:00:00Z").plusSeconds(n), Map.of());
  }

  private static CompactionPlan plan(List<DataFile> files, CompactionPlanner.Settings s, Instant now) {
    return CompactionPlanner.plan(TABLE, files, s, now, ALL_A);
  }

  private static Map<DataFile, Decision> byFile(CompactionPlan plan) {
    return plan.decisions().stream().collect(Collectors.toMap(Decision::file, d -> d));
  }

  @Test
  void rewritesSmallFilesAndExplainsLargeOnes() {
    List<DataFile> files = new ArrayList<>();
    DataFile large = file("day=2026-01-15", 750);
    files.add(large);
    for (int i = 0; i < 3; i++) {
      files.add(file("day=2026-01-15", 749));
    }
    CompactionPlan plan = plan(files, SETTINGS, LATER);

    assertThat(byFile(plan).get(large).reason()).isEqualTo(Reason.LARGE_ENOUGH);
    assertThat(byFile(plan).get(large).detail()).contains("750 B >= small-file threshold 750 B", "target 1000 B");
    assertThat(plan.inputFiles()).isEqualTo(3);
    assertThat(plan.groups()).allSatisfy(g -> assertThat(g.inputs()).doesNotContain(large));
    assertThat(files.subList(1, 4)).allSatisfy(f -> {
      assertThat(byFile(plan).get(f).reason()).isEqualTo(Reason.INCLUDED);
      assertThat(byFile(plan).get(f).detail()).contains("3 small files >= min 3", "749 B < threshold 750 B");
    });
  }

  @Test
  void keepsPartitionOpenUntilWindowEndPlusMaxWait() {
    // day=2026-01-15 ends at 2026-01-16T00:00Z; with a 5 minute max wait it closes at 00:05.
    List<DataFile> files = List.of(file("day=2026-01-15", 10), file("day=2026-01-15", 10), file("day=2026-01-15", 10));

    CompactionPlan open = plan(files, SETTINGS, Instant.parse("2026-01-16T00:04:59Z"));
    assertThat(open.groups()).isEmpty();
    assertThat(open.decisions()).allSatisfy(d -> {
      assertThat(d.reason()).isEqualTo(Reason.WINDOW_OPEN);
      assertThat(d.detail()).contains("until 2026-01-16T00:05:00Z", "max wait PT5M", "force(true)");
    });

    CompactionPlan closed = plan(files, SETTINGS, Instant.parse("2026-01-16T00:05:00Z"));
    assertThat(closed.groups()).hasSize(1);
    assertThat(closed.decisions()).extracting(Decision::reason).containsOnly(Reason.INCLUDED);
  }

  @Test
  void forceCompactsAnOpenPartition() {
    List<DataFile> files = List.of(file("hour=2026-01-15-10", 10), file("hour=2026-01-15-10", 10),
        file("hour=2026-01-15-10", 10));
    CompactionPlanner.Settings forced = new CompactionPlanner.Settings(TARGET, 750, 3, Duration.ofMinutes(5), true);

    CompactionPlan plan = plan(files, forced, Instant.parse("2026-01-15T10:30:00Z"));

    assertThat(plan.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).hasSize(3));
  }

  @Test
  void leavesPartitionsWithTooFewSmallFiles() {
    List<DataFile> files = List.of(file("day=2026-01-15", 100), file("day=2026-01-15", 100));

    CompactionPlan plan = plan(files, SETTINGS, LATER);

    assertThat(plan.groups()).isEmpty();
    assertThat(plan.decisions()).allSatisfy(d -> {
      assertThat(d.reason()).isEqualTo(Reason.TOO_FEW_FILES);
      assertThat(d.detail()).contains("2 small file(s) of 200 B", "needs >= 3 files or >= 1000 B");
    });
  }

  @Test
  void neverRewritesASingleSmallFileAlone() {
    DataFile lone = file("day=2026-01-15", 700);
    CompactionPlanner.Settings eager = new CompactionPlanner.Settings(TARGET, 750, 2, Duration.ZERO, true);

    CompactionPlan plan = plan(List.of(lone, file("day=2026-01-16", 800)), eager, LATER);

    assertThat(plan.groups()).isEmpty();
    assertThat(byFile(plan).get(lone).reason()).isEqualTo(Reason.ALONE_IN_PARTITION);
  }

  @Test
  void compactsFewerThanMinFilesWhenTheirBytesReachTheTarget() {
    List<DataFile> files = List.of(file("day=2026-01-15", 600), file("day=2026-01-15", 500));

    CompactionPlan plan = plan(files, SETTINGS, LATER);

    assertThat(plan.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).hasSize(2));
    assertThat(plan.decisions()).allSatisfy(d -> assertThat(d.detail()).contains("1100 B of small files >= target 1000 B"));
  }

  @Test
  void ordersGroupsOldestPartitionFirstWithSequentialIds() {
    List<DataFile> files = new ArrayList<>();
    for (String p : List.of("day=2026-01-17", "day=2026-01-15", "day=2026-01-16")) {
      for (int i = 0; i < 3; i++) {
        files.add(file(p, 100));
      }
    }

    CompactionPlan plan = plan(files, SETTINGS, LATER);

    assertThat(plan.groups()).extracting(Group::partition)
        .containsExactly("day=2026-01-15", "day=2026-01-16", "day=2026-01-17");
    assertThat(plan.groups()).extracting(Group::id).containsExactly("cg-0", "cg-1", "cg-2");
  }

  @Test
  void mergesAPartitionIntoOneGroupUpToEightTargetsOfInput() {
    List<DataFile> files = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      files.add(file("day=2026-01-15", 700));
    }

    CompactionPlan plan = plan(files, SETTINGS, LATER);

    // 7,000 B <= 8 targets: one group; the rewriter splits its output into files of about the target.
    assertThat(plan.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).containsExactlyElementsOf(files));
  }

  @Test
  void splitsALargerPartitionIntoGroupsOfAboutEqualBytesOldestFirst() {
    List<DataFile> files = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      files.add(file("day=2026-01-15", 700));
    }

    CompactionPlan plan = plan(files, SETTINGS, LATER);

    // 21,000 B need ceil(21000 / 8000) = 3 groups of about 7,000 B.
    assertThat(plan.groups()).extracting(g -> g.inputs().size()).containsExactly(10, 10, 10);
    assertThat(plan.groups()).allSatisfy(g -> assertThat(g.inputBytes()).isLessThanOrEqualTo(8 * TARGET));
    List<DataFile> concatenated = new ArrayList<>();
    plan.groups().forEach(g -> concatenated.addAll(g.inputs()));
    assertThat(concatenated).containsExactlyElementsOf(files);
  }

  @Test
  void ordersByBytesOrFileCountOnRequest() {
    List<DataFile> files = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      files.add(file("day=2026-01-14", 100));
    }
    for (int i = 0; i < 4; i++) {
      files.add(file("day=2026-01-15", 10));
    }
    for (int i = 0; i < 3; i++) {
      files.add(file("day=2026-01-16", 200));
    }

    assertThat(plan(files, SETTINGS, LATER).groups()).extracting(Group::partition)
        .containsExactly("day=2026-01-14", "day=2026-01-15", "day=2026-01-16");
    assertThat(plan(files, with(CompactionPlan.Order.BYTES, 0, 0), LATER).groups()).extracting(Group::partition)
        .containsExactly("day=2026-01-16", "day=2026-01-14", "day=2026-01-15");
    assertThat(plan(files, with(CompactionPlan.Order.FILES, 0, 0), LATER).groups()).extracting(Group::partition)
        .containsExactly("day=2026-01-15", "day=2026-01-14", "day=2026-01-16");
  }

  @Test
  void defersGroupsPastACapAndReportsThemButAlwaysRunsTheFirst() {
    List<DataFile> files = new ArrayList<>();
    for (String p : List.of("day=2026-01-14", "day=2026-01-15", "day=2026-01-16")) {
      for (int i = 0; i < 3; i++) {
        files.add(file(p, 100));
      }
    }

    CompactionPlan byFiles = plan(files, with(CompactionPlan.Order.AGE, 6, 0), LATER);
    CompactionPlan byBytes = plan(files, with(CompactionPlan.Order.AGE, 0, 250), LATER);

    assertThat(byFiles.groups()).extracting(Group::partition).containsExactly("day=2026-01-14", "day=2026-01-15");
    assertThat(byFiles.deferredFiles()).isEqualTo(3);
    assertThat(byFiles.deferredBytes()).isEqualTo(300);
    assertThat(byFiles.decisions(Reason.DEFERRED_BY_CAP)).allSatisfy(d -> {
      assertThat(d.file().partition()).isEqualTo("day=2026-01-16");
      assertThat(d.detail()).contains("deferred to a later run by the cap of 6 files");
    });
    // 300 B exceed the 250 B cap, but the first group always runs so a cap never stalls a table.
    assertThat(byBytes.groups()).extracting(Group::partition).containsExactly("day=2026-01-14");
    assertThat(byBytes.deferredFiles()).isEqualTo(6);
  }

  @Test
  void leavesQuarantinedFilesOutWithTheirError() {
    List<DataFile> files = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      files.add(file("day=2026-01-15", 100));
    }
    DataFile bad = files.get(2);

    CompactionPlan plan = CompactionPlanner.plan(TABLE, files, SETTINGS, LATER, ALL_A,
        f -> f == bad ? "EOFException: truncated" : null);

    assertThat(plan.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).hasSize(3).doesNotContain(bad));
    assertThat(byFile(plan).get(bad).reason()).isEqualTo(Reason.QUARANTINED);
    assertThat(byFile(plan).get(bad).detail()).contains("EOFException: truncated", "clearQuarantine");
  }

  private static CompactionPlanner.Settings with(CompactionPlan.Order order, int maxFiles, long maxBytes) {
    return new CompactionPlanner.Settings(TARGET, 750, 3, Duration.ofMinutes(5), false, order, maxFiles, maxBytes);
  }

  @Test
  void mergesOnlyFilesOfIdenticalSchema() {
    List<DataFile> files = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      files.add(file("day=2026-01-15", 100));
    }
    DataFile odd = file("day=2026-01-15", 100);
    files.add(odd);
    Function<DataFile, CompactionPlanner.FileSchema> schemas =
        f -> CompactionPlanner.FileSchema.of(f == odd ? SCHEMA_B : SCHEMA_A);

    CompactionPlan plan = CompactionPlanner.plan(TABLE, files, SETTINGS, LATER, schemas);

    assertThat(plan.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).hasSize(4).doesNotContain(odd));
    assertThat(byFile(plan).get(odd).reason()).isEqualTo(Reason.SCHEMA_DIFFERS);
    assertThat(byFile(plan).get(odd).detail())
        .contains("only 1 of the partition's 5 readable small files share this Parquet schema");
  }

  @Test
  void marksAFileWithAnUnreadableFooterForQuarantineAndPlansTheOthers() {
    List<DataFile> files = List.of(file("day=2026-01-15", 100), file("day=2026-01-15", 100), file("day=2026-01-15", 100));
    DataFile broken = files.get(1);
    Function<DataFile, CompactionPlanner.FileSchema> schemas = f -> f == broken
        ? CompactionPlanner.FileSchema.unreadable("bad footer") : CompactionPlanner.FileSchema.of(SCHEMA_A);

    CompactionPlan plan = CompactionPlanner.plan(TABLE, files, SETTINGS, LATER, schemas);

    assertThat(plan.groups()).isEmpty(); // 2 readable files < min 3
    assertThat(byFile(plan).get(broken).reason()).isEqualTo(Reason.QUARANTINED);
    assertThat(byFile(plan).get(broken).detail()).contains("unreadable Parquet footer: bad footer");
    CompactionPlan lower = CompactionPlanner.plan(TABLE, files,
        new CompactionPlanner.Settings(TARGET, 750, 2, Duration.ofMinutes(5), false), LATER, schemas);
    assertThat(lower.groups()).singleElement().satisfies(g -> assertThat(g.inputs()).doesNotContain(broken));
  }

  @Test
  void givesEveryLiveFileExactlyOneDecisionInInputOrder() {
    List<DataFile> files = new ArrayList<>();
    files.add(file("day=2026-01-15", 900));
    files.add(file("day=2026-01-15", 10));
    for (int i = 0; i < 3; i++) {
      files.add(file("day=2026-01-14", 10));
    }
    files.add(file("day=2026-01-31", 10));

    CompactionPlan plan = plan(files, SETTINGS, Instant.parse("2026-01-31T12:00:00Z"));

    assertThat(plan.decisions()).extracting(Decision::file).containsExactlyElementsOf(files);
    assertThat(plan.decisions()).extracting(Decision::reason).containsExactly(Reason.LARGE_ENOUGH,
        Reason.ALONE_IN_PARTITION, Reason.INCLUDED, Reason.INCLUDED, Reason.INCLUDED, Reason.WINDOW_OPEN);
  }

  @Test
  void doesNotAskForSchemasOfFilesItWillNotRewrite() {
    List<DataFile> files = List.of(file("day=2026-01-15", 900), file("day=2026-01-31", 10));
    List<DataFile> asked = new ArrayList<>();

    CompactionPlanner.plan(TABLE, files, SETTINGS, Instant.parse("2026-01-31T12:00:00Z"), f -> {
      asked.add(f);
      return CompactionPlanner.FileSchema.of(SCHEMA_A);
    });

    assertThat(asked).isEmpty();
  }
}
