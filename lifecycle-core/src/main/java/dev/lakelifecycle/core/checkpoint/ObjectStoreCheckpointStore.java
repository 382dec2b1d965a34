package dev.lakelifecycle.core.checkpoint;

import dev.lakelifecycle.api.CheckpointConflictException;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CheckpointStore} that keeps one JSON object per checkpoint in an {@link ObjectStore}, at
 * {@code prefix + encoded(id) + ".json"} (encoding and JSON format: see the package documentation). The
 * default of {@code Lifecycle} (prefix {@code _checkpoints/}); many processes may share one store.
 *
 * <p><b>Compare-and-set</b> uses the store's conditional writes: creating (expected version 0) puts with
 * create-if-absent; replacing reads the object and its etag, checks the stored version and puts with
 * replace-if-etag-matches. Every write carries a fresh random {@code write_token}; when a conditional put
 * answers "precondition failed" or fails with a {@link StorageException}, the object is read back and the
 * write counts as done if it holds that token. This resolves a put whose acknowledgement was lost, or that
 * the client retried after it had landed (S3 then answers 412 to its own write). The token also makes every
 * write's content, and so its etag, unique.
 *
 * <p><b>Delete</b> replaces the object with a tombstone ({@code "deleted": true}) under replace-if-etag-matches,
 * so it never removes a version it did not check, then removes the tombstone. Readers treat a tombstone as
 * absent. If the process stops between the two steps the tombstone stays; a later create of that id replaces
 * it (if-etag-matches) once it is older than {@value #TOMBSTONE_GRACE_SECONDS} seconds, and fails with a
 * {@link CheckpointConflictException} before. The one window left: a deleter paused for longer than that
 * grace between its two steps removes a checkpoint created meanwhile over its tombstone; the grace also
 * assumes the clocks of processes sharing the store differ by much less than it.
 *
 * <p>{@link #list(String)} lists the keys under the id prefix and reads each object: cost grows with the
 * number of checkpoints under it. Thread-safe. {@link #close()} does not close the {@code ObjectStore}.
 */
public final class ObjectStoreCheckpointStore implements CheckpointStore {
  /** How old a left-over tombstone must be before a create may replace it. */
  static final long TOMBSTONE_GRACE_SECONDS = 60;

  private static final Logger LOG = LoggerFactory.getLogger(ObjectStoreCheckpointStore.class);
  private static final String SUFFIX = ".json";
  /** Common file-system limit on one path segment (255 bytes) less the suffix. */
  private static final int MAX_SEGMENT_CHARS = 255 - SUFFIX.length();

  private final ObjectStore store;
  private final String prefix;
  private final Clock clock;

  /**
   * @param store where the checkpoint objects live; not closed by {@link #close()}
   * @param prefix key prefix of every checkpoint object, e.g. {@code _checkpoints/}; {@code ""} for the root.
   *     Must not start with {@code /}. Nothing else should be stored under it.
   * @param clock sets {@link Checkpoint#updatedAt()} on every write and ages tombstones
   */
  public ObjectStoreCheckpointStore(ObjectStore store, String prefix, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (prefix.startsWith("/")) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Invalid checkpoint prefix '%s': keys are relative to the store's root (drop the leading '/')", prefix));
    }
  }

  @Override
  public Optional<Checkpoint> get(String id) {
    String key = key(id);
    byte[] bytes;
    try {
      bytes = store.read(key);
    } catch (ObjectNotFoundException absent) {
      return Optional.empty();
    }
    CheckpointJson.Stored stored = decode(bytes, key, id);
    return stored.tombstone() ? Optional.empty() : Optional.of(stored.checkpoint());
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if {@code expectedVersion} is negative, the id is invalid, or
   *     metadata/stats hold a value JSON cannot hold exactly
   * @throws StorageException if the store fails and reading back cannot show that the write landed
   * @throws LifecycleException if the stored object is not a readable checkpoint (the message names it)
   */
  @Override
  public Checkpoint compareAndSet(Checkpoint next, long expectedVersion) {
    Objects.requireNonNull(next, "next");
    String id = next.id();
    String key = key(id);
    if (expectedVersion < 0) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Cannot write checkpoint %s: expected version %d is negative (use 0 to create)", id, expectedVersion));
    }
    Checkpoint toStore = new Checkpoint(id, next.status(), next.cursor(),
        JsonValues.normalise(next.metadata(), id, "metadata"), JsonValues.normalise(next.stats(), id, "stats"),
        expectedVersion + 1, clock.instant(), next.leaseOwner(), next.leaseExpiresAt());
    String token = UUID.randomUUID().toString();
    byte[] bytes = CheckpointJson.encode(toStore, token);

    if (expectedVersion == 0) {
      if (putConfirmed(key, bytes, WriteCondition.ifAbsent(), token)) {
        return toStore;
      }
      Optional<Current> current = readWithEtag(key, id);
      if (current.isPresent() && current.get().stored().tombstone() && isStale(current.get())) {
        if (putConfirmed(key, bytes, WriteCondition.ifMatch(current.get().etag()), token)) {
          LOG.info("Created checkpoint {} over a tombstone left by an interrupted delete", id);
          return toStore;
        }
        current = readWithEtag(key, id);
      }
      throw conflict(id, expectedVersion, current);
    }

    Optional<Current> current = readWithEtag(key, id);
    if (current.isEmpty() || current.get().stored().tombstone()
        || current.get().stored().checkpoint().version() != expectedVersion) {
      throw conflict(id, expectedVersion, current);
    }
    if (putConfirmed(key, bytes, WriteCondition.ifMatch(current.get().etag()), token)) {
      return toStore;
    }
    throw conflict(id, expectedVersion, readWithEtag(key, id));
  }

  @Override
  public boolean delete(String id, long expectedVersion) {
    String key = key(id);
    Optional<Current> current = readWithEtag(key, id);
    if (current.isEmpty() || current.get().stored().tombstone()
        || current.get().stored().checkpoint().version() != expectedVersion) {
      return false;
    }
    String token = UUID.randomUUID().toString();
    byte[] tombstone = CheckpointJson.encodeTombstone(id, expectedVersion, clock.instant(), token);
    if (!putConfirmed(key, tombstone, WriteCondition.ifMatch(current.get().etag()), token)) {
      return false;
    }
    // From here the checkpoint is deleted for every reader; removing the tombstone only reclaims space.
    try {
      DeleteResult result = store.delete(List.of(key));
      if (!result.failed().isEmpty()) {
        LOG.warn("Deleted checkpoint {} but could not remove its tombstone {}: {}; it reads as absent and a create"
            + " replaces it after {} s", id, store.location(key), result.failed().get(key), TOMBSTONE_GRACE_SECONDS);
      }
    } catch (StorageException e) {
      LOG.warn("Deleted checkpoint {} but could not remove its tombstone {}; it reads as absent and a create"
          + " replaces it after {} s", id, store.location(key), TOMBSTONE_GRACE_SECONDS, e);
    }
    return true;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Keys under the prefix that this store did not write (other suffixes, other encodings) are skipped
   * with a warning; an object that is not a readable checkpoint fails the listing with a
   * {@link LifecycleException} naming it.
   */
  @Override
  public List<Checkpoint> list(String idPrefix) {
    Objects.requireNonNull(idPrefix, "idPrefix");
    List<Checkpoint> found = new ArrayList<>();
    try (Stream<ObjectInfo> objects = store.list(prefix + CheckpointIds.encode(wholeCodePoints(idPrefix)))) {
      objects.forEach(info -> readListed(info.key(), idPrefix).ifPresent(found::add));
    }
    found.sort(Comparator.comparing(Checkpoint::id));
    return List.copyOf(found);
  }

  /** Does nothing: the {@code ObjectStore} belongs to the caller. */
  @Override
  public void close() {
    // The ObjectStore is shared with the rest of the Lifecycle and closed by its owner.
  }

  private Optional<Checkpoint> readListed(String key, String idPrefix) {
    if (!key.startsWith(prefix) || !key.endsWith(SUFFIX)) {
      LOG.warn("Skipping {} under the checkpoint prefix: not a checkpoint object", store.location(key));
      return Optional.empty();
    }
    String encoded = key.substring(prefix.length(), key.length() - SUFFIX.length());
    String id;
    try {
      id = CheckpointIds.validate(CheckpointIds.decode(encoded));
    } catch (IllegalArgumentException e) {
      LOG.warn("Skipping {} under the checkpoint prefix: its name is not an encoded checkpoint id ({})",
          store.location(key), e.getMessage());
      return Optional.empty();
    }
    if (!CheckpointIds.encode(id).equals(encoded)) {
      LOG.warn("Skipping {} under the checkpoint prefix: not the canonical key of checkpoint {}",
          store.location(key), id);
      return Optional.empty();
    }
    if (!id.startsWith(idPrefix)) {
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = store.read(key);
    } catch (ObjectNotFoundException deletedSinceListed) {
      return Optional.empty();
    }
    CheckpointJson.Stored stored = decode(bytes, key, id);
    return stored.tombstone() ? Optional.empty() : Optional.of(stored.checkpoint());
  }

  /**
   * Puts under {@code condition}; when the outcome is unclear (precondition failed, or a storage error)
   * reads the object back and decides by the write token.
   *
   * @return {@code true} if the object now holds this write, {@code false} if the precondition failed
   */
  private boolean putConfirmed(String key, byte[] bytes, WriteCondition condition, String token) {
    try {
      store.put(key, bytes, condition);
      return true;
    } catch (PreconditionFailedException refused) {
      if (holdsToken(key, token)) {
        LOG.info("Put of {} answered 'precondition failed' but the object holds this write (a retried request)",
            store.location(key));
        return true;
      }
      return false;
    } catch (StorageException failed) {
      try {
        if (holdsToken(key, token)) {
          LOG.info("Put of {} failed ({}) but the object holds this write (the acknowledgement was lost)",
              store.location(key), failed.getMessage());
          return true;
        }
      } catch (RuntimeException readBackFailed) {
        failed.addSuppressed(readBackFailed);
      }
      throw failed;
    }
  }

  private boolean holdsToken(String key, String token) {
    byte[] bytes;
    try {
      bytes = store.read(key);
    } catch (ObjectNotFoundException absent) {
      return false;
    }
    // A cheap check first: the token is a UUID that appears nowhere else in the object.
    if (!new String(bytes, StandardCharsets.UTF_8).contains(token)) {
      return false;
    }
    return token.equals(CheckpointJson.decode(bytes, store.location(key)).writeToken());
  }

  private record Current(CheckpointJson.Stored stored, String etag) {}

  /** The object and the etag to replace it with; the etag is taken first, so a race only makes the put fail. */
  private Optional<Current> readWithEtag(String key, String id) {
    Optional<ObjectInfo> info = store.stat(key);
    if (info.isEmpty()) {
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = store.read(key);
    } catch (ObjectNotFoundException deletedSinceStat) {
      return Optional.empty();
    }
    return Optional.of(new Current(decode(bytes, key, id), info.get().etag()));
  }

  private CheckpointJson.Stored decode(byte[] bytes, String key, String id) {
    CheckpointJson.Stored stored = CheckpointJson.decode(bytes, store.location(key));
    if (!stored.checkpoint().id().equals(id)) {
      throw new LifecycleException(String.format(Locale.ROOT,
          "Cannot read checkpoint object %s: it holds id '%s', not '%s' (it was copied or renamed; restore or"
              + " delete it)", store.location(key), stored.checkpoint().id(), id));
    }
    return stored;
  }

  private boolean isStale(Current tombstone) {
    Instant deletedAt = tombstone.stored().checkpoint().updatedAt();
    return !clock.instant().isBefore(deletedAt.plus(Duration.ofSeconds(TOMBSTONE_GRACE_SECONDS)));
  }

  private String key(String id) {
    String encoded = CheckpointIds.encode(CheckpointIds.validate(id));
    for (String segment : encoded.split("/")) {
      if (segment.length() > MAX_SEGMENT_CHARS) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Invalid checkpoint id '%s': segment '%s' is %d characters once encoded, over the limit of %d"
                + " (shorten it or split it with '/')", id, segment, segment.length(), MAX_SEGMENT_CHARS));
      }
    }
    return prefix + encoded + SUFFIX;
  }

  /** {@code text} without a trailing lone high surrogate, whose UTF-8 form would not be a prefix of any id. */
  private static String wholeCodePoints(String text) {
    if (!text.isEmpty() && Character.isHighSurrogate(text.charAt(text.length() - 1))) {
      return text.substring(0, text.length() - 1);
    }
    return text;
  }

  private static CheckpointConflictException conflict(String id, long expectedVersion, Optional<Current> current) {
    Checkpoint found = current.filter(c -> !c.stored().tombstone()).map(c -> c.stored().checkpoint()).orElse(null);
    if (found == null && current.isPresent()) {
      return new CheckpointConflictException(String.format(Locale.ROOT,
          "Cannot write checkpoint %s at expected version %d: it is being deleted (re-read and retry in %d s)",
          id, expectedVersion, TOMBSTONE_GRACE_SECONDS));
    }
    return InMemoryCheckpointStore.conflict(id, expectedVersion, found);
  }
}
