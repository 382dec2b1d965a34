package dev.lakelifecycle.core.catalog;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.IncompleteValidSetException;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.WriteCondition;
import dev.lakelifecycle.core.catalog.Metadata.ExpiredKeys;
import dev.lakelifecycle.core.catalog.Metadata.Manifest;
import dev.lakelifecycle.core.catalog.Metadata.ManifestRef;
import dev.lakelifecycle.core.catalog.Metadata.SnapshotEntry;
import dev.lakelifecycle.core.catalog.Metadata.VersionDoc;
import dev.lakelifecycle.core.catalog.MetadataJson.MalformedMetadataException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names, reads and writes the metadata objects of the tables of one {@link ManifestCatalog}. Immutable
 * objects (manifest lists, manifests, expired-key sets) are cached by key, since a key is never
 * rewritten; version documents and listings are always read from the store.
 */
final class MetadataStore {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataStore.class);

  /** The metadata directory under a table's location. */
  static final String DIR = "_lifecycle/";
  private static final Pattern VERSION_NAME = Pattern.compile("v(\\d{20})\\.json");
  /** Cache weight budget, in data-file entries (a manifest weighs its file count). */
  private static final long CACHE_WEIGHT = 500_000;
  /** How often a load re-lists when the version it listed vanished before it could be read. */
  private static final int LOAD_ATTEMPTS = 3;

  private final ObjectStore store;
  private final Cache<String, Object> immutables;

  MetadataStore(ObjectStore store) {
    this.store = store;
    this.immutables = Caffeine.newBuilder()
        .maximumWeight(CACHE_WEIGHT)
        .weigher((String k, Object v) -> v instanceof Manifest m ? 1 + m.files().size()
            : v instanceof ExpiredKeys e ? 1 + e.appends().size()
            : v instanceof List<?> l ? 1 + l.size() : 1)
        .build();
  }

  ObjectStore store() {
    return store;
  }

  // ---- naming ----------------------------------------------------------------------------------

  static String tablePrefix(TableId id) {
    return id.path() + "/";
  }

  static String metaKey(TableId id, String name) {
    return tablePrefix(id) + DIR + name;
  }

  static String versionName(long version) {
    return String.format(Locale.ROOT, "v%020d.json", version);
  }

  /** The version number of a metadata key's last segment, or -1 if it is not a version document. */
  static long parseVersion(TableId id, String key) {
    String prefix = metaKey(id, "");
    if (!key.startsWith(prefix)) {
      return -1;
    }
    Matcher m = VERSION_NAME.matcher(key.substring(prefix.length()));
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  String location(TableId id, String name) {
    return store.location(metaKey(id, name));
  }

  /**
   * The table's root location, ending with {@code /}. Built from the key without its slash, since a
   * store may refuse directory-form keys; {@code location(k)} is {@code root + k}, so appending the
   * slash gives the same text.
   */
  String tableLocation(TableId id) {
    return store.location(id.path()) + "/";
  }

  /** The table's metadata directory location, ending with {@code /}. */
  String metadataLocation(TableId id) {
    return store.location(id.path() + "/" + DIR.substring(0, DIR.length() - 1)) + "/";
  }

  // ---- versions --------------------------------------------------------------------------------

  /**
   * The newest version of a table, by listing. With a hint (a version known to exist, or -1), lists
   * only what follows it, so a refresh costs in proportion to the commits since.
   */
  OptionalLong latestVersion(TableId id, long hint) {
    String prefix = metaKey(id, "v");
    if (hint >= 0) {
      OptionalLong after = lastVersionIn(id, prefix, metaKey(id, versionName(hint)));
      if (after.isPresent()) {
        return after;
      }
      if (store.stat(metaKey(id, versionName(hint))).isPresent()) {
        return OptionalLong.of(hint);
      }
    }
    return lastVersionIn(id, prefix, null);
  }

  private OptionalLong lastVersionIn(TableId id, String prefix, String startAfter) {
    long last = -1;
    try (Stream<ObjectInfo> listing = store.list(prefix, startAfter)) {
      Iterator<ObjectInfo> it = listing.iterator();
      while (it.hasNext()) {
        last = Math.max(last, parseVersion(id, it.next().key()));
      }
    }
    return last < 0 ? OptionalLong.empty() : OptionalLong.of(last);
  }

  /** The newest {@code n} versions, newest last, by a full listing. */
  List<Long> lastVersions(TableId id, int n) {
    Deque<Long> newest = new ArrayDeque<>();
    try (Stream<ObjectInfo> listing = store.list(metaKey(id, "v"))) {
      Iterator<ObjectInfo> it = listing.iterator();
      while (it.hasNext()) {
        long v = parseVersion(id, it.next().key());
        if (v >= 0) {
          newest.addLast(v);
          if (newest.size() > n) {
            newest.removeFirst();
          }
        }
      }
    }
    return new ArrayList<>(newest);
  }

  /** Whether any version document of the table exists. */
  boolean exists(TableId id) {
    try (Stream<ObjectInfo> listing = store.list(metaKey(id, "v"))) {
      return listing.anyMatch(o -> parseVersion(id, o.key()) >= 0);
    }
  }

  /**
   * Reads a version document.
   *
   * @throws ObjectNotFoundException if it is absent
   * @throws LifecycleException if it is corrupt or belongs to another table or version
   */
  VersionDoc readVersion(TableId id, long version) {
    String key = metaKey(id, versionName(version));
    VersionDoc doc = decode(id, key, store.read(key), MetadataJson::readVersion, false);
    if (!doc.table().equals(id) || doc.version() != version) {
      throw corrupt(id, key, String.format(Locale.ROOT, "it holds version %d of table %s", doc.version(),
          doc.table()), false, null);
    }
    if (doc.currentSnapshotId() != null && doc.current() == null) {
      throw corrupt(id, key, "its current snapshot " + doc.currentSnapshotId() + " is not among its snapshots",
          false, null);
    }
    return doc;
  }

  /** The oldest version newer than {@code version}: the first key listed after it. */
  OptionalLong firstVersionAfter(TableId id, long version) {
    try (Stream<ObjectInfo> listing = store.list(metaKey(id, "v"), metaKey(id, versionName(version)))) {
      Iterator<ObjectInfo> it = listing.iterator();
      while (it.hasNext()) {
        long v = parseVersion(id, it.next().key());
        if (v >= 0) {
          return OptionalLong.of(v);
        }
      }
    }
    return OptionalLong.empty();
  }

  /** Deletes a version document this process wrote and nobody references (a withdrawn write). */
  void deleteVersion(TableId id, long version) {
    String key = metaKey(id, versionName(version));
    DeleteResult r = store.delete(List.of(key));
    if (!r.failed().isEmpty()) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot withdraw version document %s: %s; it is unreferenced and the orphan sweeper will remove it",
          location(id, versionName(version)), r.failed().get(key)));
    }
  }

  /** Writes a version document if no object holds its version yet. */
  void putVersion(VersionDoc doc) {
    store.put(metaKey(doc.table(), versionName(doc.version())), MetadataJson.writeVersion(doc),
        WriteCondition.ifAbsent());
  }

  /** Writes an immutable metadata object (its name is unique, so no condition is needed). */
  void putObject(TableId id, String name, byte[] content) {
    store.put(metaKey(id, name), content);
  }

  /**
   * Loads the latest committed state of a table, or {@code null} if the table does not exist.
   *
   * @param hint a version known to exist, or -1
   */
  TableState loadLatest(TableId id, long hint) {
    long h = hint;
    for (int attempt = 1; ; attempt++) {
      OptionalLong latest = latestVersion(id, h);
      if (latest.isEmpty()) {
        return null;
      }
      try {
        return loadState(readVersion(id, latest.getAsLong()));
      } catch (ObjectNotFoundException e) {
        // The listed version vanished before it was read: an old version that the sweeper removed
        // while newer ones were committed. List again.
        if (attempt >= LOAD_ATTEMPTS) {
          throw new LifecycleException(String.format(Locale.ROOT,
              "Cannot load table %s: its latest version %s disappeared %d times between listing and reading; "
                  + "check that nothing outside the catalog deletes under %s", id,
              location(id, versionName(latest.getAsLong())), LOAD_ATTEMPTS, metadataLocation(id)), e);
        }
        LOG.debug("Version {} of {} vanished while loading; listing again", latest.getAsLong(), id);
        h = -1;
      }
    }
  }

  /** The full state of a version: its current snapshot's live files. */
  TableState loadState(VersionDoc doc) {
    SnapshotEntry current = doc.current();
    if (current == null) {
      return TableState.of(doc, new TreeMap<>(), new TreeMap<>());
    }
    TreeMap<String, ManifestRef> refs = new TreeMap<>();
    TreeMap<String, List<DataFile>> files = new TreeMap<>();
    for (ManifestRef ref : manifestList(doc.table(), current.manifestList(), false)) {
      Manifest m = manifest(doc.table(), ref.manifest(), false);
      refs.put(ref.partition(), ref);
      files.put(ref.partition(), m.files());
    }
    return TableState.of(doc, refs, files);
  }

  // ---- immutable objects -----------------------------------------------------------------------

  List<ManifestRef> manifestList(TableId id, String name, boolean fresh) {
    return immutable(id, name, MetadataJson::readManifestList, fresh);
  }

  Manifest manifest(TableId id, String name, boolean fresh) {
    return immutable(id, name, MetadataJson::readManifest, fresh);
  }

  ExpiredKeys expiredKeys(TableId id, String name, boolean fresh) {
    return immutable(id, name, MetadataJson::readExpiredKeys, fresh);
  }

  /**
   * Reads an immutable metadata object named by a version document.
   *
   * @param fresh {@code true} when building the sweeper's valid set: bypass the cache, and report a
   *     missing or corrupt object as {@link IncompleteValidSetException}
   */
  @SuppressWarnings("unchecked")
  private <T> T immutable(TableId id, String name, Function<byte[], T> decoder, boolean fresh) {
    String key = metaKey(id, name);
    if (!fresh) {
      Object cached = immutables.getIfPresent(key);
      if (cached != null) {
        return (T) cached;
      }
    }
    byte[] content;
    try {
      content = store.read(key);
    } catch (ObjectNotFoundException e) {
      throw missing(id, key, fresh, e);
    } catch (StorageException e) {
      if (fresh) {
        throw new IncompleteValidSetException(String.format(Locale.ROOT,
            "Cannot list the files referenced by %s: reading metadata object %s failed (%s); nothing may be "
                + "swept until it can be read", id, store.location(key), e.getMessage()), e);
      }
      throw e;
    }
    T value = decode(id, key, content, decoder, fresh);
    immutables.put(key, value);
    return value;
  }

  private <T> T decode(TableId id, String key, byte[] content, Function<byte[], T> decoder, boolean forValidSet) {
    try {
      return decoder.apply(content);
    } catch (MalformedMetadataException e) {
      throw corrupt(id, key, e.getMessage(), forValidSet, e);
    }
  }

  static LifecycleException missing(ObjectStore store, TableId id, String key, boolean forValidSet, Throwable cause) {
    if (forValidSet) {
      return new IncompleteValidSetException(String.format(Locale.ROOT,
          "Cannot list the files referenced by %s: metadata object %s is missing (deleted outside the catalog?); "
              + "nothing may be swept until it is restored from a backup", id, store.location(key)), cause);
    }
    return new LifecycleException(String.format(Locale.ROOT,
        "Cannot load table %s: metadata object %s is missing (deleted outside the catalog?); restore it from a "
            + "backup", id, store.location(key)), cause);
  }

  private LifecycleException missing(TableId id, String key, boolean forValidSet, Throwable cause) {
    return missing(store, id, key, forValidSet, cause);
  }

  LifecycleException corrupt(TableId id, String key, String reason, boolean forValidSet, Throwable cause) {
    if (forValidSet) {
      return new IncompleteValidSetException(String.format(Locale.ROOT,
          "Cannot list the files referenced by %s: metadata object %s is corrupt (%s); nothing may be swept "
              + "until it is restored from a backup", id, store.location(key), reason), cause);
    }
    return new LifecycleException(String.format(Locale.ROOT,
        "Cannot load table %s: metadata object %s is corrupt (%s). It was written whole, so it was damaged "
            + "afterwards: restore it from a backup", id, store.location(key), reason), cause);
  }

  // ---- the sweeper's valid set -----------------------------------------------------------------

  /**
   * Every location the latest version of a table references, read from storage: the newest
   * {@link #REFERENCED_VERSIONS} version documents, the expired-key set, every retained snapshot's
   * manifest list, every manifest those name and every data file those list.
   */
  Set<String> referencedLocations(TableId id) {
    Set<String> out = new LinkedHashSet<>();
    forEachReferencedLocation(id, out::add);
    return out;
  }

  /**
   * Streams {@link #referencedLocations(TableId)} manifest by manifest, so that memory holds one manifest
   * and the set of manifest names, never every data file. Locations may repeat (a data file listed by two
   * manifests). If this throws, what was already passed is partial.
   */
  void forEachReferencedLocation(TableId id, Consumer<String> action) {
    List<Long> versions;
    VersionDoc doc;
    try {
      versions = lastVersions(id, REFERENCED_VERSIONS);
      if (versions.isEmpty()) {
        throw new IncompleteValidSetException(String.format(Locale.ROOT,
            "Cannot list the files referenced by %s: no version document under %s (was the table deleted?); "
                + "nothing may be swept", id, metadataLocation(id)));
      }
      String latestKey = metaKey(id, versionName(versions.get(versions.size() - 1)));
      byte[] content;
      try {
        content = store.read(latestKey);
      } catch (ObjectNotFoundException e) {
        throw missing(id, latestKey, true, e);
      }
      doc = decode(id, latestKey, content, MetadataJson::readVersion, true);
    } catch (StorageException e) {
      throw new IncompleteValidSetException(String.format(Locale.ROOT,
          "Cannot list the files referenced by %s: reading its latest version failed (%s); nothing may be swept",
          id, e.getMessage()), e);
    }
    for (long v : versions) {
      action.accept(location(id, versionName(v)));
    }
    if (doc.expiredKeys() != null) {
      expiredKeys(id, doc.expiredKeys(), true);
      action.accept(location(id, doc.expiredKeys()));
    }
    // Manifest names are few (one per commit at most); their files are the many, so those stream.
    Set<String> manifests = new LinkedHashSet<>();
    for (SnapshotEntry s : doc.snapshots()) {
      for (ManifestRef ref : manifestList(id, s.manifestList(), true)) {
        manifests.add(ref.manifest());
      }
      action.accept(location(id, s.manifestList()));
    }
    for (String name : manifests) {
      action.accept(location(id, name));
      for (DataFile f : manifest(id, name, true).files()) {
        action.accept(normalise(f.location()));
      }
    }
  }

  /** How many of the newest version documents stay referenced, so a reader mid-load never loses its file. */
  static final int REFERENCED_VERSIONS = 2;

  /** A location in the store's canonical spelling, or as given if it is outside the store. */
  String normalise(String location) {
    return store.keyOf(location).map(store::location).orElse(location);
  }

  /** Empties the cache of immutable objects. */
  void clear() {
    immutables.invalidateAll();
  }
}
