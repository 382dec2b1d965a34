package dev.lakelifecycle.examples;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSchema.Type;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parses the NCEDC earthquake catalogue CSV
 * <pre>
 * DateTime,Latitude,Longitude,Depth,Magnitude,MagType,NbStations,Gap,Distance,RMS,Source,EventID
 * 2016/01/01 00:30:04.91,18.0772,-67.1027,19.91,2.80,Md,,125,0,0.44,pr,201601012001
 * </pre>
 * into rows of {@link #SCHEMA}, one tenant per reporting network: the {@code Source} column lower-cased
 * ({@code NC} and {@code nc} are one tenant; the {@code source} column keeps the original spelling). Columns
 * are found by header name, so their order may change. Times are UTC. Empty fields become null; an empty
 * required field (time, latitude, longitude, source) makes the line malformed. Quoted fields (RFC 4180) are
 * accepted.
 */
public final class EarthquakeCsvParser {

  /** The columns the header must name. */
  public static final List<String> HEADER = List.of(
      "DateTime", "Latitude", "Longitude", "Depth", "Magnitude", "MagType", "NbStations", "Gap", "Distance", "RMS",
      "Source", "EventID");

  /**
   * The {@code events} table: {@code timestamp} (TIMESTAMP, origin time), {@code latitude} and {@code longitude}
   * (DOUBLE, degrees), {@code depth} (DOUBLE, km), {@code magnitude} (DOUBLE), {@code mag_type},
   * {@code nb_stations} (INT), {@code gap} (DOUBLE, degrees), {@code distance} (DOUBLE, km), {@code rms}
   * (DOUBLE, s), {@code source} (the network as written), {@code event_id}.
   */
  public static final TableSchema SCHEMA = TableSchema.builder()
      .required("timestamp", Type.TIMESTAMP)
      .required("latitude", Type.DOUBLE)
      .required("longitude", Type.DOUBLE)
      .column("depth", Type.DOUBLE)
      .column("magnitude", Type.DOUBLE)
      .column("mag_type", Type.STRING)
      .column("nb_stations", Type.INT)
      .column("gap", Type.DOUBLE)
      .column("distance", Type.DOUBLE)
      .column("rms", Type.DOUBLE)
      .required("source", Type.STRING)
      .column("event_id", Type.STRING)
      .build();

  /** One parsed event: the tenant it belongs to and its values in {@link #SCHEMA} order. */
  public record Event(String tenant, Object[] values) {}

  private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder()
      .appendPattern("yyyy/MM/dd HH:mm:ss")
      .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
      .toFormatter(Locale.ROOT);
  private static final Pattern TENANT = Pattern.compile("[a-z0-9_-]{1," + TableId.MAX_PART_LENGTH + "}");

  private final int[] index = new int[HEADER.size()];
  private final int fieldCount;

  private EarthquakeCsvParser(List<String> header) throws MalformedLineException {
    Map<String, Integer> byName = new HashMap<>();
    for (int i = 0; i < header.size(); i++) {
      byName.put(header.get(i).trim(), i);
    }
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < HEADER.size(); i++) {
      Integer at = byName.get(HEADER.get(i));
      if (at == null) {
        missing.add(HEADER.get(i));
      } else {
        index[i] = at;
      }
    }
    if (!missing.isEmpty()) {
      throw new MalformedLineException(String.format(Locale.ROOT,
          "header lacks the column(s) %s; expected %s", missing, String.join(",", HEADER)));
    }
    this.fieldCount = header.size();
  }

  /**
   * A parser for a file whose first line is {@code headerLine}.
   *
   * @throws MalformedLineException if the header does not name every column of {@link #HEADER}
   */
  public static EarthquakeCsvParser forHeader(String headerLine) throws MalformedLineException {
    // A UTF-8 byte order mark would otherwise hide the first column's name.
    String h = headerLine.startsWith("\uFEFF") ? headerLine.substring(1) : headerLine;
    return new EarthquakeCsvParser(splitCsv(h));
  }

  /**
   * Parses one data line.
   *
   * @throws MalformedLineException saying which field is wrong and why
   */
  public Event parse(String line) throws MalformedLineException {
    if (line.isBlank()) {
      throw new MalformedLineException("empty line");
    }
    List<String> f = splitCsv(line);
    if (f.size() != fieldCount) {
      throw new MalformedLineException(String.format(Locale.ROOT,
          "%d fields, but the header has %d", f.size(), fieldCount));
    }
    String source = required(f, 10);
    String tenant = source.toLowerCase(Locale.ROOT);
    if (!TENANT.matcher(tenant).matches()) {
      throw new MalformedLineException(String.format(Locale.ROOT,
          "Source '%s' cannot name a tenant (1-%d characters of a-z, 0-9, '_', '-')",
          ApacheLogParser.abbreviate(source), TableId.MAX_PART_LENGTH));
    }
    Object[] values = {
        time(required(f, 0)),
        number(f, 1, true),
        number(f, 2, true),
        number(f, 3, false),
        number(f, 4, false),
        optional(f, 5),
        integer(f, 6),
        number(f, 7, false),
        number(f, 8, false),
        number(f, 9, false),
        source,
        optional(f, 11)
    };
    return new Event(tenant, values);
  }

  private String optional(List<String> fields, int column) {
    String v = fields.get(index[column]).trim();
    return v.isEmpty() ? null : v;
  }

  private String required(List<String> fields, int column) throws MalformedLineException {
    String v = optional(fields, column);
    if (v == null) {
      throw new MalformedLineException("empty " + HEADER.get(column));
    }
    return v;
  }

  private Double number(List<String> fields, int column, boolean required) throws MalformedLineException {
    String v = required ? required(fields, column) : optional(fields, column);
    if (v == null) {
      return null;
    }
    try {
      double d = Double.parseDouble(v);
      if (!Double.isFinite(d)) {
        throw new NumberFormatException("not finite");
      }
      return d;
    } catch (NumberFormatException e) {
      throw new MalformedLineException(String.format(Locale.ROOT,
          "%s '%s' is not a number", HEADER.get(column), ApacheLogParser.abbreviate(v)), e);
    }
  }

  private Integer integer(List<String> fields, int column) throws MalformedLineException {
    String v = optional(fields, column);
    if (v == null) {
      return null;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new MalformedLineException(String.format(Locale.ROOT,
          "%s '%s' is not an integer", HEADER.get(column), ApacheLogParser.abbreviate(v)), e);
    }
  }

  private static Instant time(String text) throws MalformedLineException {
    try {
      return LocalDateTime.parse(text, TIME).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new MalformedLineException(String.format(Locale.ROOT,
          "DateTime '%s' is not yyyy/MM/dd HH:mm:ss[.fraction]", ApacheLogParser.abbreviate(text)), e);
    }
  }

  /** Splits one CSV record (RFC 4180: fields may be quoted, a quote inside is doubled). */
  static List<String> splitCsv(String line) throws MalformedLineException {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    int i = 0;
    while (true) {
      if (i < line.length() && line.charAt(i) == '"') {
        i++;
        while (true) {
          if (i >= line.length()) {
            throw new MalformedLineException("unterminated quoted field " + (out.size() + 1));
          }
          char c = line.charAt(i++);
          if (c == '"') {
            if (i < line.length() && line.charAt(i) == '"') {
              field.append('"');
              i++;
            } else {
              break;
            }
          } else {
            field.append(c);
          }
        }
        if (i < line.length() && line.charAt(i) != ',') {
          throw new MalformedLineException("text after the closing quote of field " + (out.size() + 1));
        }
      } else {
        int end = line.indexOf(',', i);
        end = end < 0 ? line.length() : end;
        field.append(line, i, end);
        i = end;
      }
      out.add(field.toString());
      field.setLength(0);
      if (i >= line.length()) {
        return out;
      }
      i++; // the comma
    }
  }
}
