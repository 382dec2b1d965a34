package dev.lakelifecycle.api.sweep;

import java.time.Instant;

/**
 * Receives the locations a sweep deals with, one call per object, so that a sweep of millions of objects
 * reports them all without holding them in memory ({@link SweepResult} keeps a bounded sample). Calls come
 * from the thread running {@link SweepAction#execute()}, in ascending key order within each kind. A listener
 * that throws is logged and otherwise ignored: it never stops or changes a sweep.
 */
public interface SweepListener {
  /** Does nothing. */
  SweepListener NONE = new SweepListener() {};

  /**
   * An orphan survived revalidation: a dry run reports it, a real run deletes it next.
   *
   * @param location the full location ({@code ObjectStore.location(key)})
   * @param sizeBytes its size as listed
   * @param lastModified its last-modified time as listed
   */
  default void orphan(String location, long sizeBytes, Instant lastModified) {}

  /** The store confirmed deleting an orphan. Never called in a dry run. */
  default void deleted(String location, long sizeBytes) {}

  /** The store could not delete an orphan; the next sweep retries it. Never called in a dry run. */
  default void deleteFailed(String location, String reason) {}
}
