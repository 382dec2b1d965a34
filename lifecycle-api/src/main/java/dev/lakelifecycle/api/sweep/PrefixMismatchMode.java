package dev.lakelifecycle.api.sweep;

/**
 * What a sweep does when the catalog references a location whose scheme or authority differs from the
 * store's but whose path, moved onto the store's scheme and authority, names a key under the store: for
 * example the catalog says {@code hdfs://nn/lake/acme/prod/t/a.parquet} or {@code s3://old-bucket/…} while
 * the store lists {@code file:/lake/…} or {@code s3://bucket/…}. Equivalent spellings the store itself
 * recognises ({@code s3a://} for {@code s3://}, a bare path for {@code file:}) are no mismatch: the store's
 * {@link dev.lakelifecycle.api.storage.ObjectStore#keyOf(String) keyOf} maps them to one key.
 *
 * <p>Iceberg's {@code DeleteOrphanFiles.PrefixMismatchMode} has the same purpose: a mismatch usually means
 * the catalog and the store were configured with different names for one bucket, and sweeping through it
 * would delete live files.
 */
public enum PrefixMismatchMode {
  /**
   * Default. The sweep fails with {@link dev.lakelifecycle.api.IncompleteValidSetException} before deleting
   * anything and names each conflicting pair ({@code valid set: hdfs://nn} against {@code listing: file:}),
   * with an example location. Locations entirely outside the store (no relocation matches) fail the same way.
   */
  FAIL,
  /**
   * The listed object at the relocated path is left alone (never deleted, never reported as an orphan), but the
   * reference is not counted as one of this table's: a table whose every reference mismatches still counts
   * as having an empty valid set and fails. Locations entirely outside the store are skipped. Each run logs
   * the conflicting pairs at WARN.
   */
  IGNORE,
  /**
   * The differing scheme and authority are taken to name this store: the relocated key is part of the valid
   * set, exactly like a reference spelled the store's way. Use it when the catalog is known to use an alias
   * of the store's location (Iceberg's {@code equalSchemes}/{@code equalAuthorities}). Locations entirely
   * outside the store are skipped.
   */
  TREAT_AS_EQUAL
}
