package dev.lakelifecycle.core.checkpoint;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.lakelifecycle.testkit.PostgresServer;
import java.nio.file.Path;
import org.h2.jdbcx.JdbcDataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/** The three databases the JDBC checkpoint store supports, each fresh and empty, behind a HikariCP pool. */
enum JdbcTestDatabases {
  POSTGRESQL, SQLITE, H2;

  /**
   * A pool on a fresh, empty database: a new schema on the JVM-wide PostgreSQL server, or a new file under
   * {@code dir} for SQLite and H2.
   */
  HikariDataSource open(Path dir) {
    HikariConfig config = new HikariConfig();
    config.setMaximumPoolSize(10);
    config.setMinimumIdle(0);
    config.setPoolName("checkpoints-" + name().toLowerCase(java.util.Locale.ROOT));
    switch (this) {
      case POSTGRESQL -> {
        PostgresServer pg = PostgresServer.shared();
        config.setJdbcUrl(pg.freshSchema("ckpt"));
        config.setUsername(pg.user());
        config.setPassword(pg.password());
      }
      case SQLITE -> {
        SQLiteConfig sqlite = new SQLiteConfig();
        // WAL lets readers run beside the writer; the busy timeout waits for the write lock before SQLITE_BUSY.
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        sqlite.setBusyTimeout(5_000);
        SQLiteDataSource ds = new SQLiteDataSource(sqlite);
        ds.setUrl("jdbc:sqlite:" + dir.resolve("checkpoints.db"));
        config.setDataSource(ds);
      }
      case H2 -> {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve("checkpoints") + ";LOCK_TIMEOUT=5000");
        config.setDataSource(ds);
      }
      default -> throw new IllegalStateException(name());
    }
    return new HikariDataSource(config);
  }
}
