package dev.lakelifecycle.core.checkpoint;

class JdbcCheckpointStoreH2ContractTest extends JdbcCheckpointStoreContractTests {
  @Override
  JdbcTestDatabases database() {
    return JdbcTestDatabases.H2;
  }
}
