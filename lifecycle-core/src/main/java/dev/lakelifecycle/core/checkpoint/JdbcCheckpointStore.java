package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.CheckpointConflictException;
import dev.lakelifecycle.api.CheckpointStoreException;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CheckpointStore} in a relational database reached through a host-supplied {@link DataSource}:
 * PostgreSQL for many workers on many machines, SQLite or H2 for a single node. One row per checkpoint in the
 * Timestore runbook's {@code compaction_checkpoints} table, so the runbook's inspection and cleanup SQL run
 * unchanged on PostgreSQL. Uses only {@code java.sql}/{@code javax.sql}; the host brings the driver.
 *
 * <pre>{@code
 * HikariConfig pool = new HikariConfig();
 * pool.setJdbcUrl("jdbc:postgresql://db.internal:5432/lake");
 * pool.setUsername("lifecycle");
 * pool.setPassword(System.getenv("LIFECYCLE_DB_PASSWORD"));
 * pool.setMaximumPoolSize(4);                  // one connection per concurrent checkpoint operation is plenty
 * HikariDataSource dataSource = new HikariDataSource(pool);
 * CheckpointStore store = JdbcCheckpointStore.builder(dataSource).build();   // creates/migrates the schema
 * ...
 * store.close();          // does not close the pool: the host owns it
 * dataSource.close();
 * }</pre>
 *
 * <h2>Schema</h2>
 * {@link Builder#build()} creates and migrates the schema itself, in the connection's default schema
 * ({@code search_path} on PostgreSQL). Version 1, on PostgreSQL:
 * <pre>{@code
 * CREATE TABLE compaction_checkpoints (
 *   manifest_id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,  -- the checkpoint id, e.g. compaction/acme/prod/traces;
 *                                                -- byte order, so list(prefix) is a range of the key
 *   status           TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
 *   cursor           INTEGER NOT NULL CHECK (cursor >= 0),
 *   metadata         JSONB NOT NULL,              -- completedGroupIds, chunk partition ids, attempts
 *   stats            JSONB NOT NULL,              -- chunksCompleted, chunkHistory, lastError, bytes
 *   updated_at       TIMESTAMPTZ NOT NULL,        -- the store's clock at the last write
 *   lease_owner      TEXT,
 *   lease_expires_at TIMESTAMPTZ,
 *   version          BIGINT NOT NULL CHECK (version > 0),   -- compare-and-set version, 1 for the first write
 *   write_token      TEXT NOT NULL);              -- random per write: a writer recognises its own write
 * CREATE INDEX compaction_checkpoints_status_idx ON compaction_checkpoints (status, updated_at);
 * CREATE INDEX compaction_checkpoints_lease_idx ON compaction_checkpoints (lease_expires_at);
 * CREATE TABLE lifecycle_schema_version (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL,
 *   applied_at TIMESTAMPTZ NOT NULL);
 * }</pre>
 * SQLite uses {@code TEXT} for the JSON columns and for instants (fixed-width ISO-8601 UTC with microseconds,
 * {@code 2026-01-15T10:00:00.000000Z}, so SQL compares them as strings). H2 uses {@code VARCHAR} for text,
 * {@code CHARACTER LARGE OBJECT} for JSON and {@code TIMESTAMP(6) WITH TIME ZONE} for instants. Migrations run
 * in order in one transaction; several processes may build stores at once (PostgreSQL serialises them with
 * {@code pg_advisory_xact_lock}; on the others every statement is {@code IF NOT EXISTS} and a migration that
 * lost the race re-reads the version). A database whose schema version is newer than this library knows is
 * refused with a {@link CheckpointStoreException} saying to upgrade the library. The database user needs
 * {@code CREATE} on the schema for the first start, then {@code SELECT, INSERT, UPDATE, DELETE} on both tables.
 *
 * <h2>Values</h2>
 * The value model of the embedded stores (see the package documentation): integral numbers come back
 * {@code Long}, fractional ones {@code Double}, exactly as written, in unmodifiable maps and lists. On
 * PostgreSQL {@code jsonb} keeps every value but not the order of object keys (it sorts them, shorter first),
 * has no negative zero ({@code -0.0} comes back {@code 0.0}) and cannot hold the character U+0000 in a string
 * (refused with an {@link IllegalArgumentException} naming the path). Doubles are written as plain decimals with
 * a fractional digit so that {@code numeric} keeps them fractional. Instants ({@code updatedAt},
 * {@code leaseExpiresAt}) are truncated to microseconds, PostgreSQL's precision, so that what a write returns
 * equals what {@link #get} returns later.
 *
 * <h2>Concurrency</h2>
 * Every operation borrows a connection, runs one atomic statement in auto-commit mode and returns the
 * connection at once: create is an {@code INSERT} (a duplicate id is a {@link CheckpointConflictException});
 * compare-and-set is {@code UPDATE ... WHERE manifest_id = ? AND version = ?}; delete is
 * {@code DELETE ... WHERE manifest_id = ? AND version = ?}. Leases are conditional updates, not row locks held
 * across the work (a worker holds a lease for minutes; a row lock would pin a connection and a transaction that
 * long): {@link #tryAcquireLease} is {@code UPDATE ... SET lease_owner = ?, version = version + 1 WHERE
 * manifest_id = ? AND (lease_owner IS NULL OR lease_expires_at <= now OR lease_owner = ?) RETURNING ...}, and
 * when no row exists an {@code INSERT} of a pending checkpoint holding the lease (if another worker inserts
 * first, the update is tried once more). {@link #writeUnderLease} adds {@code AND lease_owner = ?} to the
 * compare-and-set and {@link #releaseLease} clears the lease where {@code lease_owner = ?}. The database's row
 * lock makes each statement atomic, so exactly one of many racing workers wins. Lease expiry compares the
 * caller's {@code now} with the stored expiry: workers' clocks must agree to well within the lease TTL.
 *
 * <h2>Errors and retries</h2>
 * Transient failures are retried with exponential backoff (50 ms doubling to 2 s, with jitter) until the
 * {@linkplain Builder#retryBudget retry budget} is spent: lost or refused connections (SQLState class
 * {@code 08}, {@link java.sql.SQLTransientException}, {@link java.sql.SQLRecoverableException}), serialization
 * failures ({@code 40001}), deadlocks ({@code 40P01}), too many connections ({@code 53300}), server shutdown or
 * start-up ({@code 57P01}-{@code 57P03}), SQLite BUSY/LOCKED, H2 lock timeouts. A write whose outcome is
 * unknown (the connection broke after the statement was sent) is resolved before it is retried by reading the
 * row back: if it holds the write's {@code write_token}, the write landed and its result is returned, so a
 * retried write is applied once. (A delete whose outcome was unknown and whose row is gone counts as done.) Other
 * errors, and transient ones that outlast the budget, throw a {@link CheckpointStoreException} naming the
 * operation, the checkpoint id, the SQLState and the fix. Conflicts are never retried here: they are answers.
 *
 * <p>Thread-safe. {@link #close()} does not close the {@code DataSource} and the store stays usable, so that a
 * closing {@code Lifecycle} can still release its leases.
 */
public final class JdbcCheckpointStore implements CheckpointStore {
  /** The schema version this library creates and understands. */
  static final int SCHEMA_VERSION = 1;

  private static final Logger LOG = LoggerFactory.getLogger(JdbcCheckpointStore.class);
  private static final String TABLE = "compaction_checkpoints";
  private static final String COLUMNS = "manifest_id, status, cursor, metadata, stats, version, updated_at,"
      + " lease_owner, lease_expires_at, write_token";
  private static final long INITIAL_BACKOFF_MILLIS = 50;
  private static final long MAX_BACKOFF_MILLIS = 2_000;
  private static final Duration DEFAULT_RETRY_BUDGET = Duration.ofSeconds(30);
  private static final int MIGRATION_RACES = 8;

  private final DataSource dataSource;
  private final Clock clock;
  private final Duration retryBudget;
  private final MeterRegistry registry;
  private final JdbcDialect dialect;
  private final String insert;
  private final String update;
  private final String acquire;

  /** A stored row: the checkpoint and the token of the write that produced it. */
  private record Row(Checkpoint checkpoint, String token) {}

  /** Tells a retried attempt whether an earlier attempt of the same write may have been applied. */
  private static final class Attempt {
    private boolean sent;
    private boolean ambiguous;

    /** Called just before a write is sent: if this attempt fails from here on, its outcome is unknown. */
    void sending() {
      sent = true;
    }

    /** Whether an earlier attempt failed after sending its write. */
    boolean ambiguous() {
      return ambiguous;
    }
  }

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection connection, Attempt attempt) throws SQLException;
  }

  private JdbcCheckpointStore(Builder b) {
    this.dataSource = b.dataSource;
    this.clock = b.clock;
    this.retryBudget = b.retryBudget;
    this.registry = b.registry;
    this.dialect = detect(b.dataSource);
    String json = dialect.jsonParameter;
    String values = "?, ?, ?, " + json + ", " + json + ", ?, ?, ?, ?, ?";
    this.insert = "INSERT INTO " + TABLE + " (" + COLUMNS + ") VALUES (" + values + ")"
        + (dialect == JdbcDialect.H2 ? "" : " ON CONFLICT (manifest_id) DO NOTHING");
    this.update = "UPDATE " + TABLE + " SET status = ?, cursor = ?, metadata = " + json + ", stats = " + json
        + ", version = ?, updated_at = ?, lease_owner = ?, lease_expires_at = ?, write_token = ?"
        + " WHERE manifest_id = ? AND version = ?";
    String acquireUpdate = "UPDATE " + TABLE + " SET lease_owner = ?, lease_expires_at = ?, version = version + 1,"
        + " updated_at = ?, write_token = ? WHERE manifest_id = ? AND (lease_owner IS NULL OR lease_expires_at IS NULL"
        + " OR lease_expires_at <= ? OR lease_owner = ?)";
    // H2 has no UPDATE ... RETURNING; its data change delta table returns the updated row the same way.
    this.acquire = dialect == JdbcDialect.H2
        ? "SELECT " + COLUMNS + " FROM FINAL TABLE (" + acquireUpdate + ")"
        : acquireUpdate + " RETURNING " + COLUMNS;
    migrate();
  }

  /**
   * A builder for a store on {@code dataSource}.
   *
   * @param dataSource connections to PostgreSQL, SQLite or H2; borrowed per operation and closed at once, never
   *     closed by the store. A pool (HikariCP) is recommended for PostgreSQL.
   */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** Configures a {@link JdbcCheckpointStore}; each setter may be called once. */
  public static final class Builder {
    private final DataSource dataSource;
    private Clock clock;
    private Duration retryBudget;
    private MeterRegistry registry;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** Stamps {@link Checkpoint#updatedAt()} on every write. Default: {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      requireUnset(this.clock, "clock");
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How long one operation keeps retrying transient errors (backoff included) before it throws a
     * {@link CheckpointStoreException}. Default: 30 seconds. Zero disables retries.
     */
    public Builder retryBudget(Duration budget) {
      requireUnset(this.retryBudget, "retryBudget");
      Objects.requireNonNull(budget, "budget");
      if (budget.isNegative()) {
        throw new IllegalArgumentException("retryBudget must not be negative, got " + budget);
      }
      this.retryBudget = budget;
      return this;
    }

    /**
     * Records the store's meters in {@code registry} (pass the {@code Lifecycle}'s): timer
     * {@code lifecycle.checkpoint.operations} (tags {@code operation} = {@code read}, {@code list},
     * {@code compare-and-set}, {@code delete}, {@code acquire-lease}, {@code write-under-lease},
     * {@code release-lease}, {@code migrate}; {@code outcome} = {@code success} / {@code failure}; a conflict or a
     * lease held by another owner is a successful answer), counter {@code lifecycle.checkpoint.retries} (tag
     * {@code operation}: transient errors retried) and counter {@code lifecycle.checkpoint.writes.recovered}
     * (writes whose acknowledgement was lost with the connection and that were found applied). Default: none.
     */
    public Builder meterRegistry(MeterRegistry registry) {
      requireUnset(this.registry, "meterRegistry");
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Connects, detects the database and creates or migrates the schema.
     *
     * @throws CheckpointStoreException if the database is not PostgreSQL, SQLite or H2, cannot be reached
     *     within the retry budget, refuses the schema statements, or holds a newer schema than this library knows
     */
    public JdbcCheckpointStore build() {
      if (clock == null) {
        clock = Clock.systemUTC();
      }
      if (retryBudget == null) {
        retryBudget = DEFAULT_RETRY_BUDGET;
      }
      return new JdbcCheckpointStore(this);
    }

    private static void requireUnset(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
    }
  }

  // ---------------------------------------------------------------- reads

  @Override
  public Optional<Checkpoint> get(String id) {
    CheckpointIds.validate(id);
    return execute("read", "read", id, (c, attempt) -> read(c, id).map(Row::checkpoint));
  }

  @Override
  public List<Checkpoint> list(String idPrefix) {
    Objects.requireNonNull(idPrefix, "idPrefix");
    String cast = "CAST(? AS " + dialect.textType + ")";
    boolean like = dialect == JdbcDialect.POSTGRESQL;
    // PostgreSQL: manifest_id is in the "C" collation, so a prefix LIKE scans only the matching range of the
    // primary key. Elsewhere substr/length, which count characters the same way for the column and the
    // parameter (SQLite's LIKE ignores case); the tables there are small.
    String sql = "SELECT " + COLUMNS + " FROM " + TABLE + (idPrefix.isEmpty() ? ""
        : like ? " WHERE manifest_id LIKE ? ESCAPE '\\'"
        : " WHERE substr(manifest_id, 1, length(" + cast + ")) = " + cast);
    List<Checkpoint> found = execute("list", "list", idPrefix + "*", (c, attempt) -> {
      List<Checkpoint> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        if (!idPrefix.isEmpty() && like) {
          ps.setString(1, idPrefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
        } else if (!idPrefix.isEmpty()) {
          ps.setString(1, idPrefix);
          ps.setString(2, idPrefix);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Row row = decode(rs);
            if (row.checkpoint().id().startsWith(idPrefix)) {
              out.add(row.checkpoint());
            }
          }
        }
      }
      return out;
    });
    // Sorted here, not by ORDER BY, because the database's collation need not be Java's String order.
    found.sort(Comparator.comparing(Checkpoint::id));
    return List.copyOf(found);
  }

  // ---------------------------------------------------------------- writes

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if {@code expectedVersion} is negative, the id is invalid, or
   *     metadata/stats hold a value JSON (or PostgreSQL's jsonb) cannot hold exactly
   * @throws CheckpointStoreException if the database fails (see the class documentation)
   */
  @Override
  public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
    Objects.requireNonNull(next, "next");
    String id = CheckpointIds.validate(next.id());
    if (expectedVersion < 0) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Cannot write checkpoint %s: expected version %d is negative (use 0 to create)", id, expectedVersion));
    }
    Checkpoint toStore = prepare(next, expectedVersion + 1, next.leaseOwner(), next.leaseExpiresAt());
    Encoded encoded = encode(toStore);
    return execute("compare-and-set", "compare-and-set", id, (c, attempt) -> {
      Optional<Row> landed = resolve(c, id, encoded.token(), attempt);
      if (landed.isPresent()) {
        return landed.get().checkpoint();
      }
      if (expectedVersion == 0) {
        attempt.sending();
        if (insert(c, toStore, encoded)) {
          return toStore;
        }
      } else {
        attempt.sending();
        if (update(c, toStore, encoded, expectedVersion, null) == 1) {
          return toStore;
        }
      }
      Optional<Row> current = read(c, id);
      if (current.isPresent() && current.get().token().equals(encoded.token())) {
        return current.get().checkpoint();
      }
      throw conflict(id, expectedVersion, current.map(Row::checkpoint));
    });
  }

  /**
   * {@inheritDoc}
   *
   * @throws CheckpointStoreException if the database fails (see the class documentation)
   */
  @Override
  public boolean delete(String id, long expectedVersion) {
    CheckpointIds.validate(id);
    return execute("delete", "delete", id, (c, attempt) -> {
      if (attempt.ambiguous()) {
        Optional<Row> current = read(c, id);
        if (current.isEmpty()) {
          // The earlier attempt's DELETE was sent and the row is gone: that attempt removed it.
          LOG.info("Delete of checkpoint {} at version {} was interrupted; the row is gone, so it counts as done", id,
              expectedVersion);
          return true;
        }
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE manifest_id = ? AND version = ?")) {
        ps.setString(1, id);
        ps.setLong(2, expectedVersion);
        attempt.sending();
        return ps.executeUpdate() == 1;
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>One conditional {@code UPDATE ... RETURNING} when the row exists; an {@code INSERT} of a pending
   * checkpoint holding the lease when it does not. {@code updatedAt} is the store's clock; the expiry is
   * {@code now + ttl} truncated to microseconds.
   *
   * @throws CheckpointStoreException if the database fails (see the class documentation)
   */
  @Override
  public Optional<Checkpoint> tryAcquireLease(String id, String owner, Duration ttl, Instant now) {
    CheckpointIds.validate(id);
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(now, "now");
    Instant expiresAt = micros(now.plus(ttl));
    Instant lapsedBy = micros(now);
    Checkpoint fresh = prepare(Checkpoint.pending(id), 1, owner, expiresAt);
    Encoded encoded = encode(fresh);
    return execute("acquire-lease", "acquire the lease on", id, (c, attempt) -> {
      Optional<Row> landed = resolve(c, id, encoded.token(), attempt);
      if (landed.isPresent()) {
        return Optional.of(landed.get().checkpoint());
      }
      for (int round = 0; round < 2; round++) {
        attempt.sending();
        Optional<Checkpoint> taken = takeLease(c, id, owner, expiresAt, lapsedBy, fresh.updatedAt(), encoded.token());
        if (taken.isPresent()) {
          return taken;
        }
        if (round == 0 && insert(c, fresh, encoded)) {
          return Optional.of(fresh);
        }
        // The row exists: either another owner holds a live lease (the second update fails too) or it was
        // created between our update and our insert (the second update decides).
      }
      return Optional.<Checkpoint>empty();
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>One {@code UPDATE ... WHERE manifest_id = ? AND version = ? AND lease_owner = ?}.
   *
   * @throws CheckpointStoreException if the database fails (see the class documentation)
   */
  @Override
  public Checkpoint writeUnderLease(Checkpoint next, Duration ttl, Instant now) {
    Objects.requireNonNull(next, "next");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(now, "now");
    String id = CheckpointIds.validate(next.id());
    if (next.leaseOwner() == null) {
      throw new CheckpointConflictException(String.format(Locale.ROOT,
          "Cannot write checkpoint %s under a lease: it names no lease owner (acquire the lease first)", id));
    }
    Checkpoint toStore = prepare(next, next.version() + 1, next.leaseOwner(), micros(now.plus(ttl)));
    Encoded encoded = encode(toStore);
    return execute("write-under-lease", "write under lease", id, (c, attempt) -> {
      Optional<Row> landed = resolve(c, id, encoded.token(), attempt);
      if (landed.isPresent()) {
        return landed.get().checkpoint();
      }
      attempt.sending();
      if (update(c, toStore, encoded, next.version(), next.leaseOwner()) == 1) {
        return toStore;
      }
      Optional<Row> current = read(c, id);
      if (current.isEmpty()) {
        throw new CheckpointConflictException(String.format(Locale.ROOT,
            "Cannot write checkpoint %s: it no longer exists (lease lost; stop working on it)", id));
      }
      Checkpoint stored = current.get().checkpoint();
      if (current.get().token().equals(encoded.token())) {
        return stored;
      }
      throw new CheckpointConflictException(String.format(Locale.ROOT,
          "Cannot write checkpoint %s: lease of %s was lost to %s (stored version %d, expected %d; stop and let the"
              + " holder resume)", id, next.leaseOwner(), stored.leaseOwner(), stored.version(), next.version()));
    });
  }

  /**
   * {@inheritDoc}
   *
   * @throws CheckpointStoreException if the database fails (see the class documentation)
   */
  @Override
  public void releaseLease(String id, String owner) {
    CheckpointIds.validate(id);
    Objects.requireNonNull(owner, "owner");
    Instant updatedAt = micros(clock.instant());
    String token = UUID.randomUUID().toString();
    // Naturally idempotent: once applied, lease_owner no longer matches, so a retry changes nothing.
    execute("release-lease", "release the lease on", id, (c, attempt) -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET lease_owner = NULL,"
          + " lease_expires_at = NULL, version = version + 1, updated_at = ?, write_token = ?"
          + " WHERE manifest_id = ? AND lease_owner = ?")) {
        dialect.bindInstant(ps, 1, updatedAt);
        ps.setString(2, token);
        ps.setString(3, id);
        ps.setString(4, owner);
        attempt.sending();
        return ps.executeUpdate();
      }
    });
  }

  /** Does nothing: the {@code DataSource} belongs to the host, and the store stays usable. */
  @Override
  public void close() {
    // Connections are returned after every operation; there is nothing else to release.
  }

  /** The database this store detected: {@code PostgreSQL}, {@code SQLite} or {@code H2}. */
  public String databaseProduct() {
    return dialect.product;
  }

  @Override
  public String toString() {
    return "JdbcCheckpointStore[" + dialect.product + "]";
  }

  // ---------------------------------------------------------------- statements

  private record Encoded(String metadata, String stats, String token) {}

  private Checkpoint prepare(Checkpoint next, long version, String leaseOwner, Instant leaseExpiresAt) {
    String id = next.id();
    return new Checkpoint(id, next.status(), next.cursor(), JsonValues.normalise(next.metadata(), id, "metadata"),
        JsonValues.normalise(next.stats(), id, "stats"), version, micros(clock.instant()), leaseOwner,
        leaseExpiresAt == null ? null : micros(leaseExpiresAt));
  }

  private Encoded encode(Checkpoint c) {
    boolean jsonb = dialect == JdbcDialect.POSTGRESQL;
    return new Encoded(JdbcJson.write(c.metadata(), c.id(), "metadata", jsonb),
        JdbcJson.write(c.stats(), c.id(), "stats", jsonb), UUID.randomUUID().toString());
  }

  /** Binds status .. write_token (9 parameters) from {@code first}; returns the next index. */
  private int bindRow(PreparedStatement ps, int first, Checkpoint c, Encoded e) throws SQLException {
    int i = first;
    ps.setString(i++, c.status().name().toLowerCase(Locale.ROOT));
    ps.setInt(i++, c.cursor());
    ps.setString(i++, e.metadata());
    ps.setString(i++, e.stats());
    ps.setLong(i++, c.version());
    dialect.bindInstant(ps, i++, c.updatedAt());
    ps.setString(i++, c.leaseOwner());
    dialect.bindInstant(ps, i++, c.leaseExpiresAt());
    ps.setString(i++, e.token());
    return i;
  }

  /** Inserts a new row; {@code false} if one with that id exists. */
  private boolean insert(Connection c, Checkpoint cp, Encoded e) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(insert)) {
      ps.setString(1, cp.id());
      bindRow(ps, 2, cp, e);
      return ps.executeUpdate() == 1;
    } catch (SQLException ex) {
      if (dialect.isUniqueViolation(ex)) {
        return false;
      }
      throw ex;
    }
  }

  private int update(Connection c, Checkpoint cp, Encoded e, long expectedVersion, String leaseOwner)
      throws SQLException {
    String sql = leaseOwner == null ? update : update + " AND lease_owner = ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = bindRow(ps, 1, cp, e);
      ps.setString(i++, cp.id());
      ps.setLong(i++, expectedVersion);
      if (leaseOwner != null) {
        ps.setString(i, leaseOwner);
      }
      return ps.executeUpdate();
    }
  }

  private Optional<Checkpoint> takeLease(Connection c, String id, String owner, Instant expiresAt, Instant now,
      Instant updatedAt, String token) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(acquire)) {
      ps.setString(1, owner);
      dialect.bindInstant(ps, 2, expiresAt);
      dialect.bindInstant(ps, 3, updatedAt);
      ps.setString(4, token);
      ps.setString(5, id);
      dialect.bindInstant(ps, 6, now);
      ps.setString(7, owner);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(decode(rs).checkpoint()) : Optional.empty();
      }
    }
  }

  private Optional<Row> read(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE manifest_id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(decode(rs)) : Optional.empty();
      }
    }
  }

  /** After an attempt whose outcome is unknown: the row if that attempt's write landed. */
  private Optional<Row> resolve(Connection c, String id, String token, Attempt attempt) throws SQLException {
    if (!attempt.ambiguous()) {
      return Optional.empty();
    }
    Optional<Row> current = read(c, id).filter(r -> r.token().equals(token));
    if (current.isPresent()) {
      LOG.info("Write to checkpoint {} had landed before its connection failed; not applying it again", id);
      if (registry != null) {
        registry.counter("lifecycle.checkpoint.writes.recovered").increment();
      }
    }
    return current;
  }

  private Row decode(ResultSet rs) throws SQLException {
    String id = rs.getString("manifest_id");
    try {
      String statusText = rs.getString("status");
      Checkpoint.Status status = Checkpoint.Status.valueOf(statusText.toUpperCase(Locale.ROOT));
      Checkpoint cp = new Checkpoint(id, status, rs.getInt("cursor"), JdbcJson.read(rs.getString("metadata")),
          JdbcJson.read(rs.getString("stats")), rs.getLong("version"), dialect.readInstant(rs, "updated_at"),
          rs.getString("lease_owner"), dialect.readInstant(rs, "lease_expires_at"));
      return new Row(cp, rs.getString("write_token"));
    } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
      throw new CheckpointStoreException(String.format(Locale.ROOT,
          "Cannot read checkpoint %s from %s: the row is not a valid checkpoint (%s); fix or delete the row so the"
              + " operation starts over", id, TABLE, e.getMessage()), e, null, false);
    }
  }

  private static Instant micros(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS);
  }

  private static CheckpointConflictException conflict(String id, long expectedVersion, Optional<Checkpoint> current) {
    return InMemoryCheckpointStore.conflict(id, expectedVersion, current.orElse(null));
  }

  // ---------------------------------------------------------------- schema

  private static JdbcDialect detect(DataSource dataSource) {
    try (Connection c = dataSource.getConnection()) {
      return JdbcDialect.of(c.getMetaData().getDatabaseProductName());
    } catch (SQLException e) {
      throw new CheckpointStoreException(String.format(Locale.ROOT,
          "Cannot open the checkpoint database: %s (SQLState %s; check the DataSource's URL, user and password and"
              + " that the database is up)", e.getMessage(), e.getSQLState()), e, e.getSQLState(),
          JdbcDialect.POSTGRESQL.isTransient(e));
    }
  }

  private void migrate() {
    execute("migrate", "create or migrate the schema", null, (c, attempt) -> {
      for (int race = 0; ; race++) {
        try {
          migrateOnce(c);
          return null;
        } catch (SQLException e) {
          if (race + 1 < MIGRATION_RACES && (dialect.isAlreadyExists(e) || dialect.isUniqueViolation(e))) {
            LOG.debug("Another process migrated the checkpoint schema at the same time; reading its version again", e);
            continue;
          }
          throw e;
        }
      }
    });
  }

  private void migrateOnce(Connection c) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      if (dialect == JdbcDialect.POSTGRESQL) {
        // Serialises concurrent starts; released by the commit or rollback below.
        st.execute("SELECT pg_advisory_xact_lock(" + JdbcDialect.MIGRATION_LOCK_KEY + ")");
      }
      st.execute(dialect.createVersionTable());
      int current;
      try (ResultSet rs = st.executeQuery("SELECT MAX(version) FROM lifecycle_schema_version")) {
        rs.next();
        current = rs.getInt(1);
      }
      if (current > SCHEMA_VERSION) {
        c.rollback();
        throw new CheckpointStoreException(String.format(Locale.ROOT,
            "Cannot use the checkpoint schema on %s: it is at version %d, newer than version %d this library"
                + " knows (a newer Lake Lifecycle migrated it; upgrade this library to that version)",
            dialect.product, current, SCHEMA_VERSION), null, null, false);
      }
      for (int v = current + 1; v <= SCHEMA_VERSION; v++) {
        for (String ddl : dialect.migration(v)) {
          st.execute(ddl);
        }
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO lifecycle_schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
          ps.setInt(1, v);
          ps.setString(2, description(v));
          dialect.bindInstant(ps, 3, micros(clock.instant()));
          ps.executeUpdate();
        }
        LOG.info("Checkpoint schema on {} migrated to version {}: {}", dialect.product, v, description(v));
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  private static String description(int version) {
    return version == 1 ? "compaction_checkpoints with leases, version and write_token" : "version " + version;
  }

  // ---------------------------------------------------------------- retries

  /**
   * Runs {@code work} on a borrowed connection, retrying transient errors within the budget.
   *
   * @param tag the operation's {@code operation} tag on the meters
   * @param operation the operation as the error messages say it, e.g. {@code acquire the lease on}
   */
  private <T> T execute(String tag, String operation, String id, Work<T> work) {
    long start = System.nanoTime();
    String outcome = "failure";
    try {
      T result = execute(tag, operation, id, work, start);
      outcome = "success";
      return result;
    } finally {
      if (registry != null) {
        registry.timer("lifecycle.checkpoint.operations", "operation", tag, "outcome", outcome)
            .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      }
    }
  }

  private <T> T execute(String tag, String operation, String id, Work<T> work, long start) {
    long deadline = start + retryBudget.toNanos();
    long backoff = INITIAL_BACKOFF_MILLIS;
    Attempt attempt = new Attempt();
    for (int n = 1; ; n++) {
      attempt.sent = false;
      try (Connection c = dataSource.getConnection()) {
        return work.run(c, attempt);
      } catch (SQLException e) {
        boolean transientError = dialect.isTransient(e);
        long sleep = ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1);
        if (!transientError || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sleep) > deadline) {
          throw failure(operation, id, e, transientError, n, System.nanoTime() - start);
        }
        if (registry != null) {
          registry.counter("lifecycle.checkpoint.retries", "operation", tag).increment();
        }
        // A write sent on a connection that then broke may or may not have landed; one the database rolled back
        // (BUSY, deadlock, serialization failure) did not.
        attempt.ambiguous |= attempt.sent && !dialect.isRolledBack(e);
        LOG.warn("Checkpoint store: {} {} failed transiently (attempt {}, SQLState {}: {}); retrying in {} ms",
            operation, id == null ? "" : id, n, e.getSQLState(), e.getMessage(), sleep);
        try {
          Thread.sleep(sleep);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          CheckpointStoreException failure = failure(operation, id, e, true, n, System.nanoTime() - start);
          failure.addSuppressed(interrupted);
          throw failure;
        }
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
      }
    }
  }

  private CheckpointStoreException failure(String operation, String id, SQLException e, boolean transientError,
      int attempts, long elapsedNanos) {
    String state = e.getSQLState();
    String fix = transientError
        ? String.format(Locale.ROOT, "the database stayed unreachable or busy for %d attempts over %d ms; check that"
            + " it is up and reachable, or raise retryBudget (now %s)", attempts,
            TimeUnit.NANOSECONDS.toMillis(elapsedNanos), retryBudget)
        : fix(e);
    String target = id == null ? "" : " checkpoint " + id;
    return new CheckpointStoreException(String.format(Locale.ROOT, "Cannot %s%s on %s: %s (SQLState %s; %s)",
        operation, target, dialect.product, e.getMessage(), state, fix), e, state,
        transientError);
  }

  private static String fix(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
    if (state.equals("42501") || message.contains("permission denied") || message.contains("not enough rights")) {
      return "grant SELECT, INSERT, UPDATE, DELETE on compaction_checkpoints and lifecycle_schema_version to the"
          + " database user of the DataSource (and CREATE on its schema for the first start)";
    }
    if (state.equals("42P01") || state.equals("42S02") || state.equals("42102") || message.contains("no such table")) {
      return "the table was dropped after the store started; restart so the store creates its schema again";
    }
    if (state.equals("42703") || state.equals("42S22") || state.equals("42122") || message.contains("no such column")) {
      return "compaction_checkpoints exists without this library's columns (created by another tool?); rename it"
          + " and restart so the store creates its own";
    }
    if (state.equals("25006") || message.contains("readonly") || message.contains("read-only")) {
      return "the database is read-only; point the DataSource at a writable primary";
    }
    if (state.startsWith("28")) {
      return "check the DataSource's user and password";
    }
    if (message.contains("closed")) {
      return "the DataSource or connection was closed; close the Lifecycle before the DataSource it uses";
    }
    return "check the database and the DataSource's configuration";
  }
}
