package dev.lakelifecycle.api.staging;

import dev.lakelifecycle.api.NoSuchTableException;
import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.TableId;
import java.util.List;

/**
 * Accepts record batches for tables and flushes them to Parquet data files, one catalog append per flush.
 *
 * <p>A batch is durable in a local spool (checksummed records, fsync by group commit or per batch) before
 * {@link #append} returns, and is committed exactly once even across crashes: a restart recovers the spool,
 * truncates a torn tail, skips ranges whose append already committed, and flushes the rest.
 *
 * <p>A table flushes when its staged rows, bytes or oldest batch age reach the configured thresholds
 * ({@code staging.flush_max_rows}, {@code flush_max_bytes}, {@code flush_max_age_ms}), when {@link #flush} is
 * called, and on {@link #close()}. A flush writes one Parquet file per partition touched and commits them with
 * one append whose key is the flushed record range, so a retried flush never adds rows twice. A failed flush
 * keeps its batches staged and is retried with backoff.
 *
 * <p>Thread-safe: many threads may append to many tables at once.
 */
public interface Stager extends AutoCloseable {

  /**
   * Stages a batch for {@code table}; returns once it is durable in the spool.
   *
   * @throws dev.lakelifecycle.api.StagerFullException if a guardrail (pending batches, table or total bytes) is
   *     reached and the policy is REJECT, or BLOCK timed out; the batch was not staged
   * @throws NoSuchTableException if the table does not exist in the catalog
   * @throws SchemaMismatchException if the batch does not fit the table's schema, naming the refused columns. Columns
   *     are matched by name; a batch may lack nullable columns (read as null) and may bring new nullable columns,
   *     which the table then gains ({@link dev.lakelifecycle.api.catalog.CatalogTable#addColumns}); a column of
   *     another type or nullability, or a new or missing non-nullable column, is refused and the table is unchanged
   * @throws IllegalArgumentException if a row's partition column is null
   */
  void append(TableId table, RecordBatch batch);

  /** Flushes what is staged for {@code table} now. Empty result if nothing was staged. */
  FlushResult flush(TableId table);

  /** Flushes every table with staged data; one result per table flushed. */
  List<FlushResult> flushAll();

  /** Rows staged and not yet committed for {@code table}. */
  long stagedRows(TableId table);

  /** Flushes everything staged, then releases resources. Never throws a checked exception. */
  @Override
  void close();
}
