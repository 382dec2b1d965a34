/**
 * The public API of Lake Lifecycle: value types ({@link dev.lakelifecycle.api.TableId},
 * {@link dev.lakelifecycle.api.PartitionSpec}, {@link dev.lakelifecycle.api.TableSchema},
 * {@link dev.lakelifecycle.api.RecordBatch}, {@link dev.lakelifecycle.api.DataFile},
 * {@link dev.lakelifecycle.api.TableSnapshot}) and the unchecked exception hierarchy rooted at
 * {@link dev.lakelifecycle.api.LifecycleException}.
 *
 * <p>Sub-packages hold the SPIs ({@code storage}, {@code catalog}, {@code checkpoint}) and the service
 * interfaces ({@code staging}, {@code compaction}, {@code retention}, {@code sweep}). This module
 * depends on the JDK only: it is what an extension author compiles against.
 */
package dev.lakelifecycle.api;
