package dev.lakelifecycle.core.internal.sweep;

import java.util.Comparator;

/**
 * The order object stores list keys in: UTF-8 binary order (S3's), which equals Unicode code point order.
 * {@link String#compareTo(String)} compares UTF-16 code units instead and disagrees with it when a
 * supplementary character (a surrogate pair, e.g. an emoji) meets a character in {@code U+E000..U+FFFF};
 * a merge that used it would step past a referenced key and call a live file an orphan.
 */
final class KeyOrder {
  /** UTF-8 binary (code point) order. */
  static final Comparator<String> UTF8_BINARY = KeyOrder::compare;

  private KeyOrder() {}

  static int compare(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char ca = a.charAt(i);
      char cb = b.charAt(i);
      if (ca != cb) {
        if (ca >= Character.MIN_SURROGATE && cb >= Character.MIN_SURROGATE) {
          // Surrogates stand for code points above U+FFFF, so they must sort after U+E000..U+FFFF.
          return codePointRank(ca) - codePointRank(cb);
        }
        return ca - cb;
      }
    }
    return a.length() - b.length();
  }

  private static int codePointRank(char c) {
    return c >= 0xE000 ? c - 0x800 : c + 0x2000;
  }
}
