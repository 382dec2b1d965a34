package dev.lakelifecycle.core.checkpoint;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * Checkpoint id rules shared by the embedded stores, and the id ↔ object-key encoding of
 * {@link ObjectStoreCheckpointStore}.
 *
 * <p>An id is a non-empty, {@code /}-separated path of non-empty segments, none of them {@code .} or
 * {@code ..} ({@code compaction/acme/prod/traces}). In a key, {@code /} stays the separator (so keys are
 * listable by id prefix) and every byte of a segment's UTF-8 form outside {@code [A-Za-z0-9._-]} is
 * percent-encoded as {@code %XX} (upper-case hex). The encoding maps character by character, so the encoding
 * of an id prefix is a prefix of the encoding of every id that starts with it.
 */
final class CheckpointIds {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private CheckpointIds() {}

  /** Checks {@code id} against the rules above; returns it. */
  static String validate(String id) {
    Objects.requireNonNull(id, "checkpoint id");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("Invalid checkpoint id: it is empty (use e.g. compaction/acme/prod/traces)");
    }
    for (String segment : id.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Invalid checkpoint id '%s': segments between '/' must be non-empty and not '.' or '..'"
                + " (use e.g. compaction/acme/prod/traces)", id));
      }
    }
    return id;
  }

  /** Percent-encodes {@code text} (an id or an id prefix), keeping {@code /}. */
  static String encode(String text) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(utf8.length + 8);
    for (byte b : utf8) {
      int c = b & 0xFF;
      if (c == '/' || c == '.' || c == '_' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')) {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    return out.toString();
  }

  /**
   * The id an encoded key path stands for.
   *
   * @throws IllegalArgumentException if {@code encoded} is not something {@link #encode(String)} produces
   */
  static String decode(String encoded) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        if (i + 2 >= encoded.length()) {
          throw new IllegalArgumentException("truncated escape in '" + encoded + "'");
        }
        int hi = Character.digit(encoded.charAt(i + 1), 16);
        int lo = Character.digit(encoded.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("bad escape in '" + encoded + "'");
        }
        bytes.write((hi << 4) | lo);
        i += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        throw new IllegalArgumentException("unencoded character in '" + encoded + "'");
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("invalid UTF-8 in '" + encoded + "'", e);
    }
  }
}
