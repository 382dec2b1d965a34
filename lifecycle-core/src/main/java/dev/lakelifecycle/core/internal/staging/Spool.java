package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.TableId;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One spool directory, owned by one stager at a time through an exclusive lock on its {@code LOCK} file (held
 * across processes with {@link FileChannel#tryLock()}, and within this JVM as well). It holds a random
 * {@code spool-id}, written once, that makes the spool's commit keys unique, and one sub-directory per table
 * ({@code <tenant>/<dataset>/<table>/}, see {@link TableSpool}).
 */
final class Spool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
  static final String LOCK = "LOCK";
  static final String ID = "spool-id";

  final Path dir;
  final String id;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private Spool(Path dir, String id, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.id = id;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Opens (creating it if needed) and locks {@code dir}.
   *
   * @return the spool, or {@code null} if another stager (in this or another process) holds it
   * @throws IOException if the directory cannot be created or read
   */
  static Spool tryOpen(Path dir) throws IOException {
    for (int attempt = 0; attempt < 3; attempt++) {
      Files.createDirectories(dir);
      Path lockFile = dir.resolve(LOCK);
      FileChannel ch;
      try {
        ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      } catch (NoSuchFileException e) {
        // An adopter deleted the directory between createDirectories and open: start again.
        continue;
      }
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        ch.close();
        return null;
      }
      if (!Files.exists(lockFile)) {
        // Locked a file an adopter had just deleted with its directory: that lock protects nothing.
        lock.release();
        ch.close();
        continue;
      }
      try {
        return new Spool(dir, readOrCreateId(dir), ch, lock);
      } catch (IOException | RuntimeException e) {
        lock.release();
        ch.close();
        throw e;
      }
    }
    throw new IOException("the directory " + dir + " keeps disappearing while it is being opened");
  }

  private static String readOrCreateId(Path dir) throws IOException {
    Path p = dir.resolve(ID);
    if (Files.exists(p)) {
      String id = Files.readString(p, StandardCharsets.US_ASCII).trim();
      if (!id.matches("[0-9a-f]{12}")) {
        throw new IOException("unreadable spool id in " + p + ": '" + id + "'");
      }
      return id;
    }
    String id = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Path tmp = dir.resolve(ID + ".tmp");
    Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE);
    forceDirectory(dir);
    return id;
  }

  /** Every table with a directory in this spool, sorted by path. */
  List<TableId> tables() throws IOException {
    List<TableId> out = new ArrayList<>();
    try (Stream<Path> s = Files.find(dir, 3, (p, a) -> a.isDirectory() && dir.relativize(p).getNameCount() == 3)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path rel = dir.relativize(p);
        try {
          out.add(TableId.of(rel.getName(0).toString(), rel.getName(1).toString(), rel.getName(2).toString()));
        } catch (IllegalArgumentException e) {
          LOG.warn("Ignoring {} in the staging directory: not a table directory ({})", p, e.getMessage());
        }
      }
    }
    out.sort(Comparator.comparing(TableId::path));
    return out;
  }

  /** Forces a directory's entries (new, renamed or deleted files) to disk. */
  static void forceDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems (and platforms) refuse to open or force a directory; the data files are forced anyway.
      if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win")) {
        throw e;
      }
    }
  }

  /** Deletes the whole spool directory; call only when no table holds an uncommitted record. */
  void deleteAll() throws IOException {
    List<Path> paths;
    try (Stream<Path> s = Files.walk(dir)) {
      paths = s.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : paths) {
      if (!p.equals(dir) && !p.equals(dir.resolve(LOCK))) {
        Files.deleteIfExists(p);
      }
    }
    // The lock file goes last, still locked, so no one else opens a half-deleted spool.
    Files.deleteIfExists(dir.resolve(LOCK));
    Files.deleteIfExists(dir);
  }

  @Override
  public void close() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      throw new LifecycleException("Cannot release the lock of the staging directory " + dir, e);
    }
  }
}
