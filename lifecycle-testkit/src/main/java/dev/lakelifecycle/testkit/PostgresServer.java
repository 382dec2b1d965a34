package dev.lakelifecycle.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests and benchmarks, run from the locally installed server binaries in a
 * fresh temporary directory: {@code initdb} (UTF-8, locale C, {@code trust} authentication) and
 * {@code pg_ctl start} listening on a free port of 127.0.0.1 only, with its unix socket inside the temporary
 * directory. JDK only: it needs no JDBC driver (databases and schemas are created with {@code psql}).
 *
 * <pre>{@code
 * PostgresServer pg = PostgresServer.shared();          // one server per JVM, stopped when the JVM exits
 * String url = pg.createSchema("t_" + n);               // a fresh, empty schema: jdbc:postgresql://...?currentSchema=t_7
 * HikariConfig cfg = new HikariConfig();
 * cfg.setJdbcUrl(url); cfg.setUsername(pg.user()); cfg.setPassword(pg.password());
 * }</pre>
 *
 * <p><b>Binaries</b>: the directory in the environment variable {@code LIFECYCLE_PG_BIN}, else
 * {@code pg_config --bindir}, else the newest {@code /usr/lib/postgresql/<major>/bin}. Without them
 * {@link #start()} throws an {@link IllegalStateException} saying to install Debian's {@code postgresql}
 * package. PostgreSQL refuses to run as root: when the JVM runs as root, {@code initdb}, {@code pg_ctl} and
 * the server run as the {@code postgres} user through {@code runuser -u postgres --}, on a directory it owns.
 *
 * <p><b>Lifetime</b>: {@link #close()} stops the server ({@code pg_ctl stop -m fast}) and deletes the
 * directory. A JVM shutdown hook does the same for servers not closed, and a small watchdog shell process
 * does it if the JVM is killed ({@code SIGKILL}), so no server outlives the JVM that started it by more than
 * a couple of seconds. By default the server runs with {@code fsync=off}, {@code synchronous_commit=off} and
 * {@code full_page_writes=off}: it is for tests, not for data; {@link #startDurable()} keeps PostgreSQL's
 * durable defaults, for benchmarks.
 */
public final class PostgresServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(PostgresServer.class.getName());
  private static final String USER = "postgres";
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final int START_TIMEOUT_SECONDS = 60;
  private static PostgresServer shared;

  private final Path dir;
  private final Path bin;
  private final int port;
  private final boolean asPostgresUser;
  private final Process watchdog;
  private final Thread shutdownHook;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger names = new AtomicInteger();

  private PostgresServer(Path dir, Path bin, int port, boolean asPostgresUser, Process watchdog) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
    this.watchdog = watchdog;
    this.shutdownHook = new Thread(this::stopQuietly, "postgres-server-stop-" + port);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * The JVM-wide server: started on first call, reused afterwards, stopped when the JVM exits (do not close
   * it). Tests that need isolation create a database or schema of their own on it.
   *
   * @throws IllegalStateException if the binaries are missing or the server does not start
   */
  public static synchronized PostgresServer shared() {
    if (shared == null || shared.closed.get()) {
      shared = start();
    }
    return shared;
  }

  /**
   * Starts a new server in a fresh temporary directory; the caller closes it.
   *
   * @throws IllegalStateException if the binaries are missing (install Debian's {@code postgresql} package or
   *     set {@code LIFECYCLE_PG_BIN}) or the server does not start (the message holds the tail of its log)
   */
  public static PostgresServer start() {
    return start(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
  }

  /**
   * Starts a new server like {@link #start()}, but with PostgreSQL's durable defaults ({@code fsync},
   * {@code synchronous_commit} and {@code full_page_writes} on): every commit waits for its WAL flush, as in
   * production. For benchmarks.
   *
   * @throws IllegalStateException as {@link #start()}
   */
  public static PostgresServer startDurable() {
    return start("");
  }

  private static PostgresServer start(String durability) {
    Path bin = findBinaries();
    boolean root = "root".equals(System.getProperty("user.name"));
    IllegalStateException last = null;
    // The free port is found by binding and releasing it, so another process may take it before the server
    // binds: try again on a new port then.
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        return startOnce(bin, root, freePort(), durability);
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw last;
  }

  private static PostgresServer startOnce(Path bin, boolean root, int port, String durability) {
    Path dir;
    try {
      dir = Files.createTempDirectory("lifecycle-pg-");
      if (root) {
        UserPrincipal postgres;
        try {
          postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER);
        } catch (IOException e) {
          throw new IllegalStateException("Cannot start PostgreSQL as root: there is no 'postgres' user to run it as"
              + " (install Debian's postgresql package, which creates it, or run the tests as a non-root user)", e);
        }
        Files.setOwner(dir, postgres);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a temporary directory for PostgreSQL", e);
    }
    Path data = dir.resolve("data");
    Path log = dir.resolve("server.log");
    try {
      run(root, dir, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "-E", "UTF8",
          "--locale=C", "--auth=trust", "--no-sync"), "initdb");
      String options = String.format(Locale.ROOT,
          "-k %s -h 127.0.0.1 -p %d%s -c max_connections=300 -c shared_buffers=32MB", dir, port, durability);
      run(root, dir, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", log.toString(), "-w",
          "-t", String.valueOf(START_TIMEOUT_SECONDS), "-o", options, "start"), "pg_ctl start");
    } catch (IllegalStateException e) {
      String tail = tail(log);
      deleteTree(dir);
      throw new IllegalStateException(e.getMessage() + (tail.isEmpty() ? "" : "\nserver log (tail):\n" + tail),
          e.getCause());
    }
    Process watchdog = startWatchdog(bin, root, dir, data);
    return new PostgresServer(dir, bin, port, root, watchdog);
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/postgres}. */
  public String jdbcUrl() {
    return jdbcUrl("postgres");
  }

  /** {@code jdbc:postgresql://127.0.0.1:<port>/<database>}. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** The superuser to connect as: {@code postgres}. */
  public String user() {
    return USER;
  }

  /** Any password works ({@code trust} authentication); this one is not empty so pools accept it. */
  public String password() {
    return USER;
  }

  public int port() {
    return port;
  }

  /** The directory holding the server's data, socket and log ({@code server.log}). */
  public Path directory() {
    return dir;
  }

  /**
   * Creates an empty database (about 0.1 s).
   *
   * @param name lower-case letters, digits and {@code _}, not starting with a digit
   * @return its JDBC URL
   */
  public String createDatabase(String name) {
    sql("postgres", "CREATE DATABASE " + checkName(name));
    return jdbcUrl(name);
  }

  /**
   * Creates an empty schema in database {@code postgres} (a few milliseconds: the cheap way to give each test a
   * fresh store).
   *
   * @param name lower-case letters, digits and {@code _}, not starting with a digit
   * @return a JDBC URL whose connections use it as their only schema ({@code currentSchema=<name>})
   */
  public String createSchema(String name) {
    sql("postgres", "CREATE SCHEMA " + checkName(name));
    return jdbcUrl() + "?currentSchema=" + name;
  }

  /** A fresh schema with a generated name ({@code <prefix>_<n>}); returns its JDBC URL like {@link #createSchema}. */
  public String freshSchema(String prefix) {
    return createSchema(checkName(prefix) + "_" + names.incrementAndGet());
  }

  /**
   * Runs SQL as the superuser through {@code psql} (stops at the first error).
   *
   * @return what {@code psql} printed, unaligned and without headers ({@code -At})
   * @throws IllegalStateException with psql's output if a statement fails
   */
  public String sql(String database, String sql) {
    List<String> command = List.of(bin.resolve("psql").toString(), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
        "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", USER, "-d", database, "-c", sql);
    return exec(command, "psql -c " + sql, Map.of("PGPASSWORD", password())).strip();
  }

  /** Stops the server ({@code pg_ctl stop -m fast}) and deletes its directory. Idempotent. */
  @Override
  public void close() {
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is exiting and the hook runs (or ran) anyway.
    }
  }

  private void stopQuietly() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      run(asPostgresUser, dir, List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(),
          "-m", "fast", "-w", "-t", "30", "stop"), "pg_ctl stop");
    } catch (IllegalStateException e) {
      LOG.log(System.Logger.Level.WARNING, "Could not stop PostgreSQL in {0}: {1}", dir, e.getMessage());
    } finally {
      watchdog.destroy();
      deleteTree(dir);
    }
  }

  // ---------------------------------------------------------------- processes

  private static void run(boolean asPostgres, Path dir, List<String> command, String what) {
    List<String> full = new ArrayList<>();
    if (asPostgres) {
      full.addAll(List.of("runuser", "-u", USER, "--"));
    }
    full.addAll(command);
    exec(full, what, Map.of());
  }

  private static String exec(List<String> command, String what, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    // The server must not inherit locale settings that initdb would then require to exist.
    pb.environment().put("LC_ALL", "C");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("Cannot run " + command.get(0) + " for " + what + ": " + e.getMessage(), e);
    }
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(what + " did not finish within 120 s");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.format(Locale.ROOT, "%s failed (exit %d): %s", what, p.exitValue(),
            text.strip()));
      }
      return text;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read the output of " + what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException("Interrupted while running " + what, e);
    }
  }

  /**
   * A shell loop that outlives a killed JVM: once this JVM's pid is gone it stops the server and deletes the
   * directory. Destroyed by a normal {@link #close()}.
   */
  private static Process startWatchdog(Path bin, boolean root, Path dir, Path data) {
    String stop = (root ? "runuser -u postgres -- " : "") + quote(bin.resolve("pg_ctl").toString()) + " -D "
        + quote(data.toString()) + " -m immediate stop";
    String script = "while kill -0 " + ProcessHandle.current().pid() + " 2>/dev/null && [ -d " + quote(data.toString())
        + " ]; do sleep 1; done; if [ -d " + quote(data.toString()) + " ]; then " + stop + " >/dev/null 2>&1; rm -rf "
        + quote(dir.toString()) + "; fi";
    try {
      return new ProcessBuilder("sh", "-c", script)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("Cannot start the PostgreSQL watchdog shell (sh): " + e.getMessage(), e);
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  // ---------------------------------------------------------------- helpers

  private static Path findBinaries() {
    String env = System.getenv("LIFECYCLE_PG_BIN");
    if (env != null && !env.isBlank()) {
      Path p = Paths.get(env);
      if (!Files.isExecutable(p.resolve("initdb"))) {
        throw new IllegalStateException("LIFECYCLE_PG_BIN=" + env + " holds no executable initdb (point it at the"
            + " bin directory of a PostgreSQL server installation, e.g. /usr/lib/postgresql/15/bin)");
      }
      return p;
    }
    try {
      String bindir = exec(List.of("pg_config", "--bindir"), "pg_config --bindir", Map.of()).strip();
      if (!bindir.isEmpty() && Files.isExecutable(Paths.get(bindir, "initdb"))) {
        return Paths.get(bindir);
      }
    } catch (IllegalStateException notInstalled) {
      // No pg_config on the PATH (client-only install or none): look in Debian's layout below.
    }
    Path debian = Paths.get("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (Stream<Path> versions = Files.list(debian)) {
        Path newest = versions
            .filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
            .max(Comparator.comparingInt(PostgresServer::majorVersion))
            .orElse(null);
        if (newest != null) {
          return newest.resolve("bin");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot list " + debian, e);
      }
    }
    throw new IllegalStateException("Cannot start PostgreSQL for the tests: no server binaries found (no initdb"
        + " in LIFECYCLE_PG_BIN, in pg_config --bindir or under /usr/lib/postgresql/*/bin). Install Debian's"
        + " postgresql package (apt-get install postgresql) or set LIFECYCLE_PG_BIN to the directory holding"
        + " initdb and pg_ctl.");
  }

  private static int majorVersion(Path versionDir) {
    try {
      return Integer.parseInt(versionDir.getFileName().toString().split("\\.")[0]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free port on 127.0.0.1", e);
    }
  }

  private static String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("Invalid database or schema name '" + name
          + "': use lower-case letters, digits and _, starting with a letter or _ (at most 63 characters)");
    }
    return name;
  }

  private static String tail(Path log) {
    try {
      if (!Files.exists(log)) {
        return "";
      }
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          LOG.log(System.Logger.Level.WARNING, "Cannot delete {0}: {1}", p, e.getMessage());
        }
      });
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "Cannot delete {0}: {1}", dir, e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "PostgresServer[" + jdbcUrl() + ", dir=" + dir + ", bin=" + bin + "]";
  }

}
