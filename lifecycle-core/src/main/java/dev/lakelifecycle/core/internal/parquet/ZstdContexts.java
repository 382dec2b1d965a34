package dev.lakelifecycle.core.internal.parquet;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * A process-wide pool of native zstd contexts, borrowed for one page and given back right after. A pool rather than
 * thread-locals because compaction runs on short-lived threads (a column pool per rewrite): a context tied to a thread
 * that ends would leak its native memory, while a pooled one serves the next file on any thread. At most
 * {@link #MAX_IDLE} contexts of each kind stay idle (a few MiB of native memory each at level 3 for 1 MiB pages);
 * contexts given back beyond that are closed at once, so a burst of parallel work does not pin memory for good.
 */
final class ZstdContexts {
  /** Idle contexts kept per kind: twice the cores (a writer and a reader per core), at least 4. */
  static final int MAX_IDLE = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

  private static final ArrayBlockingQueue<ZstdCompressCtx> COMPRESS = new ArrayBlockingQueue<>(MAX_IDLE);
  private static final ArrayBlockingQueue<ZstdDecompressCtx> DECOMPRESS = new ArrayBlockingQueue<>(MAX_IDLE);

  private ZstdContexts() {}

  /** A compression context at {@code level}; give it back with {@link #release(ZstdCompressCtx)}. */
  static ZstdCompressCtx compressor(int level) {
    ZstdCompressCtx ctx = COMPRESS.poll();
    if (ctx == null) {
      ctx = new ZstdCompressCtx();
    }
    // Cheap (a parameter write); the next compression starts a fresh frame with it whatever the context did before.
    return ctx.setLevel(level);
  }

  static void release(ZstdCompressCtx ctx) {
    if (!COMPRESS.offer(ctx)) {
      ctx.close();
    }
  }

  /** A decompression context; give it back with {@link #release(ZstdDecompressCtx)}. */
  static ZstdDecompressCtx decompressor() {
    ZstdDecompressCtx ctx = DECOMPRESS.poll();
    return ctx != null ? ctx : new ZstdDecompressCtx();
  }

  static void release(ZstdDecompressCtx ctx) {
    if (!DECOMPRESS.offer(ctx)) {
      ctx.close();
    }
  }

  /** Idle compression and decompression contexts (for tests: the pool stays bounded). */
  static int idle() {
    return COMPRESS.size() + DECOMPRESS.size();
  }
}
