package dev.lakelifecycle.core.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON form of a {@link Checkpoint}, as documented in {@code package-info.java}: the Timestore runbook's
 * {@code compaction_checkpoints} columns in snake case, plus the store's {@code write_token} and, for a
 * deleted checkpoint, {@code deleted: true}.
 */
final class CheckpointJson {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      // JSON has one integer type; reading every integer as Long gives both stores one value model.
      .enable(DeserializationFeature.USE_LONG_FOR_INTS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();

  /** One decoded object: a checkpoint, or a tombstone (then only id, version and updatedAt are meaningful). */
  record Stored(Checkpoint checkpoint, String writeToken, boolean tombstone) {}

  private CheckpointJson() {}

  static byte[] encode(Checkpoint c, String writeToken) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", c.id());
    json.put("status", c.status().name().toLowerCase(Locale.ROOT));
    json.put("cursor", c.cursor());
    json.put("metadata", c.metadata());
    json.put("stats", c.stats());
    json.put("version", c.version());
    json.put("updated_at", c.updatedAt().toString());
    json.put("lease_owner", c.leaseOwner());
    json.put("lease_expires_at", c.leaseExpiresAt() == null ? null : c.leaseExpiresAt().toString());
    json.put("write_token", writeToken);
    return write(json, c.id());
  }

  static byte[] encodeTombstone(String id, long version, Instant deletedAt, String writeToken) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", id);
    json.put("deleted", true);
    json.put("version", version);
    json.put("updated_at", deletedAt.toString());
    json.put("write_token", writeToken);
    return write(json, id);
  }

  private static byte[] write(Map<String, Object> json, String id) {
    try {
      return MAPPER.writeValueAsBytes(json);
    } catch (JsonProcessingException e) {
      // Values were normalised to the JSON model before, so this is a bug, not bad input.
      throw new LifecycleException(String.format(Locale.ROOT, "Cannot encode checkpoint %s as JSON: %s", id,
          e.getOriginalMessage()), e);
    }
  }

  /**
   * Decodes one stored object.
   *
   * @param location where the bytes came from, for the error message
   * @throws LifecycleException naming {@code location} if the bytes are not a checkpoint object
   */
  static Stored decode(byte[] bytes, String location) {
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw corrupt(location, "it is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
    }
    if (root == null || !root.isObject()) {
      throw corrupt(location, "it is not a JSON object", null);
    }
    try {
      String id = text(root, "id", true);
      long version = integral(root, "version");
      Instant updatedAt = instant(root, "updated_at", true);
      String token = text(root, "write_token", false);
      if (root.path("deleted").asBoolean(false)) {
        Checkpoint marker = new Checkpoint(id, Checkpoint.Status.PENDING, 0, Map.of(), Map.of(), version, updatedAt,
            null, null);
        return new Stored(marker, token, true);
      }
      String statusText = text(root, "status", true);
      Checkpoint.Status status;
      try {
        status = Checkpoint.Status.valueOf(statusText.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("status '" + statusText + "' is not pending, completed or failed", e);
      }
      long cursor = integral(root, "cursor");
      if (cursor > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("cursor " + cursor + " is larger than an int");
      }
      Checkpoint c = new Checkpoint(id, status, (int) cursor, object(root, "metadata", id), object(root, "stats", id),
          version, updatedAt, text(root, "lease_owner", false), instant(root, "lease_expires_at", false));
      return new Stored(c, token, false);
    } catch (IllegalArgumentException e) {
      throw corrupt(location, e.getMessage(), e);
    }
  }

  private static String text(JsonNode root, String field, boolean required) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw new IllegalArgumentException("field '" + field + "' is missing");
      }
      return null;
    }
    if (!n.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' is not a string");
    }
    return n.textValue();
  }

  private static long integral(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
      throw new IllegalArgumentException("field '" + field + "' is missing or not a non-negative integer");
    }
    return n.longValue();
  }

  private static Instant instant(JsonNode root, String field, boolean required) {
    String text = text(root, field, required);
    if (text == null) {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("field '" + field + "' is not an ISO-8601 instant: " + text, e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(JsonNode root, String field, String id) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw new IllegalArgumentException("field '" + field + "' is not a JSON object");
    }
    return JsonValues.normalise(MAPPER.convertValue(n, Map.class), id, field);
  }

  private static LifecycleException corrupt(String location, String problem, Throwable cause) {
    return new LifecycleException(String.format(Locale.ROOT,
        "Cannot read checkpoint object %s: %s (restore it from a backup or delete the object so the operation"
            + " starts over)", location, problem), cause);
  }
}
