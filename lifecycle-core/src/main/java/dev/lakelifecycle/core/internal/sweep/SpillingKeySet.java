package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.StorageException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A set of keys added in any order (repeats allowed) and read back once, de-duplicated, in UTF-8 binary
 * order (S3's listing order, which is byte order of the UTF-8 encoding), in memory bounded by about
 * {@code 2 * runBytes} whatever the number of keys: an external merge sort that uses a second core.
 *
 * <p>Keys are gathered as UTF-8 in one byte arena, copied straight from the {@code String} (no per-key
 * array). When it is full, the arena goes to a background thread, which sorts it and writes it to a temporary
 * file as a front-coded run (each key as the length it shares with the previous one plus the rest, typically
 * a fifth of the raw size), while the caller fills a second arena. Sorting is a multikey quicksort that
 * compares seven bytes at a time from a cache of each key's next bytes, which suits keys sharing long prefixes ({@code tenant/dataset/table/data/
 * day=.../}), and is skipped when the keys arrived in ascending order (a catalog whose manifests list files
 * in key order). {@link #probe()} merges the runs on the background thread, handing distinct keys over in
 * batches through a bounded queue, so that the caller only compares. A set that never filled the arena stays
 * in memory, creates no file and starts no thread.
 *
 * <p>Run files are named {@code lifecycle-sweep-*.run} in the spill directory and deleted by
 * {@link #close()}; a process killed mid-sweep leaves them behind (safe to delete any time no sweep runs).
 * Not thread-safe: one thread adds, probes and closes; the background thread is internal.
 */
final class SpillingKeySet implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SpillingKeySet.class);
  private static final int INSERTION_SORT_BELOW = 12;
  /** Key bytes per hand-over batch: below G1's humongous threshold for any region size. */
  private static final int BATCH_BYTES = 1 << 17;
  private static final int BATCHES = 4;
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final Path directory;
  private final int runBytes;
  private final List<Path> runs = new ArrayList<>();
  private final List<SpillIo.In> open = new ArrayList<>();

  private Arena filling = new Arena(1 << 12);
  /** The arena being spilled in the background, reused once that is done; null until the first spill. */
  private Arena spare;
  private ExecutorService worker;
  private Future<?> spilling;
  private Merger merger;
  private long added;
  private boolean probed;

  /**
   * @param directory where runs are spilled; {@code null} for {@code java.io.tmpdir}
   * @param runBytes bytes of UTF-8 key data gathered in memory before a run is spilled (two such arenas
   *     exist once the set spills, plus about 8 bytes per key for their indexes)
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
    add(key, 0, key.length);
  }

  void add(byte[] key, int off, int len) {
    if (probed) {
      throw new IllegalStateException("the key set was already read");
    }
    if (filling.used + len > runBytes && filling.count > 0) {
      spill();
    }
    filling.append(key, off, len, runBytes);
    added++;
  }

  /** Keys added, repeats included. */
  long added() {
    return added;
  }

  /** Runs written to disk so far (counting one still being written). */
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
      Arena a = filling;
      return new Probe(new ArenaSource(a, a.sortedIndex()));
    }
    if (filling.count > 0) {
      spill();
    }
    awaitSpill();
    filling = null;
    spare = null;
    List<RunReader> readers = new ArrayList<>();
    for (Path run : runs) {
      readers.add(new RunReader(openRun(run), run));
    }
    merger = new Merger(readers);
    merger.future = worker.submit(merger);
    return new Probe(merger);
  }

  @Override
  public void close() {
    if (merger != null) {
      merger.stop();
    }
    if (worker != null) {
      worker.shutdownNow();
      try {
        // The worker owns open run files and may be writing one: let it finish before they are deleted.
        if (!worker.awaitTermination(1, TimeUnit.MINUTES)) {
          LOG.warn("The sweep's spill thread did not stop within a minute; its run files may stay in {}", directory);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (SpillIo.In in : open) {
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
    filling = null;
    spare = null;
  }

  // ---- spilling --------------------------------------------------------------------------------------

  /** Hands the full arena to the background thread and continues in the spare one. */
  private void spill() {
    awaitSpill();
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
    if (worker == null) {
      worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lifecycle-sweep-spill-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
    Arena full = filling;
    filling = spare != null ? spare.reset() : new Arena(Math.min(runBytes, full.bytes.length));
    spare = full;
    spilling = worker.submit(() -> write(full, run));
  }

  /** Waits for the run being written, rethrowing its failure. */
  private void awaitSpill() {
    if (spilling == null) {
      return;
    }
    try {
      spilling.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("Interrupted while the sweep spilled its sorted keys; nothing was deleted", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r
          : new StorageException("Cannot spill the sweep's sorted keys: " + e.getCause(), e.getCause());
    } finally {
      spilling = null;
    }
  }

  private static void write(Arena a, Path run) {
    int[] order = a.sortedIndex();
    byte[] bytes = a.bytes;
    int[] starts = a.starts;
    try (SpillIo.Out out = new SpillIo.Out(Files.newOutputStream(run))) {
      int prevStart = -1;
      int prevEnd = -1;
      for (int k : order) {
        int start = starts[k];
        int end = starts[k + 1];
        int shared = 0;
        if (prevStart >= 0) {
          int mismatch = Arrays.mismatch(bytes, prevStart, prevEnd, bytes, start, end);
          if (mismatch < 0) {
            continue; // a repeat
          }
          shared = mismatch;
        }
        out.varInt(shared);
        out.varInt(end - start - shared);
        out.bytes(bytes, start + shared, end - start - shared);
        prevStart = start;
        prevEnd = end;
      }
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot write the sweep's sorted keys to %s: %s; nothing was deleted (make sweep.spill_dir a writable "
              + "local directory with free space)", run, e), e);
    }
    LOG.debug("Spilled {} keys ({} bytes) to {}", a.count, a.used, run);
  }

  private SpillIo.In openRun(Path run) {
    try {
      SpillIo.In in = new SpillIo.In(Files.newInputStream(run));
      open.add(in);
      return in;
    } catch (IOException e) {
      throw new StorageException(String.format(Locale.ROOT,
          "Cannot read back the sweep's sorted keys from %s: %s; nothing was deleted", run, e), e);
    }
  }

  // ---- the arena and its sort ------------------------------------------------------------------------

  /** Keys back to back in one array, and where each starts. */
  private static final class Arena {
    byte[] bytes;
    /** starts[i] is where key i begins; starts[count] is {@link #used}. */
    int[] starts = new int[1 << 8];
    int count;
    int used;
    /** Whether the keys so far came in ascending (non-descending) order, so sorting can be skipped. */
    boolean ascending = true;

    Arena(int capacity) {
      bytes = new byte[Math.max(16, capacity)];
    }

    Arena reset() {
      count = 0;
      used = 0;
      starts[0] = 0;
      ascending = true;
      return this;
    }

    void append(byte[] key, int off, int len, int runBytes) {
      if (used + len > bytes.length) {
        bytes = Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 8,
            Math.max((long) used + len, Math.min(runBytes, 2L * bytes.length))));
      }
      if (count + 2 > starts.length) {
        starts = Arrays.copyOf(starts, starts.length * 2);
      }
      if (ascending && count > 0
          && Arrays.compareUnsigned(bytes, starts[count - 1], used, key, off, off + len) > 0) {
        ascending = false;
      }
      System.arraycopy(key, off, bytes, used, len);
      starts[count++] = used;
      used += len;
      starts[count] = used;
    }

    int[] sortedIndex() {
      int[] order = new int[count];
      for (int i = 0; i < count; i++) {
        order[i] = i;
      }
      if (!ascending) {
        sort(order, 0, count - 1, commonPrefix());
      }
      return order;
    }

    /** Bytes every key shares with the first: no sorting pass is spent on them. */
    private int commonPrefix() {
      if (count < 2) {
        return 0;
      }
      int common = starts[1] - starts[0];
      for (int k = 1; k < count && common > 0; k++) {
        int m = Arrays.mismatch(bytes, starts[0], starts[0] + common, bytes, starts[k],
            Math.min(starts[k + 1], starts[k] + common));
        if (m >= 0) {
          common = m;
        }
      }
      return common;
    }

    /**
     * The 7 bytes of key {@code k} at {@code depth}, big-endian and zero-padded past its end, shifted left by
     * one byte that holds how many of those 7 the key has: comparing these unsigned is comparing the keys'
     * next 7 bytes in byte order (a key that ends first is a prefix of the other, so it sorts first).
     */
    private long word(int k, int depth) {
      int p = starts[k] + depth;
      int end = starts[k + 1];
      if (p + 8 <= end) {
        return (SpillIo.longAt(bytes, p) & ~0xffL) | 7;
      }
      int have = Math.max(0, Math.min(7, end - p));
      long w = 0;
      for (int i = 0; i < 7; i++) {
        w = (w << 8) | (i < have ? bytes[p + i] & 0xff : 0);
      }
      return (w << 8) | have;
    }

    private void sort(int[] a, int lo, int hi, int depth) {
      long[] words = new long[a.length];
      fill(a, words, lo, hi, depth);
      sort(a, words, lo, hi, depth);
    }

    private void fill(int[] a, long[] words, int lo, int hi, int depth) {
      for (int i = lo; i <= hi; i++) {
        words[i] = word(a[i], depth);
      }
    }

    /**
     * Bentley and Sedgewick's multikey quicksort of {@code a[lo..hi]}, whose keys agree on the first depth
     * bytes, taking 7 bytes per step, with each key's next 7 bytes cached in {@code words} (Rantala's caching
     * variant): partitioning reads one array sequentially instead of every key's bytes at random.
     */
    private void sort(int[] a, long[] words, int lo, int hi, int depth) {
      while (hi - lo >= INSERTION_SORT_BELOW) {
        swap(a, words, lo, lo + ThreadLocalRandom.current().nextInt(hi - lo + 1));
        long pivot = words[lo];
        int lt = lo;
        int gt = hi;
        int i = lo + 1;
        while (i <= gt) {
          int c = Long.compareUnsigned(words[i], pivot);
          if (c < 0) {
            swap(a, words, lt++, i++);
          } else if (c > 0) {
            swap(a, words, i, gt--);
          } else {
            i++;
          }
        }
        // Recurse into the parts below and above the pivot; loop 7 bytes deeper on the keys equal to it.
        sort(a, words, lo, lt - 1, depth);
        sort(a, words, gt + 1, hi, depth);
        if ((pivot & 0xff) < 7) {
          return; // the equal keys all end here: they are one key
        }
        lo = lt;
        hi = gt;
        depth += 7;
        fill(a, words, lo, hi, depth);
      }
      for (int i = lo + 1; i <= hi; i++) {
        for (int j = i; j > lo && compareFrom(a[j], a[j - 1], depth) < 0; j--) {
          swap(a, words, j, j - 1);
        }
      }
    }

    private int compareFrom(int x, int y, int depth) {
      return Arrays.compareUnsigned(bytes, starts[x] + depth, starts[x + 1], bytes, starts[y] + depth,
          starts[y + 1]);
    }

    private static void swap(int[] a, long[] words, int i, int j) {
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
      long w = words[i];
      words[i] = words[j];
      words[j] = w;
    }
  }

  // ---- reading back ----------------------------------------------------------------------------------

  /** Distinct keys in ascending order; the current one is {@code buf()[from()..to())}. */
  private interface Source {
    /** Moves to the next key; false at the end. */
    boolean next();

    byte[] buf();

    int from();

    int to();
  }

  /** The sorted arena of a set that never spilled. */
  private static final class ArenaSource implements Source {
    private final Arena arena;
    private final int[] order;
    private int i;
    private int from = -1;
    private int to = -1;

    ArenaSource(Arena arena, int[] order) {
      this.arena = arena;
      this.order = order;
    }

    @Override
    public boolean next() {
      while (i < order.length) {
        int k = order[i++];
        int start = arena.starts[k];
        int end = arena.starts[k + 1];
        if (from < 0 || !Arrays.equals(arena.bytes, from, to, arena.bytes, start, end)) {
          from = start;
          to = end;
          return true;
        }
      }
      return false;
    }

    @Override
    public byte[] buf() {
      return arena.bytes;
    }

    @Override
    public int from() {
      return from;
    }

    @Override
    public int to() {
      return to;
    }
  }

  /** One run file, decoded into a reusable buffer. */
  private static final class RunReader {
    private final SpillIo.In in;
    private final Path path;
    byte[] key = new byte[256];
    int len;

    RunReader(SpillIo.In in, Path path) {
      this.in = in;
      this.path = path;
    }

    boolean advance() {
      try {
        if (!in.hasMore()) {
          return false;
        }
        int shared = in.varInt();
        int rest = in.varInt();
        if (shared > len) {
          throw new EOFException("corrupt run: shares " + shared + " bytes with a key of " + len);
        }
        key = SpillIo.grow(key, shared + rest);
        in.bytes(key, shared, rest);
        len = shared + rest;
        return true;
      } catch (IOException e) {
        throw new StorageException(String.format(Locale.ROOT,
            "Cannot read the sweep run file %s back: %s; nothing was deleted (check sweep.spill_dir)", path, e), e);
      }
    }

    int compareTo(RunReader o) {
      return Arrays.compareUnsigned(key, 0, len, o.key, 0, o.len);
    }
  }

  /** Distinct keys, back to back, handed from the merging thread to the probing one. */
  private static final class Batch {
    byte[] bytes = new byte[BATCH_BYTES];
    int[] ends = new int[BATCH_BYTES / 16];
    int count;
    /** The last batch: the merge ended, or failed with {@link #failure}. */
    boolean last;
    RuntimeException failure;
  }

  /**
   * Merges the runs on the background thread (a binary heap of run readers) into batches of distinct keys;
   * the probing thread reads them as a {@link Source}. Batches are recycled, so the hand-over allocates
   * nothing per key.
   */
  private static final class Merger implements Source, Runnable {
    private final List<RunReader> readers;
    private final BlockingQueue<Batch> full = new ArrayBlockingQueue<>(BATCHES);
    private final BlockingQueue<Batch> free = new ArrayBlockingQueue<>(BATCHES);
    private volatile boolean stopped;
    Future<?> future;
    private Batch current;
    private int index;
    private int from;
    private int to;

    Merger(List<RunReader> readers) {
      this.readers = readers;
      for (int i = 0; i < BATCHES; i++) {
        free.add(new Batch());
      }
    }

    void stop() {
      stopped = true;
      if (future != null) {
        future.cancel(true);
      }
    }

    @Override
    public void run() {
      Batch out = null;
      try {
        RunReader[] heap = new RunReader[readers.size()];
        int size = 0;
        for (RunReader r : readers) {
          if (r.advance()) {
            heap[size++] = r;
          }
        }
        for (int i = size / 2 - 1; i >= 0; i--) {
          siftDown(heap, size, i);
        }
        byte[] last = new byte[256];
        int lastLen = -1;
        out = take(free);
        while (size > 0) {
          RunReader top = heap[0];
          if (lastLen < 0 || !Arrays.equals(last, 0, lastLen, top.key, 0, top.len)) {
            int start = out.count > 0 ? out.ends[out.count - 1] : 0;
            if (out.count == out.ends.length || out.count > 0 && start + top.len > out.bytes.length) {
              put(out);
              out = take(free);
              start = 0;
            }
            out.bytes = SpillIo.grow(out.bytes, start + top.len);
            System.arraycopy(top.key, 0, out.bytes, start, top.len);
            out.ends[out.count++] = start + top.len;
            last = SpillIo.grow(last, top.len);
            System.arraycopy(top.key, 0, last, 0, top.len);
            lastLen = top.len;
          }
          if (top.advance()) {
            siftDown(heap, size, 0);
          } else {
            heap[0] = heap[--size];
            heap[size] = null;
            siftDown(heap, size, 0);
          }
        }
        out.last = true;
        put(out);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        if (out == null) {
          out = new Batch();
        }
        out.last = true;
        out.failure = e;
        try {
          put(out);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    private static void siftDown(RunReader[] heap, int size, int i) {
      RunReader x = heap[i];
      while (true) {
        int child = 2 * i + 1;
        if (child >= size) {
          break;
        }
        if (child + 1 < size && heap[child + 1].compareTo(heap[child]) < 0) {
          child++;
        }
        if (heap[child].compareTo(x) >= 0) {
          break;
        }
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = x;
    }

    private Batch take(BlockingQueue<Batch> queue) throws InterruptedException {
      while (!stopped) {
        Batch b = queue.poll(100, TimeUnit.MILLISECONDS);
        if (b != null) {
          return b;
        }
      }
      throw new InterruptedException("stopped");
    }

    private void put(Batch b) throws InterruptedException {
      while (!stopped) {
        if (full.offer(b, 100, TimeUnit.MILLISECONDS)) {
          return;
        }
      }
      throw new InterruptedException("stopped");
    }

    @Override
    public boolean next() {
      while (true) {
        if (current != null && index < current.count) {
          from = index == 0 ? 0 : current.ends[index - 1];
          to = current.ends[index++];
          return true;
        }
        if (current != null) {
          if (current.last) {
            return false;
          }
          current.count = 0;
          free.add(current);
        }
        try {
          current = take(full);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StorageException("Interrupted while merging the sweep's sorted keys; nothing was deleted", e);
        }
        index = 0;
        if (current.failure != null) {
          throw current.failure;
        }
      }
    }

    @Override
    public byte[] buf() {
      return current.bytes;
    }

    @Override
    public int from() {
      return from;
    }

    @Override
    public int to() {
      return to;
    }
  }

  /**
   * Membership of keys probed in strictly ascending order, with a cursor that only moves forward: the
   * sorted merge of a listing against the set. Counts the distinct keys it passes.
   */
  static final class Probe {
    private final Source source;
    private boolean more;
    private long distinct;

    private Probe(Source source) {
      this.source = source;
      step();
    }

    /** Whether {@code key} is in the set; successive keys must ascend (the caller checks its listing's order). */
    boolean containsAdvancing(byte[] key) {
      return containsAdvancing(key, 0, key.length);
    }

    /** Whether {@code key[off..off+len)} is in the set; successive keys must ascend. */
    boolean containsAdvancing(byte[] key, int off, int len) {
      while (more) {
        int c = Arrays.compareUnsigned(source.buf(), source.from(), source.to(), key, off, off + len);
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
      while (more) {
        step();
      }
      return distinct;
    }

    private void step() {
      more = source.next();
      if (more) {
        distinct++;
      }
    }
  }
}
