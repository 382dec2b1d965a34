package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.CheckpointStoreException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What differs between the databases {@link JdbcCheckpointStore} supports: column types, how JSON and instants
 * are bound and read, and how errors are classified. Everything else is portable SQL.
 */
enum JdbcDialect {
  POSTGRESQL("PostgreSQL", "TEXT", "JSONB", "TIMESTAMPTZ", "CAST(? AS jsonb)"),
  SQLITE("SQLite", "TEXT", "TEXT", "TEXT", "?"),
  H2("H2", "VARCHAR", "CHARACTER LARGE OBJECT", "TIMESTAMP(6) WITH TIME ZONE", "?");

  /** SQLStates every database uses for a failure that a later attempt may not see. */
  private static final Set<String> TRANSIENT_STATES = Set.of(
      "40001", // serialization failure
      "40P01", // deadlock detected (PostgreSQL)
      "53300", // too many connections (PostgreSQL)
      "57P01", "57P02", "57P03", // admin shutdown, crash shutdown, cannot connect now (PostgreSQL)
      "HYT00", // lock timeout (H2)
      "90131"); // concurrent update (H2 MVStore)
  private static final int SQLITE_BUSY = 5;
  private static final int SQLITE_LOCKED = 6;
  private static final int SQLITE_CONSTRAINT = 19;

  /**
   * Fixed-width ISO-8601 UTC with microseconds, so that SQLite compares instants stored as text in SQL
   * ({@code lease_expires_at <= ?}) by plain string order.
   */
  private static final DateTimeFormatter SQLITE_INSTANT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  final String product;
  final String textType;
  final String jsonType;
  final String instantType;
  /** The placeholder a JSON parameter is bound through. */
  final String jsonParameter;

  JdbcDialect(String product, String textType, String jsonType, String instantType, String jsonParameter) {
    this.product = product;
    this.textType = textType;
    this.jsonType = jsonType;
    this.instantType = instantType;
    this.jsonParameter = jsonParameter;
  }

  /**
   * The dialect of a database product name as {@code DatabaseMetaData.getDatabaseProductName()} reports it.
   *
   * @throws CheckpointStoreException naming the product and the supported ones
   */
  static JdbcDialect of(String productName) {
    for (JdbcDialect d : values()) {
      if (d.product.equalsIgnoreCase(productName)) {
        return d;
      }
    }
    throw new CheckpointStoreException(String.format(Locale.ROOT,
        "Cannot use %s as a checkpoint database: JdbcCheckpointStore supports PostgreSQL, SQLite and H2"
            + " (use one of those, or ObjectStoreCheckpointStore on the lake's object store)", productName));
  }

  /** Key of the advisory lock that serialises schema migrations on PostgreSQL ("lakeckpt" in ASCII). */
  static final long MIGRATION_LOCK_KEY = 0x6c616b65636b7074L;

  /** DDL of schema version {@code version} for this dialect, statement by statement; idempotent on its own. */
  List<String> migration(int version) {
    if (version != 1) {
      throw new IllegalArgumentException("no migration " + version);
    }
    String statusCheck = "CHECK (status IN ('pending', 'completed', 'failed'))";
    return List.of(
        "CREATE TABLE IF NOT EXISTS compaction_checkpoints ("
            // PostgreSQL: byte order ("C"), so a prefix LIKE is a range scan of the primary key.
            + "manifest_id " + (this == H2 ? "VARCHAR(1024)" : this == POSTGRESQL ? "TEXT COLLATE \"C\"" : textType)
            + " NOT NULL PRIMARY KEY, "
            + "status " + (this == H2 ? "VARCHAR(16)" : textType) + " NOT NULL " + statusCheck + ", "
            + "cursor INTEGER NOT NULL CHECK (cursor >= 0), "
            + "metadata " + jsonType + " NOT NULL, "
            + "stats " + jsonType + " NOT NULL, "
            + "updated_at " + instantType + " NOT NULL, "
            + "lease_owner " + textType + ", "
            + "lease_expires_at " + instantType + ", "
            + "version BIGINT NOT NULL CHECK (version > 0), "
            + "write_token " + (this == H2 ? "VARCHAR(64)" : textType) + " NOT NULL)",
        // The runbook's inspection and cleanup filter on status (and cleanup on updated_at).
        "CREATE INDEX IF NOT EXISTS compaction_checkpoints_status_idx ON compaction_checkpoints (status, updated_at)",
        // Finding lapsed leases of pending work without scanning completed checkpoints.
        "CREATE INDEX IF NOT EXISTS compaction_checkpoints_lease_idx ON compaction_checkpoints (lease_expires_at)");
  }

  String createVersionTable() {
    return "CREATE TABLE IF NOT EXISTS lifecycle_schema_version (version INTEGER NOT NULL PRIMARY KEY, "
        + "description " + (this == H2 ? "VARCHAR(200)" : textType) + " NOT NULL, applied_at " + instantType
        + " NOT NULL)";
  }

  void bindInstant(PreparedStatement ps, int index, Instant instant) throws SQLException {
    if (instant == null) {
      ps.setNull(index, this == SQLITE ? java.sql.Types.VARCHAR : java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
    } else if (this == SQLITE) {
      ps.setString(index, SQLITE_INSTANT.format(instant));
    } else {
      ps.setObject(index, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC));
    }
  }

  Instant readInstant(ResultSet rs, String column) throws SQLException {
    if (this == SQLITE) {
      String text = rs.getString(column);
      return text == null ? null : Instant.parse(text);
    }
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /** Whether {@code e} reports a duplicate primary key. */
  boolean isUniqueViolation(SQLException e) {
    for (SQLException s : chain(e)) {
      if ("23505".equals(s.getSQLState())) {
        return true;
      }
      if (this == SQLITE && (s.getErrorCode() & 0xFF) == SQLITE_CONSTRAINT && s.getMessage() != null
          && (s.getMessage().contains("UNIQUE") || s.getMessage().contains("PRIMARYKEY"))) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code e} reports a table or index that exists already (a racing migration created it). */
  boolean isAlreadyExists(SQLException e) {
    for (SQLException s : chain(e)) {
      String state = s.getSQLState();
      if ("42P07".equals(state) || "42S01".equals(state) || "42101".equals(state) || "42111".equals(state)
          || (s.getMessage() != null && s.getMessage().contains("already exists"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a later attempt of the same statement may succeed: lost or refused connections (SQLState class
   * 08), serialization failures and deadlocks, server shutdowns and "too many connections", lock timeouts, and
   * SQLite's BUSY/LOCKED.
   */
  boolean isTransient(SQLException e) {
    for (SQLException s : chain(e)) {
      if (s instanceof SQLTransientException || s instanceof SQLRecoverableException) {
        return true;
      }
      String state = s.getSQLState();
      if (state != null && (state.startsWith("08") || TRANSIENT_STATES.contains(state))) {
        return true;
      }
      if (this == SQLITE) {
        int code = s.getErrorCode() & 0xFF;
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
          return true;
        }
      }
      if (this == H2 && s.getErrorCode() == 50200) { // LOCK_TIMEOUT_1
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code e} says the statement was rolled back, so a write sent before it surely did not land: a
   * serialization failure, a deadlock, a lock timeout, SQLite BUSY/LOCKED. A lost connection says nothing
   * about the write's fate.
   */
  boolean isRolledBack(SQLException e) {
    for (SQLException s : chain(e)) {
      String state = s.getSQLState();
      if ("40001".equals(state) || "40P01".equals(state) || "HYT00".equals(state) || "90131".equals(state)) {
        return true;
      }
      if (this == SQLITE) {
        int code = s.getErrorCode() & 0xFF;
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
          return true;
        }
      }
      if (this == H2 && s.getErrorCode() == 50200) {
        return true;
      }
    }
    return false;
  }

  /** {@code e}, its next exceptions and its SQLException causes, at most 16. */
  private static List<SQLException> chain(SQLException e) {
    java.util.ArrayList<SQLException> out = new java.util.ArrayList<>();
    java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
    todo.add(e);
    while (!todo.isEmpty() && out.size() < 16) {
      Throwable t = todo.poll();
      if (t instanceof SQLException s && !out.contains(s)) {
        out.add(s);
        if (s.getNextException() != null) {
          todo.add(s.getNextException());
        }
      }
      if (t != null && t.getCause() != null && t.getCause() != t) {
        todo.add(t.getCause());
      }
    }
    return out;
  }
}
