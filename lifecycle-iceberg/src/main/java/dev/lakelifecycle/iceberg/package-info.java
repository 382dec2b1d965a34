/**
 * {@link dev.lakelifecycle.api.catalog.TableCatalog} over Apache Iceberg catalogs. The catalog itself
 * arrives with the Iceberg issue; until then this module only reserves the artifact and package.
 */
package dev.lakelifecycle.iceberg;
