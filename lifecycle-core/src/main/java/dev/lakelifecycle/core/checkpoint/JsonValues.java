package dev.lakelifecycle.core.checkpoint;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Normalises a checkpoint's {@code metadata}/{@code stats} to the JSON value model both embedded stores
 * share, so that what {@link InMemoryCheckpointStore} returns equals what {@link ObjectStoreCheckpointStore}
 * reads back from its JSON: {@code String}, {@code Boolean}, {@code null}, integral numbers as {@code Long},
 * fractional numbers as {@code Double}, {@code List} and {@code Map<String, ?>} of those, deeply copied and
 * unmodifiable (key order kept).
 */
final class JsonValues {
  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private JsonValues() {}

  /**
   * A deep, unmodifiable copy of {@code map} in the shared value model.
   *
   * @throws IllegalArgumentException naming the checkpoint, the field and the path of a value JSON cannot
   *     hold exactly (a non-finite double, a {@code BigDecimal}, an {@code Instant}, a non-String map key...)
   */
  static Map<String, Object> normalise(Map<String, ?> map, String checkpointId, String field) {
    return normaliseMap(map, checkpointId, field);
  }

  private static Map<String, Object> normaliseMap(Map<?, ?> map, String id, String path) {
    Map<String, Object> copy = new LinkedHashMap<>(Math.max(4, map.size() * 2));
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key)) {
        throw invalid(id, path, "has a map key " + e.getKey() + " that is not a String");
      }
      copy.put(key, normaliseValue(e.getValue(), id, path + "." + key));
    }
    return Collections.unmodifiableMap(copy);
  }

  private static Object normaliseValue(Object value, String id, String path) {
    if (value == null || value instanceof String || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (!Double.isFinite(d)) {
        throw invalid(id, path, "is " + d + ", which JSON cannot hold (store null or a string instead)");
      }
      return d;
    }
    if (value instanceof BigInteger big) {
      if (big.compareTo(LONG_MIN) < 0 || big.compareTo(LONG_MAX) > 0) {
        throw invalid(id, path, "is " + big + ", outside the range of a long (store it as a string)");
      }
      return big.longValue();
    }
    if (value instanceof Map<?, ?> m) {
      return normaliseMap(m, id, path);
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        copy.add(normaliseValue(list.get(i), id, path + "[" + i + "]"));
      }
      return Collections.unmodifiableList(copy);
    }
    throw invalid(id, path, "is a " + value.getClass().getName()
        + ", which is not a JSON value (use String, Long, Double, Boolean, List, Map or null)");
  }

  private static IllegalArgumentException invalid(String id, String path, String problem) {
    return new IllegalArgumentException(String.format(Locale.ROOT, "Cannot store checkpoint %s: %s %s", id, path,
        problem));
  }
}
