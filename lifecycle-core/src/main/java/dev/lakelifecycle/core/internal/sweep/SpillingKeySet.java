package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.StorageException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A set of keys added in any order (repeats allowed) and read back once, de-duplicated, in UTF-8 binary
 * order (S3's listing order, which is byte order of the UTF-8 encoding), in memory bounded by
 * {@code runBytes} whatever the number of keys: an external merge sort.
 *
 * <p>Keys are gathered as UTF-8 in one byte arena. When it is full, the arena is sorted with a multikey
 * (three-way radix) quicksort, which suits keys sharing long prefixes ({@code tenant/dataset/table/data/
 * day=.../}), and written to a temporary file as a front-coded run (each key as the length it shares with
 * the previous one plus the rest), typically a fifth of the raw size. {@link #probe()} then merges the runs.
 * A set that never filled the arena stays in memory and creates no file.
 *
 * <p>Run files are named {@code lifecycle-sweep-*.run} in the spill directory and deleted by
 * {@link #close()}; a process killed mid-sweep leaves them behind (safe to delete any time no sweep runs).
 * Not thread-safe.
 */
final class SpillingKeySet implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SpillingKeySet.class);
  private static final int INSERTION_SORT_BELOW = 12;
  private static final int IO_BUFFER = 1 << 16;

  private final Path directory;
  private final int runBytes;
  private final List<Path> runs = new ArrayList<>();
  private final List<InputStream> open = new ArrayList<>();

  private byte[] arena = new byte[1 << 12];
  private int used;
  /** starts[i] is where key i begins; starts[count] is {@link #used}. */
  private int[] starts = new int[1 << 8];
  private int count;
  private long added;
  private boolean probed;

  /**
   * @param directory where runs are spilled; {@code null} for {@code java.io.tmpdir}
   * @param runBytes bytes of UTF-8 key data gathered in memory before a run is spilled (the working-memory
   *     bound, plus about 8 bytes per key for the index)
   */
  SpillingKeySet(Path directory, int runBytes) {
    if (runBytes < 1) {
      throw new IllegalArgumentException("runBytes must be positive: " + runBytes);
    }
    this.directory = directory != null ? directory : Path.of(System.getProperty("java.io.tmpdir"));
    this.runBytes = runBytes;
  }

  /** Adds a key (repeats are fine; they are merged away when read). */
  void add(String key) {
    add(key.getBytes(StandardCharsets.UTF_8));
  }

  void add(byte[] key) {
    if (probed) {
      throw new IllegalStateException("the key set was already read");
    }
    if (used + key.length > runBytes && count > 0) {
      spill();
    }
    if (used + key.length > arena.length) {
      arena = Arrays.copyOf(arena, (int) Math.min(Integer.MAX_VALUE - 8,
          Math.max((long) used + key.length, Math.min(runBytes, 2L * arena.length))));
    }
    if (count + 2 > starts.length) {
      starts = Arrays.copyOf(starts, starts.length * 2);
    }
    System.arraycopy(key, 0, arena, used, key.length);
    starts[count++] = used;
    used += key.length;
    starts[count] = used;
    added++;
  }

  /** Keys added, repeats included. */
  long added() {
    return added;
  }

  /** Runs written to disk so far. */
  int spilledRuns() {
    return runs.size();
  }

  /** Ends adding; the returned probe walks the distinct keys in order. Call once. */
  Probe probe() {
    if (probed) {
      throw new IllegalStateException("the key set was already read");
    }
    probed = true;
    if (runs.isEmpty()) {
      int[] order = sortedIndex();
      return new Probe(new ArenaCursor(arena, starts, order));
    }
    if (count > 0) {
      spill();
    }
    arena = new byte[0];
    starts = new int[0];
    PriorityQueue<RunCursor> heap = new PriorityQueue<>(Math.max(1, runs.size()),
        (a, b) -> Arrays.compareUnsigned(a.current, b.current));
    for (Path run : runs) {
      RunCursor c = new RunCursor(openRun(run));
      if (c.advance()) {
        heap.add(c);
      }
    }
    return new Probe(new MergeCursor(heap));
  }

  @Override
  public void close() {
    for (InputStream in : open) {
      try {
        in.close();
      } catch (IOException e) {
        LOG.debug("Cannot close a sweep run file: {}", e.toString());
      }
    }
    open.clear();
    for (Path run : runs) {
      try {
        Files.deleteIfExists(run);
      } catch (IOException e) {
        LOG.warn("Cannot delete the sweep's temporary run file {}: {} (delete it by hand; no sweep needs it)",
            run, e.toString());
      }
    }
    runs.clear();
    arena = new byte[0];
  }

  // ---- sorting ---------------------------------------------------------------------------------------

  private int[] sortedIndex() {
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    sort(order, 0, count - 1, 0);
    return order;
  }

  /** The byte at {@code depth} of key {@code k} as 0..255, or -1 past its end (shorter sorts first). */
  private int byteAt(int k, int depth) {
    int p = starts[k] + depth;
    return p < starts[k + 1] ? arena[p] & 0xff : -1;
  }

  /** Bentley and Sedgewick's multikey quicksort of {@code a[lo..hi]}, whose keys agree on the first depth bytes. */
  private void sort(int[] a, int lo, int hi, int depth) {
    while (hi - lo >= INSERTION_SORT_BELOW) {
      swap(a, lo, lo + ThreadLocalRandom.current().nextInt(hi - lo + 1));
      int pivot = byteAt(a[lo], depth);
      int lt = lo;
      int gt = hi;
      int i = lo + 1;
      while (i <= gt) {
        int b = byteAt(a[i], depth);
        if (b < pivot) {
          swap(a, lt++, i++);
        } else if (b > pivot) {
          swap(a, i, gt--);
        } else {
          i++;
        }
      }
      // Recurse into the parts below and above the pivot byte; loop one byte deeper on the keys equal to it.
      sort(a, lo, lt - 1, depth);
      sort(a, gt + 1, hi, depth);
      if (pivot < 0) {
        return;
      }
      lo = lt;
      hi = gt;
      depth++;
    }
    insertionSort(a, lo, hi, depth);
  }

  private void insertionSort(int[] a, int lo, int hi, int depth) {
    for (int i = lo + 1; i <= hi; i++) {
      for (int j = i; j > lo && compareFrom(a[j], a[j - 1], depth) < 0; j--) {
        swap(a, j, j - 1);
      }
    }
  }

  private int compareFrom(int x, int y, int depth) {
    return Arrays.compareUnsigned(arena, starts[x] + depth, starts[x + 1], arena, starts[y] + depth, starts[y + 1]);
  }

  private static void swap(int[] a, int i, int j) {
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
  }

  // ---- runs ------------------------------------------------------------------------------------------

  private void spill() {
    int[] order = sortedIndex();
    Path run;
    try {
      Files.createDirectories(directory);
      run = Files.createTempFile(directory, "lifecycle-sweep-", ".run");
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot spill the sweep's sorted keys to %s: %s; nothing was deleted (make sweep.spill_dir a writable "
              + "local directory with free space)", directory, e), e);
    }
    runs.add(run);
    try (OutputStream file = Files.newOutputStream(run);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(file, IO_BUFFER))) {
      int prevStart = -1;
      int prevEnd = -1;
      for (int k : order) {
        int start = starts[k];
        int end = starts[k + 1];
        int shared = prevStart < 0 ? 0 : sharedPrefix(arena, prevStart, prevEnd, start, end);
        if (prevStart >= 0 && shared == end - start && shared == prevEnd - prevStart) {
          continue; // a repeat
        }
        writeVarInt(out, shared);
        writeVarInt(out, end - start - shared);
        out.write(arena, start + shared, end - start - shared);
        prevStart = start;
        prevEnd = end;
      }
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot write the sweep's sorted keys to %s: %s; nothing was deleted (make sweep.spill_dir a writable "
              + "local directory with free space)", run, e), e);
    }
    LOG.debug("Spilled {} keys ({} bytes) to {}", count, used, run);
    used = 0;
    count = 0;
    starts[0] = 0;
  }

  private DataInputStream openRun(Path run) {
    try {
      DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(run), IO_BUFFER));
      open.add(in);
      return in;
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot read back the sweep's sorted keys from %s: %s; nothing was deleted", run, e), e);
    }
  }

  private static int sharedPrefix(byte[] a, int aStart, int aEnd, int bStart, int bEnd) {
    int mismatch = Arrays.mismatch(a, aStart, aEnd, a, bStart, bEnd);
    return mismatch < 0 ? aEnd - aStart : mismatch;
  }

  static void writeVarInt(DataOutputStream out, int v) throws IOException {
    while ((v & ~0x7f) != 0) {
      out.write((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write(v);
  }

  /** Reads a varint whose first byte is {@code first} (already read, not -1). */
  static int readVarInt(DataInputStream in, int first) throws IOException {
    int v = first & 0x7f;
    int shift = 7;
    int b = first;
    while ((b & 0x80) != 0) {
      b = in.read();
      if (b < 0) {
        throw new EOFException("truncated varint");
      }
      v |= (b & 0x7f) << shift;
      shift += 7;
    }
    return v;
  }

  // ---- cursors ---------------------------------------------------------------------------------------

  /** Distinct keys in ascending order. */
  private interface Cursor {
    /** The next key, or {@code null} at the end. */
    byte[] next();
  }

  private static final class ArenaCursor implements Cursor {
    private final byte[] arena;
    private final int[] starts;
    private final int[] order;
    private int i;
    private byte[] last;

    ArenaCursor(byte[] arena, int[] starts, int[] order) {
      this.arena = arena;
      this.starts = starts;
      this.order = order;
    }

    @Override
    public byte[] next() {
      while (i < order.length) {
        int k = order[i++];
        int start = starts[k];
        int end = starts[k + 1];
        if (last == null || Arrays.compareUnsigned(last, 0, last.length, arena, start, end) != 0) {
          last = Arrays.copyOfRange(arena, start, end);
          return last;
        }
      }
      return null;
    }
  }

  private static final class RunCursor {
    private final DataInputStream in;
    byte[] current = new byte[0];

    RunCursor(DataInputStream in) {
      this.in = in;
    }

    boolean advance() {
      try {
        int first = in.read();
        if (first < 0) {
          return false;
        }
        int shared = readVarInt(in, first);
        int first2 = in.read();
        if (first2 < 0 || shared > current.length) {
          throw new EOFException("corrupt run");
        }
        int rest = readVarInt(in, first2);
        byte[] key = new byte[shared + rest];
        System.arraycopy(current, 0, key, 0, shared);
        in.readFully(key, shared, rest);
        current = key;
        return true;
      } catch (IOException e) {
        throw new StorageException("Cannot read a sweep run file back: " + e.getMessage()
            + "; nothing was deleted (check sweep.spill_dir)", e);
      }
    }
  }

  private static final class MergeCursor implements Cursor {
    private final PriorityQueue<RunCursor> heap;
    private byte[] last;

    MergeCursor(PriorityQueue<RunCursor> heap) {
      this.heap = heap;
    }

    @Override
    public byte[] next() {
      while (!heap.isEmpty()) {
        RunCursor top = heap.poll();
        byte[] key = top.current;
        if (top.advance()) {
          heap.add(top);
        }
        if (last == null || !Arrays.equals(last, key)) {
          last = key;
          return key;
        }
      }
      return null;
    }
  }

  /**
   * Membership of keys probed in strictly ascending order, with a cursor that only moves forward: the
   * sorted merge of a listing against the set. Counts the distinct keys it passes.
   */
  static final class Probe {
    private final Cursor cursor;
    private byte[] current;
    private long distinct;

    private Probe(Cursor cursor) {
      this.cursor = cursor;
      this.current = cursor.next();
      if (current != null) {
        distinct = 1;
      }
    }

    /** Whether {@code key} is in the set; successive keys must ascend (the caller checks its listing's order). */
    boolean containsAdvancing(byte[] key) {
      while (current != null) {
        int c = Arrays.compareUnsigned(current, key);
        if (c == 0) {
          return true;
        }
        if (c > 0) {
          return false;
        }
        step();
      }
      return false;
    }

    /** Reads to the end and returns the number of distinct keys in the set. */
    long drainAndCount() {
      while (current != null) {
        step();
      }
      return distinct;
    }

    private void step() {
      current = cursor.next();
      if (current != null) {
        distinct++;
      }
    }
  }
}
