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
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
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
 * The listing builds each key as a real store client does (bytes of a listing page to one {@code String}, one
 * {@code ObjectInfo} per object), so that the benchmark pays what a sweep of a real store pays per object
 * but no network. {@link ObjectStore#delete} records deletions in a bit set (later listings skip them) and
 * refuses to delete a referenced object, so a sweep that deleted a live file would fail the benchmark. Every
 * other write throws.
 */
final class SyntheticLake {
  static final TableId TABLE = TableId.of("acme", "prod", "t");
  static final String ROOT = "mem://bench/";
  private static final String PREFIX = TABLE.path() + "/data/hour=";
  private static final int PER_HOUR = 10_000;
  private static final byte[] KEY_TEMPLATE = (PREFIX + "00000/part-000000000-0123456789abcdef.parquet")
      .getBytes(StandardCharsets.ISO_8859_1);
  private static final int HOUR_AT = PREFIX.length();
  private static final int PART_AT = HOUR_AT + "00000/part-".length();

  final long objects;
  final Instant modified;
  /** Objects deleted so far (by index); a listing skips them, as a store's would. */
  private final BitSet deleted;
  private long deleteCalls;

  SyntheticLake(long objects, Instant now) {
    this.objects = objects;
    this.modified = now.minusSeconds(30L * 24 * 3600);
    this.deleted = new BitSet((int) Math.min(Integer.MAX_VALUE, objects));
  }

  /** Objects deleted through {@link ObjectStore#delete} so far. */
  synchronized long deletedCount() {
    return deleted.cardinality();
  }

  synchronized long deleteCalls() {
    return deleteCalls;
  }

  /** The key of object {@code i}. */
  static String key(long i) {
    byte[] b = KEY_TEMPLATE.clone();
    digits(b, HOUR_AT, 5, i / PER_HOUR);
    digits(b, PART_AT, 9, i);
    // What a real listing does per object: one String from the bytes it parsed (ASCII, so LATIN1 is exact).
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** The index of the object with {@code key}, or -1 if no object has it. */
  static long index(String key) {
    if (key.length() != KEY_TEMPLATE.length || !key.startsWith(PREFIX)) {
      return -1;
    }
    long i = 0;
    for (int k = PART_AT; k < PART_AT + 9; k++) {
      char c = key.charAt(k);
      if (c < '0' || c > '9') {
        return -1;
      }
      i = i * 10 + (c - '0');
    }
    return key.equals(key(i)) ? i : -1;
  }

  /** Writes {@code v} zero-padded into {@code b[at..at+width)}, as a listing's XML parser would hand it over. */
  private static void digits(byte[] b, int at, int width, long v) {
    for (int k = at + width - 1; k >= at; k--) {
      b[k] = (byte) ('0' + v % 10);
      v /= 10;
    }
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

  /** Every object not deleted, in key order, each a fresh {@link ObjectInfo} as a listing page parser makes. */
  Iterator<ObjectInfo> listing() {
    return new Iterator<>() {
      long i = skipDeleted(0);

      @Override
      public boolean hasNext() {
        return i < objects;
      }

      @Override
      public ObjectInfo next() {
        if (i >= objects) {
          throw new NoSuchElementException();
        }
        ObjectInfo info = new ObjectInfo(key(i), 1024, modified, "e");
        i = skipDeleted(i + 1);
        return info;
      }
    };
  }

  private synchronized long skipDeleted(long from) {
    int next = deleted.nextClearBit((int) from);
    return next < 0 ? objects : next;
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
      List<String> done = new ArrayList<>(keys.size());
      Map<String, String> failed = new HashMap<>();
      synchronized (SyntheticLake.this) {
        deleteCalls++;
        for (String key : keys) {
          long i = index(key);
          if (i >= 0 && i < objects && i % 2 == 0) {
            failed.put(key, "referenced object: the synthetic store refuses to delete it");
          } else {
            if (i >= 0 && i < objects) {
              deleted.set((int) i);
            }
            done.add(key);
          }
        }
      }
      return new DeleteResult(done, failed);
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
