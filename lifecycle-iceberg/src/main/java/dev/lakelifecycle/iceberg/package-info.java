/**
 * {@link dev.lakelifecycle.api.catalog.TableCatalog} over Apache Iceberg catalogs:
 * {@link dev.lakelifecycle.iceberg.IcebergTableCatalog} maintains Iceberg tables through Iceberg's own commit
 * protocol, and {@link dev.lakelifecycle.iceberg.ObjectStoreFileIO} bridges Iceberg's {@code FileIO} to an
 * {@link dev.lakelifecycle.api.storage.ObjectStore}.
 */
package dev.lakelifecycle.iceberg;
