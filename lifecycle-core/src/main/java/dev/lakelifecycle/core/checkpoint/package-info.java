/**
 * The {@link dev.lakelifecycle.api.checkpoint.CheckpointStore}s: the embedded {@link
 * dev.lakelifecycle.core.checkpoint.InMemoryCheckpointStore} (tests, one process) and {@link
 * dev.lakelifecycle.core.checkpoint.ObjectStoreCheckpointStore} (JSON objects in the {@code ObjectStore}, the
 * {@code Lifecycle} default), and {@link dev.lakelifecycle.core.checkpoint.JdbcCheckpointStore} (the runbook's
 * {@code compaction_checkpoints} table on PostgreSQL, SQLite or H2, through a host-supplied
 * {@code DataSource}). All three pass {@code lifecycle-testkit}'s {@code CheckpointStoreContract}, follow the
 * id rules and return the value model below.
 *
 * <h2>Ids and keys</h2>
 * A checkpoint id is a non-empty {@code /}-separated path whose segments are non-empty and not {@code .} or
 * {@code ..}, e.g. {@code compaction/acme/prod/traces}. {@code ObjectStoreCheckpointStore} keeps it at
 * {@code <prefix><encoded id>.json}: {@code /} stays the separator and every UTF-8 byte outside
 * {@code [A-Za-z0-9._-]} is written {@code %XX} (upper-case hex), so {@code compaction/acme/prod/traces} is
 * {@code _checkpoints/compaction/acme/prod/traces.json} and {@code sweep/a b} is {@code _checkpoints/sweep/a%20b.json}.
 * An encoded segment may have at most 250 characters.
 *
 * <h2>JSON format</h2>
 * The columns of the Timestore runbook's {@code compaction_checkpoints} table, so that tools reading one read
 * the other (UTF-8, one object per checkpoint):
 * <pre>{@code
 * {
 *   "id" : "compaction/acme/prod/traces",        // string, the checkpoint id
 *   "status" : "pending",                        // "pending" | "completed" | "failed"
 *   "cursor" : 3,                                // zero-based index of the next unprocessed group
 *   "metadata" : { "completedGroupIds" : [ "cg-0", "cg-1", "cg-2" ], "attempts" : 1 },
 *   "stats" : { "chunksCompleted" : 3, "bytes" : 104857600, "lastError" : null,
 *               "chunkHistory" : [ { "bytes" : 1048576, "attempts" : 1, "completedAt" : "2026-01-15T10:00:00Z" } ] },
 *   "version" : 4,                               // compare-and-set version, 1 for the first write
 *   "updated_at" : "2026-01-15T10:00:03.5Z",     // ISO-8601 UTC instant, set by the store's clock
 *   "lease_owner" : "worker-7",                  // string or null
 *   "lease_expires_at" : "2026-01-15T10:05:03.5Z", // ISO-8601 UTC instant or null
 *   "write_token" : "4b1c...-..."                // random per write; lets a writer recognise its own write
 * }
 * }</pre>
 * A deleted checkpoint whose object could not be removed yet is a tombstone:
 * {@code {"id": ..., "deleted": true, "version": n, "updated_at": ..., "write_token": ...}}; it reads as absent.
 * Readers ignore fields they do not know.
 *
 * <h2>Values</h2>
 * {@code metadata} and {@code stats} hold the JSON value model and both stores return them the same way:
 * {@code String}, {@code Boolean}, {@code null}, integral numbers as {@code Long} (an {@code Integer} written
 * comes back a {@code Long}), fractional numbers as {@code Double} (exactly the written value), and
 * unmodifiable {@code List}s and insertion-ordered {@code Map<String, Object>}s of those, nested freely. Values
 * JSON cannot hold exactly (NaN, infinities, {@code BigDecimal}, integers beyond {@code long}, dates, other
 * objects, non-String keys) are rejected with an {@link java.lang.IllegalArgumentException} naming the path,
 * e.g. {@code stats.chunkHistory[2].startedAt}; store instants as ISO-8601 strings.
 */
package dev.lakelifecycle.core.checkpoint;
