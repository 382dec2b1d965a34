package dev.lakelifecycle.examples;

import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSchema.Type;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Parses one line of an Apache access log in the combined format
 * <pre>
 * 83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /index.html HTTP/1.1" 200 203023 "http://ref/" "Mozilla/5.0 ..."
 * </pre>
 * into a row of {@link #SCHEMA}. The common format (without referrer and user agent) is accepted too; those
 * two columns are then null. A {@code -} for bytes, referrer or user agent means "none" and becomes null. A
 * request of {@code -} (sent by clients that time out before sending one) gives null method, path and
 * protocol. Quoted fields may contain {@code \"} and {@code \\} escapes, as Apache writes them.
 */
public final class ApacheLogParser {

  /**
   * The {@code logs} table: {@code timestamp} (TIMESTAMP, the request time), {@code client_ip}, {@code method},
   * {@code path}, {@code protocol}, {@code status} (INT), {@code bytes} (LONG, null for {@code -}),
   * {@code referrer}, {@code user_agent}.
   */
  public static final TableSchema SCHEMA = TableSchema.builder()
      .required("timestamp", Type.TIMESTAMP)
      .required("client_ip", Type.STRING)
      .column("method", Type.STRING)
      .column("path", Type.STRING)
      .column("protocol", Type.STRING)
      .required("status", Type.INT)
      .column("bytes", Type.LONG)
      .column("referrer", Type.STRING)
      .column("user_agent", Type.STRING)
      .build();

  // English month abbreviations whatever the default locale: Apache always writes "May", "Jun"...
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);

  private final String line;
  private int pos;

  private ApacheLogParser(String line) {
    this.line = line;
  }

  /**
   * Parses one line.
   *
   * @return the values in {@link #SCHEMA} order; the timestamp is an {@link Instant}
   * @throws MalformedLineException saying which field is wrong and why
   */
  public static Object[] parse(String line) throws MalformedLineException {
    return new ApacheLogParser(line).parseLine();
  }

  private Object[] parseLine() throws MalformedLineException {
    if (line.isBlank()) {
      throw new MalformedLineException("empty line");
    }
    String ip = token("client ip");
    token("ident");
    token("user");
    Instant time = timestamp();
    String request = quoted("request");
    String status = token("status");
    String bytes = token("bytes");
    String referrer = null;
    String userAgent = null;
    if (pos < line.length()) {
      referrer = quoted("referrer");
      userAgent = quoted("user agent");
      if (pos < line.length()) {
        throw new MalformedLineException(String.format(Locale.ROOT,
            "unexpected text after the user agent at column %d: '%s'", pos + 1, abbreviate(line.substring(pos))));
      }
    }
    String[] req = requestParts(request);
    return new Object[] {
        time, ip, req[0], req[1], req[2], status(status), bytes(bytes), dashToNull(referrer), dashToNull(userAgent)};
  }

  /** A space-terminated field; consumes the single space after it unless at the end. */
  private String token(String what) throws MalformedLineException {
    if (pos >= line.length()) {
      throw new MalformedLineException("line ends before the " + what);
    }
    int end = line.indexOf(' ', pos);
    String value = end < 0 ? line.substring(pos) : line.substring(pos, end);
    if (value.isEmpty()) {
      throw new MalformedLineException(String.format(Locale.ROOT, "empty %s at column %d", what, pos + 1));
    }
    pos = end < 0 ? line.length() : end + 1;
    return value;
  }

  private Instant timestamp() throws MalformedLineException {
    if (pos >= line.length() || line.charAt(pos) != '[') {
      throw new MalformedLineException(String.format(Locale.ROOT, "expected '[' before the time at column %d", pos + 1));
    }
    int end = line.indexOf(']', pos);
    if (end < 0) {
      throw new MalformedLineException("missing ']' after the time");
    }
    String text = line.substring(pos + 1, end);
    pos = end + 1;
    skipSpace();
    try {
      return OffsetDateTime.parse(text, TIME).toInstant();
    } catch (DateTimeParseException e) {
      throw new MalformedLineException(String.format(Locale.ROOT,
          "time '%s' is not dd/MMM/yyyy:HH:mm:ss Z", text), e);
    }
  }

  /** A double-quoted field with Apache's backslash escapes; consumes the single space after it. */
  private String quoted(String what) throws MalformedLineException {
    if (pos >= line.length() || line.charAt(pos) != '"') {
      throw new MalformedLineException(String.format(Locale.ROOT,
          "expected a quoted %s at column %d", what, pos + 1));
    }
    StringBuilder sb = new StringBuilder();
    for (int i = pos + 1; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length() && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\')) {
        sb.append(line.charAt(++i));
      } else if (c == '"') {
        pos = i + 1;
        skipSpace();
        return sb.toString();
      } else {
        sb.append(c);
      }
    }
    throw new MalformedLineException("missing closing quote of the " + what + " (line truncated?)");
  }

  private void skipSpace() throws MalformedLineException {
    if (pos < line.length()) {
      if (line.charAt(pos) != ' ') {
        throw new MalformedLineException(String.format(Locale.ROOT,
            "expected a space at column %d, found '%c'", pos + 1, line.charAt(pos)));
      }
      pos++;
    }
  }

  private static String[] requestParts(String request) throws MalformedLineException {
    if (request.equals("-") || request.isEmpty()) {
      return new String[3];
    }
    String[] parts = request.split(" ", -1);
    if (parts.length == 3 && !parts[0].isEmpty() && !parts[1].isEmpty() && parts[2].startsWith("HTTP/")) {
      return parts;
    }
    if (parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
      // HTTP/0.9 requests have no protocol part.
      return new String[] {parts[0], parts[1], null};
    }
    throw new MalformedLineException(String.format(Locale.ROOT,
        "request '%s' is not 'METHOD PATH PROTOCOL'", abbreviate(request)));
  }

  private static int status(String text) throws MalformedLineException {
    if (text.length() != 3 || !text.chars().allMatch(Character::isDigit)) {
      throw new MalformedLineException(String.format(Locale.ROOT, "status '%s' is not a three-digit number", text));
    }
    return Integer.parseInt(text);
  }

  private static Long bytes(String text) throws MalformedLineException {
    if (text.equals("-")) {
      return null;
    }
    try {
      long n = Long.parseLong(text);
      if (n < 0) {
        throw new NumberFormatException("negative");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new MalformedLineException(String.format(Locale.ROOT,
          "bytes '%s' is neither a non-negative number nor '-'", abbreviate(text)), e);
    }
  }

  private static String dashToNull(String value) {
    return value == null || value.equals("-") ? null : value;
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
