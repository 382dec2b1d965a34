package dev.lakelifecycle.core.checkpoint;

class JdbcCheckpointStorePostgresContractTest extends JdbcCheckpointStoreContractTests {
  @Override
  JdbcTestDatabases database() {
    return JdbcTestDatabases.POSTGRESQL;
  }
}
