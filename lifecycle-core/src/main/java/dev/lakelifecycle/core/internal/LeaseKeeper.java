package dev.lakelifecycle.core.internal;

import dev.lakelifecycle.api.CheckpointConflictException;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one run's lease on one checkpoint alive while the run works, and serialises the run's own checkpoint
 * writes with the renewals so that versions never race.
 *
 * <p>A run's writes ({@link #update}) extend the lease as before. In between, a shared daemon timer looks every
 * sixth of the lease and, once a third of it has passed since the last successful write (by the run's clock, the
 * one the lease expiry is computed with), rewrites the current checkpoint under the lease: a step longer than the
 * lease (a large output file, a slow commit, a long listing) keeps it. A renewal that finds the lease lost (it
 * lapsed and another owner took it, or the version moved) records that; the run's next {@link #update} or
 * {@link #check} then throws {@link CheckpointConflictException}, so it stops at its next step. A renewal that
 * fails otherwise (a transient store error) is logged and retried at the next tick.
 *
 * <p>Thread-safe: the run's thread and the timer share the checkpoint under this object's monitor.
 */
public final class LeaseKeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
  /** The shortest timer period, so that a very short lease (tests) does not spin the timer. */
  private static final long MIN_TICK_MILLIS = 20;

  /**
   * Shared by every run of the JVM: renewals are short store writes, two threads keep one slow store call from
   * delaying every other run's renewal. Daemon threads that end after a minute idle, so an embedding application
   * can always exit.
   */
  private static final ScheduledThreadPoolExecutor TIMER = timer();

  private final CheckpointStore store;
  private final Duration ttl;
  private final Clock clock;
  private final String what;
  private Checkpoint current;
  private Instant writtenAt;
  private CheckpointConflictException lost;
  private boolean closed;
  private final ScheduledFuture<?> tick;

  private LeaseKeeper(CheckpointStore store, Checkpoint leased, Duration ttl, Clock clock, String what) {
    this.store = store;
    this.current = leased;
    this.ttl = ttl;
    this.clock = clock;
    this.what = what;
    this.writtenAt = clock.instant();
    long period = Math.max(MIN_TICK_MILLIS, ttl.toMillis() / 6);
    this.tick = TIMER.scheduleWithFixedDelay(this::renewQuietly, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Starts keeping a lease just taken.
   *
   * @param store where the checkpoint lives
   * @param leased the checkpoint as {@link CheckpointStore#tryAcquireLease} returned it (lease held)
   * @param ttl the lease duration; renewed after a third of it
   * @param clock the clock the lease expiry is computed with
   * @param what the work, for messages, e.g. {@code "compaction of acme/prod/logs"}
   */
  public static LeaseKeeper start(CheckpointStore store, Checkpoint leased, Duration ttl, Clock clock, String what) {
    Objects.requireNonNull(leased.leaseOwner(), "leased checkpoint has no lease owner");
    return new LeaseKeeper(Objects.requireNonNull(store, "store"), leased, Objects.requireNonNull(ttl, "ttl"),
        Objects.requireNonNull(clock, "clock"), Objects.requireNonNull(what, "what"));
  }

  /**
   * Writes {@code change(current)} under the lease, extending it.
   *
   * @return the stored checkpoint
   * @throws CheckpointConflictException if the lease was lost, found now or by an earlier renewal
   */
  public synchronized Checkpoint update(UnaryOperator<Checkpoint> change) {
    requireHeld();
    Instant at = clock.instant();
    try {
      current = store.writeUnderLease(change.apply(current), ttl, at);
    } catch (CheckpointConflictException e) {
      lost = e;
      throw lostError();
    }
    writtenAt = at;
    return current;
  }

  /**
   * Fails if the lease was lost, and renews it now if a third of it has passed since the last write: a step that
   * must not run without the lease (a commit) then starts with at least two thirds of it left.
   *
   * @throws CheckpointConflictException if the lease was lost
   */
  public synchronized void check() {
    requireHeld();
    if (due(clock.instant())) {
      update(UnaryOperator.identity());
    }
  }

  /** Stops renewing (before the lease is released or the run ends); idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    tick.cancel(false);
  }

  private boolean due(Instant at) {
    return Duration.between(writtenAt, at).compareTo(ttl.dividedBy(3)) >= 0;
  }

  private void requireHeld() {
    if (lost != null) {
      throw lostError();
    }
  }

  private CheckpointConflictException lostError() {
    return new CheckpointConflictException(String.format(Locale.ROOT,
        "%s stopped: %s lost the lease on checkpoint %s (it lapsed after %s without renewal, e.g. during a long"
            + " process pause, and another worker took it over: %s). Nothing more is committed by this run; the"
            + " lease holder resumes from the checkpoint", what, current.leaseOwner(), current.id(), ttl,
        lost.getMessage()), lost);
  }

  private void renewQuietly() {
    synchronized (this) {
      if (closed || lost != null || !due(clock.instant())) {
        return;
      }
      try {
        update(UnaryOperator.identity());
        LOG.debug("Renewed the lease of {} on checkpoint {} for {}", current.leaseOwner(), current.id(), ttl);
      } catch (CheckpointConflictException e) {
        LOG.warn("{}", e.getMessage());
      } catch (RuntimeException e) {
        LOG.warn("Could not renew the lease of {} on checkpoint {} ({}); trying again in {} ms: {}", what,
            current.id(), current.leaseOwner(), Math.max(MIN_TICK_MILLIS, ttl.toMillis() / 6), e.toString(), e);
      }
    }
  }

  private static ScheduledThreadPoolExecutor timer() {
    int[] n = {0};
    ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(2, r -> {
      Thread t;
      synchronized (n) {
        t = new Thread(r, "lake-lifecycle-lease-renewer-" + (++n[0]));
      }
      t.setDaemon(true);
      return t;
    });
    ex.setRemoveOnCancelPolicy(true);
    // Idle threads end, so a library with no run under way holds no thread (and no class loader) alive.
    ex.setKeepAliveTime(60, TimeUnit.SECONDS);
    ex.allowCoreThreadTimeOut(true);
    return ex;
  }
}
