package dev.lakelifecycle.testkit;

import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Wraps a real {@link ObjectStore} and makes chosen calls fail, to test how callers survive storage
 * errors, retries and lost acknowledgements. Thread-safe. Injected failures are retryable
 * {@link StorageException}s whose message starts with {@code "Injected fault"}.
 *
 * <pre>{@code
 * FaultInjectingObjectStore faulty = FaultInjectingObjectStore.wrap(store);
 * faulty.failNth(Operation.PUT, 2);                          // the 2nd put from now fails, nothing written
 * faulty.failWhere(Operation.OPEN, k -> k.endsWith(".parquet")); // every matching open fails
 * faulty.crashAfterWrite(Operation.PUT, 1);                  // next put is written, then throws (lost ack)
 * faulty.calls(Operation.PUT);                               // how many puts were attempted
 * }</pre>
 *
 * <p>Where each operation fails: {@link Operation#PUT}, {@link Operation#OPEN} ({@code read} too),
 * {@link Operation#STAT} and {@link Operation#LIST} (the key is the prefix) throw from the call.
 * {@link Operation#CREATE} faults strike at {@link ObjectOutput#close()}, where a streaming write publishes:
 * a failed one is aborted and throws {@link IOException}; a crashed one is published, then throws.
 * {@link Operation#DELETE}: an n-th-call fault throws from the call; a key predicate reports the matching
 * keys in {@link DeleteResult#failed()} and deletes the rest, as a store does with per-key errors.
 * Calls are counted whether or not they fail.
 */
public final class FaultInjectingObjectStore implements ObjectStore {

  /** The kinds of call that can be counted and failed. */
  public enum Operation { PUT, CREATE, OPEN, LIST, DELETE, STAT }

  private record Fault(Operation op, AtomicLong countdown, Predicate<String> keys, boolean afterWrite) {
    /** Whether this call (already counted against this fault) fails. */
    boolean strikes(String key) {
      if (keys != null) {
        return keys.test(key);
      }
      return countdown.decrementAndGet() == 0;
    }
  }

  private final ObjectStore delegate;
  private final Map<Operation, AtomicLong> calls = new EnumMap<>(Operation.class);
  private final List<Fault> faults = new CopyOnWriteArrayList<>();

  private FaultInjectingObjectStore(ObjectStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    for (Operation op : Operation.values()) {
      calls.put(op, new AtomicLong());
    }
  }

  /** Wraps {@code delegate}; closing the wrapper closes it. */
  public static FaultInjectingObjectStore wrap(ObjectStore delegate) {
    return new FaultInjectingObjectStore(delegate);
  }

  /** The store underneath, to inspect what really happened. */
  public ObjectStore delegate() {
    return delegate;
  }

  /** Makes the {@code n}-th call of {@code op} from now (1 = the next) fail before it reaches the store. */
  public FaultInjectingObjectStore failNth(Operation op, int n) {
    faults.add(new Fault(Objects.requireNonNull(op, "op"), countdown(n), null, false));
    return this;
  }

  /** Makes every call of {@code op} whose key (for LIST: prefix) matches fail until {@link #clearFaults()}. */
  public FaultInjectingObjectStore failWhere(Operation op, Predicate<String> keys) {
    faults.add(new Fault(Objects.requireNonNull(op, "op"), null, Objects.requireNonNull(keys, "keys"), false));
    return this;
  }

  /**
   * Makes the {@code n}-th {@link Operation#PUT} or {@link Operation#CREATE} from now perform the real write
   * and then fail, as when a write succeeded but its acknowledgement was lost.
   */
  public FaultInjectingObjectStore crashAfterWrite(Operation op, int n) {
    if (op != Operation.PUT && op != Operation.CREATE) {
      throw new IllegalArgumentException("crashAfterWrite applies to PUT or CREATE, not " + op);
    }
    faults.add(new Fault(op, countdown(n), null, true));
    return this;
  }

  /** Removes every armed fault; counts are kept. */
  public FaultInjectingObjectStore clearFaults() {
    faults.clear();
    return this;
  }

  /** Calls of {@code op} made so far, failed ones included. */
  public long calls(Operation op) {
    return calls.get(op).get();
  }

  private static AtomicLong countdown(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1 (1 = the next call), got " + n);
    }
    return new AtomicLong(n);
  }

  /**
   * Counts the call and returns the fault that strikes it, or null. Every armed n-th-call fault of {@code op}
   * counts the call; those that reach their call are disarmed. A null key is matched by no key predicate.
   */
  private Fault enter(Operation op, String key) {
    calls.get(op).incrementAndGet();
    Fault struck = null;
    for (Fault f : faults) {
      if (f.op() != op || (f.keys() != null && key == null)) {
        continue;
      }
      boolean hit = f.strikes(key);
      if (hit && f.keys() == null) {
        faults.remove(f);
      }
      if (hit && struck == null) {
        struck = f;
      }
    }
    return struck;
  }

  private StorageException injected(Operation op, String key, boolean afterWrite) {
    return new StorageException(String.format(Locale.ROOT, "Injected fault: %s of %s %s (FaultInjectingObjectStore)",
        op.name().toLowerCase(Locale.ROOT), delegate.root() + key, afterWrite ? "was written, then failed" : "failed"),
        null, true);
  }

  private void failIfStruck(Operation op, String key) {
    Fault f = enter(op, key);
    if (f != null) {
      throw injected(op, key, false);
    }
  }

  @Override
  public URI root() {
    return delegate.root();
  }

  @Override
  public String location(String key) {
    return delegate.location(key);
  }

  @Override
  public Optional<String> keyOf(String location) {
    return delegate.keyOf(location);
  }

  @Override
  public Stream<ObjectInfo> list(String prefix, String startAfter) {
    failIfStruck(Operation.LIST, prefix);
    return delegate.list(prefix, startAfter);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    failIfStruck(Operation.STAT, key);
    return delegate.stat(key);
  }

  @Override
  public SeekableInput open(String key) {
    failIfStruck(Operation.OPEN, key);
    return delegate.open(key);
  }

  @Override
  public byte[] read(String key) {
    failIfStruck(Operation.OPEN, key);
    return delegate.read(key);
  }

  @Override
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    Fault f = enter(Operation.PUT, key);
    if (f != null && !f.afterWrite()) {
      throw injected(Operation.PUT, key, false);
    }
    ObjectInfo written = delegate.put(key, content, condition);
    if (f != null) {
      throw injected(Operation.PUT, key, true);
    }
    return written;
  }

  @Override
  public ObjectOutput create(String key) {
    Fault f = enter(Operation.CREATE, key);
    ObjectOutput real = delegate.create(key);
    return f == null ? real : new FaultyOutput(real, key, f.afterWrite());
  }

  @Override
  public DeleteResult delete(Collection<String> keys) {
    if (enter(Operation.DELETE, null) != null) {
      throw new StorageException(String.format(Locale.ROOT,
          "Injected fault: delete of %d keys under %s failed (FaultInjectingObjectStore)", keys.size(), root()),
          null, true);
    }
    Map<String, String> failed = new LinkedHashMap<>();
    List<String> rest = new ArrayList<>();
    for (String key : keys) {
      boolean refused = faults.stream().anyMatch(f -> f.op() == Operation.DELETE && f.keys() != null
          && f.keys().test(key));
      if (refused) {
        failed.put(key, "Injected fault: delete failed (FaultInjectingObjectStore)");
      } else {
        rest.add(key);
      }
    }
    DeleteResult real = delegate.delete(rest);
    failed.putAll(real.failed());
    return new DeleteResult(real.deleted(), failed);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "FaultInjecting[" + delegate + "]";
  }

  /** A streaming write whose publish fails (aborting the real write) or crashes (publishing it first). */
  private final class FaultyOutput extends ObjectOutput {
    private final ObjectOutput real;
    private final String key;
    private final boolean afterWrite;
    private boolean closed;

    FaultyOutput(ObjectOutput real, String key, boolean afterWrite) {
      this.real = real;
      this.key = key;
      this.afterWrite = afterWrite;
    }

    @Override
    public void write(int b) throws IOException {
      real.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      real.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      real.flush();
    }

    @Override
    public long position() {
      return real.position();
    }

    @Override
    public void abort() {
      real.abort();
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      if (afterWrite) {
        real.close();
      } else {
        real.abort();
      }
      StorageException cause = injected(Operation.CREATE, key, afterWrite);
      throw new IOException(cause.getMessage(), cause);
    }

    @Override
    public ObjectInfo result() {
      return real.result();
    }
  }
}
