package dev.lakelifecycle.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.testkit.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The testkit's PostgreSQL test server: a real server on a loopback port, gone once closed. */
class PostgresServerTest {

  @Test
  void startsAServerOnLoopbackThatCreatesDatabasesAndSchemasAndIsGoneOnceClosed() throws SQLException {
    PostgresServer pg = PostgresServer.start();
    Path dir = pg.directory();
    String dbUrl;
    try {
      dbUrl = pg.createDatabase("server_test");
      String schemaUrl = pg.createSchema("server_test_schema");

      assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres");
      assertThat(query(dbUrl, pg, "SELECT current_database()")).isEqualTo("server_test");
      assertThat(query(schemaUrl, pg, "SELECT current_schema()")).isEqualTo("server_test_schema");
      assertThat(query(pg.jdbcUrl(), pg, "SHOW server_encoding")).isEqualTo("UTF8");
      assertThat(query(pg.jdbcUrl(), pg, "SHOW listen_addresses")).isEqualTo("127.0.0.1");
      assertThat(pg.sql("postgres", "SELECT 40 + 2")).isEqualTo("42");
    } finally {
      pg.close();
    }

    assertThat(Files.exists(dir)).isFalse();
    assertThatThrownBy(() -> query(dbUrl, pg, "SELECT 1")).isInstanceOf(SQLException.class);
  }

  @Test
  void sharedServerIsOnePerJvm() {
    assertThat(PostgresServer.shared()).isSameAs(PostgresServer.shared());
  }

  @Test
  void refusesDatabaseNamesThatAreNotPlainIdentifiers() {
    PostgresServer pg = PostgresServer.shared();

    assertThatThrownBy(() -> pg.createSchema("x; DROP TABLE y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Invalid database or schema name");
  }

  private static String query(String url, PostgresServer pg, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
        Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
