package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.InMemoryCheckpointStore;
import dev.lakelifecycle.core.internal.parquet.StoreInputFile;
import dev.lakelifecycle.core.internal.parquet.StoreOutputFile;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** Real store, catalog and checkpoint store in a temp directory, with helpers that write and read Parquet. */
final class CompactionFixture {
  static final String WRITER = "compactor-1";
  /** A nested schema: a list of strings and an optional struct, besides flat columns with nulls. */
  static final MessageType EVENTS = MessageTypeParser.parseMessageType("""
      message events {
        required int64 ts (TIMESTAMP(MICROS,true));
        required int64 id;
        optional binary msg (STRING);
        optional double value;
        optional group tags (LIST) { repeated group list { optional binary element (STRING); } }
        optional group origin { optional binary host (STRING); optional int32 port; }
      }""");
  static final TableSchema TABLE_SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP).required("id", TableSchema.Type.LONG)
      .column("msg", TableSchema.Type.STRING).column("value", TableSchema.Type.DOUBLE).build();

  final Path root;
  final MutableClock clock = MutableClock.at("2026-01-20T00:00:00Z");
  final ObjectStore store;
  final TableCatalog catalog;
  final CheckpointStore checkpoints;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private long nextId;

  CompactionFixture(Path root) {
    this.root = root;
    this.store = new LocalObjectStore(root);
    this.catalog = new ManifestCatalog(store, clock);
    this.checkpoints = new InMemoryCheckpointStore(clock);
  }

  static LifecycleConfig.Compaction config(long target, int minInputFiles, int chunkPartitions, int maxRetries) {
    return new LifecycleConfig.Compaction(target, minInputFiles, Duration.ofMinutes(5), chunkPartitions, maxRetries,
        Duration.ofHours(1));
  }

  DefaultCompactor compactor(LifecycleConfig.Compaction config) {
    return compactor(config, catalog, checkpoints);
  }

  DefaultCompactor compactor(LifecycleConfig.Compaction config, TableCatalog cat, CheckpointStore cps) {
    return new DefaultCompactor(store, cat, cps, config, clock, registry, WRITER, ChunkBackoff.NONE);
  }

  CatalogTable createTable(TableId id) {
    return catalog.createTable(id, TABLE_SCHEMA, PartitionSpec.daily("ts"));
  }

  /** Writes {@code rows} rows of {@link #EVENTS} (with nulls, empty and absent lists) to the table's partition. */
  DataFile writeEvents(TableId table, String partition, int rows) {
    String key = table.path() + "/data/" + partition + "/in-" + UUID.randomUUID() + ".parquet";
    StoreOutputFile out = new StoreOutputFile(store, key);
    SimpleGroupFactory groups = new SimpleGroupFactory(EVENTS);
    long micros = PartitionSpec.startOf(partition).getEpochSecond() * 1_000_000L;
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(out).withType(EVENTS).build()) {
      for (int i = 0; i < rows; i++) {
        long id = nextId++;
        Group g = groups.newGroup().append("ts", micros + id).append("id", id);
        if (id % 3 != 0) {
          g.append("msg", "message " + id);
        }
        if (id % 4 != 0) {
          g.append("value", id * 1.5);
        }
        if (id % 5 != 0) {
          Group tags = g.addGroup("tags");
          for (int t = 0; t < id % 3; t++) {
            Group element = tags.addGroup("list");
            if (t != 1) {
              element.append("element", "tag" + t);
            }
          }
        }
        if (id % 2 == 0) {
          Group origin = g.addGroup("origin").append("host", "h" + (id % 7));
          if (id % 6 != 0) {
            origin.append("port", (int) (8000 + id));
          }
        }
        w.write(g);
      }
    } catch (IOException e) {
      out.abort();
      throw new UncheckedIOException(e);
    }
    ObjectInfo info = out.result();
    return new DataFile(store.location(key), partition, info.size(), rows, "stager-1", clock.instant(), Map.of());
  }

  /** Copies a real file into the table's partition as a new data file. */
  DataFile copyIn(TableId table, String partition, Path source, long recordCount) {
    try {
      String key = table.path() + "/data/" + partition + "/copy-" + UUID.randomUUID() + "-" + source.getFileName();
      ObjectInfo info = store.put(key, Files.readAllBytes(source));
      return new DataFile(store.location(key), partition, info.size(), recordCount, "external", clock.instant(),
          Map.of());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A copy of a live data file under a new name (same rows), as another writer might produce. */
  DataFile duplicate(DataFile f) {
    String key = store.keyOf(f.location()).orElseThrow();
    String copy = key.replace(".parquet", "-dup-" + UUID.randomUUID() + ".parquet");
    ObjectInfo info = store.put(copy, store.read(key));
    return new DataFile(store.location(copy), f.partition(), info.size(), f.recordCount(), "other", clock.instant(),
        Map.of());
  }

  void append(TableId table, List<DataFile> files) {
    catalog.loadTable(table).commitAppend("append-" + UUID.randomUUID(), files);
  }

  /** Every live row of the table, as its {@link Group#toString()} text, with multiplicities. */
  Map<String, Integer> rows(TableId table) {
    Map<String, Integer> rows = new TreeMap<>();
    for (DataFile f : catalog.loadTable(table).liveFiles()) {
      readRows(f).forEach(r -> rows.merge(r, 1, Integer::sum));
    }
    return rows;
  }

  /** The rows of {@code files}, with multiplicities. */
  Map<String, Integer> rows(TableId table, List<DataFile> files) {
    Map<String, Integer> rows = new TreeMap<>();
    for (DataFile f : files) {
      readRows(f).forEach(r -> rows.merge(r, 1, Integer::sum));
    }
    return rows;
  }

  List<String> readRows(DataFile f) {
    return readRows(store.keyOf(f.location()).orElseThrow(), f.sizeBytes());
  }

  List<String> readRows(String key, long size) {
    List<String> out = new ArrayList<>();
    try (ParquetReader<Group> reader = groupReader(new StoreInputFile(store, key, size))) {
      for (Group g = reader.read(); g != null; g = reader.read()) {
        out.add(g.toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  MessageType schemaOf(DataFile f) {
    try (ParquetFileReader r = ParquetFileReader.open(
        new StoreInputFile(store, store.keyOf(f.location()).orElseThrow(), f.sizeBytes()))) {
      return r.getFooter().getFileMetaData().getSchema();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<TableSnapshot> replaces(TableId table) {
    return catalog.loadTable(table).snapshots().stream()
        .filter(s -> s.operation() == TableSnapshot.Operation.REPLACE).collect(Collectors.toList());
  }

  /** Keys of every object under the table's data prefix. */
  List<String> dataKeys(TableId table) {
    try (var s = store.list(table.path() + "/data/")) {
      return s.map(ObjectInfo::key).collect(Collectors.toList());
    }
  }

  static Map<String, Integer> multiset(List<String> rows) {
    Map<String, Integer> m = new TreeMap<>();
    rows.forEach(r -> m.merge(r, 1, Integer::sum));
    return m;
  }

  /** Output row groups compacted so far by {@code path}: {@code paged}, {@code decoded} or {@code copied}. */
  double rowGroups(String path) {
    return registry.find("lifecycle.compaction.row.groups").tag("path", path).counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }

  Instant now() {
    return clock.instant();
  }

  static ParquetReader<Group> groupReader(InputFile file) throws IOException {
    return new ParquetReader.Builder<Group>(file) {
      @Override
      protected ReadSupport<Group> getReadSupport() {
        return new GroupReadSupport();
      }
    }.build();
  }
}
