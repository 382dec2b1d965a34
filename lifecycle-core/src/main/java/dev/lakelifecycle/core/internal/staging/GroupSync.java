package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.StorageException;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: appenders write their record, register the segment here and wait; one thread forces every
 * registered segment and wakes the waiters whose writes that covered. Appends that arrive during a force form
 * the next group, so under load one fsync serves many appends, and an idle append waits for one fsync.
 */
final class GroupSync implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupSync.class);

  private record Pending(TableSpool spool, TableSpool.Segment segment) {}

  private final Object lock = new Object();
  private Set<Pending> dirty = new LinkedHashSet<>();
  private final Thread thread;
  private boolean closed;
  /** Counts completed rounds, so waiters notice progress even when a force failed. */
  private long rounds;

  GroupSync(String name) {
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Waits until {@code entry}'s bytes are on disk.
   *
   * @throws StorageException if the force failed (the record may or may not survive a crash)
   */
  void awaitDurable(TableSpool spool, TableSpool.Entry entry) {
    TableSpool.Segment seg = entry.segment();
    long end = entry.offset() + entry.frameBytes();
    boolean interrupted = false;
    synchronized (lock) {
      dirty.add(new Pending(spool, seg));
      lock.notifyAll();
      while (seg.synced < end) {
        if (seg.failed) {
          throw new StorageException(String.format(Locale.ROOT,
              "Cannot make staged record %d of %s durable: forcing %s to disk failed (check the staging "
                  + "directory's disk; the batch may or may not be staged)", entry.seq(), spool.id, seg.path));
        }
        if (closed) {
          throw new IllegalStateException("Cannot append to " + spool.id + ": the stager is closed");
        }
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    while (true) {
      Set<Pending> group;
      synchronized (lock) {
        while (dirty.isEmpty() && !closed) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            // Only close() stops this thread.
            Thread.interrupted();
          }
        }
        if (dirty.isEmpty() && closed) {
          return;
        }
        group = dirty;
        dirty = new LinkedHashSet<>();
      }
      for (Pending p : group) {
        try {
          p.spool().force(p.segment());
        } catch (IOException | RuntimeException e) {
          if (p.segment().synced < p.spool().writtenSize(p.segment())) {
            LOG.error("Forcing staging segment {} of {} to disk failed; appends waiting on it fail", p.segment().path,
                p.spool().id, e);
            p.segment().failed = true;
          }
        }
      }
      synchronized (lock) {
        rounds++;
        lock.notifyAll();
      }
    }
  }

  /** Finishes the pending group, then stops the thread. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
