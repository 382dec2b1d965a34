package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.ParquetFileReader;

/**
 * Merges every {@code in-*.parquet} of a store, all recorded as sorted by {@link SortingRewriterTest#ORDER}, in a
 * JVM with a small heap; prints {@code OUTPUT <key>} per output. Arguments: store root, memory budget in bytes.
 */
public final class SortedMergeChild {
  private SortedMergeChild() {}

  public static void main(String[] args) throws Exception {
    LocalObjectStore store = new LocalObjectStore(Path.of(args[0]));
    List<DataFile> inputs;
    try (Stream<ObjectInfo> infos = store.list("")) {
      inputs = infos.filter(i -> i.key().startsWith("in-")).map(i -> {
        try (ParquetFileReader r = ParquetFileReader.open(
            dev.lakelifecycle.core.internal.parquet.StoreInputFile.of(store, i.key()))) {
          return new DataFile(store.location(i.key()), "day=2026-01-01", i.size(), r.getRecordCount(), "test",
              Instant.EPOCH, Map.of(), SortingRewriterTest.ORDER.orderId());
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).toList();
    }
    StreamingRewriter.Result r = new SortingRewriter(store).rewrite("t", "cg-0", inputs,
        SortingRewriterTest.settings(Long.parseLong(args[1])), () -> "out-" + UUID.randomUUID() + ".parquet",
        SortingRewriterTest.ORDER);
    if (r.merged().size() != inputs.size() || !r.quarantined().isEmpty() || !r.excluded().isEmpty()) {
      System.out.println("UNEXPECTED " + r);
      Runtime.getRuntime().halt(2);
    }
    for (StreamingRewriter.Output o : r.outputs()) {
      System.out.println("OUTPUT " + o.key());
    }
    System.out.println("MAX-HEAP " + Runtime.getRuntime().maxMemory());
  }
}
