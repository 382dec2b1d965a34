package dev.lakelifecycle.core.internal.compaction;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.core.checkpoint.JdbcCheckpointStore;
import dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.PostgresServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The checkpoint stores that several workers (threads or processes) can share, for the multi-worker tests: each
 * worker opens its own instance on the same backing state, as separate processes would. A child JVM gets the
 * arguments of {@link #childArgs} and opens its instance with {@link #openInChild}. Tests keep apart in a shared
 * store by using tables (so checkpoint ids) of their own.
 */
enum SharedCheckpointStore {
  /**
   * {@link JdbcCheckpointStore} on PostgreSQL 15 (the testkit's JVM-wide server, one schema for these tests),
   * each instance behind its own HikariCP pool as a worker process would have.
   */
  POSTGRESQL {
    @Override
    CheckpointStore open(Path root, Clock clock) {
      Postgres pg = Postgres.INSTANCE;
      return jdbc(pg.url, pg.user, pg.password, clock);
    }

    @Override
    List<String> childArgs(Path root) {
      Postgres pg = Postgres.INSTANCE;
      return List.of(name(), pg.url, pg.user, pg.password);
    }
  },
  /** JSON objects under {@code _checkpoints/} of one local directory (the table root). */
  OBJECT_STORE {
    @Override
    CheckpointStore open(Path root, Clock clock) {
      return new ObjectStoreCheckpointStore(new LocalObjectStore(root), "_checkpoints/", clock);
    }

    @Override
    List<String> childArgs(Path root) {
      return List.of(name(), root.toString());
    }
  };

  /** A new instance on the shared state of this kind under {@code root}. */
  abstract CheckpointStore open(Path root, Clock clock);

  /** What a child JVM needs to open an instance on the same state. */
  abstract List<String> childArgs(Path root);

  /** Opens the store described by {@link #childArgs} starting at {@code args[from]}. */
  static CheckpointStore openInChild(String[] args, int from, Clock clock) {
    return switch (valueOf(args[from])) {
      case POSTGRESQL -> jdbc(args[from + 1], args[from + 2], args[from + 3], clock);
      case OBJECT_STORE -> OBJECT_STORE.open(Path.of(args[from + 1]), clock);
    };
  }

  /** One schema on the shared server for every multi-worker test of this JVM, created and migrated once. */
  private static final class Postgres {
    static final Postgres INSTANCE = new Postgres();
    final String url;
    final String user;
    final String password;

    private Postgres() {
      PostgresServer server = PostgresServer.shared();
      url = server.freshSchema("scaleout");
      user = server.user();
      password = server.password();
      // Created and migrated here, before workers open their instances at once.
      jdbc(url, user, password, Clock.systemUTC()).close();
    }
  }

  private static CheckpointStore jdbc(String url, String user, String password, Clock clock) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(4);
    config.setMinimumIdle(0);
    config.setPoolName("worker-checkpoints");
    HikariDataSource pool = new HikariDataSource(config);
    try {
      return new PooledStore(JdbcCheckpointStore.builder(pool).clock(clock).build(), pool);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /** The JDBC store with the pool it owns here: closing it closes both. */
  private record PooledStore(CheckpointStore store, HikariDataSource pool) implements CheckpointStore {
    @Override
    public Optional<Checkpoint> get(String id) {
      return store.get(id);
    }

    @Override
    public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
      return store.compareAndSet(next, expectedVersion);
    }

    @Override
    public boolean delete(String id, long expectedVersion) {
      return store.delete(id, expectedVersion);
    }

    @Override
    public List<Checkpoint> list(String idPrefix) {
      return store.list(idPrefix);
    }

    @Override
    public Optional<Checkpoint> tryAcquireLease(String id, String owner, Duration ttl, Instant now) {
      return store.tryAcquireLease(id, owner, ttl, now);
    }

    @Override
    public Checkpoint writeUnderLease(Checkpoint next, Duration ttl, Instant now) {
      return store.writeUnderLease(next, ttl, now);
    }

    @Override
    public void releaseLease(String id, String owner) {
      store.releaseLease(id, owner);
    }

    @Override
    public void close() {
      try {
        store.close();
      } finally {
        pool.close();
      }
    }
  }
}
