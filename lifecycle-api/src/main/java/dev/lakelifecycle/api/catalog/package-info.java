/**
 * The table catalog SPI: which data files are live in a table, and atomic, optimistic changes to that
 * set. The embedded file-manifest catalog is in {@code lifecycle-core}; the Iceberg one in
 * {@code lifecycle-iceberg}.
 */
package dev.lakelifecycle.api.catalog;
