package dev.lakelifecycle.core.internal.sweep;

import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.testkit.ForwardingObjectStore;
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
final class InterceptingObjectStore extends ForwardingObjectStore {
  /** Decides what one delete call does; {@code call} is 1-based. */
  @FunctionalInterface
  interface DeleteHook {
    DeleteResult delete(int call, List<String> keys, ObjectStore real);
  }

  private final List<List<String>> deleteCalls = new CopyOnWriteArrayList<>();
  private volatile DeleteHook hook = (call, keys, store) -> store.delete(keys);
  private volatile UnaryOperator<Stream<ObjectInfo>> listing = UnaryOperator.identity();
  private volatile UnaryOperator<Optional<String>> keyOf = UnaryOperator.identity();

  InterceptingObjectStore(ObjectStore real) {
    super(real);
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
    return hook.delete(deleteCalls.size(), new ArrayList<>(copy), delegate());
  }

  @Override
  public Optional<String> keyOf(String location) {
    return keyOf.apply(super.keyOf(location));
  }

  @Override
  public Stream<ObjectInfo> list(String prefix, String startAfter) {
    return listing.apply(super.list(prefix, startAfter));
  }
}
