package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Offers a group to the catalog's own rewrite ({@link CatalogTable#rewriteGroup}), for inputs whose rows only the
 * catalog can read correctly (Iceberg row-level deletes), and turns its outputs into a
 * {@link StreamingRewriter.Result}, so the chunk's commit, checkpoint, quarantine and retry protocol treats them like
 * any other group's: inputs the catalog could not read are {@link StreamingRewriter.Result#quarantined()}, inputs it
 * left in place for another reason (a delete file it cannot read) are {@link StreamingRewriter.Result#excluded()}
 * with nothing merged, so the group is skipped.
 */
final class CatalogRewrite {
  private CatalogRewrite() {}

  /**
   * The catalog's rewrite of {@code inputs}, or empty if the compactor should merge them itself. Output locations
   * come from {@code nextKey}, which records them in the checkpoint before they are written.
   */
  static Optional<StreamingRewriter.Result> of(CatalogTable table, ObjectStore store, List<DataFile> inputs,
      StreamingRewriter.Settings sizes, Supplier<String> nextKey) {
    Map<String, String> keys = new HashMap<>();
    Optional<CatalogTable.Rewrite> written = table.rewriteGroup(inputs, new CatalogTable.RewriteSettings(
        sizes.targetFileSizeBytes(), sizes.rowGroupBytes(), sizes.memoryBudgetBytes()), () -> {
          String key = nextKey.get();
          String location = store.location(key);
          keys.put(location, key);
          return location;
        });
    if (written.isEmpty()) {
      return Optional.empty();
    }
    List<StreamingRewriter.Output> outputs = new ArrayList<>();
    CatalogTable.Rewrite r = written.get();
    for (DataFile f : r.outputs()) {
      String key = keys.get(f.location());
      if (key == null) {
        throw new StorageException(String.format(Locale.ROOT, "Catalog table %s returned output %s, which is not a"
            + " location it was given; its rewrite of %d files is discarded", table.id(), f.location(), inputs.size()));
      }
      outputs.add(new StreamingRewriter.Output(key, new ObjectInfo(key, f.sizeBytes(), Instant.EPOCH, ""),
          f.recordCount()));
    }
    // In input order, so that the quarantine and the log read like the group.
    List<StreamingRewriter.Rejected> unreadable = new ArrayList<>();
    List<StreamingRewriter.Rejected> kept = new ArrayList<>();
    for (DataFile f : inputs) {
      String why = r.unreadable().get(f);
      if (why != null) {
        unreadable.add(new StreamingRewriter.Rejected(f, why));
      }
      why = r.kept().get(f);
      if (why != null) {
        kept.add(new StreamingRewriter.Rejected(f, why));
      }
    }
    return Optional.of(new StreamingRewriter.Result(outputs, r.rewritten(), unreadable, kept));
  }
}
