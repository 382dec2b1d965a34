package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool files of one table: append-only segments of {@link SpoolCodec} frames, and a small {@code state} file.
 *
 * <p>Records are numbered by a per-table sequence that never restarts: a segment is named by the sequence number
 * of its first record ({@code 00000000000000000042.seg}) and its records follow one another. The {@code state}
 * file, replaced atomically (write, fsync, rename, fsync the directory), holds the <em>watermark</em> (every
 * record up to it is committed to the catalog) and the <em>intent</em>: the range of the flush under way, written
 * before that flush commits, so that after a crash the range and its commit key are known again. A segment is
 * deleted once every record in it is at or below the watermark.
 *
 * <p>The active segment is extended with zeros {@link #PREALLOCATE} bytes at a time ahead of the records written
 * into it, so that forcing a record is a data-only {@code fdatasync}: no file-size change, hence (on ext4, XFS)
 * no journal commit that would also wait for other files' dirty data, such as the Parquet files a flush is
 * writing. A closed segment is truncated to its records; recovery cuts off a zero tail (preallocated space, not a
 * torn record) without counting it.
 *
 * <p>Thread-safety: {@link #append} and the segment bookkeeping are guarded by this object's monitor; reads of
 * records already written use positional reads and need no lock. The state file is written under a lock of its
 * own and outside the monitor, so an append never waits for a flush's state-file fsyncs (the flush of a table is
 * the only writer of its state, serialised by the stager).
 */
final class TableSpool {
  private static final Logger LOG = LoggerFactory.getLogger(TableSpool.class);
  private static final String SEGMENT_SUFFIX = ".seg";
  private static final String STATE = "state";
  /** Bytes of zeros the active segment is extended by ahead of its records. */
  static final int PREALLOCATE = 4 << 20;
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

  /** One segment file. */
  static final class Segment {
    final Path path;
    final long firstSeq;
    FileChannel channel;
    /** Bytes of records written (guarded by the spool's monitor). */
    long size;
    /** Length of the file: {@link #size} plus zeros written ahead (guarded by the spool's monitor). */
    long allocated;
    /** Sequence number of the last record written, or firstSeq - 1 if none. */
    long lastSeq;
    /** Bytes known to be on disk (written by the sync thread or a batch-durability append). */
    volatile long synced;
    volatile boolean failed;

    Segment(Path path, long firstSeq) {
      this.path = path;
      this.firstSeq = firstSeq;
      this.lastSeq = firstSeq - 1;
    }
  }

  /** Where one record lives, and what it holds. */
  record Entry(long seq, Segment segment, long offset, int frameBytes, int rows, long stagedAtMillis) {}

  /** The recovered state file. */
  record State(long watermark, long intentFirst, long intentLast) {
    boolean hasIntent() {
      return intentFirst >= 0;
    }
  }

  final TableId id;
  final Path dir;
  private final long segmentBytes;
  private final List<Segment> segments = new ArrayList<>();
  private Segment active;
  private long nextSeq = 1;
  private volatile State state = new State(0, -1, -1);
  /** Serialises state-file writes; never held together with this object's monitor while waiting for the disk. */
  private final Object stateLock = new Object();

  TableSpool(TableId id, Path dir, long segmentBytes) {
    this.id = id;
    this.dir = dir;
    this.segmentBytes = segmentBytes;
  }

  static Path dirOf(Path spoolDir, TableId id) {
    return spoolDir.resolve(id.tenant()).resolve(id.dataset()).resolve(id.table());
  }

  /** Recovery counts of one scan. */
  record ScanResult(int records, int tornRecords, long tornBytes) {}

  /**
   * Reads the state and every segment, keeps every complete record above the watermark (handed to
   * {@code keep} in sequence order), truncates a torn or garbled tail, and deletes segments wholly committed.
   */
  synchronized ScanResult recover(Consumer<Entry> keep) throws IOException {
    state = readState();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(SEGMENT_SUFFIX)).sorted().toList();
    }
    int records = 0;
    int torn = 0;
    long tornBytes = 0;
    long lastSeq = state.watermark();
    byte[] buf = new byte[1 << 16];
    for (int i = 0; i < files.size(); i++) {
      Path file = files.get(i);
      long first = Long.parseLong(file.getFileName().toString().replace(SEGMENT_SUFFIX, ""));
      Segment seg = new Segment(file, first);
      long seq = first;
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        long size = ch.size();
        long pos = 0;
        ByteBuffer header = ByteBuffer.allocate(SpoolCodec.FRAME_HEADER);
        List<Entry> entries = new ArrayList<>();
        while (pos < size) {
          String bad = null;
          int len = 0;
          header.clear();
          if (size - pos < SpoolCodec.FRAME_HEADER) {
            bad = "a frame header cut short";
          } else {
            readFully(ch, header, pos);
            byte[] h = header.array();
            len = SpoolCodec.i32(h, 4);
            if (SpoolCodec.i32(h, 0) != SpoolCodec.MAGIC) {
              bad = "a bad frame marker";
            } else if (len < 14 || len > size - pos - SpoolCodec.FRAME_HEADER) {
              bad = "a frame length past the end of the file";
            } else {
              if (buf.length < len) {
                buf = new byte[Math.max(len, buf.length * 2)];
              }
              readFully(ch, ByteBuffer.wrap(buf, 0, len), pos + SpoolCodec.FRAME_HEADER);
              if (SpoolCodec.crc(buf, 0, len) != SpoolCodec.i32(h, 8)) {
                bad = "a checksum mismatch";
              }
            }
          }
          if (bad != null && allZero(ch, pos, size)) {
            // Space preallocated by a writer that stopped (a crash, or a close that could not truncate).
            LOG.debug("Staging spool of {}: cutting off {} preallocated zero bytes of {} at byte {}", id, size - pos,
                file, pos);
            ch.truncate(pos);
            ch.force(true);
            size = pos;
            break;
          }
          if (bad != null) {
            torn++;
            tornBytes += size - pos;
            if (i < files.size() - 1) {
              // Not the tail of the spool: keep the bytes for inspection before cutting them off.
              Path aside = dir.resolve(file.getFileName() + "." + pos + ".corrupt");
              try (FileChannel out = FileChannel.open(aside, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                  StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.transferTo(pos, size - pos, out);
                out.force(true);
              }
              LOG.error("Staging spool segment {} of {} is corrupt at byte {} ({}), before its end: the {} bytes "
                  + "from there were moved to {}; the records before it are kept", file, id, pos, bad, size - pos, aside);
            } else {
              LOG.warn("Staging spool of {}: truncating a torn last record in {} at byte {} ({}, {} bytes); it was "
                  + "never acknowledged", id, file, pos, bad, size - pos);
            }
            ch.truncate(pos);
            ch.force(true);
            size = pos;
            break;
          }
          int rows = SpoolCodec.i32(buf, SpoolCodec.PAYLOAD_ROWS);
          long stagedAt = SpoolCodec.i64(buf, 0);
          entries.add(new Entry(seq, seg, pos, SpoolCodec.FRAME_HEADER + len, rows, stagedAt));
          pos += SpoolCodec.FRAME_HEADER + len;
          seq++;
        }
        seg.size = size;
        seg.allocated = size;
        seg.synced = size;
        seg.lastSeq = seq - 1;
        for (Entry e : entries) {
          if (e.seq() > state.watermark()) {
            keep.accept(e);
            records++;
          }
        }
      }
      lastSeq = Math.max(lastSeq, seg.lastSeq);
      if (seg.lastSeq <= state.watermark()) {
        Files.deleteIfExists(file);
      } else {
        segments.add(seg);
      }
    }
    nextSeq = Math.max(lastSeq, state.watermark()) + 1;
    return new ScanResult(records, torn, tornBytes);
  }

  /** Whether bytes {@code [from, to)} of {@code ch} are all zero. */
  private static boolean allZero(FileChannel ch, long from, long to) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(1 << 16);
    for (long pos = from; pos < to; ) {
      b.clear();
      b.limit((int) Math.min(b.capacity(), to - pos));
      readFully(ch, b, pos);
      byte[] a = b.array();
      for (int i = 0, n = b.limit(); i < n; i++) {
        if (a[i] != 0) {
          return false;
        }
      }
      pos += b.limit();
    }
    return true;
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, pos + b.position());
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }

  /**
   * Appends one frame and returns its entry; the caller then waits until it is durable.
   *
   * @param durableNow force the write before returning (batch durability)
   */
  synchronized Entry append(byte[] frame, int length, int rows, long stagedAtMillis, boolean durableNow)
      throws IOException {
    if (active == null || active.failed || active.size >= segmentBytes) {
      roll();
    }
    Segment seg = active;
    long offset = seg.size;
    ByteBuffer b = ByteBuffer.wrap(frame, 0, length);
    try {
      if (offset + length > seg.allocated) {
        extend(seg, offset + length + PREALLOCATE);
      }
      while (b.hasRemaining()) {
        seg.channel.write(b, offset + b.position());
      }
    } catch (IOException e) {
      // Whatever part was written is cut off, so recovery never sees half a record followed by good ones.
      seg.failed = true;
      try {
        seg.channel.truncate(offset);
        seg.allocated = offset;
      } catch (IOException te) {
        e.addSuppressed(te);
      }
      throw e;
    }
    seg.size = offset + length;
    long seq = nextSeq++;
    seg.lastSeq = seq;
    if (durableNow) {
      seg.channel.force(false);
      seg.synced = seg.size;
    }
    return new Entry(seq, seg, offset, length, rows, stagedAtMillis);
  }

  /** Writes zeros from the end of {@code seg}'s file to {@code to}. */
  private static void extend(Segment seg, long to) throws IOException {
    long pos = seg.allocated;
    while (pos < to) {
      ByteBuffer z = ZEROS.duplicate();
      z.limit((int) Math.min(z.capacity(), to - pos));
      while (z.hasRemaining()) {
        pos += seg.channel.write(z, pos);
      }
    }
    seg.allocated = pos;
  }

  /** Closes the active segment (forcing it) and starts a new one at the next sequence number. */
  private void roll() throws IOException {
    if (active != null) {
      closeActive();
    }
    Files.createDirectories(dir);
    Path file = dir.resolve(String.format(Locale.ROOT, "%020d%s", nextSeq, SEGMENT_SUFFIX));
    Segment seg = new Segment(file, nextSeq);
    seg.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    // The new file's directory entry must be durable too, or a crash could lose the whole segment.
    Spool.forceDirectory(dir);
    segments.add(seg);
    active = seg;
  }

  private void closeActive() throws IOException {
    Segment seg = active;
    active = null;
    if (!seg.failed) {
      if (seg.allocated > seg.size) {
        seg.channel.truncate(seg.size);
        seg.allocated = seg.size;
      }
      seg.channel.force(false);
      seg.synced = seg.size;
    }
    // Readers reopen closed segments on demand.
    seg.channel.close();
    seg.channel = null;
  }

  /** The active segment to force and how far, read together; {@code null} if nothing is pending. */
  synchronized Segment activeSegment() {
    return active;
  }

  synchronized long writtenSize(Segment seg) {
    return seg.size;
  }

  /** Forces {@code seg} up to what was written when called; returns that size. */
  long force(Segment seg) throws IOException {
    long target;
    FileChannel ch;
    synchronized (this) {
      target = seg.size;
      ch = seg.channel;
    }
    if (ch != null && target > seg.synced) {
      ch.force(false);
      seg.synced = Math.max(seg.synced, target);
    }
    return target;
  }

  /**
   * Reads one record's payload (without the frame header), verifying its checksum.
   *
   * @throws StorageException if the file cannot be read or the record no longer matches its checksum
   */
  byte[] read(Entry e) {
    int len = e.frameBytes() - SpoolCodec.FRAME_HEADER;
    ByteBuffer header = ByteBuffer.allocate(SpoolCodec.FRAME_HEADER);
    byte[] payload = new byte[len];
    try {
      FileChannel ch;
      synchronized (this) {
        ch = e.segment().channel;
      }
      if (ch != null && ch.isOpen()) {
        readFully(ch, header, e.offset());
        readFully(ch, ByteBuffer.wrap(payload), e.offset() + SpoolCodec.FRAME_HEADER);
      } else {
        try (FileChannel r = FileChannel.open(e.segment().path, StandardOpenOption.READ)) {
          readFully(r, header, e.offset());
          readFully(r, ByteBuffer.wrap(payload), e.offset() + SpoolCodec.FRAME_HEADER);
        }
      }
    } catch (IOException | RuntimeException ex) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot read staged record %d of %s from %s: %s (check the staging directory's disk)", e.seq(), id,
          e.segment().path, ex), ex);
    }
    if (SpoolCodec.crc(payload, 0, len) != SpoolCodec.i32(header.array(), 8)) {
      throw new StorageException(String.format(Locale.ROOT,
          "Staged record %d of %s in %s no longer matches its checksum (the disk changed it); the flush stops "
              + "here and keeps the records staged: move the segment aside to skip it", e.seq(), id,
          e.segment().path));
    }
    return payload;
  }

  State state() {
    return state;
  }

  /** Records the range of the flush about to commit, durably, before the commit. */
  void writeIntent(long first, long last) {
    synchronized (stateLock) {
      writeState(new State(state.watermark(), first, last));
    }
  }

  /**
   * Records that everything up to {@code last} is committed, and deletes the segments that holds only such
   * records (closing the active one first if it is wholly committed).
   */
  void committed(long last) {
    long w;
    synchronized (stateLock) {
      writeState(new State(Math.max(state.watermark(), last), -1, -1));
      w = state.watermark();
    }
    List<Segment> drop = new ArrayList<>();
    try {
      synchronized (this) {
        if (active != null && active.lastSeq <= w && active.size > 0) {
          closeActive();
        }
        List<Segment> keep = new ArrayList<>();
        for (Segment s : segments) {
          if (s != active && s.lastSeq <= w) {
            drop.add(s);
          } else {
            keep.add(s);
          }
        }
        segments.clear();
        segments.addAll(keep);
      }
      // Deleted outside the monitor: appends to the active segment need not wait for the file system.
      for (Segment s : drop) {
        Files.deleteIfExists(s.path);
      }
    } catch (IOException e) {
      // Harmless for correctness: recovery skips records at or below the watermark and deletes them then.
      LOG.warn("Could not delete committed staging segments of {} in {}; they are removed at the next start", id,
          dir, e);
    }
  }

  /** Whether no segment holds an uncommitted record. */
  synchronized boolean isEmpty() {
    long w = state.watermark();
    return segments.stream().allMatch(s -> s.lastSeq <= w);
  }

  /** Bytes of the segment files on disk. */
  synchronized long diskBytes() {
    long n = 0;
    for (Segment s : segments) {
      n += s.size;
    }
    return n;
  }

  synchronized void close() {
    if (active != null) {
      try {
        closeActive();
      } catch (IOException e) {
        LOG.warn("Could not close the staging segment of {} cleanly; recovery truncates what was not written", id, e);
      }
    }
  }

  private State readState() throws IOException {
    Path p = dir.resolve(STATE);
    if (!Files.exists(p)) {
      return new State(0, -1, -1);
    }
    String[] f = Files.readString(p, StandardCharsets.US_ASCII).trim().split(" ");
    if (f.length != 4 || !f[0].equals("v1")) {
      throw new IOException("unreadable staging state file " + p + ": '" + String.join(" ", f) + "'");
    }
    return new State(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
  }

  private void writeState(State s) {
    Path p = dir.resolve(STATE);
    Path tmp = dir.resolve(STATE + ".tmp");
    byte[] text = String.format(Locale.ROOT, "v1 %d %d %d%n", s.watermark(), s.intentFirst(), s.intentLast())
        .getBytes(StandardCharsets.US_ASCII);
    try {
      Files.createDirectories(dir);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(text);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the staging directory's file system cannot rename atomically", e);
      }
      Spool.forceDirectory(dir);
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot record the flush state of %s in %s: %s (check the staging directory's disk; the staged records "
              + "are kept)", id, p, e), e);
    }
    state = s;
  }

}
