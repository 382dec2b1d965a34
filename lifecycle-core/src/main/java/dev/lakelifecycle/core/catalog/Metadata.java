package dev.lakelifecycle.core.catalog;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The immutable records the manifest catalog persists, one per kind of metadata object. See
 * {@code package-info.java} for the layout and how the objects reference each other.
 */
final class Metadata {
  private Metadata() {}

  /** Version of the JSON layout written by this code; readers refuse documents from a newer one. */
  static final int FORMAT_VERSION = 1;

  /**
   * One retained snapshot as the version document lists it.
   *
   * @param snapshot the public snapshot record
   * @param manifestList name (relative to {@code _lifecycle/}) of the object listing the snapshot's manifests
   */
  record SnapshotEntry(TableSnapshot snapshot, String manifestList) {
    SnapshotEntry {
      Objects.requireNonNull(snapshot, "snapshot");
      Objects.requireNonNull(manifestList, "manifestList");
    }

    long id() {
      return snapshot.snapshotId();
    }
  }

  /**
   * A complete version document, {@code _lifecycle/v<version>.json}.
   *
   * @param version the version number, equal to the number in the object's name
   * @param commitId a random id unique to the logical commit that wrote it, used to recognise one's own
   *     write after an ambiguous failure
   * @param parentCommitId the commit id of the version this one was built on, or {@code null} for version 0;
   *     lets a committer tell a successor built on its write from a newer history its write landed behind
   * @param writtenAt when the commit was made, from the catalog clock
   * @param schema the table's current schema
   * @param schemaId the id of {@code schema}: 0 at creation, one more with every schema change (documents
   *     written before schema evolution existed have none and read as 0)
   * @param currentSnapshotId the current snapshot, or {@code null} for a table with no commit yet
   * @param snapshots every retained snapshot, oldest first
   * @param expiredKeys name of the object remembering the commit keys of expired appends, or {@code null}
   */
  record VersionDoc(long version, String commitId, String parentCommitId, Instant writtenAt, TableId table, TableSchema schema,
      int schemaId, PartitionSpec spec, Long currentSnapshotId, List<SnapshotEntry> snapshots, String expiredKeys) {
    VersionDoc {
      Objects.requireNonNull(commitId, "commitId");
      Objects.requireNonNull(writtenAt, "writtenAt");
      Objects.requireNonNull(table, "table");
      Objects.requireNonNull(schema, "schema");
      Objects.requireNonNull(spec, "spec");
      snapshots = List.copyOf(snapshots);
    }

    SnapshotEntry current() {
      if (currentSnapshotId == null) {
        return null;
      }
      for (int i = snapshots.size() - 1; i >= 0; i--) {
        if (snapshots.get(i).id() == currentSnapshotId) {
          return snapshots.get(i);
        }
      }
      return null;
    }
  }

  /**
   * One entry of a manifest list: the manifest holding one partition's live files.
   *
   * @param manifest name of the manifest object, relative to {@code _lifecycle/}
   * @param partition the partition all its files belong to
   * @param fileCount number of files in it
   * @param recordCount sum of their record counts
   */
  record ManifestRef(String manifest, String partition, long fileCount, long recordCount) {}

  /** The live files of one partition in one or more snapshots, {@code _lifecycle/manifest-<uuid>.json}. */
  record Manifest(String partition, List<DataFile> files) {
    Manifest {
      files = List.copyOf(files);
    }
  }

  /**
   * The commit keys of expired appends still remembered, oldest first, {@code _lifecycle/keys-<uuid>.json}.
   */
  record ExpiredKeys(List<TableSnapshot> appends, Map<String, TableSnapshot> byKey) {
    ExpiredKeys {
      appends = List.copyOf(appends);
      byKey = Map.copyOf(byKey);
    }

    static final ExpiredKeys NONE = of(List.of());

    static ExpiredKeys of(List<TableSnapshot> appends) {
      Map<String, TableSnapshot> keys = new HashMap<>();
      for (TableSnapshot s : appends) {
        keys.put(s.summary().get(TableSnapshot.COMMIT_KEY), s);
      }
      return new ExpiredKeys(appends, keys);
    }
  }
}
