package dev.lakelifecycle.api.staging;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import java.util.List;

/**
 * What one flush committed.
 *
 * @param table the table flushed
 * @param batches number of staged batches the flush committed
 * @param rows rows committed
 * @param files the Parquet files written, one per partition touched
 * @param snapshot the snapshot of the append, or {@code null} if nothing was staged
 */
public record FlushResult(TableId table, int batches, long rows, List<DataFile> files, TableSnapshot snapshot) {
  public FlushResult {
    files = List.copyOf(files);
  }

  /** The bytes written, summed over {@link #files()}. */
  public long bytes() {
    return files.stream().mapToLong(DataFile::sizeBytes).sum();
  }
}
