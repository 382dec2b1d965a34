package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.InvalidConfigurationException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/** Parsing of {@code s3://} / {@code s3a://} locations, and key validation. */
final class S3Locations {
  /** Bucket names as S3 (and the S3-compatible stores we know) accept them, legacy upper case included. */
  private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{1,254}");

  final String scheme;
  final String bucket;
  /** The key prefix of the root: {@code ""} or ending with {@code /}. */
  final String prefix;
  private final List<String> prefixSegments;

  private S3Locations(String scheme, String bucket, String prefix) {
    this.scheme = scheme;
    this.bucket = bucket;
    this.prefix = prefix;
    this.prefixSegments = prefix.isEmpty() ? List.of() : List.of(prefix.substring(0, prefix.length() - 1).split("/"));
  }

  /**
   * Reads a root {@code s3://bucket/prefix/} ({@code s3a} too; a missing trailing {@code /} is added).
   *
   * @throws InvalidConfigurationException naming the root and the fix
   */
  static S3Locations ofRoot(URI root) {
    Objects.requireNonNull(root, "root");
    String scheme = root.getScheme() == null ? null : root.getScheme().toLowerCase(Locale.ROOT);
    if (!"s3".equals(scheme) && !"s3a".equals(scheme)) {
      throw invalid(root, "the scheme must be s3 or s3a, as in s3://bucket/prefix/");
    }
    String bucket = root.getAuthority();
    if (root.isOpaque() || bucket == null || !BUCKET.matcher(bucket).matches()) {
      throw invalid(root, "expected s3://bucket/prefix/ with a bucket name of 3 to 255 letters, digits, '.', '_' or '-'");
    }
    if (root.getRawQuery() != null || root.getRawFragment() != null) {
      throw invalid(root, "a query or fragment is not allowed");
    }
    String path = root.getPath() == null ? "" : root.getPath();
    String prefix = path.startsWith("/") ? path.substring(1) : path;
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      prefix = prefix + "/";
    }
    if (!prefix.isEmpty()) {
      String problem = keyProblem(prefix.substring(0, prefix.length() - 1));
      if (problem != null) {
        throw invalid(root, "its prefix '" + prefix + "' is not a valid key prefix: " + problem);
      }
    }
    return new S3Locations(scheme, bucket, prefix);
  }

  /** The root as a URI, percent-encoded where a URI requires it. */
  URI rootUri() {
    try {
      return new URI(scheme, bucket, "/" + prefix, null, null);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException("Cannot form the root URI of bucket " + bucket + " and prefix " + prefix, e);
    }
  }

  /** {@code scheme://bucket/}: the location of the root is this plus the prefix. */
  String rootLocation() {
    return scheme + "://" + bucket + "/" + prefix;
  }

  /** See {@link S3ObjectStore#keyOf(String)}. */
  Optional<String> keyOf(String location) {
    Objects.requireNonNull(location, "location");
    int colon = location.indexOf("://");
    if (colon < 0) {
      return Optional.empty();
    }
    String s = location.substring(0, colon).toLowerCase(Locale.ROOT);
    if (!s.equals("s3") && !s.equals("s3a")) {
      return Optional.empty();
    }
    int slash = location.indexOf('/', colon + 3);
    if (slash < 0 || !location.substring(colon + 3, slash).equals(bucket)) {
      return Optional.empty();
    }
    String path = location.substring(slash + 1);
    Optional<String> raw = keyOfPath(path);
    if (raw.isPresent() || path.indexOf('%') < 0) {
      return raw;
    }
    String decoded = percentDecode(path);
    return decoded == null ? Optional.empty() : keyOfPath(decoded);
  }

  private Optional<String> keyOfPath(String path) {
    if (path.isEmpty() || path.endsWith("/")) {
      return Optional.empty();
    }
    List<String> segments = new ArrayList<>();
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty()) {
        // A different S3 object than the one with the empty segment collapsed: never map one to the other.
        return Optional.empty();
      }
      if (segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        if (segments.isEmpty()) {
          return Optional.empty();
        }
        segments.remove(segments.size() - 1);
        continue;
      }
      segments.add(segment);
    }
    if (segments.size() <= prefixSegments.size() || !segments.subList(0, prefixSegments.size()).equals(prefixSegments)) {
      return Optional.empty();
    }
    String key = String.join("/", segments.subList(prefixSegments.size(), segments.size()));
    return keyProblem(key) == null ? Optional.of(key) : Optional.empty();
  }

  /** Throws {@link IllegalArgumentException} naming the key if it is not a valid object key. */
  static void checkKey(String key) {
    Objects.requireNonNull(key, "key");
    String problem = keyProblem(key);
    if (problem != null) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Invalid object key '%s': %s (keys are relative, /-separated, without empty, '.' or '..' segments, "
              + "control characters or a trailing '/', and at most 1024 UTF-8 bytes with the store's prefix)",
          key, problem));
    }
  }

  /** Why the key is invalid, or null if it is valid. */
  static String keyProblem(String key) {
    if (key.isEmpty()) {
      return "it is empty";
    }
    if (key.startsWith("/")) {
      return "it starts with '/'";
    }
    if (key.endsWith("/")) {
      return "it ends with '/'";
    }
    if (key.contains("//")) {
      return "it contains an empty segment '//'";
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '\0') {
        return "it contains a NUL character";
      }
      if (Character.isISOControl(c)) {
        // XML 1.0, which S3 listings are written in, cannot carry most control characters.
        return "it contains a control character at index " + i;
      }
      if (Character.isHighSurrogate(c) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return "it contains an unpaired surrogate at index " + i;
      }
    }
    for (String segment : key.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        return "it contains a '" + segment + "' segment";
      }
    }
    if (key.getBytes(StandardCharsets.UTF_8).length > 1024) {
      return "it is longer than S3's 1024 UTF-8 bytes";
    }
    return null;
  }

  /** Decodes {@code %XX} escapes as UTF-8; null if an escape is malformed or the bytes are not UTF-8. */
  static String percentDecode(String s) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < utf8.length; i++) {
      byte b = utf8[i];
      if (b == '%') {
        if (i + 2 >= utf8.length) {
          return null;
        }
        int hi = Character.digit(utf8[i + 1], 16);
        int lo = Character.digit(utf8[i + 2], 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else {
        bytes.write(b);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static InvalidConfigurationException invalid(URI root, String why) {
    return new InvalidConfigurationException(String.format(Locale.ROOT, "Invalid S3 location '%s': %s", root, why));
  }
}
