package dev.lakelifecycle.core.internal.sweep;

/**
 * A Bloom filter over UTF-8 keys: {@link #mightContain} is never false for an added key, and true for
 * others with a small probability (about 1 % at 10 bits per key). Revalidation streams the fresh valid set
 * through a filter of the candidates, so that only references that may name a candidate (the real ones and
 * the false positives) need sorting; a valid set of millions of keys is not sorted a second time. Not
 * thread-safe.
 */
final class KeyFilter {
  private static final int BITS_PER_KEY = 10;
  private static final int HASHES = 7;
  /** 32 MiB of bits at most; beyond that the false-positive rate grows, never the memory. */
  private static final long MAX_BITS = 1L << 28;

  private final long[] words;
  private final long bits;

  /** A filter sized for {@code expectedKeys}. */
  KeyFilter(long expectedKeys) {
    long wanted = Math.max(64, Math.min(MAX_BITS, expectedKeys * BITS_PER_KEY));
    this.words = new long[(int) ((wanted + 63) >>> 6)];
    this.bits = (long) words.length << 6;
  }

  void add(byte[] key) {
    long h = hash(key);
    int h1 = (int) h;
    int h2 = (int) (h >>> 32);
    for (int i = 0; i < HASHES; i++) {
      long bit = Integer.toUnsignedLong(h1 + i * h2) % bits;
      words[(int) (bit >>> 6)] |= 1L << bit;
    }
  }

  boolean mightContain(byte[] key) {
    long h = hash(key);
    int h1 = (int) h;
    int h2 = (int) (h >>> 32);
    for (int i = 0; i < HASHES; i++) {
      long bit = Integer.toUnsignedLong(h1 + i * h2) % bits;
      if ((words[(int) (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
    }
    return true;
  }

  /** FNV-1a over the bytes, then a 64-bit finaliser (MurmurHash3's) so both halves are well mixed. */
  private static long hash(byte[] key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
