package dev.lakelifecycle.benchmarks;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.net.URI;
import java.time.Instant;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * An in-memory lake whose objects are generated, not stored, so that ten million of them cost no heap: object
 * {@code i} of the one table {@code acme/prod/t} has key
 * {@code acme/prod/t/data/hour=HHHHH/part-IIIIIIIII-0123456789abcdef.parquet} (zero-padded, so key order is
 * index order), is 30 days old, and is referenced by the catalog when {@code i} is even. The catalog streams
 * its references in a scrambled order (a multiplicative permutation), as manifests of many commits would.
 * Read-only: every write throws.
 */
final class SyntheticLake {
  static final TableId TABLE = TableId.of("acme", "prod", "t");
  static final String ROOT = "mem://bench/";
  private static final String PREFIX = TABLE.path() + "/data/hour=";
  private static final int PER_HOUR = 10_000;

  final long objects;
  final Instant modified;

  SyntheticLake(long objects, Instant now) {
    this.objects = objects;
    this.modified = now.minusSeconds(30L * 24 * 3600);
  }

  /** The key of object {@code i}. */
  static String key(long i) {
    StringBuilder sb = new StringBuilder(80).append(PREFIX);
    pad(sb, i / PER_HOUR, 5);
    sb.append("/part-");
    pad(sb, i, 9);
    return sb.append("-0123456789abcdef.parquet").toString();
  }

  private static void pad(StringBuilder sb, long v, int width) {
    String s = Long.toString(v);
    for (int k = s.length(); k < width; k++) {
      sb.append('0');
    }
    sb.append(s);
  }

  long referencedCount() {
    return (objects + 1) / 2;
  }

  /** Calls {@code action} with the index of every referenced object once, in a scrambled order. */
  void forEachReferencedIndex(java.util.function.LongConsumer action) {
    long m = referencedCount();
    long step = 1_000_003L; // prime, so coprime with m unless m is a multiple of it
    while (m % step == 0) {
      step += 2;
    }
    for (long j = 0; j < m; j++) {
      action.accept(2 * ((j * step) % m));
    }
  }

  Iterator<ObjectInfo> listing() {
    return new Iterator<>() {
      long i;

      @Override
      public boolean hasNext() {
        return i < objects;
      }

      @Override
      public ObjectInfo next() {
        if (i >= objects) {
          throw new NoSuchElementException();
        }
        return new ObjectInfo(key(i++), 1024, modified, "e");
      }
    };
  }

  ObjectStore store() {
    return new Store();
  }

  TableCatalog catalog() {
    return new Catalog();
  }

  private final class Store implements ObjectStore {
    @Override
    public URI root() {
      return URI.create(ROOT);
    }

    @Override
    public String location(String key) {
      return ROOT + key;
    }

    @Override
    public Optional<String> keyOf(String location) {
      return location.startsWith(ROOT) && location.length() > ROOT.length()
          ? Optional.of(location.substring(ROOT.length())) : Optional.empty();
    }

    @Override
    public Stream<ObjectInfo> list(String prefix, String startAfter) {
      if (startAfter != null || !(TABLE.path() + "/").startsWith(prefix) && !prefix.startsWith(TABLE.path() + "/")) {
        throw new UnsupportedOperationException("the synthetic store lists its one table from the start only");
      }
      return StreamSupport.stream(Spliterators.spliteratorUnknownSize(listing(),
          Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
      throw new UnsupportedOperationException("read-only synthetic store");
    }

    @Override
    public SeekableInput open(String key) {
      throw new UnsupportedOperationException("read-only synthetic store");
    }

    @Override
    public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
      throw new UnsupportedOperationException("read-only synthetic store");
    }

    @Override
    public ObjectOutput create(String key) {
      throw new UnsupportedOperationException("read-only synthetic store");
    }

    @Override
    public DeleteResult delete(Collection<String> keys) {
      throw new UnsupportedOperationException("read-only synthetic store: run dry");
    }

    @Override
    public void close() {}
  }

  private final class Catalog implements TableCatalog {
    @Override
    public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CatalogTable loadTable(TableId id) {
      return new Table();
    }

    @Override
    public boolean tableExists(TableId id) {
      return TABLE.equals(id);
    }

    @Override
    public List<TableId> listTables() {
      return List.of(TABLE);
    }

    @Override
    public void close() {}
  }

  private final class Table implements CatalogTable {
    @Override
    public TableId id() {
      return TABLE;
    }

    @Override
    public String location() {
      return ROOT + TABLE.path() + "/";
    }

    @Override
    public TableSchema schema() {
      throw new UnsupportedOperationException();
    }

    @Override
    public PartitionSpec partitionSpec() {
      return PartitionSpec.hourly("ts");
    }

    @Override
    public Optional<TableSnapshot> currentSnapshot() {
      return Optional.empty();
    }

    @Override
    public List<TableSnapshot> snapshots() {
      return List.of();
    }

    @Override
    public void refresh() {}

    @Override
    public List<DataFile> liveFiles() {
      throw new UnsupportedOperationException("too many to list; the sweeper streams references");
    }

    @Override
    public List<DataFile> liveFiles(Predicate<String> partitionFilter) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Optional<TableSnapshot> findAppend(String commitKey) {
      return Optional.empty();
    }

    @Override
    public TableSnapshot commitAppend(String commitKey, List<DataFile> files) {
      throw new UnsupportedOperationException();
    }

    @Override
    public TableSnapshot commitReplace(Collection<DataFile> removed, Collection<DataFile> added,
        Map<String, String> summary) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Optional<TableSnapshot> commitDropPartitions(Collection<String> partitions) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<TableSnapshot> expireSnapshots(int retainLast, Instant olderThan, Set<Long> pinned) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Set<String> referencedLocations() {
      throw new UnsupportedOperationException("too many to hold; use forEachReferencedLocation");
    }

    @Override
    public void forEachReferencedLocation(Consumer<String> action) {
      forEachReferencedIndex(i -> action.accept(ROOT + key(i)));
    }
  }
}
