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
 * Offers a group to the catalog's own rewrite ({@link CatalogTable#rewriteFiles}), for inputs whose rows only the
 * catalog can read correctly (Iceberg row-level deletes), and turns its outputs into a
 * {@link StreamingRewriter.Result}, so the chunk's commit, checkpoint and retry protocol treats them like any
 * other group's.
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
    Optional<List<DataFile>> written = table.rewriteFiles(inputs, new CatalogTable.RewriteSettings(
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
    for (DataFile f : written.get()) {
      String key = keys.get(f.location());
      if (key == null) {
        throw new StorageException(String.format(Locale.ROOT, "Catalog table %s returned output %s, which is not a"
            + " location it was given; its rewrite of %d files is discarded", table.id(), f.location(), inputs.size()));
      }
      outputs.add(new StreamingRewriter.Output(key, new ObjectInfo(key, f.sizeBytes(), Instant.EPOCH, ""),
          f.recordCount()));
    }
    return Optional.of(new StreamingRewriter.Result(outputs, List.copyOf(inputs), List.of(), List.of()));
  }
}
