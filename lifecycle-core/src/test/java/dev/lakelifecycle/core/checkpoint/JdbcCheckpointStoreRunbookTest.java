package dev.lakelifecycle.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.Checkpoint.Status;
import dev.lakelifecycle.testkit.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Timestore runbook's two SQL statements, copied verbatim, run against the store's PostgreSQL schema and
 * agree with what the API reports.
 */
class JdbcCheckpointStoreRunbookTest {
  /** Runbook, "Monitoring checkpoints": the example query to inspect pending work. */
  private static final String INSPECT_PENDING = """
      SELECT manifest_id,
             cursor,
             (metadata->>'completedGroupIds')::jsonb ?| array['cg-0'] AS first_chunk_done,
             stats->>'chunksCompleted' AS chunks
      FROM compaction_checkpoints
      WHERE status = 'pending';
      """;
  /** Runbook, "Cleanup": removes completed checkpoints older than 48 hours. */
  private static final String CLEANUP = """
      DELETE FROM compaction_checkpoints
      WHERE status = 'completed'
        AND updated_at < NOW() - INTERVAL '48 hours';
      """;

  /** The cleanup compares with the database's NOW(), so the store's clock follows real time here. */
  private final MutableClock clock = MutableClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private HikariDataSource dataSource;
  private JdbcCheckpointStore store;

  /** One row of the inspection query. */
  private record Pending(int cursor, boolean firstChunkDone, String chunks) {}

  @BeforeEach
  void openStore(@TempDir Path dir) {
    dataSource = JdbcTestDatabases.POSTGRESQL.open(dir);
    store = JdbcCheckpointStore.builder(dataSource).clock(clock).build();
  }

  @AfterEach
  void closeStore() {
    store.close();
    dataSource.close();
  }

  @Test
  void inspectionQueryReportsWhatTheApiReportsForPendingCheckpoints() throws SQLException {
    compactorCheckpoint("compaction/acme/prod/traces", Status.PENDING, 2);
    compactorCheckpoint("compaction/acme/prod/logs", Status.PENDING, 0);
    compactorCheckpoint("compaction/acme/prod/metrics", Status.COMPLETED, 3);
    Checkpoint skippedFirst = store.compareAndSet(Checkpoint.pending("compaction/acme/dev/spans").withCursor(2)
        .withMetadata(Map.of("completedGroupIds", List.of("cg-1"))).withStats(Map.of("chunksCompleted", 1L)), 0);
    store.tryAcquireLease("compaction/acme/dev/new", "worker-1", Duration.ofMinutes(5), clock.instant());

    Map<String, Pending> fromSql = inspect();

    Map<String, Pending> fromApi = new TreeMap<>();
    for (Checkpoint c : store.list("")) {
      if (c.status() == Status.PENDING) {
        Object done = c.metadata().getOrDefault("completedGroupIds", List.of());
        Object chunks = c.stats().get("chunksCompleted");
        fromApi.put(c.id(), new Pending(c.cursor(), ((List<?>) done).contains("cg-0"),
            chunks == null ? null : chunks.toString()));
      }
    }
    assertThat(fromSql).isEqualTo(fromApi);
    assertThat(fromSql).containsOnlyKeys("compaction/acme/prod/traces", "compaction/acme/prod/logs",
        "compaction/acme/dev/spans", "compaction/acme/dev/new");
    assertThat(fromSql.get("compaction/acme/prod/traces")).isEqualTo(new Pending(2, true, "2"));
    assertThat(fromSql.get("compaction/acme/prod/logs")).isEqualTo(new Pending(0, false, "0"));
    assertThat(fromSql.get(skippedFirst.id())).isEqualTo(new Pending(2, false, "1"));
    assertThat(fromSql.get("compaction/acme/dev/new")).isEqualTo(new Pending(0, false, null));
  }

  @Test
  void cleanupDeletesExactlyTheCompletedCheckpointsOlderThan48Hours() throws SQLException {
    Instant start = clock.instant();
    clock.set(start.minus(Duration.ofHours(72)));
    compactorCheckpoint("compaction/acme/prod/old-completed", Status.COMPLETED, 3);
    compactorCheckpoint("compaction/acme/prod/old-pending", Status.PENDING, 1);
    compactorCheckpoint("compaction/acme/prod/old-failed", Status.FAILED, 1);
    clock.set(start.minus(Duration.ofHours(49)));
    compactorCheckpoint("compaction/acme/prod/older-completed", Status.COMPLETED, 2);
    clock.set(start.minus(Duration.ofHours(47)));
    compactorCheckpoint("compaction/acme/prod/recent-completed", Status.COMPLETED, 3);
    clock.set(start);
    compactorCheckpoint("compaction/acme/prod/new-completed", Status.COMPLETED, 3);
    List<String> before = ids(store.list(""));

    int deleted;
    try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
      deleted = st.executeUpdate(CLEANUP);
    }

    assertThat(deleted).isEqualTo(2);
    List<String> expected = new ArrayList<>(before);
    expected.removeAll(List.of("compaction/acme/prod/old-completed", "compaction/acme/prod/older-completed"));
    assertThat(ids(store.list(""))).isEqualTo(expected).hasSize(4);
    assertThat(store.get("compaction/acme/prod/old-pending")).isPresent();
  }

  /** A checkpoint shaped as the compactor's PlanState writes it, {@code done} of 3 chunks completed. */
  private Checkpoint compactorCheckpoint(String id, Status status, int done) {
    List<Object> completed = new ArrayList<>();
    List<Object> history = new ArrayList<>();
    for (int i = 0; i < done; i++) {
      completed.add("cg-" + i);
      Map<String, Object> sample = new LinkedHashMap<>();
      sample.put("chunkId", "chunk-" + i);
      sample.put("bytes", 1_048_576L * (i + 1));
      sample.put("attempts", 1L);
      sample.put("durationMs", 840L);
      sample.put("completedAt", clock.instant().toString());
      history.add(sample);
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("planId", "plan-" + id.hashCode());
    metadata.put("baseSnapshotId", 17L);
    metadata.put("chunkPartitions", 48L);
    metadata.put("chunks", List.of(
        Map.of("id", "chunk-0", "groupIds", List.of("cg-0"), "partitions", List.of("dt=2026-01-01")),
        Map.of("id", "chunk-1", "groupIds", List.of("cg-1"), "partitions", List.of("dt=2026-01-02")),
        Map.of("id", "chunk-2", "groupIds", List.of("cg-2"), "partitions", List.of("dt=2026-01-03"))));
    metadata.put("completedGroupIds", completed);
    metadata.put("skippedGroups", Map.of());
    metadata.put("attempts", Map.of("chunk-0", 1L));
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("bytes", 3_145_728L);
    stats.put("rows", 30_000L);
    stats.put("partitions", 3L);
    stats.put("groups", 3L);
    stats.put("chunksCompleted", (long) done);
    stats.put("chunkHistory", history);
    stats.put("lastError", null);
    return store.compareAndSet(Checkpoint.pending(id).withStatus(status).withCursor(done).withMetadata(metadata)
        .withStats(stats), 0);
  }

  private Map<String, Pending> inspect() throws SQLException {
    Map<String, Pending> rows = new TreeMap<>();
    try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(INSPECT_PENDING)) {
      while (rs.next()) {
        rows.put(rs.getString("manifest_id"), new Pending(rs.getInt("cursor"), rs.getBoolean("first_chunk_done"),
            rs.getString("chunks")));
      }
    }
    return rows;
  }

  private static List<String> ids(List<Checkpoint> checkpoints) {
    return checkpoints.stream().map(Checkpoint::id).toList();
  }
}
