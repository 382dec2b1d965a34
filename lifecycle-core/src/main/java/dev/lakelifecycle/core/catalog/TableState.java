package dev.lakelifecycle.core.catalog;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.core.catalog.Metadata.ManifestRef;
import dev.lakelifecycle.core.catalog.Metadata.SnapshotEntry;
import dev.lakelifecycle.core.catalog.Metadata.VersionDoc;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * One committed version of a table in memory: its version document and the live files of its current
 * snapshot, grouped by partition. Immutable; a commit builds a new one from its base.
 */
final class TableState {
  static final Comparator<DataFile> BY_LOCATION = Comparator.comparing(DataFile::location);

  final VersionDoc doc;
  /** Partition to the manifest holding its live files; only partitions with live files. */
  final NavigableMap<String, ManifestRef> manifests;
  /** Partition to its live files, sorted by location. */
  final NavigableMap<String, List<DataFile>> files;
  final List<DataFile> liveFiles;
  private volatile Map<String, DataFile> byKey;
  private volatile Map<String, TableSnapshot> appendKeys;

  private TableState(VersionDoc doc, NavigableMap<String, ManifestRef> manifests,
      NavigableMap<String, List<DataFile>> files) {
    this.doc = doc;
    this.manifests = Collections.unmodifiableNavigableMap(manifests);
    this.files = Collections.unmodifiableNavigableMap(files);
    List<DataFile> live = new ArrayList<>();
    files.values().forEach(live::addAll);
    this.liveFiles = List.copyOf(live);
  }

  /** A state from a version document and its current snapshot's manifests (copied and sorted). */
  static TableState of(VersionDoc doc, Map<String, ManifestRef> manifests, Map<String, List<DataFile>> files) {
    TreeMap<String, List<DataFile>> sorted = new TreeMap<>();
    files.forEach((p, fs) -> {
      if (!fs.isEmpty()) {
        List<DataFile> copy = new ArrayList<>(fs);
        copy.sort(BY_LOCATION);
        sorted.put(p, List.copyOf(copy));
      }
    });
    return new TableState(doc, new TreeMap<>(manifests), sorted);
  }

  long version() {
    return doc.version();
  }

  Optional<TableSnapshot> current() {
    SnapshotEntry e = doc.current();
    return e == null ? Optional.empty() : Optional.of(e.snapshot());
  }

  Long currentId() {
    return doc.currentSnapshotId();
  }

  List<TableSnapshot> snapshots() {
    return doc.snapshots().stream().map(SnapshotEntry::snapshot).toList();
  }

  long fileCount() {
    return liveFiles.size();
  }

  long recordCount() {
    long n = 0;
    for (DataFile f : liveFiles) {
      n += f.recordCount();
    }
    return n;
  }

  /** Live files by their normalised store key, so that equivalent spellings of a location match. */
  Map<String, DataFile> byKey(UnaryOperator<String> normaliser) {
    Map<String, DataFile> m = byKey;
    if (m == null) {
      m = new HashMap<>();
      for (DataFile f : liveFiles) {
        m.put(normaliser.apply(f.location()), f);
      }
      byKey = m;
    }
    return m;
  }

  /** The retained append snapshots by commit key. */
  Map<String, TableSnapshot> appendKeys() {
    Map<String, TableSnapshot> m = appendKeys;
    if (m == null) {
      m = new HashMap<>();
      for (SnapshotEntry e : doc.snapshots()) {
        String key = e.snapshot().summary().get(TableSnapshot.COMMIT_KEY);
        if (key != null && e.snapshot().operation() == TableSnapshot.Operation.APPEND) {
          m.put(key, e.snapshot());
        }
      }
      appendKeys = m;
    }
    return m;
  }
}
