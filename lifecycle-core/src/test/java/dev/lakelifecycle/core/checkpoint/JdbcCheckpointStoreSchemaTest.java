package dev.lakelifecycle.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.lakelifecycle.api.CheckpointStoreException;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.testkit.MutableClock;
import dev.lakelifecycle.testkit.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The store creates and migrates its own schema, once, even when several processes start at the same time. */
class JdbcCheckpointStoreSchemaTest {
  private static final String ID = "compaction/acme/prod/traces";

  private final MutableClock clock = MutableClock.at("2026-01-15T10:00:00Z");
  private final List<HikariDataSource> pools = new ArrayList<>();
  @TempDir
  Path dir;

  @AfterEach
  void closePools() {
    pools.forEach(HikariDataSource::close);
  }

  @ParameterizedTest
  @EnumSource(JdbcTestDatabases.class)
  void createsTheSchemaOnFirstBuildAndRecordsItsVersion(JdbcTestDatabases db) throws SQLException {
    HikariDataSource ds = open(db);

    JdbcCheckpointStore store = JdbcCheckpointStore.builder(ds).clock(clock).build();

    assertThat(store.databaseProduct()).isEqualTo(db == JdbcTestDatabases.POSTGRESQL ? "PostgreSQL"
        : db == JdbcTestDatabases.SQLITE ? "SQLite" : "H2");
    assertThat(versions(ds)).containsExactly(JdbcCheckpointStore.SCHEMA_VERSION);
    assertThat(count(ds, "SELECT COUNT(*) FROM compaction_checkpoints")).isZero();
  }

  @Test
  void listingAPrefixOnPostgresqlIsARangeScanOfThePrimaryKeyWhateverTheDatabaseCollation() throws SQLException {
    // A database collating by C.UTF-8 (like en_US.UTF-8, and unlike "C") gives a plain text key no prefix range.
    PostgresServer pg = PostgresServer.shared();
    String database = "collation_" + System.nanoTime();
    pg.sql("postgres", "CREATE DATABASE " + database + " TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'");
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(pg.jdbcUrl(database));
    config.setUsername(pg.user());
    config.setPassword(pg.password());
    config.setMaximumPoolSize(2);
    HikariDataSource ds = new HikariDataSource(config);
    pools.add(ds);
    JdbcCheckpointStore store = JdbcCheckpointStore.builder(ds).clock(clock).build();
    store.compareAndSet(Checkpoint.pending(ID), 0);

    StringBuilder plan = new StringBuilder();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      st.execute("SET enable_seqscan = off"); // a table this small would be scanned whatever the indexes
      try (ResultSet rs = st.executeQuery("EXPLAIN SELECT manifest_id FROM compaction_checkpoints"
          + " WHERE manifest_id LIKE 'compaction/acme/%' ESCAPE '\\'")) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
    }

    // Only in the "C" collation does PostgreSQL turn a prefix LIKE into an index range (Index Cond >= and <).
    assertThat(plan.toString()).contains("compaction_checkpoints_pkey").contains("Index Cond");
    assertThat(store.list("compaction/acme/")).extracting(Checkpoint::id).containsExactly(ID);
  }

  @ParameterizedTest
  @EnumSource(JdbcTestDatabases.class)
  void secondBuildIsIdempotentAndKeepsTheCheckpoints(JdbcTestDatabases db) throws SQLException {
    HikariDataSource ds = open(db);
    Checkpoint written = JdbcCheckpointStore.builder(ds).clock(clock).build()
        .compareAndSet(Checkpoint.pending(ID).withCursor(4), 0);

    JdbcCheckpointStore again = JdbcCheckpointStore.builder(ds).clock(clock).build();

    assertThat(again.get(ID)).contains(written);
    assertThat(versions(ds)).containsExactly(JdbcCheckpointStore.SCHEMA_VERSION);
  }

  @ParameterizedTest
  @EnumSource(JdbcTestDatabases.class)
  void concurrentBuildersOnAFreshDatabaseAllSucceedWithOneMigration(JdbcTestDatabases db) throws Exception {
    HikariDataSource ds = open(db);
    int builders = 4;
    ExecutorService pool = Executors.newFixedThreadPool(builders);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<JdbcCheckpointStore>> futures = new ArrayList<>();
      for (int i = 0; i < builders; i++) {
        Callable<JdbcCheckpointStore> build = () -> {
          go.await();
          return JdbcCheckpointStore.builder(ds).clock(clock).build();
        };
        futures.add(pool.submit(build));
      }
      go.countDown();
      List<JdbcCheckpointStore> stores = new ArrayList<>();
      for (Future<JdbcCheckpointStore> f : futures) {
        stores.add(f.get(60, TimeUnit.SECONDS));
      }

      assertThat(versions(ds)).containsExactly(JdbcCheckpointStore.SCHEMA_VERSION);
      Checkpoint written = stores.get(0).compareAndSet(Checkpoint.pending(ID), 0);
      assertThat(stores.get(builders - 1).get(ID)).contains(written);
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @EnumSource(JdbcTestDatabases.class)
  void refusesASchemaNewerThanThisLibraryKnows(JdbcTestDatabases db) throws SQLException {
    HikariDataSource ds = open(db);
    JdbcCheckpointStore.builder(ds).clock(clock).build();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO lifecycle_schema_version (version, description, applied_at) SELECT ?, ?, applied_at"
            + " FROM lifecycle_schema_version WHERE version = 1")) {
      ps.setInt(1, JdbcCheckpointStore.SCHEMA_VERSION + 1);
      ps.setString(2, "from a newer library");
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }

    assertThatThrownBy(() -> JdbcCheckpointStore.builder(ds).clock(clock).build())
        .isInstanceOf(CheckpointStoreException.class)
        .hasMessageContaining("version " + (JdbcCheckpointStore.SCHEMA_VERSION + 1))
        .hasMessageContaining("newer than version " + JdbcCheckpointStore.SCHEMA_VERSION)
        .hasMessageContaining("upgrade this library");
  }

  @Test
  void refusesADatabaseItDoesNotSupportNamingTheSupportedOnes() {
    assertThatThrownBy(() -> JdbcDialect.of("Oracle"))
        .isInstanceOf(CheckpointStoreException.class)
        .hasMessageContaining("Cannot use Oracle as a checkpoint database")
        .hasMessageContaining("PostgreSQL, SQLite and H2");
  }

  private HikariDataSource open(JdbcTestDatabases db) {
    HikariDataSource ds = db.open(dir);
    pools.add(ds);
    return ds;
  }

  private static List<Integer> versions(HikariDataSource ds) throws SQLException {
    List<Integer> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version FROM lifecycle_schema_version ORDER BY version")) {
      while (rs.next()) {
        out.add(rs.getInt(1));
      }
    }
    return out;
  }

  private static long count(HikariDataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
