package dev.lakelifecycle.core.checkpoint;

import com.zaxxer.hikari.HikariDataSource;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.testkit.MutableClock;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint store contract and the embedded stores' value model and argument checks, run on a fresh
 * database per test through a HikariCP pool.
 */
abstract class JdbcCheckpointStoreContractTests extends EmbeddedCheckpointStoreTests {
  private final MutableClock clock = MutableClock.at("2026-01-15T10:00:00Z");
  private HikariDataSource dataSource;
  private JdbcCheckpointStore store;

  abstract JdbcTestDatabases database();

  @BeforeEach
  void openStore(@TempDir Path dir) {
    dataSource = database().open(dir);
    store = JdbcCheckpointStore.builder(dataSource).clock(clock).build();
  }

  @AfterEach
  void closeStore() {
    store.close();
    dataSource.close();
  }

  @Override
  protected CheckpointStore store() {
    return store;
  }

  @Override
  protected MutableClock clock() {
    return clock;
  }
}
