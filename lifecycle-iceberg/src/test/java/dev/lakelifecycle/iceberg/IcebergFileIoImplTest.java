package dev.lakelifecycle.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.compaction.CompactionResult;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host that builds its Iceberg catalog from properties alone ({@code CatalogUtil.buildIcebergCatalog}) names
 * {@link ObjectStoreFileIO} as {@code io-impl}; the FileIO opens the store named by
 * {@code lifecycle.store.location} through the object store providers, and the lifecycle maintains the table.
 */
class IcebergFileIoImplTest {
  @TempDir Path dir;

  /** The store root the catalog's FileIO and the lifecycle share. */
  URI root() {
    return dir.resolve("store").toUri();
  }

  /** Further {@code lifecycle.store.*} properties the provider needs. */
  Map<String, String> storeProperties() {
    return Map.of();
  }

  /** The host's own handle on the same store, for the lifecycle. */
  ObjectStore openStore(URI root) {
    return LocalObjectStore.create(Path.of(root));
  }

  private Map<String, String> catalogProperties(ObjectStore store) {
    Map<String, String> props = new HashMap<>(storeProperties());
    props.put(CatalogUtil.ICEBERG_CATALOG_TYPE, CatalogUtil.ICEBERG_CATALOG_TYPE_JDBC);
    props.put(CatalogProperties.URI, "jdbc:sqlite:" + dir.resolve("catalog.db"));
    props.put("jdbc.schema-version", "V1");
    props.put(CatalogProperties.WAREHOUSE_LOCATION, store.location("warehouse"));
    props.put(CatalogProperties.FILE_IO_IMPL, ObjectStoreFileIO.class.getName());
    props.put(ObjectStoreFileIO.STORE_LOCATION, root().toString());
    return props;
  }

  @Test
  void catalogBuiltFromPropertiesWithObjectStoreFileIoAsIoImplIsMaintainedByTheLifecycle() {
    try (ObjectStore store = openStore(root())) {
      Catalog iceberg = CatalogUtil.buildIcebergCatalog("lake", catalogProperties(store), null);
      assertThat(iceberg).isInstanceOf(JdbcCatalog.class);
      Map<String, Integer> expected = new TreeMap<>();
      ObjectStoreFileIO io;
      try (IcebergTableCatalog catalog = IcebergTableCatalog.owning(iceberg);
          Lifecycle lake = Lifecycle.builder().store(store).catalog(catalog).writerId("w1").build()) {
        catalog.createTable(IcebergFixture.LOGS, IcebergFixture.SCHEMA, PartitionSpec.hourly("ts"));
        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
        IcebergFixture.flushRows(lake, hour, 10, "a", expected);
        IcebergFixture.flushRows(lake, hour.plusSeconds(60), 10, "b", expected);

        Table table = iceberg.loadTable(IcebergFixture.LOGS_IDENT);
        assertThat(table.io()).isInstanceOf(ObjectStoreFileIO.class);
        io = (ObjectStoreFileIO) table.io();
        ObjectStore opened = io.store();
        assertThat(opened.root()).isEqualTo(store.root());
        assertThat(store.stat(store.keyOf(table.currentSnapshot().manifestListLocation()).orElseThrow()))
            .isPresent();

        CompactionResult compacted = lake.compactor().compact(IcebergFixture.LOGS).minInputFiles(2).force(true)
            .execute();
        assertThat(compacted.filesRemoved()).isEqualTo(2);
        table.refresh();
        assertThat(IcebergFixture.rows(IcebergGenerics.read(table))).isEqualTo(expected);
      }
      // Closing the catalog closed the FileIO, and with it the store the FileIO opened.
      assertThatThrownBy(io::store).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void ioImplWithoutStoreLocationFailsNamingTheProperty() {
    try (ObjectStore store = openStore(root())) {
      Map<String, String> props = catalogProperties(store);
      props.remove(ObjectStoreFileIO.STORE_LOCATION);
      assertThatThrownBy(() -> CatalogUtil.buildIcebergCatalog("lake", props, null))
          .isInstanceOf(InvalidConfigurationException.class)
          .hasMessageContaining(ObjectStoreFileIO.STORE_LOCATION);
    }
  }

  @Test
  void ioImplWithAnUnservedSchemeFailsNamingTheKnownSchemes() {
    ObjectStoreFileIO io = new ObjectStoreFileIO();
    assertThatThrownBy(() -> io.initialize(Map.of(ObjectStoreFileIO.STORE_LOCATION, "gopher://lake/")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("gopher")
        .hasMessageContaining("file");
    assertThatThrownBy(() -> io.newInputFile("file:/x")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("initialize");
  }
}
