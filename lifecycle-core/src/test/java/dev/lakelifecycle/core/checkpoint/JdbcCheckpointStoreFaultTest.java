package dev.lakelifecycle.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.lakelifecycle.api.CheckpointStoreException;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.testkit.MutableClock;
import dev.lakelifecycle.testkit.PostgresServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Real connection faults against a real PostgreSQL server: server backends terminated under the store,
 * connections that break after the database ran a write (so the store cannot know whether it landed), refused
 * connections, and errors that retrying cannot fix.
 */
class JdbcCheckpointStoreFaultTest {
  private static final String ID = "compaction/acme/prod/traces";
  private static final Duration TTL = Duration.ofMinutes(5);

  private final PostgresServer pg = PostgresServer.shared();
  private final MutableClock clock = MutableClock.at("2026-01-15T10:00:00Z");
  private String schema;
  private String url;
  private FaultInjectingDataSource faults;
  private JdbcCheckpointStore store;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void openStore() {
    url = pg.freshSchema("fault");
    schema = url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
    PGSimpleDataSource direct = new PGSimpleDataSource();
    // One physical connection per borrow, so that breaking or terminating one really loses it.
    direct.setURL(url);
    direct.setUser(pg.user());
    direct.setPassword(pg.password());
    faults = new FaultInjectingDataSource(direct);
    store = JdbcCheckpointStore.builder(faults).clock(clock).retryBudget(Duration.ofSeconds(20))
        .meterRegistry(registry).build();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void retriesAStatementWhoseServerBackendWasTerminated() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    faults.beforeExecuting(sql -> sql.startsWith("UPDATE compaction_checkpoints SET status"), 1, this::terminate);
    int opened = faults.connectionsOpened();

    Checkpoint v2 = store.compareAndSet(v1.withCursor(1), v1.version());

    assertThat(v2.version()).isEqualTo(2);
    assertThat(faults.connectionsOpened() - opened).as("connections: the terminated one and the retry").isEqualTo(2);
    assertThat(faults.faultsInjected()).as("faults injected").isEqualTo(1);
    assertThat(store.get(ID)).contains(v2);
    assertThat(registry.counter("lifecycle.checkpoint.retries", "operation", "compare-and-set").count()).isEqualTo(1);
    assertThat(registry.timer("lifecycle.checkpoint.operations", "operation", "compare-and-set", "outcome", "success")
        .count()).isEqualTo(2);
  }

  @Test
  void retriesALeaseAcquisitionWhoseServerBackendWasTerminated() {
    faults.beforeExecuting(sql -> sql.contains("lease_expires_at <= ?"), 1, this::terminate);

    Checkpoint held = store.tryAcquireLease(ID, "worker-a", TTL, clock.instant()).orElseThrow();

    assertThat(held.version()).isEqualTo(1);
    assertThat(held.leaseOwner()).isEqualTo("worker-a");
    assertThat(faults.faultsInjected()).as("faults injected").isEqualTo(1);
    assertThat(store.get(ID)).contains(held);
  }

  @Test
  void compareAndSetWhoseAcknowledgementWasLostIsAppliedExactlyOnce() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    faults.breakAfterExecuting(sql -> sql.startsWith("UPDATE compaction_checkpoints SET status"), 1);

    Checkpoint v2 = store.compareAndSet(v1.withCursor(1).withStats(Map.of("chunksCompleted", 1L)), v1.version());

    assertThat(v2.version()).isEqualTo(2);
    assertThat(faults.faultsInjected()).as("faults injected").isEqualTo(1);
    assertThat(store.get(ID)).contains(v2);
    assertThat(registry.counter("lifecycle.checkpoint.writes.recovered").count()).isEqualTo(1);
  }

  @Test
  void createWhoseAcknowledgementWasLostIsAppliedExactlyOnce() {
    faults.breakAfterExecuting(sql -> sql.startsWith("INSERT INTO compaction_checkpoints"), 1);

    Checkpoint created = store.compareAndSet(Checkpoint.pending(ID).withCursor(2), 0);

    assertThat(created.version()).isEqualTo(1);
    assertThat(faults.faultsInjected()).as("faults injected").isEqualTo(1);
    assertThat(store.get(ID)).contains(created);
  }

  @Test
  void leaseAcquisitionWhoseAcknowledgementWasLostIsAppliedExactlyOnce() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID).withCursor(3), 0);
    faults.breakAfterExecuting(sql -> sql.contains("lease_expires_at <= ?"), 1);

    Checkpoint held = store.tryAcquireLease(ID, "worker-a", TTL, clock.instant()).orElseThrow();

    assertThat(held.version()).isEqualTo(v1.version() + 1);
    assertThat(held.cursor()).isEqualTo(3);
    assertThat(faults.faultsInjected()).as("faults injected").isEqualTo(1);
    assertThat(store.get(ID)).contains(held);
  }

  @Test
  void writeUnderLeaseWhoseAcknowledgementWasLostIsAppliedExactlyOnce() {
    Checkpoint held = store.tryAcquireLease(ID, "worker-a", TTL, clock.instant()).orElseThrow();
    faults.breakAfterExecuting(sql -> sql.endsWith("AND lease_owner = ?"), 1);

    Checkpoint written = store.writeUnderLease(held.withCursor(1), TTL, clock.advance(Duration.ofMinutes(1)));

    assertThat(written.version()).isEqualTo(held.version() + 1);
    assertThat(faults.faultsInjected()).as("faults injected").isEqualTo(1);
    assertThat(store.get(ID)).contains(written);
  }

  @Test
  void deleteWhoseAcknowledgementWasLostReportsDeleted() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    faults.breakAfterExecuting(sql -> sql.startsWith("DELETE FROM compaction_checkpoints"), 1);

    assertThat(store.delete(ID, v1.version())).isTrue();

    assertThat(faults.faultsInjected()).as("faults injected").isEqualTo(1);
    assertThat(store.get(ID)).isEmpty();
  }

  @Test
  void refusedConnectionsAreRetried() {
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);
    faults.refuseNextConnections(3);

    assertThat(store.get(ID)).contains(v1);
    assertThat(faults.faultsInjected()).as("refused connections").isEqualTo(3);
    Checkpoint v2 = store.compareAndSet(v1.withCursor(1), 1);
    assertThat(v2.version()).isEqualTo(2);
  }

  @Test
  void transientFailuresOutlastingTheBudgetThrowARetryableTypedError() {
    JdbcCheckpointStore impatient = JdbcCheckpointStore.builder(faults).clock(clock)
        .retryBudget(Duration.ofMillis(300)).build();
    faults.refuseNextConnections(Integer.MAX_VALUE);

    assertThatThrownBy(() -> impatient.compareAndSet(Checkpoint.pending(ID), 0))
        .isInstanceOfSatisfying(CheckpointStoreException.class, e -> {
          assertThat(e.isRetryable()).isTrue();
          assertThat(e.sqlState()).isEqualTo("08001");
        })
        .hasMessageContaining("compare-and-set")
        .hasMessageContaining(ID)
        .hasMessageContaining("SQLState 08001")
        .hasMessageContaining("raise retryBudget");
    faults.refuseNextConnections(0);
    assertThat(store.get(ID)).isEmpty();
  }

  @Test
  void permissionDeniedThrowsATypedErrorNamingTheOperationTheIdAndTheGrant() throws SQLException {
    store.compareAndSet(Checkpoint.pending(ID), 0);
    String role = schema + "_reader";
    pg.sql("postgres", "CREATE ROLE " + role + " LOGIN; GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + role
        + "; GRANT SELECT ON " + schema + ".lifecycle_schema_version TO " + role);
    PGSimpleDataSource asReader = new PGSimpleDataSource();
    asReader.setURL(url);
    asReader.setUser(role);
    asReader.setPassword("unused");
    JdbcCheckpointStore readerStore = JdbcCheckpointStore.builder(asReader).clock(clock).build();

    assertThatThrownBy(() -> readerStore.get(ID))
        .isInstanceOfSatisfying(CheckpointStoreException.class, e -> {
          assertThat(e.isRetryable()).isFalse();
          assertThat(e.sqlState()).isEqualTo("42501");
        })
        .hasMessageContaining("Cannot read checkpoint " + ID + " on PostgreSQL")
        .hasMessageContaining("permission denied for table compaction_checkpoints")
        .hasMessageContaining("grant SELECT, INSERT, UPDATE, DELETE on compaction_checkpoints");
  }

  @Test
  void closedDataSourceThrowsATypedErrorWithoutRetrying() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(pg.user());
    config.setPassword(pg.password());
    HikariDataSource pool = new HikariDataSource(config);
    JdbcCheckpointStore pooled = JdbcCheckpointStore.builder(pool).clock(clock).build();
    pooled.compareAndSet(Checkpoint.pending(ID), 0);
    pool.close();

    assertThatThrownBy(() -> pooled.get(ID))
        .isInstanceOfSatisfying(CheckpointStoreException.class, e -> assertThat(e.isRetryable()).isFalse())
        .hasMessageContaining("Cannot read checkpoint " + ID)
        .hasMessageContaining("has been closed")
        .hasMessageContaining("close the Lifecycle before the DataSource");
  }

  @Test
  void tableDroppedUnderTheStoreThrowsATypedErrorSayingToRestart() throws SQLException {
    try (Connection admin = admin(); Statement st = admin.createStatement()) {
      st.execute("DROP TABLE " + schema + ".compaction_checkpoints");
    }

    assertThatThrownBy(() -> store.list("compaction/"))
        .isInstanceOfSatisfying(CheckpointStoreException.class, e -> assertThat(e.sqlState()).isEqualTo("42P01"))
        .hasMessageContaining("Cannot list checkpoint compaction/*")
        .hasMessageContaining("restart so the store creates its schema again");
  }

  /** Terminates the server backend of {@code victim} from another connection and waits until it is gone. */
  private void terminate(Connection victim) throws SQLException {
    int pid;
    try (Statement st = victim.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      pid = rs.getInt(1);
    }
    try (Connection admin = admin();
        PreparedStatement ps = admin.prepareStatement("SELECT pg_terminate_backend(?, 10000)")) {
      ps.setInt(1, pid);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getBoolean(1)).as("backend %d terminated", pid).isTrue();
      }
    }
  }

  private Connection admin() throws SQLException {
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }
}
