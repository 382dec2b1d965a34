package dev.lakelifecycle.core.checkpoint;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} around a real one that injects connection faults into the real driver's traffic:
 * refused connections, a statement whose connection breaks after the database executed it (the client never
 * sees the result: an ambiguous write), and a hook run just before a statement executes (to terminate the
 * connection's server backend from another connection).
 */
final class FaultInjectingDataSource implements DataSource {
  private static final Set<String> EXECUTES = Set.of("execute", "executeUpdate", "executeQuery", "executeLargeUpdate");

  /** Runs against the real connection just before a matching statement executes. */
  @FunctionalInterface
  interface BeforeExecute {
    void run(Connection real) throws SQLException;
  }

  private final DataSource real;
  private final AtomicInteger refuseConnections = new AtomicInteger();
  private final AtomicInteger connectionsOpened = new AtomicInteger();
  private final AtomicInteger breaksLeft = new AtomicInteger();
  private final AtomicInteger faultsInjected = new AtomicInteger();
  private volatile Predicate<String> breakAfter = sql -> false;
  private final AtomicInteger hooksLeft = new AtomicInteger();
  private volatile Predicate<String> hookBefore = sql -> false;
  private volatile BeforeExecute hook = c -> { };

  FaultInjectingDataSource(DataSource real) {
    this.real = real;
  }

  /** The next {@code n} getConnection calls fail as a refused connection (SQLState 08001). */
  void refuseNextConnections(int n) {
    refuseConnections.set(n);
  }

  /**
   * The next {@code n} statements whose SQL matches run on the database, then their connection is closed and
   * the caller gets an I/O error (SQLState 08006) instead of the result.
   */
  void breakAfterExecuting(Predicate<String> sql, int n) {
    breakAfter = sql;
    breaksLeft.set(n);
  }

  /** Runs {@code action} on the real connection before the next {@code n} statements whose SQL matches. */
  void beforeExecuting(Predicate<String> sql, int n, BeforeExecute action) {
    hookBefore = sql;
    hook = action;
    hooksLeft.set(n);
  }

  /** How many faults (refused connections, broken statements, hooks run) were injected so far. */
  int faultsInjected() {
    return faultsInjected.get();
  }

  /** How many getConnection calls reached the real DataSource. */
  int connectionsOpened() {
    return connectionsOpened.get();
  }

  @Override
  public Connection getConnection() throws SQLException {
    if (refuseConnections.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      faultsInjected.incrementAndGet();
      throw new SQLTransientConnectionException("Connection to 127.0.0.1 refused (injected)", "08001");
    }
    connectionsOpened.incrementAndGet();
    return wrap(real.getConnection());
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("the store asks for connections without credentials");
  }

  private Connection wrap(Connection connection) {
    InvocationHandler handler = (proxy, method, args) -> {
      Object result = invoke(connection, method, args);
      if (result instanceof PreparedStatement ps && args != null && args[0] instanceof String sql) {
        return statement(connection, ps, sql, PreparedStatement.class);
      }
      if (result instanceof Statement st && !(result instanceof PreparedStatement)) {
        return statement(connection, st, null, Statement.class);
      }
      return result;
    };
    return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
        handler);
  }

  private <S extends Statement> S statement(Connection connection, S statement, String preparedSql, Class<S> type) {
    InvocationHandler handler = (proxy, method, args) -> {
      if (!EXECUTES.contains(method.getName())) {
        return invoke(statement, method, args);
      }
      String sql = preparedSql != null ? preparedSql : (String) args[0];
      if (hookBefore.test(sql) && hooksLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        faultsInjected.incrementAndGet();
        hook.run(connection);
      }
      Object result = invoke(statement, method, args);
      if (breakAfter.test(sql) && breaksLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        faultsInjected.incrementAndGet();
        connection.close();
        throw new SQLException("An I/O error occurred while sending to the backend (injected after the statement"
            + " ran)", "08006");
      }
      return result;
    };
    return type.cast(Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, handler));
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return real.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    real.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    real.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return real.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return real.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return real.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return real.isWrapperFor(iface);
  }
}
