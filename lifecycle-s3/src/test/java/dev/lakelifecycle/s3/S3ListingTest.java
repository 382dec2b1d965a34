package dev.lakelifecycle.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.storage.ObjectInfo;
import java.lang.ref.WeakReference;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;

/**
 * Listing 100,000 objects is streamed: pages are fetched only as the stream reaches them, and objects
 * already passed are garbage (heap does not grow with the object count). The entries are seeded into the
 * test server's listing index directly (no bodies, no HTTP) and listed through ListObjectsV2 over HTTP,
 * 100 pages of 1,000.
 */
class S3ListingTest {
  private static final Logger LOG = LoggerFactory.getLogger(S3ListingTest.class);
  private static final int COUNT = 100_000;

  @Test
  void listsHundredThousandObjectsPageByPageWithoutKeepingThem() {
    S3Server server = S3Server.shared();
    URI root = S3Server.freshRoot("listing");
    String prefix = root.getPath().substring(1);
    long t0 = System.nanoTime();
    java.time.Instant now = java.time.Instant.now();
    for (int i = 0; i < COUNT; i++) {
      String key = String.format(Locale.ROOT, "%sbulk/day=%02d/part-%06d.parquet", prefix, i % 7, i);
      server.blobs().seedListingEntry(S3Server.BUCKET, key, 1, "\"" + Integer.toHexString(i) + "\"", now);
    }
    LOG.info("Seeded {} objects in {} ms", COUNT, (System.nanoTime() - t0) / 1_000_000);
    AtomicInteger listRequests = new AtomicInteger();
    ExecutionInterceptor counter = new ExecutionInterceptor() {
      @Override
      public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (context.request() instanceof ListObjectsV2Request) {
          listRequests.incrementAndGet();
        }
      }
    };
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    try (S3ObjectStore store = server.builder(root).addInterceptor(counter).build();
        Stream<ObjectInfo> listing = store.list("bulk/")) {
      Iterator<ObjectInfo> it = listing.iterator();
      ObjectInfo first = it.next();
      assertThat(first.key()).isEqualTo("bulk/day=00/part-000000.parquet");
      assertThat(listRequests).hasValue(1);
      WeakReference<ObjectInfo> firstRef = new WeakReference<>(first);
      first = null;

      int seen = 1;
      String previous = "";
      long heapAtTenThousand = 0;
      while (it.hasNext()) {
        ObjectInfo o = it.next();
        seen++;
        assertThat(o.key().compareTo(previous)).isPositive();
        previous = o.key();
        // Lazy: never more than the page being consumed has been requested.
        assertThat(listRequests.get()).isLessThanOrEqualTo((seen + 999) / 1000);
        if (seen == 10_000) {
          heapAtTenThousand = usedAfterGc(memory);
        }
      }
      long heapAtEnd = usedAfterGc(memory);

      assertThat(seen).isEqualTo(COUNT);
      assertThat(listRequests).hasValue(COUNT / 1000);
      assertThat(firstRef.get()).as("the first listed object is garbage once passed").isNull();
      LOG.info("Listed {} objects in {} requests; used heap after GC {} MiB at 10,000 and {} MiB at {}", seen,
          listRequests.get(), heapAtTenThousand >> 20, heapAtEnd >> 20, COUNT);
      // 90,000 more ObjectInfos kept alive would take well over 10 MiB (key, etag and time each).
      assertThat(heapAtEnd - heapAtTenThousand).isLessThan(10L << 20);
    }
  }

  private static long usedAfterGc(MemoryMXBean memory) {
    System.gc();
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }
}
