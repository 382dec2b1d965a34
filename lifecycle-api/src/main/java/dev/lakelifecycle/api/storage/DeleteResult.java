package dev.lakelifecycle.api.storage;

import java.util.List;
import java.util.Map;

/**
 * The outcome of a batch delete.
 *
 * @param deleted keys that no longer exist (deleting a missing key counts as deleted: deletes are idempotent)
 * @param failed keys that could not be deleted, each with the reason the store gave
 */
public record DeleteResult(List<String> deleted, Map<String, String> failed) {
  public DeleteResult {
    deleted = List.copyOf(deleted);
    failed = Map.copyOf(failed);
  }
}
