package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.TableSnapshot;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.TableMetadata;
import org.apache.iceberg.TableOperations;
import org.apache.iceberg.encryption.EncryptionManager;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.LocationProvider;

/**
 * The catalog's own {@link TableOperations} with two additions: snapshot ids that grow with time (so
 * sequential commits have increasing ids, as our {@code TableSnapshot} contract promises), and a check,
 * inside the compare-and-swap of every commit, that an append carrying a commit key does not land on a
 * base that already holds that key. Iceberg re-applies a pending append on a refreshed base when it
 * retries; checking there makes the key check exact even when two processes retry the same flush.
 */
final class LifecycleTableOperations implements TableOperations {
  private static final AtomicLong LAST_ID = new AtomicLong();

  private final TableOperations delegate;

  LifecycleTableOperations(TableOperations delegate) {
    this.delegate = delegate;
  }

  @Override
  public TableMetadata current() {
    return delegate.current();
  }

  @Override
  public TableMetadata refresh() {
    return delegate.refresh();
  }

  @Override
  public void commit(TableMetadata base, TableMetadata metadata) {
    Snapshot added = metadata.currentSnapshot();
    Snapshot before = base == null ? null : base.currentSnapshot();
    if (added != null && (before == null || before.snapshotId() != added.snapshotId()) && added.summary() != null) {
      String key = added.summary().get(IcebergTableCatalog.COMMIT_KEY_PROPERTY);
      if (key != null && base != null) {
        java.util.Optional<TableSnapshot> existing = IcebergCatalogTable.findAppend(base, key);
        if (existing.isPresent()) {
          throw new DuplicateAppendException(key, existing.get());
        }
      }
    }
    delegate.commit(base, metadata);
  }

  @Override
  public FileIO io() {
    return delegate.io();
  }

  @Override
  public EncryptionManager encryption() {
    return delegate.encryption();
  }

  @Override
  public String metadataFileLocation(String fileName) {
    return delegate.metadataFileLocation(fileName);
  }

  @Override
  public LocationProvider locationProvider() {
    return delegate.locationProvider();
  }

  @Override
  public TableOperations temp(TableMetadata uncommittedMetadata) {
    return delegate.temp(uncommittedMetadata);
  }

  @Override
  public long newSnapshotId() {
    // Milliseconds in the high bits keep ids growing across processes; 12 random low bits keep two
    // processes committing in the same millisecond apart; the counter keeps them growing in this JVM.
    long candidate = (System.currentTimeMillis() << 12) | ThreadLocalRandom.current().nextInt(4096);
    return LAST_ID.updateAndGet(prev -> Math.max(prev + 1, candidate));
  }

  @Override
  public boolean requireStrictCleanup() {
    return delegate.requireStrictCleanup();
  }

  /** An append whose commit key the base already holds; carries the earlier snapshot's id. */
  static final class DuplicateAppendException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient TableSnapshot existing;

    DuplicateAppendException(String key, TableSnapshot existing) {
      super(String.format(Locale.ROOT, "Append with commit key '%s' already committed as snapshot %d", key,
          existing.snapshotId()), null, false, false);
      this.existing = existing;
    }
  }
}
