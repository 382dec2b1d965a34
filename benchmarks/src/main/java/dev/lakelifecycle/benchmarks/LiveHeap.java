package dev.lakelifecycle.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The largest heap use right after any collection (live data plus what that collection left), in bytes.
 * Summing each heap pool's own peak overstates: eden, survivor and old peak at different moments. A run under
 * {@code -Xmx} that completes never used more than that; this figure says how much it kept.
 */
final class LiveHeap {
  private final AtomicLong max = new AtomicLong();

  private LiveHeap() {}

  /** Starts watching every collector of this JVM. */
  static LiveHeap watch() {
    LiveHeap heap = new LiveHeap();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener((notification, handback) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
          GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
              (CompositeData) notification.getUserData());
          long used = 0;
          for (MemoryUsage u : info.getGcInfo().getMemoryUsageAfterGc().values()) {
            used += u.getUsed();
          }
          heap.max.accumulateAndGet(used, Math::max);
        }
      }, null, null);
    }
    return heap;
  }

  /** The largest heap use after a collection seen so far, in bytes; 0 if no collection ran. */
  long maxAfterGcBytes() {
    return max.get();
  }
}
