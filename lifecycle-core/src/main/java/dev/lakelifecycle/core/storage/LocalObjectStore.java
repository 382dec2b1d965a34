package dev.lakelifecycle.core.storage;

import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ObjectStore} on a local (or locally mounted, POSIX) directory: each key is a file under the
 * root, {@code /} separating directories.
 *
 * <h2>Locations</h2>
 * {@link #root()} is {@code file:/abs/root/} (percent-encoded only where a URI requires it).
 * {@link #location(String)} is {@code "file:" + absoluteRootPath + "/" + key} with every character of the
 * key kept raw (as Hadoop's {@code Path.toString()} prints it). {@link #keyOf(String)} reads:
 * <ul>
 *   <li>{@code file:/abs/path} and a bare {@code /abs/path} as raw characters (so
 *       {@code keyOf(location(k)).get().equals(k)} for every valid key, including keys with {@code %});
 *       if the raw reading is not inside the root, the percent-decoded reading is tried (the form
 *       {@code java.io.File.toURI()} prints);</li>
 *   <li>{@code file:///abs/path} and {@code file://localhost/abs/path} (the form of {@code Path.toUri()} and
 *       of {@code java.net.URI}) as percent-encoded UTF-8.</li>
 * </ul>
 * {@code .} and {@code ..} segments are resolved first; anything that then lies outside the root (including
 * a sibling directory sharing a name prefix with it), the root itself, a directory form ending with
 * {@code /}, and the store's internal {@code .tmp/} directory give an empty result.
 *
 * <h2>Keys</h2>
 * Relative, {@code /}-separated, without empty, {@code .} or {@code ..} segments, without a trailing
 * {@code /}, NUL or unpaired surrogates, and not under the reserved top-level {@code .tmp/}. Spaces,
 * {@code = : % ~} and any other Unicode are fine. Unlike S3, a local directory cannot hold both an object
 * {@code a} and an object {@code a/b}: such a write fails with a {@link StorageException} naming both.
 *
 * <h2>Writes</h2>
 * Every write goes to a fresh file in {@code <root>/.tmp/} (same file system), is fsynced, then renamed
 * (or, for create-if-absent, hard-linked, which fails if the target exists) into place, and the target's
 * directory is fsynced: readers see the whole old object or the whole new one, never a part, and a crash
 * leaves at most an orphaned temp file (removed when a store is opened on the root a day later).
 * Every mutation of a key (put, streaming publish, delete) holds that key's lock stripe: an in-JVM lock
 * shared by all stores on the root, plus an OS file lock on {@code <root>/.tmp/locks/NN.lock}, so
 * replace-if-etag-matches is atomic against other threads and other processes that use this class. The
 * file system must support advisory locks (local file systems do; some network mounts do not).
 *
 * <h2>Etags and times</h2>
 * The etag is a hash of the file's identity (device and inode), its size and its modification time. Every
 * write creates a new file, so a rewrite changes the inode; because inodes are reused after a file is
 * freed, each write also stamps the file's modification time with this store's clock in microseconds,
 * raised where needed so that stamps strictly increase across all writes this JVM makes under one root. Two versions of
 * one key therefore never share an etag unless two processes' clocks stamp the same microsecond onto a
 * reused inode with the same size. The stamp is also {@link ObjectInfo#lastModified()}; a clock that is
 * moved backwards yields stamps just after the latest one issued. On file systems that keep modification
 * times in whole seconds, etags rely on inode changes alone.
 *
 * <h2>Listing</h2>
 * Lazy and depth-first: one directory's entries are read and sorted at a time (memory is bounded by the
 * largest single directory plus the depth), ordered by code point, which equals UTF-8 byte order, with a
 * directory {@code d} sorting as {@code d/} so that {@code a-b} (0x2D) comes before {@code a/b} (0x2F).
 * Symbolic links are neither objects nor prefixes and are not followed.
 *
 * <p>Thread-safe. After {@link #close()} every operation throws {@link IllegalStateException}; streaming
 * writes still open are aborted.
 */
public final class LocalObjectStore implements ObjectStore {
  private static final Logger LOG = LoggerFactory.getLogger(LocalObjectStore.class);

  /** Reserved top-level directory for temp files and lock files; never listed, never a key. */
  static final String TMP_DIR = ".tmp";
  private static final int LOCK_STRIPES = 64;
  private static final Duration STALE_TEMP_AGE = Duration.ofDays(1);
  private static final int RENAME_ATTEMPTS = 10;
  private static final int OUTPUT_BUFFER_BYTES = 64 * 1024;

  /**
   * Latest modification stamp issued in this JVM per real root directory, in microseconds since the epoch.
   * Per root, not global: stores on other roots may run on other clocks (a test's) and must not drag each
   * other's stamps along.
   */
  private static final ConcurrentHashMap<Path, AtomicLong> LAST_STAMP_MICROS = new ConcurrentHashMap<>();
  /** In-JVM half of each lock stripe, shared by every store on the same root (file locks are per process). */
  private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path rootPath;
  private final Path realRootPath;
  private final String rootLocation;
  private final URI rootUri;
  private final Path tmpDir;
  private final Path lockDir;
  private final Clock clock;
  private final boolean fsync;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<LocalOutput> openOutputs = ConcurrentHashMap.newKeySet();

  /**
   * Opens (creating if missing) a store rooted at {@code root}, stamping writes with the system clock.
   *
   * @param root a directory; relative paths are resolved against the working directory
   * @throws StorageException if the directory cannot be created or is not a directory
   */
  public LocalObjectStore(Path root) {
    this(root, Clock.systemUTC(), true);
  }

  private LocalObjectStore(Path root, Clock clock, boolean fsync) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.fsync = fsync;
    this.rootPath = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    this.tmpDir = rootPath.resolve(TMP_DIR);
    try {
      Files.createDirectories(rootPath);
      this.realRootPath = rootPath.toRealPath();
      // Keyed by the real path so that stores opened through different spellings (symlinks) share locks.
      this.lockDir = realRootPath.resolve(TMP_DIR).resolve("locks");
      Files.createDirectories(lockDir);
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot open local object store at %s: %s (check that the path is a writable directory)",
          rootPath, e), e);
    }
    String raw = rootPath.toString();
    this.rootLocation = "file:" + (raw.endsWith("/") ? raw : raw + "/");
    try {
      this.rootUri = new URI("file", null, raw.endsWith("/") ? raw : raw + "/", null);
    } catch (URISyntaxException e) {
      throw new StorageException("Cannot form a file: URI for " + rootPath, e);
    }
    removeStaleTempFiles();
  }

  /** Opens (creating if missing) a store rooted at {@code root}, stamping writes with the system clock. */
  public static LocalObjectStore create(Path root) {
    return new LocalObjectStore(root, Clock.systemUTC(), true);
  }

  /**
   * Opens (creating if missing) a store rooted at {@code root} whose writes are stamped with {@code clock}
   * ({@link ObjectInfo#lastModified()}), so that tests driving a clock by hand see object ages move with it.
   */
  public static LocalObjectStore create(Path root, Clock clock) {
    return new LocalObjectStore(root, clock, true);
  }

  /** A builder for a store rooted at {@code root}, for the settings {@link #create(Path)} leaves at defaults. */
  public static Builder builder(Path root) {
    return new Builder(Objects.requireNonNull(root, "root"));
  }

  /** Settings of a {@link LocalObjectStore}. Not thread-safe; {@link #build()} may be called more than once. */
  public static final class Builder {
    private final Path root;
    private Clock clock = Clock.systemUTC();
    private boolean fsync = true;

    private Builder(Path root) {
      this.root = root;
    }

    /** The clock that stamps {@link ObjectInfo#lastModified()} of writes. Default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Whether each write fsyncs the file and its directory before it returns. Default {@code true}. With
     * {@code false} writes are still atomic and whole for readers and across process crashes, but a power
     * loss or kernel crash may lose recent writes: for tests and scratch data only.
     */
    public Builder fsync(boolean fsync) {
      this.fsync = fsync;
      return this;
    }

    /** Opens (creating if missing) the root directory. */
    public LocalObjectStore build() {
      return new LocalObjectStore(root, clock, fsync);
    }
  }

  /** The root directory, absolute and normalised. */
  public Path rootPath() {
    return rootPath;
  }

  @Override
  public URI root() {
    return rootUri;
  }

  @Override
  public String location(String key) {
    // A prefix ending in '/' names a directory-like location such as a table's root: check it without the '/'.
    if (!key.isEmpty()) {
      Keys.check(key.endsWith("/") ? key.substring(0, key.length() - 1) : key);
    }
    return rootLocation + key;
  }

  @Override
  public Optional<String> keyOf(String location) {
    Objects.requireNonNull(location, "location");
    String path;
    boolean encoded;
    String lower = location.length() >= 7 ? location.substring(0, 7).toLowerCase(Locale.ROOT) : "";
    if (lower.startsWith("file://")) {
      int slash = location.indexOf('/', 7);
      if (slash < 0) {
        return Optional.empty();
      }
      String authority = location.substring(7, slash);
      if (!authority.isEmpty() && !authority.equalsIgnoreCase("localhost")) {
        return Optional.empty();
      }
      path = location.substring(slash);
      encoded = true;
    } else if (lower.startsWith("file:/")) {
      path = location.substring(5);
      encoded = false;
    } else if (location.startsWith("/")) {
      path = location;
      encoded = false;
    } else {
      return Optional.empty();
    }
    if (encoded) {
      String decoded = Keys.percentDecode(path);
      return decoded == null ? Optional.empty() : keyOfPath(decoded);
    }
    Optional<String> raw = keyOfPath(path);
    if (raw.isPresent() || path.indexOf('%') < 0) {
      return raw;
    }
    String decoded = Keys.percentDecode(path);
    return decoded == null ? Optional.empty() : keyOfPath(decoded);
  }

  private Optional<String> keyOfPath(String absolutePath) {
    if (absolutePath.endsWith("/") || absolutePath.indexOf('\0') >= 0) {
      return Optional.empty();
    }
    List<String> segments = Keys.normalizeSegments(absolutePath);
    if (segments == null) {
      return Optional.empty();
    }
    for (Path r : new Path[] {rootPath, realRootPath}) {
      List<String> rootSegments = Keys.normalizeSegments(r.toString());
      if (rootSegments != null && segments.size() > rootSegments.size()
          && segments.subList(0, rootSegments.size()).equals(rootSegments)) {
        String key = String.join("/", segments.subList(rootSegments.size(), segments.size()));
        return Keys.problem(key) == null ? Optional.of(key) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  @Override
  public Stream<ObjectInfo> list(String prefix, String startAfter) {
    Objects.requireNonNull(prefix, "prefix");
    ensureOpen();
    Lister lister = new Lister(prefix, startAfter);
    return StreamSupport.stream(
        Spliterators.spliteratorUnknownSize(lister, Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT),
        false);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    Keys.check(key);
    ensureOpen();
    Path file = pathOf(key);
    try {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return attrs.isRegularFile() ? Optional.of(info(key, attrs)) : Optional.empty();
    } catch (NoSuchFileException | NotDirectoryException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot stat %s: %s", location(key), e), e, true);
    }
  }

  @Override
  public SeekableInput open(String key) {
    Keys.check(key);
    ensureOpen();
    Path file = pathOf(key);
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw notFound(key);
      }
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      try {
        return new LocalInput(location(key), channel, channel.size());
      } catch (IOException | RuntimeException e) {
        closeQuietly(channel, key);
        throw e;
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      throw notFound(key);
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot open %s for reading: %s", location(key), e), e,
          true);
    }
  }

  @Override
  public byte[] read(String key) {
    try (SeekableInput in = open(key)) {
      long length = in.length();
      if (length > Integer.MAX_VALUE - 8) {
        throw new StorageException(String.format(Locale.ROOT,
            "Cannot read %s whole: %d bytes is too large (use open() and ranged reads)", location(key), length));
      }
      byte[] buf = new byte[(int) length];
      in.readFully(0, buf, 0, buf.length);
      return buf;
    }
  }

  @Override
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    Keys.check(key);
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(condition, "condition");
    ensureOpen();
    Path temp = newTempFile(key);
    try {
      BasicFileAttributes attrs;
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        attrs = stampAndSync(ch, temp);
      }
      publish(key, temp, condition);
      return info(key, attrs);
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT, "Cannot write %s: %s", location(key), e), e, true);
    } finally {
      deleteTemp(temp, key);
    }
  }

  @Override
  public ObjectOutput create(String key) {
    Keys.check(key);
    ensureOpen();
    Path temp = newTempFile(key);
    try {
      FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
      LocalOutput out = new LocalOutput(key, temp, channel);
      openOutputs.add(out);
      return out;
    } catch (IOException e) {
      deleteTemp(temp, key);
      throw new StorageException(String.format(Locale.ROOT, "Cannot start writing %s: %s", location(key), e), e, true);
    }
  }

  @Override
  public DeleteResult delete(Collection<String> keys) {
    Objects.requireNonNull(keys, "keys");
    ensureOpen();
    List<String> deleted = new ArrayList<>();
    Map<String, String> failed = new LinkedHashMap<>();
    Set<Path> touchedDirs = new LinkedHashSet<>();
    for (String key : new LinkedHashSet<>(keys)) {
      String problem = key == null ? "key is null" : Keys.problem(key);
      if (problem != null) {
        failed.put(String.valueOf(key), "invalid key: " + problem);
        continue;
      }
      Path file = pathOf(key);
      try {
        withKeyLock(key, () -> {
          BasicFileAttributes attrs;
          try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          } catch (NoSuchFileException | NotDirectoryException e) {
            return null;
          }
          // A directory is a prefix, not an object: the key names no object, which counts as deleted.
          if (!attrs.isDirectory()) {
            Files.deleteIfExists(file);
            touchedDirs.add(file.getParent());
          }
          return null;
        });
        deleted.add(key);
      } catch (IOException | StorageException e) {
        failed.put(key, e.toString());
      }
    }
    for (Path dir : touchedDirs) {
      removeEmptyParents(dir);
    }
    return new DeleteResult(deleted, failed);
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      for (LocalOutput out : List.copyOf(openOutputs)) {
        LOG.warn("Aborting streaming write of {} still open when the store was closed", out.location);
        out.abort();
      }
    }
  }

  @Override
  public String toString() {
    return "LocalObjectStore[" + rootLocation + "]";
  }

  // ---------------------------------------------------------------------------------------------------
  // Writing

  private Path newTempFile(String key) {
    Path temp = tmpDir.resolve(UUID.randomUUID() + ".tmp");
    try {
      Files.createDirectories(tmpDir);
      return Files.createFile(temp);
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot write %s: cannot create a temp file in %s: %s (check free space and permissions)",
          location(key), tmpDir, e), e, true);
    }
  }

  /** Sets the unique modification stamp, makes data and metadata durable, and returns the final attributes. */
  private BasicFileAttributes stampAndSync(FileChannel channel, Path temp) throws IOException {
    Instant now = clock.instant();
    long nowMicros = TimeUnit.SECONDS.toMicros(now.getEpochSecond()) + now.getNano() / 1000;
    long stamp = LAST_STAMP_MICROS.computeIfAbsent(realRootPath, r -> new AtomicLong())
        .updateAndGet(last -> Math.max(last + 1, nowMicros));
    Files.setLastModifiedTime(temp, FileTime.from(stamp, TimeUnit.MICROSECONDS));
    if (fsync) {
      channel.force(true);
    }
    return Files.readAttributes(temp, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Moves a complete, synced temp file to the key under the key's lock, honouring the condition.
   * The temp file may remain (hard-link path) and is deleted by the caller.
   */
  private void publish(String key, Path temp, WriteCondition condition) throws IOException {
    Path target = pathOf(key);
    withKeyLock(key, () -> {
      switch (condition.kind()) {
        case NONE -> moveIntoPlace(key, temp, target);
        case IF_ABSENT -> linkIntoPlace(key, temp, target);
        case IF_MATCH -> {
          Optional<ObjectInfo> current = statUnlocked(key, target);
          if (current.isEmpty()) {
            throw new PreconditionFailedException(String.format(Locale.ROOT,
                "Cannot replace %s if its etag is %s: the object does not exist (re-read it and retry, or create it "
                    + "with ifAbsent)", location(key), condition.etag()));
          }
          if (!current.get().etag().equals(condition.etag())) {
            throw new PreconditionFailedException(String.format(Locale.ROOT,
                "Cannot replace %s if its etag is %s: its etag is now %s (another writer changed it; re-read and "
                    + "retry)", location(key), condition.etag(), current.get().etag()));
          }
          moveIntoPlace(key, temp, target);
        }
        default -> throw new IllegalArgumentException("Unknown write condition " + condition);
      }
      return null;
    });
    syncDirectory(target.getParent());
  }

  private void moveIntoPlace(String key, Path temp, Path target) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        prepareParent(key, target);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          throw prefixConflict(key);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return;
      } catch (NoSuchFileException e) {
        // A concurrent delete removed the freshly created, still empty parent directory: create it again.
        if (attempt >= RENAME_ATTEMPTS || !Files.exists(temp, LinkOption.NOFOLLOW_LINKS)) {
          throw e;
        }
      } catch (AtomicMoveNotSupportedException e) {
        throw new StorageException(String.format(Locale.ROOT,
            "Cannot write %s: the file system cannot rename %s atomically into place (the root must be on one "
                + "local file system)", location(key), temp), e);
      }
    }
  }

  private void linkIntoPlace(String key, Path temp, Path target) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        prepareParent(key, target);
        Files.createLink(target, temp);
        return;
      } catch (FileAlreadyExistsException e) {
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          throw prefixConflict(key);
        }
        throw new PreconditionFailedException(String.format(Locale.ROOT,
            "Cannot create %s: an object already exists there (read it, or replace it with ifMatch(etag))",
            location(key)));
      } catch (NoSuchFileException e) {
        if (attempt >= RENAME_ATTEMPTS) {
          throw e;
        }
      } catch (UnsupportedOperationException e) {
        // No hard links on this file system; the key lock held here makes check-then-rename safe against
        // every writer that uses this class.
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
          throw new PreconditionFailedException(String.format(Locale.ROOT,
              "Cannot create %s: an object already exists there (read it, or replace it with ifMatch(etag))",
              location(key)));
        }
        moveIntoPlace(key, temp, target);
        return;
      }
    }
  }

  private void prepareParent(String key, Path target) throws IOException {
    Path parent = target.getParent();
    for (int attempt = 1; ; attempt++) {
      try {
        Files.createDirectories(parent);
        return;
      } catch (FileAlreadyExistsException e) {
        // createDirectories also throws this when a directory it found existing was removed (a concurrent
        // delete of the last key under it) before it checked it: only a regular file there is a real conflict.
        Path found = Path.of(e.getFile() == null ? parent.toString() : e.getFile());
        if (Files.isRegularFile(found, LinkOption.NOFOLLOW_LINKS) || attempt >= RENAME_ATTEMPTS) {
          throw new StorageException(String.format(Locale.ROOT,
              "Cannot write %s: %s is an object, and a local directory cannot hold an object and a key under it "
                  + "(choose keys where no key is a prefix directory of another)", location(key), e.getFile()), e);
        }
      }
    }
  }

  private StorageException prefixConflict(String key) {
    return new StorageException(String.format(Locale.ROOT,
        "Cannot write %s: other objects exist under %s/, and a local directory cannot hold an object and a key "
            + "under it (choose keys where no key is a prefix directory of another)", location(key), key));
  }

  private void syncDirectory(Path dir) {
    if (!fsync) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some platforms cannot open or sync a directory; the rename is still atomic, only its durability
      // across a power loss is then up to the file system.
      LOG.debug("Cannot fsync directory {}: {}", dir, e.toString());
    }
  }

  private void deleteTemp(Path temp, String key) {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      LOG.warn("Cannot delete temp file {} of {} (it is removed when a store opens on this root a day later): {}",
          temp, location(key), e.toString());
    }
  }

  private void removeStaleTempFiles() {
    Instant cutoff = clock.instant().minus(STALE_TEMP_AGE);
    int removed = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmpDir, "*.tmp")) {
      for (Path p : entries) {
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          if (a.isRegularFile() && a.lastModifiedTime().toInstant().isBefore(cutoff)) {
            Files.deleteIfExists(p);
            removed++;
          }
        } catch (IOException e) {
          LOG.warn("Cannot remove stale temp file {}: {}", p, e.toString());
        }
      }
    } catch (IOException e) {
      LOG.warn("Cannot scan {} for stale temp files: {}", tmpDir, e.toString());
    }
    if (removed > 0) {
      LOG.info("Removed {} temp files older than {} left by interrupted writes under {}", removed, STALE_TEMP_AGE,
          tmpDir);
    }
  }

  private void removeEmptyParents(Path dir) {
    Path d = dir;
    while (d != null && d.startsWith(rootPath) && !d.equals(rootPath)) {
      try {
        Files.delete(d);
      } catch (DirectoryNotEmptyException | NoSuchFileException e) {
        return;
      } catch (IOException e) {
        LOG.debug("Cannot remove empty directory {}: {}", d, e.toString());
        return;
      }
      d = d.getParent();
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Locking

  /** An action under the key's lock stripe. */
  @FunctionalInterface
  private interface LockedAction<T> {
    T run() throws IOException;
  }

  private <T> T withKeyLock(String key, LockedAction<T> action) throws IOException {
    int stripe = Math.floorMod(key.hashCode(), LOCK_STRIPES);
    Path lockFile = lockDir.resolve(String.format(Locale.ROOT, "%02d.lock", stripe));
    // The in-JVM lock must be held before the file lock: two channels of one JVM on one file would throw
    // OverlappingFileLockException, and closing any channel drops the process's POSIX lock on the file.
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
    jvmLock.lock();
    try {
      FileChannel ch;
      try {
        ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      } catch (NoSuchFileException e) {
        Files.createDirectories(lockDir);
        ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      }
      try (FileChannel channel = ch; FileLock ignored = channel.lock()) {
        return action.run();
      }
    } finally {
      jvmLock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Reading and attributes

  private Optional<ObjectInfo> statUnlocked(String key, Path file) throws IOException {
    try {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return attrs.isRegularFile() ? Optional.of(info(key, attrs)) : Optional.empty();
    } catch (NoSuchFileException | NotDirectoryException e) {
      return Optional.empty();
    }
  }

  private static ObjectInfo info(String key, BasicFileAttributes attrs) {
    Instant modified = attrs.lastModifiedTime().toInstant();
    return new ObjectInfo(key, attrs.size(), modified, etag(attrs.fileKey(), attrs.size(), modified));
  }

  /** Opaque, fixed-length tag of one version of a file: identity, size and modification time. */
  static String etag(Object fileKey, long size, Instant modified) {
    String identity = String.valueOf(fileKey) + '|' + size + '|' + modified.getEpochSecond() + '.' + modified.getNano();
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  private Path pathOf(String key) {
    return rootPath.resolve(key);
  }

  private ObjectNotFoundException notFound(String key) {
    return new ObjectNotFoundException(String.format(Locale.ROOT,
        "Cannot read %s: no such object (it was never written or has been deleted)", location(key)));
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("Local object store at " + rootLocation + " is closed");
    }
  }

  private static void closeQuietly(AutoCloseable c, String what) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.debug("Cannot close handle of {}: {}", what, e.toString());
    }
  }

  private static final class LocalInput implements SeekableInput {
    private final String location;
    private final FileChannel channel;
    private final long length;

    LocalInput(String location, FileChannel channel, long length) {
      this.location = location;
      this.channel = channel;
      this.length = length;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public void readFully(long position, byte[] buffer, int offset, int len) {
      Objects.checkFromIndexSize(offset, len, buffer.length);
      if (position < 0 || position > length - len) {
        throw new StorageException(String.format(Locale.ROOT,
            "Cannot read bytes [%d, %d) of %s: the object has %d bytes", position, position + len, location, length));
      }
      ByteBuffer buf = ByteBuffer.wrap(buffer, offset, len);
      long pos = position;
      try {
        while (buf.hasRemaining()) {
          int n = channel.read(buf, pos);
          if (n < 0) {
            throw new StorageException(String.format(Locale.ROOT,
                "Cannot read bytes [%d, %d) of %s: the file ended at %d (it was truncated outside this store)",
                position, position + len, location, pos));
          }
          pos += n;
        }
      } catch (IOException e) {
        throw new StorageException(String.format(Locale.ROOT, "Cannot read bytes [%d, %d) of %s: %s",
            position, position + len, location, e), e, true);
      }
    }

    @Override
    public void close() {
      closeQuietly(channel, location);
    }
  }

  private final class LocalOutput extends ObjectOutput {
    private final String key;
    private final String location;
    private final Path temp;
    private final FileChannel channel;
    private final OutputStream out;
    private long position;
    private boolean finished;
    private boolean aborted;
    private ObjectInfo result;

    LocalOutput(String key, Path temp, FileChannel channel) {
      this.key = key;
      this.location = location(key);
      this.temp = temp;
      this.channel = channel;
      this.out = new BufferedOutputStream(Channels.newOutputStream(channel), OUTPUT_BUFFER_BYTES);
    }

    @Override
    public synchronized void write(int b) throws IOException {
      ensureWritable();
      try {
        out.write(b);
      } catch (IOException e) {
        throw failed(e);
      }
      position++;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      ensureWritable();
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw failed(e);
      }
      position += len;
    }

    @Override
    public synchronized void flush() throws IOException {
      ensureWritable();
      out.flush();
    }

    @Override
    public synchronized long position() {
      return position;
    }

    @Override
    public synchronized void abort() {
      if (finished) {
        return;
      }
      finished = true;
      aborted = true;
      openOutputs.remove(this);
      closeQuietly(channel, location);
      deleteTemp(temp, key);
    }

    @Override
    public synchronized void close() throws IOException {
      if (finished) {
        return;
      }
      ensureOpen();
      finished = true;
      openOutputs.remove(this);
      try {
        BasicFileAttributes attrs;
        try (FileChannel ch = channel) {
          out.flush();
          attrs = stampAndSync(ch, temp);
        }
        publish(key, temp, WriteCondition.none());
        result = info(key, attrs);
      } catch (IOException e) {
        throw new IOException(String.format(Locale.ROOT, "Cannot publish %s: %s (nothing was written there)",
            location, e), e);
      } finally {
        deleteTemp(temp, key);
      }
    }

    @Override
    public synchronized ObjectInfo result() {
      if (result == null) {
        throw new IllegalStateException(aborted
            ? "The write of " + location + " was aborted: nothing was published"
            : "The write of " + location + " is not closed yet (or its close failed)");
      }
      return result;
    }

    private void ensureWritable() throws IOException {
      if (finished) {
        throw new IOException(String.format(Locale.ROOT, "Cannot write to %s: the write was already %s",
            location, aborted ? "aborted" : "closed"));
      }
    }

    private IOException failed(IOException e) {
      abort();
      return new IOException(String.format(Locale.ROOT, "Cannot write %s: %s (the write was aborted)", location, e),
          e);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Listing

  /** One directory entry: a file {@code name} or a directory sorting as {@code name + "/"}. */
  private record Entry(String sortName, String name, boolean directory) {}

  /** A directory being walked: its key prefix (ending in {@code /} or empty) and its sorted entries. */
  private static final class Frame {
    final String keyPrefix;
    final List<Entry> entries;
    int next;

    Frame(String keyPrefix, List<Entry> entries) {
      this.keyPrefix = keyPrefix;
      this.entries = entries;
    }
  }

  private final class Lister implements Iterator<ObjectInfo> {
    private final String prefix;
    private final String startAfter;
    private final Deque<Frame> stack = new ArrayDeque<>();
    private ObjectInfo pending;

    Lister(String prefix, String startAfter) {
      this.prefix = prefix;
      this.startAfter = startAfter;
      int slash = prefix.lastIndexOf('/');
      String dirKey = slash < 0 ? "" : prefix.substring(0, slash);
      String namePrefix = prefix.substring(slash + 1);
      if (!dirKey.isEmpty() && Keys.problem(dirKey) != null) {
        return; // no key can lie under a directory that is not a valid key path
      }
      Frame first = load(dirKey.isEmpty() ? "" : dirKey + "/", namePrefix);
      if (first != null) {
        stack.push(first);
      }
    }

    @Override
    public boolean hasNext() {
      while (pending == null && !stack.isEmpty()) {
        ensureOpen();
        Frame top = stack.peek();
        if (top.next >= top.entries.size()) {
          stack.pop();
          continue;
        }
        Entry e = top.entries.get(top.next++);
        if (e.directory()) {
          String subPrefix = top.keyPrefix + e.name() + "/";
          if (startAfter != null && Keys.compare(subPrefix, startAfter) < 0 && !startAfter.startsWith(subPrefix)) {
            continue; // every key under it sorts before startAfter
          }
          Frame sub = load(subPrefix, "");
          if (sub != null) {
            stack.push(sub);
          }
        } else {
          String key = top.keyPrefix + e.name();
          if ((startAfter != null && Keys.compare(key, startAfter) <= 0) || !key.startsWith(prefix)) {
            continue;
          }
          pending = statForListing(key);
        }
      }
      return pending != null;
    }

    @Override
    public ObjectInfo next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      ObjectInfo r = pending;
      pending = null;
      return r;
    }

    private ObjectInfo statForListing(String key) {
      try {
        return statUnlocked(key, pathOf(key)).orElse(null); // deleted since the directory was read: skip it
      } catch (IOException e) {
        throw new StorageException(String.format(Locale.ROOT, "Cannot list %s: stat of %s failed: %s",
            rootLocation + prefix, location(key), e), e, true);
      }
    }

    /** Reads and sorts one directory's entries whose names start with {@code namePrefix}; null if absent. */
    private Frame load(String keyPrefix, String namePrefix) {
      Path dir = keyPrefix.isEmpty() ? rootPath : rootPath.resolve(keyPrefix.substring(0, keyPrefix.length() - 1));
      TreeSet<Entry> sorted = new TreeSet<>((a, b) -> Keys.compare(a.sortName(), b.sortName()));
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path p : entries) {
          String name = p.getFileName().toString();
          if (!name.startsWith(namePrefix) || (keyPrefix.isEmpty() && name.equals(TMP_DIR))) {
            continue;
          }
          BasicFileAttributes a;
          try {
            a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          } catch (NoSuchFileException e) {
            continue;
          }
          if (a.isDirectory()) {
            sorted.add(new Entry(name + "/", name, true));
          } else if (a.isRegularFile()) {
            sorted.add(new Entry(name, name, false));
          }
        }
      } catch (NoSuchFileException | NotDirectoryException e) {
        return null;
      } catch (IOException | UncheckedIOException e) {
        throw new StorageException(String.format(Locale.ROOT, "Cannot list %s: reading directory %s failed: %s",
            rootLocation + prefix, dir, e), e, true);
      }
      return new Frame(keyPrefix, new ArrayList<>(sorted));
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Keys

  /** Key validation, ordering and location parsing. */
  static final class Keys {
    private Keys() {}

    static void check(String key) {
      Objects.requireNonNull(key, "key");
      String problem = problem(key);
      if (problem != null) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Invalid object key '%s': %s (keys are relative, /-separated, without empty, '.' or '..' segments, "
                + "and not under the reserved %s/)", key, problem, TMP_DIR));
      }
    }

    /** Why the key is invalid, or null if it is valid. */
    static String problem(String key) {
      if (key.isEmpty()) {
        return "it is empty";
      }
      if (key.startsWith("/")) {
        return "it starts with '/'";
      }
      if (key.endsWith("/")) {
        return "it ends with '/'";
      }
      if (key.contains("//")) {
        return "it contains an empty segment '//'";
      }
      if (key.indexOf('\0') >= 0) {
        return "it contains a NUL character";
      }
      for (int i = 0; i < key.length(); i++) {
        char c = key.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1))) {
          i++;
        } else if (Character.isSurrogate(c)) {
          return "it contains an unpaired surrogate at index " + i;
        }
      }
      int start = 0;
      boolean first = true;
      while (start <= key.length()) {
        int end = key.indexOf('/', start);
        if (end < 0) {
          end = key.length();
        }
        String segment = key.substring(start, end);
        if (segment.equals(".") || segment.equals("..")) {
          return "it contains a '" + segment + "' segment";
        }
        if (first && segment.equals(TMP_DIR)) {
          return "'" + TMP_DIR + "/' is reserved for the store's temp files";
        }
        first = false;
        start = end + 1;
      }
      return null;
    }

    /** Compares by Unicode code point, which is UTF-8 byte order (String.compareTo is not, past U+FFFF). */
    static int compare(String a, String b) {
      int i = 0;
      int j = 0;
      while (i < a.length() && j < b.length()) {
        int ca = a.codePointAt(i);
        int cb = b.codePointAt(j);
        if (ca != cb) {
          return Integer.compare(ca, cb);
        }
        i += Character.charCount(ca);
        j += Character.charCount(cb);
      }
      return Integer.compare(a.length() - i, b.length() - j);
    }

    /** The segments of an absolute path after resolving {@code .}, {@code ..} and empty segments; null if it escapes. */
    static List<String> normalizeSegments(String absolutePath) {
      List<String> out = new ArrayList<>();
      for (String s : absolutePath.split("/")) {
        if (s.isEmpty() || s.equals(".")) {
          continue;
        }
        if (s.equals("..")) {
          if (out.isEmpty()) {
            return null;
          }
          out.remove(out.size() - 1);
        } else {
          out.add(s);
        }
      }
      return out;
    }

    /** Decodes {@code %XX} escapes as UTF-8; null if an escape is malformed or the bytes are not UTF-8. */
    static String percentDecode(String s) {
      if (s.indexOf('%') < 0) {
        return s;
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < utf8.length; i++) {
        byte b = utf8[i];
        if (b == '%') {
          if (i + 2 >= utf8.length) {
            return null;
          }
          int hi = Character.digit(utf8[i + 1], 16);
          int lo = Character.digit(utf8[i + 2], 16);
          if (hi < 0 || lo < 0) {
            return null;
          }
          bytes.write(hi * 16 + lo);
          i += 2;
        } else {
          bytes.write(b);
        }
      }
      try {
        return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
      } catch (java.nio.charset.CharacterCodingException e) {
        return null;
      }
    }
  }
}
