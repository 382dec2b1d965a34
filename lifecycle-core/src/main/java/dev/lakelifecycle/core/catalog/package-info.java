/**
 * The embedded file-manifest {@link dev.lakelifecycle.api.catalog.TableCatalog}: {@link
 * dev.lakelifecycle.core.catalog.ManifestCatalog}. Everything else in this package is internal.
 *
 * <h2>Layout</h2>
 *
 * A table {@code t/d/n} lives under the store key prefix {@code t/d/n/} (its {@code location()} is
 * {@code store.location("t/d/n/")}); nothing outside it is touched for that table. Its metadata lives
 * under {@code t/d/n/_lifecycle/}, as JSON objects with a {@code format-version} (1) and a {@code kind}:
 *
 * <ul>
 *   <li>{@code v<version, 20 digits zero-padded>.json} ({@code kind: version}): the complete state of the
 *       table at one version: table id, schema and its {@code schema-id} (0 at creation, one more per
 *       {@code addColumns}; absent in documents of older versions, read as 0), partition spec, the current snapshot id, every retained
 *       snapshot (id, parent, commit time, operation, summary, and the name of its manifest list), the
 *       name of the expired-commit-keys object, and a random {@code commit-id}. Version 0 is written by
 *       {@code createTable} and has no snapshot. Zero-padding makes the lexicographic listing order the
 *       numeric order, so the newest version is the last key listed under {@code _lifecycle/v}.
 *   <li>{@code snap-<uuid>.json} ({@code kind: manifest-list}): for one snapshot, one entry per partition
 *       with live files: the manifest's name, the partition, its file and record counts.
 *   <li>{@code manifest-<uuid>.json} ({@code kind: manifest}): every live file of one partition, with all
 *       {@link dev.lakelifecycle.api.DataFile} fields. A manifest is shared by every snapshot in which
 *       that partition did not change.
 *   <li>{@code keys-<uuid>.json} ({@code kind: expired-commit-keys}): the append snapshots (with their
 *       commit keys) that expired, newest 10,000 kept, so an append stays idempotent after its snapshot expired. Rewritten only when snapshots expire.
 * </ul>
 *
 * Only version documents are ever named by number; every other object has a fresh random name, is
 * written once and never changed. A snapshot's id is the version number that committed it, so ids
 * increase with every commit (with gaps where a version only expired snapshots).
 *
 * <p>Cost of a commit: one manifest per partition it changes (all files of that partition), one
 * manifest list (one entry per partition with live files), one version document (one entry per
 * retained snapshot). When a commit writes more than two objects they are written up to 8 at a time
 * on the catalog's own daemon threads (released by {@code close()}). Snapshot expiry keeps the version
 * document small; a table whose snapshots never expire grows its version document without bound.
 *
 * <h2>Commit protocol</h2>
 *
 * <ol>
 *   <li>Take the latest state (the handle's, at first). Apply the change to it in memory: an append
 *       first looks its commit key up among retained appends and the expired-keys object; a replace
 *       checks that every removed file is live (locations compared after {@code ObjectStore.keyOf}
 *       normalisation) and otherwise throws {@link dev.lakelifecycle.api.CommitConflictException}
 *       naming the file (and the snapshot that removed it, when the retained history shows it); a
 *       partition drop or an expiry with nothing to do returns without committing. A schema change
 *       ({@code addColumns}) re-derives the schema from the base's ({@code TableSchema.withAddedColumns}): a
 *       column another writer added first with the same definition is skipped, one with another definition is
 *       refused; it writes only the version document (same snapshots), or nothing if no column is new.
 *   <li>Write the new immutable objects (manifests, manifest list, expired keys), then the version
 *       document {@code v<N+1>} with {@code WriteCondition.ifAbsent()}.
 *   <li>If that write is refused ({@code PreconditionFailedException}), another writer committed
 *       {@code v<N+1>}: reload the latest version and go to 1, after a jittered exponential pause
 *       ({@link dev.lakelifecycle.core.catalog.CommitPolicy}: 16 attempts, 5 ms doubling to 2 s). After the
 *       last attempt a {@code CommitConflictException} is thrown.
 *   <li>If the write succeeds, the first newer version, if any, must name this write's {@code commit-id} as
 *       its {@code parent-commit-id}. Otherwise the version number had been used before and swept as
 *       superseded (create-if-absent cannot tell "never existed" from "deleted"), so the write landed behind
 *       a newer history where no reader will take it: it is deleted again and the change re-applied on the
 *       latest version, as after a lost race. (A handle stale by more commits than the newest two versions
 *       the valid set keeps would otherwise lose its commit silently.)
 *   <li>If the write fails otherwise, it may have landed (a timeout after success, or a 412 answering
 *       a retry of a request that had succeeded). Every attempt carries its own {@code commit-id}; after
 *       each reload, the versions that were attempted are read back, and if one carries an id of ours
 *       the commit is complete. So an ambiguous write is never applied twice, and a replace never
 *       conflicts with itself. A failure that is not retryable and did not land is rethrown as a
 *       {@code StorageException}: the table is unchanged.
 * </ol>
 *
 * Objects written by an attempt that lost are never referenced; the orphan sweeper deletes them after
 * its grace period, which must exceed the time a commit takes (minutes at most) since objects are
 * written before the version that references them.
 *
 * <p>Commits through one handle are serialised; handles and catalog instances (other processes) race
 * only through the conditional write. Reads ({@code liveFiles}, {@code snapshots}) come from the
 * handle's state; {@code refresh()} lists the versions after the one it holds ({@code startAfter}) so
 * it costs in proportion to the commits since. A listing is always the authority on the latest version.
 *
 * <h2>Valid set</h2>
 *
 * {@code referencedLocations()} reads, bypassing every cache: a listing of the version documents; the
 * newest; the expired-keys object; the manifest list of every retained snapshot; every manifest those
 * name. It returns those objects' locations, every data file they list (in the store's canonical
 * spelling), and the newest two version documents. Older version documents are not referenced (the
 * sweeper reclaims them after its grace period); keeping the newest two protects a reader that listed
 * one version just before the next was committed. Every object a reader of either of those versions
 * needs for its current snapshot is referenced by the newest one too. A missing or unreadable object
 * throws {@link dev.lakelifecycle.api.IncompleteValidSetException} naming it, never a partial set.
 *
 * <h2>Tables</h2>
 *
 * A table exists when a version document exists under its {@code _lifecycle/}. {@code listTables()}
 * walks the store's keys in order but jumps past each {@code tenant/dataset/table/} prefix (and past any
 * first path segment that cannot be part of a table id) after one check, so it costs about two listing
 * requests per table and one per stray key, not one per data file.
 *
 * <h2>Errors</h2>
 *
 * A metadata object that is missing or cannot be parsed makes {@code loadTable}/{@code refresh} throw
 * a {@link dev.lakelifecycle.api.LifecycleException} naming its location; it is never treated as empty.
 * Documents with a newer {@code format-version} are refused with a message asking for an upgrade.
 */
package dev.lakelifecycle.core.catalog;
