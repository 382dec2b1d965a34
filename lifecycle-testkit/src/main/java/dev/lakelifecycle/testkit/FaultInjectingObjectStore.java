package dev.lakelifecycle.testkit;

import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.io.IOException;
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
 * errors, retries and lost acknowledgements. Thread-safe. Injected failures are {@link StorageException}s
 * (a {@link PreconditionFailedException} for the 412 failures) whose message starts with
 * {@code "Injected fault"}; they are retryable unless the {@link Failure} is a permanent one.
 *
 * <pre>{@code
 * FaultInjectingObjectStore faulty = FaultInjectingObjectStore.wrap(store);
 * faulty.failNth(Operation.PUT, 2);                          // the 2nd put from now fails, nothing written
 * faulty.failWhere(Operation.OPEN, k -> k.endsWith(".parquet")); // every matching open fails
 * faulty.crashAfterWrite(Operation.PUT, 1);                  // next put is written, then throws (lost ack)
 * faulty.failNext(Operation.PUT, 1, k -> k.endsWith(".json"),  // next matching conditional put lands,
 *     Failure.WRITE_THEN_PRECONDITION_FAILED);                //   then answers 412 (a retried S3 PUT)
 * faulty.calls(Operation.PUT);                               // how many puts were attempted
 * faulty.injected(Operation.PUT);                            // how many of them a fault struck
 * }</pre>
 *
 * <p>Where each operation fails: {@link Operation#PUT}, {@link Operation#OPEN} ({@code read} too),
 * {@link Operation#STAT} and {@link Operation#LIST} (the key is the prefix) throw from the call.
 * {@link Operation#CREATE} faults strike at {@link ObjectOutput#close()}, where a streaming write publishes:
 * a failed one is aborted and throws {@link IOException} (caused by the injected {@link StorageException});
 * a crashed one is published, then throws.
 * {@link Operation#DELETE}: an n-th-call fault throws from the call; a key predicate reports the matching
 * keys in {@link DeleteResult#failed()} and deletes the rest, as a store does with per-key errors.
 * Calls are counted whether or not they fail.
 */
public final class FaultInjectingObjectStore extends ForwardingObjectStore {

  /** The kinds of call that can be counted and failed. */
  public enum Operation { PUT, CREATE, OPEN, LIST, DELETE, STAT }

  /**
   * How a struck call fails: whether the write lands first, and what the caller is answered. The
   * {@code WRITE_THEN_*} failures apply to {@link Operation#PUT} and {@link Operation#CREATE}; the
   * {@code PRECONDITION_FAILED} ones to {@link Operation#PUT} only, and strike only conditional puts
   * (a store answers 412 to nothing else).
   */
  public enum Failure {
    /** Nothing reaches the store; a retryable {@link StorageException}. */
    FAIL(false),
    /** Nothing reaches the store; a non-retryable {@link StorageException}. */
    FAIL_PERMANENTLY(false),
    /** The write lands, then a retryable {@link StorageException}: a lost acknowledgement (a timeout). */
    WRITE_THEN_FAIL(true),
    /** The write lands, then a non-retryable {@link StorageException}. */
    WRITE_THEN_FAIL_PERMANENTLY(true),
    /** Nothing is written; a {@link PreconditionFailedException}, as if another writer had won. */
    PRECONDITION_FAILED(false),
    /**
     * The write lands, then a {@link PreconditionFailedException}: what S3 answers a conditional PUT that
     * the SDK retried after the first attempt's response was lost (the retry meets its own write).
     */
    WRITE_THEN_PRECONDITION_FAILED(true);

    private final boolean writes;

    Failure(boolean writes) {
      this.writes = writes;
    }

    boolean writes() {
      return writes;
    }

    boolean preconditionFailed() {
      return this == PRECONDITION_FAILED || this == WRITE_THEN_PRECONDITION_FAILED;
    }

    boolean retryable() {
      return this == FAIL || this == WRITE_THEN_FAIL;
    }
  }

  /**
   * One armed fault: of the calls of {@code op} it sees (those whose key matches {@code keys}, or all if
   * {@code keys} is null), it lets {@code pass} go through, then strikes the next {@code strikes}.
   */
  private static final class Fault {
    private final Operation op;
    private final Predicate<String> keys;
    private final Failure failure;
    private long pass;
    private long strikes;

    Fault(Operation op, Predicate<String> keys, long pass, long strikes, Failure failure) {
      this.op = op;
      this.keys = keys;
      this.pass = pass;
      this.strikes = strikes;
      this.failure = failure;
    }

    /** Whether this fault sees the call; a null key (a whole delete call) is seen by no key predicate. */
    boolean sees(Operation called, String key, boolean conditional) {
      return op == called && (!failure.preconditionFailed() || conditional)
          && (keys == null || (key != null && keys.test(key)));
    }

    /** Counts a call this fault sees and says whether it strikes it. */
    synchronized boolean strikes() {
      if (pass > 0) {
        pass--;
        return false;
      }
      if (strikes > 0) {
        strikes--;
        return true;
      }
      return false;
    }

    synchronized boolean spent() {
      return strikes == 0;
    }
  }

  private final Map<Operation, AtomicLong> calls = new EnumMap<>(Operation.class);
  private final Map<Operation, AtomicLong> injected = new EnumMap<>(Operation.class);
  private final List<Fault> faults = new CopyOnWriteArrayList<>();

  private FaultInjectingObjectStore(ObjectStore delegate) {
    super(delegate);
    for (Operation op : Operation.values()) {
      calls.put(op, new AtomicLong());
      injected.put(op, new AtomicLong());
    }
  }

  /** Wraps {@code delegate}; closing the wrapper closes it. */
  public static FaultInjectingObjectStore wrap(ObjectStore delegate) {
    return new FaultInjectingObjectStore(delegate);
  }

  /** The store underneath, to inspect what really happened. */
  @Override
  public ObjectStore delegate() {
    return super.delegate();
  }

  /** Makes the {@code n}-th call of {@code op} from now (1 = the next) fail before it reaches the store. */
  public FaultInjectingObjectStore failNth(Operation op, int n) {
    faults.add(new Fault(Objects.requireNonNull(op, "op"), null, atLeastOne("n", n) - 1, 1, Failure.FAIL));
    return this;
  }

  /** Makes every call of {@code op} whose key (for LIST: prefix) matches fail until {@link #clearFaults()}. */
  public FaultInjectingObjectStore failWhere(Operation op, Predicate<String> keys) {
    faults.add(new Fault(Objects.requireNonNull(op, "op"), Objects.requireNonNull(keys, "keys"), 0,
        Long.MAX_VALUE, Failure.FAIL));
    return this;
  }

  /**
   * Makes the {@code n}-th {@link Operation#PUT} or {@link Operation#CREATE} from now perform the real write
   * and then fail, as when a write succeeded but its acknowledgement was lost.
   */
  public FaultInjectingObjectStore crashAfterWrite(Operation op, int n) {
    checkApplies(op, Failure.WRITE_THEN_FAIL);
    faults.add(new Fault(op, null, atLeastOne("n", n) - 1, 1, Failure.WRITE_THEN_FAIL));
    return this;
  }

  /**
   * Makes the next {@code times} calls of {@code op} whose key (for LIST: prefix) matches fail as
   * {@code failure}; calls that do not match go through and do not count. For the 412 failures only
   * conditional puts count.
   *
   * @throws IllegalArgumentException if {@code times < 1}, if {@code failure} does not apply to {@code op}
   *     (see {@link Failure}), or for {@link Operation#DELETE} (use {@link #failNth} or {@link #failWhere})
   */
  public FaultInjectingObjectStore failNext(Operation op, int times, Predicate<String> keys, Failure failure) {
    Objects.requireNonNull(keys, "keys");
    checkApplies(op, failure);
    if (op == Operation.DELETE) {
      throw new IllegalArgumentException("failNext does not apply to DELETE: use failNth to fail a whole delete "
          + "call or failWhere to fail single keys");
    }
    faults.add(new Fault(op, keys, 0, atLeastOne("times", times), failure));
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

  /** Calls of {@code op} made so far that an armed fault struck. */
  public long injected(Operation op) {
    return injected.get(op).get();
  }

  private static long atLeastOne(String name, int n) {
    if (n < 1) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "%s must be at least 1 (1 = the next call), got %d", name, n));
    }
    return n;
  }

  private static void checkApplies(Operation op, Failure failure) {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(failure, "failure");
    boolean applies = failure.preconditionFailed() ? op == Operation.PUT
        : !failure.writes() || op == Operation.PUT || op == Operation.CREATE;
    if (!applies) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "%s does not apply to %s (%s)", failure, op,
          failure.preconditionFailed() ? "only a put can answer precondition failed" : "it writes: use PUT or CREATE"));
    }
  }

  /**
   * Counts the call and returns how the fault that strikes it fails it, or null. Every armed fault that
   * sees the call counts it, so n-th-call faults keep their place; spent ones are disarmed.
   */
  private Failure enter(Operation op, String key, boolean conditional) {
    calls.get(op).incrementAndGet();
    Failure struck = null;
    for (Fault f : faults) {
      if (!f.sees(op, key, conditional)) {
        continue;
      }
      boolean hit = f.strikes();
      if (f.spent()) {
        faults.remove(f);
      }
      if (hit && struck == null) {
        struck = f.failure;
      }
    }
    if (struck != null) {
      injected.get(op).incrementAndGet();
    }
    return struck;
  }

  private StorageException injectedError(Operation op, String key, Failure failure) {
    String outcome = switch (failure) {
      case FAIL -> "failed";
      case FAIL_PERMANENTLY -> "failed permanently";
      case WRITE_THEN_FAIL -> "was written, then failed";
      case WRITE_THEN_FAIL_PERMANENTLY -> "was written, then failed permanently";
      case PRECONDITION_FAILED -> "answered precondition failed; nothing was written";
      case WRITE_THEN_PRECONDITION_FAILED -> "was written, then answered precondition failed (a retried request)";
    };
    String message = String.format(Locale.ROOT, "Injected fault: %s of %s %s (FaultInjectingObjectStore)",
        op.name().toLowerCase(Locale.ROOT), delegate().root() + key, outcome);
    return failure.preconditionFailed() ? new PreconditionFailedException(message)
        : new StorageException(message, null, failure.retryable());
  }

  private void failIfStruck(Operation op, String key) {
    Failure f = enter(op, key, false);
    if (f != null) {
      throw injectedError(op, key, f);
    }
  }

  @Override
  public Stream<ObjectInfo> list(String prefix, String startAfter) {
    failIfStruck(Operation.LIST, prefix);
    return delegate().list(prefix, startAfter);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    failIfStruck(Operation.STAT, key);
    return delegate().stat(key);
  }

  @Override
  public SeekableInput open(String key) {
    failIfStruck(Operation.OPEN, key);
    return delegate().open(key);
  }

  @Override
  public byte[] read(String key) {
    failIfStruck(Operation.OPEN, key);
    return delegate().read(key);
  }

  @Override
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    Failure f = enter(Operation.PUT, key, condition.kind() != WriteCondition.Kind.NONE);
    if (f != null && !f.writes()) {
      throw injectedError(Operation.PUT, key, f);
    }
    ObjectInfo written = delegate().put(key, content, condition);
    if (f != null) {
      throw injectedError(Operation.PUT, key, f);
    }
    return written;
  }

  @Override
  public ObjectOutput create(String key) {
    Failure f = enter(Operation.CREATE, key, false);
    ObjectOutput real = delegate().create(key);
    return f == null ? real : new FaultyOutput(real, key, f);
  }

  @Override
  public DeleteResult delete(Collection<String> keys) {
    if (enter(Operation.DELETE, null, false) != null) {
      throw new StorageException(String.format(Locale.ROOT,
          "Injected fault: delete of %d keys under %s failed (FaultInjectingObjectStore)", keys.size(), root()),
          null, true);
    }
    Map<String, String> failed = new LinkedHashMap<>();
    List<String> rest = new ArrayList<>();
    for (String key : keys) {
      boolean refused = faults.stream().anyMatch(f -> f.op == Operation.DELETE && f.keys != null
          && f.keys.test(key));
      if (refused) {
        failed.put(key, "Injected fault: delete failed (FaultInjectingObjectStore)");
      } else {
        rest.add(key);
      }
    }
    if (!failed.isEmpty()) {
      injected.get(Operation.DELETE).incrementAndGet();
    }
    DeleteResult real = delegate().delete(rest);
    failed.putAll(real.failed());
    return new DeleteResult(real.deleted(), failed);
  }

  @Override
  public String toString() {
    return "FaultInjecting[" + delegate() + "]";
  }

  /** A streaming write whose publish fails (aborting the real write) or crashes (publishing it first). */
  private final class FaultyOutput extends ObjectOutput {
    private final ObjectOutput real;
    private final String key;
    private final Failure failure;
    private boolean closed;

    FaultyOutput(ObjectOutput real, String key, Failure failure) {
      this.real = real;
      this.key = key;
      this.failure = failure;
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
      if (failure.writes()) {
        real.close();
      } else {
        real.abort();
      }
      StorageException cause = injectedError(Operation.CREATE, key, failure);
      throw new IOException(cause.getMessage(), cause);
    }

    @Override
    public ObjectInfo result() {
      return real.result();
    }
  }
}
