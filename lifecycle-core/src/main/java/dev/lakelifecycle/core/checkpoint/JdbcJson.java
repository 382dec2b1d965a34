package dev.lakelifecycle.core.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON text of a checkpoint's {@code metadata}/{@code stats} column, written so that it survives
 * PostgreSQL's {@code jsonb} with the shared value model intact.
 *
 * <p>{@code jsonb} stores numbers as {@code numeric}: it keeps the decimal digits and the scale of what it
 * was given but forgets exponent notation, so {@code 1.0E10} would come back {@code 10000000000} (an integer).
 * Doubles are therefore written as plain decimals that always carry a fractional digit
 * ({@code 10000000000.0}, {@code 0.1}, {@code -0.000…15}); {@code numeric} keeps that scale, and reading a
 * number with a fraction or exponent gives a {@code Double} (correctly rounded, so the exact double written).
 * Integers are written as is and come back {@code Long}; an integral literal beyond {@code long} (only a
 * foreign writer produces one) reads as a {@code Double}. {@code jsonb} also reorders object keys (shorter
 * first, then bytewise) and has no negative zero; {@code Map} equality ignores the first, and {@code -0.0}
 * comes back {@code 0.0}.
 */
final class JdbcJson {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper MAPPER = JsonMapper.builder().build();

  private JdbcJson() {}

  /**
   * The JSON text of an already normalised map (see {@link JsonValues}).
   *
   * @throws IllegalArgumentException naming the path of a string holding U+0000, which {@code jsonb} cannot store
   */
  static String write(Map<String, Object> map, String checkpointId, String field, boolean rejectNul) {
    StringWriter out = new StringWriter(128);
    try (JsonGenerator gen = FACTORY.createGenerator(out)) {
      writeValue(gen, map, checkpointId, field, rejectNul);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write JSON to memory", e);
    }
    return out.toString();
  }

  private static void writeValue(JsonGenerator gen, Object value, String id, String path, boolean rejectNul)
      throws IOException {
    if (value == null) {
      gen.writeNull();
    } else if (value instanceof String s) {
      if (rejectNul && s.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Cannot store checkpoint %s: %s holds the character U+0000, which PostgreSQL's jsonb cannot store"
                + " (remove it or encode the value, e.g. as Base64)", id, path));
      }
      gen.writeString(s);
    } else if (value instanceof Boolean b) {
      gen.writeBoolean(b);
    } else if (value instanceof Long l) {
      gen.writeNumber(l);
    } else if (value instanceof Double d) {
      gen.writeNumber(plainDecimal(d));
    } else if (value instanceof Map<?, ?> m) {
      gen.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        gen.writeFieldName((String) e.getKey());
        writeValue(gen, e.getValue(), id, path + "." + e.getKey(), rejectNul);
      }
      gen.writeEndObject();
    } else if (value instanceof List<?> list) {
      gen.writeStartArray();
      for (int i = 0; i < list.size(); i++) {
        writeValue(gen, list.get(i), id, path + "[" + i + "]", rejectNul);
      }
      gen.writeEndArray();
    } else {
      // JsonValues.normalise ran before: anything else is a bug here, not bad input.
      throw new IllegalStateException("not a normalised JSON value at " + path + ": " + value.getClass());
    }
  }

  /** {@code d} as a plain decimal with at least one fractional digit; the shortest that parses back to {@code d}. */
  static String plainDecimal(double d) {
    String plain = BigDecimal.valueOf(d).toPlainString();
    return plain.indexOf('.') >= 0 ? plain : plain + ".0";
  }

  /**
   * Parses a column's JSON text into the shared value model: unmodifiable insertion-ordered maps and lists,
   * {@code Long} for integers within range, {@code Double} for the rest.
   *
   * @throws IllegalArgumentException if the text is not a JSON object
   */
  static Map<String, Object> read(String text) {
    if (text == null) {
      return Map.of();
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException("not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) convert(root);
    return map;
  }

  private static Object convert(JsonNode n) {
    if (n.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>(Math.max(4, n.size() * 2));
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        map.put(e.getKey(), convert(e.getValue()));
      }
      return Collections.unmodifiableMap(map);
    }
    if (n.isArray()) {
      List<Object> list = new ArrayList<>(n.size());
      for (JsonNode element : n) {
        list.add(convert(element));
      }
      return Collections.unmodifiableList(list);
    }
    if (n.isIntegralNumber()) {
      return n.canConvertToLong() ? (Object) n.longValue() : (Object) n.doubleValue();
    }
    if (n.isNumber()) {
      return n.doubleValue();
    }
    if (n.isTextual()) {
      return n.textValue();
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isNull()) {
      return null;
    }
    throw new IllegalArgumentException("unexpected JSON node " + n.getNodeType());
  }
}
