package dev.lakelifecycle.core.internal.sweep;

/**
 * A Bloom filter over UTF-8 keys: {@link #mightContain} is never false for an added key, and true for
 * others with a small probability (about 1 % at 10 bits per key). It is blocked (Putze, Sanders and Singler):
 * the 7 bits of a key lie in one 512-bit block, one cache line, so that adding or testing a key touches
 * memory once, for a slightly higher false-positive rate than an unblocked filter. Revalidation streams the fresh valid set
 * through a filter of the candidates, so that only references that may name a candidate (the real ones and
 * the false positives) need sorting; a valid set of millions of keys is not sorted a second time. Not
 * thread-safe.
 */
final class KeyFilter {
  private static final int BITS_PER_KEY = 10;
  private static final int HASHES = 7;
  /** One block: a 64-byte cache line, so a key costs one cache miss, not seven. */
  private static final int BLOCK_BITS = 512;
  private static final int BLOCK_WORDS = BLOCK_BITS / 64;
  /** 32 MiB of bits at most; beyond that the false-positive rate grows, never the memory. */
  private static final long MAX_BITS = 1L << 28;

  private final long[] words;
  /** Blocks minus one: the block count is a power of two, so choosing one is a mask, not a division. */
  private final int blockMask;

  /** A filter sized for {@code expectedKeys}. */
  KeyFilter(long expectedKeys) {
    long wanted = Math.max(BLOCK_BITS, Math.min(MAX_BITS, expectedKeys * BITS_PER_KEY));
    long bits = Long.highestOneBit(wanted);
    if (bits < wanted) {
      bits <<= 1;
    }
    this.words = new long[(int) (bits >>> 6)];
    this.blockMask = (int) (bits / BLOCK_BITS) - 1;
  }

  void add(byte[] key) {
    add(key, 0, key.length);
  }

  void add(byte[] key, int off, int len) {
    addHash(hash(key, off, len));
  }

  /**
   * Adds the keys whose {@link #hash}es are {@code hashes[0..n)}. Hashing a batch first and then setting its
   * bits lets the processor overlap the cache misses of independent keys, which dominate for large filters.
   */
  void addHashes(long[] hashes, int n) {
    for (int i = 0; i < n; i++) {
      addHash(hashes[i]);
    }
  }

  private void addHash(long h) {
    int base = ((int) (h >>> 32) & blockMask) * BLOCK_WORDS;
    long g = mix(h);
    for (int i = 0; i < HASHES; i++, g >>>= 9) {
      int bit = (int) g & (BLOCK_BITS - 1);
      words[base + (bit >>> 6)] |= 1L << bit;
    }
  }

  boolean mightContain(byte[] key) {
    return mightContain(key, 0, key.length);
  }

  boolean mightContain(byte[] key, int off, int len) {
    return mightContainHash(hash(key, off, len));
  }

  /** {@link #mightContain} of the key whose {@link #hash} is {@code h}. */
  boolean mightContainHash(long h) {
    int base = ((int) (h >>> 32) & blockMask) * BLOCK_WORDS;
    long g = mix(h);
    for (int i = 0; i < HASHES; i++, g >>>= 9) {
      int bit = (int) g & (BLOCK_BITS - 1);
      if ((words[base + (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
    }
    return true;
  }

  /** A second, independent 64 bits from the first (SplitMix64's finaliser): 7 bit positions of 9 bits each. */
  private static long mix(long h) {
    long z = h + 0x9e3779b97f4a7c15L;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * Eight bytes per step (multiply and rotate, as in xxHash's inner loop), the tail byte by byte, then
   * MurmurHash3's 64-bit finaliser so both halves are well mixed.
   */
  static long hash(byte[] key, int off, int len) {
    long h = 0x9e3779b97f4a7c15L ^ len;
    int p = off;
    int end = off + len;
    for (; p + 8 <= end; p += 8) {
      h = Long.rotateLeft(h ^ (SpillIo.longAt(key, p) * 0xc2b2ae3d27d4eb4fL), 31) * 0x9e3779b97f4a7c15L;
    }
    for (; p < end; p++) {
      h = (h ^ (key[p] & 0xff)) * 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
