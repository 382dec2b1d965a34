package dev.lakelifecycle.core.checkpoint;

class JdbcCheckpointStoreSqliteContractTest extends JdbcCheckpointStoreContractTests {
  @Override
  JdbcTestDatabases database() {
    return JdbcTestDatabases.SQLITE;
  }
}
