package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.NoSuchTableException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableAlreadyExistsException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.storage.ObjectStore;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.iceberg.BaseTable;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.jdbc.JdbcClientPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TableCatalog} over any Apache Iceberg {@link Catalog} (JDBC, REST, Hadoop, Glue, in-memory…),
 * so that the lifecycle engines maintain Iceberg tables through Iceberg's own commit protocol.
 *
 * <p>Mapping: {@link TableId} {@code tenant/dataset/table} is the Iceberg table {@code table} in namespace
 * {@code [tenant, dataset]}. Schemas map column for column (TIMESTAMP is {@code timestamptz}, microseconds);
 * hourly/daily partitioning is Iceberg's {@code hour()}/{@code day()} transform of the timestamp column,
 * and our partition strings ({@code hour=2026-01-15-10}) are derived from Iceberg's partition values.
 * Tables of other shapes (nested types, other transforms) are refused at load with
 * {@link UnsupportedOperationException}.
 *
 * <p>Commits: appends are Iceberg appends whose snapshot summary carries the commit key
 * ({@value #COMMIT_KEY_PROPERTY}), checked against the base inside every commit attempt, so a retried
 * flush never adds rows twice; appended and rewritten files carry the metrics iceberg-parquet reads from
 * their footers under the table's metrics config; replaces are Iceberg rewrites validated from the snapshot
 * the handle planned on (a conflicting delete, overwrite or row-level delete fails them with
 * {@link dev.lakelifecycle.api.CommitConflictException}, the table unchanged); partition drops are one
 * Iceberg delete by a row filter on the timestamp column; expiry is Iceberg's {@code ExpireSnapshots} with
 * its own per-ref rules ({@code retainLast}/{@code olderThan} as defaults for every branch's history, tags kept
 * while they live, each ref's {@code min-snapshots-to-keep}, {@code max-snapshot-age-ms} and
 * {@code max-ref-age-ms} honoured), pinned ids excluded, leaving the files for the orphan sweeper.
 * Snapshot commit times are Iceberg's (wall clock), not a supplied {@code Clock}.
 *
 * <p>The catalog's {@code FileIO} must reach the same storage as the lifecycle's {@link ObjectStore}:
 * use {@link ObjectStoreFileIO}, as {@link #jdbc} does. Thread-safe.
 */
public final class IcebergTableCatalog implements TableCatalog {
  private static final Logger LOG = LoggerFactory.getLogger(IcebergTableCatalog.class);

  /** Snapshot summary key holding an append's commit key. */
  public static final String COMMIT_KEY_PROPERTY = "lifecycle.commit-key";
  /** Snapshot summary key holding the writer id and creation time of each file a commit added (JSON). */
  public static final String FILES_PROPERTY = "lifecycle.files";
  /** Table property prefix remembering the snapshot of an append whose snapshot expired. */
  public static final String REMEMBERED_PREFIX = "lifecycle.append.";

  private final Catalog catalog;
  private final boolean ownsCatalog;

  /**
   * @param catalog the Iceberg catalog; the host keeps ownership (not closed by {@link #close()})
   */
  public IcebergTableCatalog(Catalog catalog) {
    this(catalog, false);
  }

  private IcebergTableCatalog(Catalog catalog, boolean ownsCatalog) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.ownsCatalog = ownsCatalog;
  }

  /**
   * Like {@link #IcebergTableCatalog(Catalog)}, but {@link #close()} also closes the Iceberg catalog (if it
   * is {@link Closeable}): for catalogs the host builds only to hand to the lifecycle.
   */
  public static IcebergTableCatalog owning(Catalog catalog) {
    return new IcebergTableCatalog(catalog, true);
  }

  /**
   * A catalog over an Iceberg {@link JdbcCatalog} (any JDBC database; SQLite works for one host) whose
   * tables live in {@code store} under {@code warehouseKey}. The returned catalog owns and closes the
   * JDBC catalog, not the store.
   *
   * @param name the Iceberg catalog name (rows of several catalogs may share one database)
   * @param jdbcUri e.g. {@code jdbc:sqlite:/var/lib/app/catalog.db} or {@code jdbc:postgresql://…}
   * @param warehouseKey the store key the warehouse starts at, e.g. {@code "warehouse"}, or {@code ""} for the
   *     store root; the engines write each table's data files under that table's Iceberg location
   * @param properties further Iceberg catalog properties (e.g. {@code jdbc.user}); may be empty
   */
  public static IcebergTableCatalog jdbc(String name, String jdbcUri, ObjectStore store, String warehouseKey,
      Map<String, String> properties) {
    ObjectStoreFileIO io = new ObjectStoreFileIO(store);
    Map<String, String> props = new HashMap<>(properties);
    props.put(CatalogProperties.URI, jdbcUri);
    props.put(CatalogProperties.WAREHOUSE_LOCATION, store.location(warehouseKey));
    props.putIfAbsent("jdbc.schema-version", "V1");
    if (jdbcUri.startsWith("jdbc:sqlite:")) {
      // SQLite allows one writer at a time: wait for the lock instead of failing the commit at once.
      props.putIfAbsent("jdbc.busy_timeout", "30000");
    }
    JdbcCatalog jdbc = new JdbcCatalog(p -> io, p -> new JdbcClientPool(jdbcUri, p), true);
    jdbc.initialize(name, props);
    return new IcebergTableCatalog(jdbc, true);
  }

  /** The Iceberg catalog this one works through. */
  public Catalog iceberg() {
    return catalog;
  }

  static TableIdentifier identifier(TableId id) {
    return TableIdentifier.of(Namespace.of(id.tenant(), id.dataset()), id.table());
  }

  @Override
  public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) {
    TableIdentifier ident = identifier(id);
    ensureNamespace(ident.namespace());
    Schema iceSchema = IcebergConversions.toIceberg(schema);
    Map<String, String> props = new HashMap<>();
    props.put(TableProperties.FORMAT_VERSION, "2");
    // Flushes and compactions of one table commit concurrently; Iceberg's default of 4 retries is too few.
    props.put(TableProperties.COMMIT_NUM_RETRIES, "20");
    props.put(TableProperties.COMMIT_MIN_RETRY_WAIT_MS, "5");
    props.put(TableProperties.COMMIT_MAX_RETRY_WAIT_MS, "500");
    try {
      Table t = catalog.buildTable(ident, iceSchema)
          .withPartitionSpec(IcebergConversions.toIceberg(spec, iceSchema))
          .withProperties(props)
          .create();
      LOG.info("Created Iceberg table {} at {}", ident, t.location());
      return wrap(id, ident, t);
    } catch (AlreadyExistsException e) {
      throw new TableAlreadyExistsException(String.format(Locale.ROOT,
          "Table %s already exists in Iceberg catalog %s as %s: load it instead", id.path(), catalog.name(), ident),
          e);
    }
  }

  private void ensureNamespace(Namespace ns) {
    if (catalog instanceof SupportsNamespaces namespaces) {
      for (int level = 1; level <= ns.length(); level++) {
        Namespace prefix = Namespace.of(java.util.Arrays.copyOf(ns.levels(), level));
        if (!namespaces.namespaceExists(prefix)) {
          try {
            namespaces.createNamespace(prefix);
          } catch (RuntimeException raced) {
            // A racing creator inserted it first: some catalogs say AlreadyExists, JDBC ones may fail the
            // insert on its unique key. Only a namespace that still does not exist is an error.
            if (!namespaces.namespaceExists(prefix)) {
              throw raced;
            }
            LOG.debug("Namespace {} created concurrently", prefix);
          }
        }
      }
    }
  }

  @Override
  public CatalogTable loadTable(TableId id) {
    TableIdentifier ident = identifier(id);
    try {
      return wrap(id, ident, catalog.loadTable(ident));
    } catch (org.apache.iceberg.exceptions.NoSuchTableException e) {
      throw new NoSuchTableException(String.format(Locale.ROOT,
          "Table %s does not exist in Iceberg catalog %s (looked for %s): create it first", id.path(), catalog.name(),
          ident), e);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot load Iceberg table %s (%s): %s; check the catalog and the table's metadata files", id.path(), ident,
          e.getMessage()), e);
    }
  }

  private CatalogTable wrap(TableId id, TableIdentifier ident, Table loaded) {
    if (!(loaded instanceof HasTableOperations has)) {
      throw new UnsupportedOperationException(String.format(Locale.ROOT,
          "Iceberg table %s is a %s without table operations; lake lifecycle needs a catalog table", ident,
          loaded.getClass().getName()));
    }
    Table table = new BaseTable(new LifecycleTableOperations(has.operations()), loaded.name());
    return new IcebergCatalogTable(this, id, ident, table);
  }

  @Override
  public boolean tableExists(TableId id) {
    return catalog.tableExists(identifier(id));
  }

  @Override
  public List<TableId> listTables() {
    List<TableId> out = new ArrayList<>();
    if (!(catalog instanceof SupportsNamespaces namespaces)) {
      throw new UnsupportedOperationException("Iceberg catalog " + catalog.name()
          + " cannot list namespaces, so its tables cannot be listed");
    }
    for (Namespace tenant : namespaces.listNamespaces(Namespace.empty())) {
      for (Namespace dataset : namespaces.listNamespaces(tenant)) {
        if (dataset.length() != 2) {
          continue;
        }
        for (TableIdentifier t : catalog.listTables(dataset)) {
          try {
            out.add(TableId.of(dataset.level(0), dataset.level(1), t.name()));
          } catch (IllegalArgumentException notOurs) {
            LOG.debug("Iceberg table {} has a name that is not a valid table id; not listed", t);
          }
        }
      }
    }
    out.sort(Comparator.comparing(TableId::path));
    return out;
  }

  @Override
  public void close() {
    if (ownsCatalog && catalog instanceof Closeable c) {
      try {
        c.close();
      } catch (IOException e) {
        throw new StorageException("Cannot close Iceberg catalog " + catalog.name(), e);
      }
    }
  }

  @Override
  public String toString() {
    return "IcebergTableCatalog[" + catalog.name() + "]";
  }
}
