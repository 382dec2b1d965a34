package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A real store whose delete calls are recorded and can be intercepted: to count batches, fail some keys, or
 * crash a call. Everything else goes straight through.
 */
final class InterceptingObjectStore implements ObjectStore {
  /** Decides what one delete call does; {@code call} is 1-based. */
  @FunctionalInterface
  interface DeleteHook {
    DeleteResult delete(int call, List<String> keys, ObjectStore real);
  }

  private final ObjectStore real;
  private final List<List<String>> deleteCalls = new CopyOnWriteArrayList<>();
  private volatile DeleteHook hook = (call, keys, store) -> store.delete(keys);
  private volatile UnaryOperator<Stream<ObjectInfo>> listing = UnaryOperator.identity();
  private volatile UnaryOperator<Optional<String>> keyOf = UnaryOperator.identity();

  InterceptingObjectStore(ObjectStore real) {
    this.real = real;
  }

  void onDelete(DeleteHook hook) {
    this.hook = hook;
  }

  /** Rewrites what {@link #list(String, String)} returns (to break its order, for instance). */
  void onList(UnaryOperator<Stream<ObjectInfo>> rewrite) {
    this.listing = rewrite;
  }

  /** Rewrites what {@link #keyOf(String)} returns (to mimic a store with a lossy normalisation). */
  void onKeyOf(UnaryOperator<Optional<String>> rewrite) {
    this.keyOf = rewrite;
  }

  /** The keys of every delete call so far, in call order. */
  List<List<String>> deleteCalls() {
    return deleteCalls;
  }

  @Override
  public DeleteResult delete(Collection<String> keys) {
    List<String> copy = List.copyOf(keys);
    deleteCalls.add(copy);
    return hook.delete(deleteCalls.size(), new ArrayList<>(copy), real);
  }

  @Override
  public URI root() {
    return real.root();
  }

  @Override
  public String location(String key) {
    // ManifestCatalog names a table's directory as location("tenant/dataset/table/"), a key LocalObjectStore
    // rejects for its trailing '/'. Until one of them gives way, spell such directory locations here.
    if (key.endsWith("/") && key.length() > 1) {
      return real.location(key.substring(0, key.length() - 1)) + "/";
    }
    return real.location(key);
  }

  @Override
  public Optional<String> keyOf(String location) {
    return keyOf.apply(real.keyOf(location));
  }

  @Override
  public Stream<ObjectInfo> list(String prefix, String startAfter) {
    return listing.apply(real.list(prefix, startAfter));
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    return real.stat(key);
  }

  @Override
  public SeekableInput open(String key) {
    return real.open(key);
  }

  @Override
  public ObjectInfo put(String key, byte[] content, WriteCondition condition) {
    return real.put(key, content, condition);
  }

  @Override
  public ObjectOutput create(String key) {
    return real.create(key);
  }

  @Override
  public void close() {
    real.close();
  }
}
