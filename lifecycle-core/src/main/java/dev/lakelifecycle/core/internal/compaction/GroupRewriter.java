package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.CorruptFileException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.internal.parquet.StoreInputFile;
import dev.lakelifecycle.core.internal.parquet.StoreOutputFile;
import dev.lakelifecycle.core.internal.parquet.WriterDefaults;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.schema.MessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites the input files of one group into one output file, record by record through parquet-java's
 * {@link Group} model, so that any flat or nested schema written by any writer round-trips unchanged. The
 * output keeps the inputs' file schema and the key-value metadata they all share (an Arrow or pandas schema,
 * for instance); it is written with {@link WriterDefaults}.
 *
 * <p>The output is visible only when complete; on any failure it is aborted (or deleted, if it was already
 * published), so a failed rewrite leaves nothing behind.
 */
final class GroupRewriter {
  private static final Logger LOG = LoggerFactory.getLogger(GroupRewriter.class);

  /** Key-value metadata the writer sets itself; never copied from the inputs. */
  private static final String WRITER_MODEL_KEY = "writer.model.name";

  private final ObjectStore store;

  GroupRewriter(ObjectStore store) {
    this.store = store;
  }

  /**
   * One written output.
   *
   * @param key the output's key in the store
   * @param info the published object
   * @param rows rows written (equal to the inputs' rows)
   */
  record Output(String key, ObjectInfo info, long rows) {}

  /** The footer of one input: its schema, metadata and row count. */
  private record Footer(MessageType schema, Map<String, String> keyValues, long rows) {}

  /** The schema of a file for planning, or why its footer cannot be read. */
  CompactionPlanner.FileSchema schemaOf(DataFile file) {
    try {
      return CompactionPlanner.FileSchema.of(footer(file).schema());
    } catch (CorruptFileException e) {
      return CompactionPlanner.FileSchema.unreadable(rootMessage(e.getCause() != null ? e.getCause() : e));
    }
  }

  /**
   * Rewrites {@code inputs} into a new object at {@code outputKey}.
   *
   * @throws CorruptFileException if an input cannot be read as Parquet (names the file and the fix)
   * @throws SchemaMismatchException if the inputs' schemas differ
   * @throws StorageException if the store fails
   * @throws LifecycleException if the rows read or written differ from the inputs' record counts
   */
  Output rewrite(String table, String groupId, List<DataFile> inputs, String outputKey) {
    if (inputs.size() < 2) {
      throw new IllegalArgumentException("group " + groupId + " of " + table + " needs at least 2 inputs");
    }
    List<Footer> footers = new ArrayList<>(inputs.size());
    for (DataFile f : inputs) {
      footers.add(footer(f));
    }
    MessageType schema = footers.get(0).schema();
    for (int i = 1; i < inputs.size(); i++) {
      if (!footers.get(i).schema().equals(schema)) {
        throw new SchemaMismatchException(String.format(Locale.ROOT,
            "Cannot compact group %s of %s: %s has schema %s but %s has %s (only files with identical schemas"
                + " are merged; re-plan the table)", groupId, table, inputs.get(i).location(),
            footers.get(i).schema(), inputs.get(0).location(), schema));
      }
    }
    long expectedRows = 0;
    for (DataFile f : inputs) {
      expectedRows += f.recordCount();
    }

    StoreOutputFile out = new StoreOutputFile(store, outputKey);
    boolean published = false;
    try {
      long written = 0;
      // ParquetWriter opens the object in its constructor; closing it publishes the object whole.
      ParquetWriter<Group> writer = WriterDefaults.apply(ExampleParquetWriter.builder(out)
          .withType(schema)
          .withExtraMetaData(sharedKeyValues(footers)))
          .build();
      for (int i = 0; i < inputs.size(); i++) {
        long rows = copy(inputs.get(i), writer);
        if (rows != inputs.get(i).recordCount() || rows != footers.get(i).rows()) {
          throw new LifecycleException(String.format(Locale.ROOT,
              "Cannot compact group %s of %s: %s holds %d rows but the table records %d and its footer %d"
                  + " (the table metadata disagrees with the file; the group is left as it is)",
              groupId, table, inputs.get(i).location(), rows, inputs.get(i).recordCount(), footers.get(i).rows()));
        }
        written += rows;
      }
      writer.close();
      published = true;
      ObjectInfo info = out.result();
      long readBack = footer(store.location(outputKey), outputKey, info.size()).rows();
      if (readBack != expectedRows || written != expectedRows) {
        throw new LifecycleException(String.format(Locale.ROOT,
            "Cannot compact group %s of %s: output %s holds %d rows, wrote %d, but the inputs hold %d"
                + " (the output was deleted; the inputs are unchanged)",
            groupId, table, store.location(outputKey), readBack, written, expectedRows));
      }
      return new Output(outputKey, info, written);
    } catch (IOException e) {
      discard(out, outputKey, published);
      throw new StorageException(String.format(Locale.ROOT, "Cannot write compacted file %s for group %s of %s: %s"
          + " (the output was discarded; retry)", store.location(outputKey), groupId, table, rootMessage(e)), e, true);
    } catch (RuntimeException | Error e) {
      discard(out, outputKey, published);
      throw e;
    }
  }

  /** Deletes an output that was published but must not be used, or aborts one still being written. */
  void discard(StoreOutputFile out, String key, boolean published) {
    if (published) {
      deleteQuietly(List.of(key));
    } else {
      out.abort();
    }
  }

  /** Best-effort delete of outputs that will never be committed; the orphan sweeper catches what remains. */
  void deleteQuietly(List<String> keys) {
    if (keys.isEmpty()) {
      return;
    }
    try {
      Map<String, String> failed = store.delete(keys).failed();
      if (!failed.isEmpty()) {
        LOG.warn("Could not delete uncommitted compaction outputs {} (the orphan sweeper removes them later)", failed);
      }
    } catch (RuntimeException e) {
      LOG.warn("Could not delete uncommitted compaction outputs {} (the orphan sweeper removes them later)", keys, e);
    }
  }

  private long copy(DataFile input, ParquetWriter<Group> writer) throws IOException {
    ParquetReader<Group> reader;
    try {
      reader = new GroupReaderBuilder(new StoreInputFile(store, keyOf(input), input.sizeBytes())).build();
    } catch (IOException | RuntimeException e) {
      throw readFailure(input.location(), e);
    }
    long rows = 0;
    try (reader) {
      while (true) {
        Group g;
        try {
          g = reader.read();
        } catch (IOException | RuntimeException e) {
          throw readFailure(input.location(), e);
        }
        if (g == null) {
          return rows;
        }
        // Write failures are the output's, not the input's: they propagate as they are.
        writer.write(g);
        rows++;
      }
    }
  }

  private Footer footer(DataFile f) {
    return footer(f.location(), keyOf(f), f.sizeBytes());
  }

  private Footer footer(String location, String key, long size) {
    try (ParquetFileReader reader = ParquetFileReader.open(new StoreInputFile(store, key, size))) {
      FileMetaData meta = reader.getFooter().getFileMetaData();
      return new Footer(meta.getSchema(), meta.getKeyValueMetaData(), reader.getRecordCount());
    } catch (IOException | RuntimeException e) {
      throw readFailure(location, e);
    }
  }

  private String keyOf(DataFile f) {
    return store.keyOf(f.location()).orElseThrow(() -> new LifecycleException(String.format(Locale.ROOT,
        "Cannot read data file %s: it is outside the store at %s (the catalog and the store disagree;"
            + " configure the Lifecycle with the store that holds the table)", f.location(), store.root())));
  }

  /**
   * Storage failures stay {@link StorageException}s (they may pass on retry); anything else that stops a
   * Parquet read means the file is not valid Parquet for this reader.
   */
  private static RuntimeException readFailure(String location, Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StorageException se) {
        return se;
      }
      if (t instanceof LifecycleException le) {
        return le;
      }
    }
    return new CorruptFileException(String.format(Locale.ROOT,
        "Cannot read data file %s as Parquet: %s (the file is corrupt or uses a feature this reader lacks;"
            + " restore it from its source or remove it from the table, then rerun compaction)",
        location, rootMessage(e)), e);
  }

  private static Map<String, String> sharedKeyValues(List<Footer> footers) {
    Map<String, String> shared = new HashMap<>(footers.get(0).keyValues());
    shared.remove(WRITER_MODEL_KEY);
    for (Footer f : footers.subList(1, footers.size())) {
      shared.entrySet().removeIf(e -> !e.getValue().equals(f.keyValues().get(e.getKey())));
    }
    return shared;
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage();
    return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }

  /** {@code ParquetReader.builder(ReadSupport, InputFile)} does not exist in parquet-java 1.18.1. */
  private static final class GroupReaderBuilder extends ParquetReader.Builder<Group> {
    GroupReaderBuilder(InputFile file) {
      super(file);
    }

    @Override
    protected ReadSupport<Group> getReadSupport() {
      return new GroupReadSupport();
    }
  }
}
