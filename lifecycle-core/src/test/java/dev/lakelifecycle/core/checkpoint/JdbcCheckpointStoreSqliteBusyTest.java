package dev.lakelifecycle.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.testkit.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/** SQLite answers BUSY while another connection holds the write lock; the store retries until it is free. */
class JdbcCheckpointStoreSqliteBusyTest {
  private static final String ID = "compaction/acme/prod/traces";

  @Test
  void retriesWhileAnotherConnectionHoldsTheWriteLock(@TempDir Path dir) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(0); // answer SQLITE_BUSY at once instead of waiting inside the driver
    SQLiteDataSource sqlite = new SQLiteDataSource(config);
    sqlite.setUrl("jdbc:sqlite:" + dir.resolve("checkpoints.db"));
    FaultInjectingDataSource faults = new FaultInjectingDataSource(sqlite);
    JdbcCheckpointStore store = JdbcCheckpointStore.builder(faults)
        .clock(MutableClock.at("2026-01-15T10:00:00Z")).build();
    Checkpoint v1 = store.compareAndSet(Checkpoint.pending(ID), 0);

    try (Connection holder = sqlite.getConnection(); Statement st = holder.createStatement()) {
      st.execute("BEGIN IMMEDIATE"); // holds the write lock; readers still read
      AtomicInteger attempts = new AtomicInteger();
      // The first attempt meets the lock and fails BUSY; the holder commits before the second attempt runs.
      faults.beforeExecuting(sql -> sql.startsWith("UPDATE compaction_checkpoints SET status"), 2, c -> {
        if (attempts.incrementAndGet() == 2) {
          st.execute("COMMIT");
        }
      });

      Checkpoint v2 = store.compareAndSet(v1.withCursor(1), v1.version());

      assertThat(attempts.get()).as("attempts of the update").isEqualTo(2);
      assertThat(v2.version()).isEqualTo(2);
      assertThat(store.get(ID)).contains(v2);
    }
  }
}
