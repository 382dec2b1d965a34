package dev.lakelifecycle.core.internal.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.api.sweep.PrefixMismatchMode;
import dev.lakelifecycle.core.LifecycleConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Loads {@link LifecycleConfig} from a TOML file and {@code LIFECYCLE_*} environment variables.
 *
 * <p>Order: the defaults of {@link LifecycleConfig}, then the file, then the environment (the environment wins
 * key by key). The file has the top-level tables {@code [staging]}, {@code [compaction]}, {@code [retention]},
 * {@code [sweep]} and {@code [schedule]}; the array tables {@code [[staging.table_overrides]]},
 * {@code [[retention.tenant_overrides]]} and {@code [[retention.tenant_overrides.dataset_overrides]]} hold the
 * per-table and per-tenant overrides, which the environment cannot express. A variable
 * {@code LIFECYCLE_<SECTION>_<KEY>} sets {@code <section>.<key>}; {@code LIFECYCLE_RETENTION_<TABLE>_RETENTION_DAYS}
 * sets the global retention of a table type.
 *
 * <p>Every problem is an {@link InvalidConfigurationException} raised here, at load time: an unreadable file or
 * TOML syntax error (naming the path), an unknown key in the file or a {@code LIFECYCLE_*} variable that maps to
 * no key (naming it and listing what is allowed), a value of the wrong type (naming the key or variable, the
 * value and what is allowed). Range checks are the section records' own; when one fails, the message is
 * extended with where the offending value came from.
 */
public final class ConfigLoader {
  /** Prefix of every environment variable read. */
  public static final String ENV_PREFIX = "LIFECYCLE_";

  private static final String RETENTION_DAYS_SUFFIX = "_retention_days";
  private static final String FOREVER = "forever";
  private static final Pattern TABLE_PART = Pattern.compile("[a-z0-9_-]{1," + TableId.MAX_PART_LENGTH + "}");

  private static final Map<String, List<String>> KEYS = new LinkedHashMap<>();

  static {
    KEYS.put("staging", List.of("flush_max_rows", "flush_max_bytes", "flush_max_age_ms", "directory",
        "max_dataset_bytes", "max_total_bytes", "max_pending", "full_policy", "block_timeout_ms", "durability",
        "background_flush", "retry_initial_backoff_ms", "retry_max_backoff_ms"));
    KEYS.put("compaction", List.of("target_file_size_bytes", "min_input_files", "max_wait_secs", "chunk_partitions",
        "max_chunk_retries", "interval_secs", "row_group_size_bytes", "fast_path_row_group_bytes", "memory_budget_bytes",
        "lease_duration_secs", "checkpoint_ttl_hours", "max_files_per_run", "max_bytes_per_run", "order"));
    KEYS.put("retention", List.of("grace_period_hours", "snapshots_to_keep", "max_snapshot_age_hours",
        "min_retention_hours", "dry_run", "interval_secs", "display_timezone"));
    KEYS.put("sweep", List.of("grace_period_hours", "min_grace_period_hours", "batch_size", "dry_run",
        "interval_hours", "revalidate", "prefix_mismatch_mode", "spill_dir", "lease_duration_secs"));
    KEYS.put("schedule", List.of("jitter_secs", "flush_interval_ms"));
  }

  /** Array-table keys per section: file only. */
  private static final Map<String, String> ARRAY_KEYS = Map.of(
      "staging", "table_overrides",
      "retention", "tenant_overrides");

  private static final List<String> TABLE_OVERRIDE_KEYS = List.of("table", "max_rows", "max_bytes", "max_age_ms");

  private ConfigLoader() {}

  /**
   * Loads a configuration.
   *
   * @param tomlFile the TOML file, or {@code null} for none
   * @param environment the process environment (e.g. {@code System.getenv()}); only {@code LIFECYCLE_*} entries
   *     are read; {@code null} means none
   * @throws InvalidConfigurationException for a missing or unreadable file, a syntax error, an unknown key or
   *     variable, or an invalid value
   */
  public static LifecycleConfig load(Path tomlFile, Map<String, String> environment) {
    Sources sources = new Sources();
    if (tomlFile != null) {
      readFile(tomlFile, sources);
    }
    if (environment != null) {
      new TreeMap<>(environment).forEach((name, value) -> {
        if (name != null && name.startsWith(ENV_PREFIX)) {
          readEnv(name, value, sources);
        }
      });
    }
    return build(sources);
  }

  // ---------------------------------------------------------------- reading

  /** Every value found, by canonical key {@code section.key}; later sources replace earlier ones. */
  private static final class Sources {
    final Map<String, Value> values = new LinkedHashMap<>();
    JsonNode tableOverrides;
    JsonNode tenantOverrides;
    Path file;
  }

  /**
   * One raw value and where it came from.
   *
   * @param node the TOML value, or {@code null} when the value came from the environment
   * @param raw the environment value, or {@code null} when the value came from the file
   * @param origin the file key path or the environment variable name
   * @param file the file, or {@code null} for the environment
   */
  private record Value(JsonNode node, String raw, String origin, Path file) {
    static Value ofFile(JsonNode node, String keyPath, Path file) {
      return new Value(node, null, keyPath, file);
    }

    static Value ofEnv(String name, String raw) {
      return new Value(null, raw, name, null);
    }

    String shown() {
      return node != null ? node.toString() : "'" + raw + "'";
    }

    String describe() {
      return node != null
          ? String.format(Locale.ROOT, "%s = %s in %s", origin, shown(), file)
          : String.format(Locale.ROOT, "environment variable %s=%s", origin, raw);
    }

    InvalidConfigurationException invalid(String allowed) {
      return new InvalidConfigurationException(String.format(Locale.ROOT,
          "Invalid configuration: %s; allowed: %s", describe(), allowed));
    }
  }

  private static void readFile(Path file, Sources sources) {
    sources.file = file;
    if (!Files.isRegularFile(file)) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "Cannot load configuration file %s: it does not exist or is not a regular file "
              + "(check the path, or pass null to use defaults and the environment only)", file.toAbsolutePath()));
    }
    JsonNode root;
    try {
      String text = Files.readString(file);
      rejectIntegersTheParserMisreads(text, file);
      root = new TomlMapper().readTree(text);
    } catch (JacksonException e) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "Cannot load configuration file %s: invalid TOML: %s (fix the syntax)", file.toAbsolutePath(),
          e.getOriginalMessage()), e);
    } catch (IOException e) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "Cannot load configuration file %s: %s (check that it is readable)", file.toAbsolutePath(), e), e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return;
    }
    for (Map.Entry<String, JsonNode> section : root.properties()) {
      String name = section.getKey();
      if (!KEYS.containsKey(name)) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Unknown configuration key '%s' in %s; allowed top-level tables: %s", name, file,
            KEYS.keySet().stream().map(s -> "[" + s + "]").collect(Collectors.joining(", "))));
      }
      if (!section.getValue().isObject()) {
        throw Value.ofFile(section.getValue(), name, file).invalid("a table [" + name + "]");
      }
      readSection(name, (ObjectNode) section.getValue(), file, sources);
    }
  }

  /**
   * Rejects decimal integer literals of 19 or more digits. jackson-dataformat-toml 2.21.0 silently drops the
   * leading digit of 19-digit integers ({@code 9223372036854775807} reads as {@code 6854775807},
   * {@code 1000000000000000000} as {@code 0}; FasterXML/jackson-dataformats-text#663, fixed upstream by #672), and
   * a misread retention could drop data, so such values are refused instead of trusted. No setting needs them.
   * Strings and comments are skipped; the scan is lexical, the parser still judges the syntax.
   */
  static void rejectIntegersTheParserMisreads(String text, Path file) {
    int n = text.length();
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      if (c == '#') {
        while (i < n && text.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '"' || c == '\'') {
        i = skipString(text, i);
      } else if (c >= '0' && c <= '9') {
        int start = i;
        int digits = 0;
        while (i < n && (Character.isDigit(text.charAt(i)) || text.charAt(i) == '_')) {
          digits += text.charAt(i) == '_' ? 0 : 1;
          i++;
        }
        boolean partOfWord = start > 0 && (Character.isLetter(text.charAt(start - 1)) || text.charAt(start - 1) == '_'
            || text.charAt(start - 1) == '.');
        boolean fraction = i < n && ".eE".indexOf(text.charAt(i)) >= 0;
        if (digits >= 19 && !partOfWord && !fraction) {
          int line = 1 + (int) text.substring(0, start).chars().filter(ch -> ch == '\n').count();
          throw new InvalidConfigurationException(String.format(Locale.ROOT,
              "Invalid configuration: integer %s at line %d of %s has %d digits; allowed: integers of at most 18 "
                  + "digits (the TOML reader misreads longer ones; use a smaller value)",
              text.substring(start, i), line, file, digits));
        }
      } else {
        i++;
      }
    }
  }

  /** The index just after the string starting at {@code start} (basic or literal, single- or multi-line). */
  private static int skipString(String text, int start) {
    char q = text.charAt(start);
    String triple = String.valueOf(q).repeat(3);
    boolean multi = text.startsWith(triple, start);
    int i = start + (multi ? 3 : 1);
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '\\' && q == '"') {
        i += 2;
      } else if (multi ? text.startsWith(triple, i) : c == q) {
        return i + (multi ? 3 : 1);
      } else if (!multi && c == '\n') {
        return i;
      } else {
        i++;
      }
    }
    return i;
  }

  private static void readSection(String section, ObjectNode table, Path file, Sources sources) {
    for (Map.Entry<String, JsonNode> e : table.properties()) {
      String key = e.getKey();
      String path = section + "." + key;
      if (key.equals(ARRAY_KEYS.get(section))) {
        if (!e.getValue().isArray()) {
          throw Value.ofFile(e.getValue(), path, file).invalid("an array of tables [[" + path + "]]");
        }
        if (section.equals("staging")) {
          sources.tableOverrides = e.getValue();
        } else {
          sources.tenantOverrides = e.getValue();
        }
      } else if (isKnown(section, key)) {
        sources.values.put(path, Value.ofFile(e.getValue(), path, file));
      } else {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Unknown configuration key '%s' in %s; allowed keys in [%s]: %s", path, file, section,
            allowedKeys(section)));
      }
    }
  }

  private static void readEnv(String name, String value, Sources sources) {
    String rest = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT);
    for (String section : KEYS.keySet()) {
      if (!rest.startsWith(section + "_")) {
        continue;
      }
      String key = rest.substring(section.length() + 1);
      if (key.equals(ARRAY_KEYS.get(section)) || key.startsWith(ARRAY_KEYS.getOrDefault(section, "\0") + "_")) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Unsupported environment variable %s: [[%s.%s]] can only be set in the TOML file "
                + "(move it to the file, or remove the variable)", name, section, ARRAY_KEYS.get(section)));
      }
      if (isKnown(section, key)) {
        sources.values.put(section + "." + key, Value.ofEnv(name, value == null ? "" : value));
        return;
      }
      break;
    }
    throw new InvalidConfigurationException(String.format(Locale.ROOT,
        "Unknown configuration variable %s: it maps to no key (every %s* variable is read; allowed: %s; "
            + "rename or remove it)", name, ENV_PREFIX,
        KEYS.entrySet().stream()
            .flatMap(e -> java.util.stream.Stream.concat(e.getValue().stream(),
                    e.getKey().equals("retention") ? java.util.stream.Stream.of("<TABLE>" + RETENTION_DAYS_SUFFIX)
                        : java.util.stream.Stream.empty())
                .map(k -> envName(e.getKey(), k)))
            .collect(Collectors.joining(", "))));
  }

  private static String envName(String section, String key) {
    return ENV_PREFIX + section.toUpperCase(Locale.ROOT) + "_" + key.toUpperCase(Locale.ROOT);
  }

  private static boolean isKnown(String section, String key) {
    return KEYS.get(section).contains(key) || (section.equals("retention") && tableTypeOf(key) != null);
  }

  /** The table type of a {@code <table>_retention_days} key, or {@code null} if the key is not of that form. */
  private static String tableTypeOf(String key) {
    if (!key.endsWith(RETENTION_DAYS_SUFFIX)) {
      return null;
    }
    String type = key.substring(0, key.length() - RETENTION_DAYS_SUFFIX.length());
    return TABLE_PART.matcher(type).matches() ? type : null;
  }

  private static String allowedKeys(String section) {
    StringBuilder sb = new StringBuilder(String.join(", ", KEYS.get(section)));
    if (section.equals("retention")) {
      sb.append(", <table>").append(RETENTION_DAYS_SUFFIX).append(" (table: 1-64 of a-z 0-9 _ -)");
    }
    if (ARRAY_KEYS.containsKey(section)) {
      sb.append(", [[").append(section).append('.').append(ARRAY_KEYS.get(section)).append("]]");
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- building

  private static LifecycleConfig build(Sources s) {
    // Record checks name their own key (e.g. "sweep.grace_period_hours"); this maps it back to the source.
    Map<String, Value> byRecordKey = new HashMap<>(s.values);
    s.values.forEach((k, v) -> {
      if (k.endsWith(RETENTION_DAYS_SUFFIX)) {
        byRecordKey.put(k.substring(0, k.length() - "_days".length()), v);
      }
    });

    LifecycleConfig.Staging stagingDefaults = LifecycleConfig.Staging.DEFAULTS;
    long flushMaxRows = integer(s, "staging.flush_max_rows", stagingDefaults.flushMaxRows());
    long flushMaxBytes = integer(s, "staging.flush_max_bytes", stagingDefaults.flushMaxBytes());
    Duration flushMaxAge = duration(s, "staging.flush_max_age_ms", ChronoUnit.MILLIS, stagingDefaults.flushMaxAge());
    Map<String, LifecycleConfig.Flush> overrides = tableOverrides(s, flushMaxRows, flushMaxBytes, flushMaxAge);
    Path directory = text(s, "staging.directory", null) == null ? stagingDefaults.directory()
        : Path.of(text(s, "staging.directory", null));
    long maxTableBytes = integer(s, "staging.max_dataset_bytes", stagingDefaults.maxTableBytes());
    long maxTotalBytes = integer(s, "staging.max_total_bytes", stagingDefaults.maxTotalBytes());
    int maxPending = intValue(s, "staging.max_pending", stagingDefaults.maxPending());
    LifecycleConfig.Staging.FullPolicy fullPolicy =
        choice(s, "staging.full_policy", LifecycleConfig.Staging.FullPolicy.class, stagingDefaults.fullPolicy());
    Duration blockTimeout = duration(s, "staging.block_timeout_ms", ChronoUnit.MILLIS, stagingDefaults.blockTimeout());
    LifecycleConfig.Staging.Durability durability =
        choice(s, "staging.durability", LifecycleConfig.Staging.Durability.class, stagingDefaults.durability());
    boolean backgroundFlush = bool(s, "staging.background_flush", stagingDefaults.backgroundFlush());
    Duration retryInitial = duration(s, "staging.retry_initial_backoff_ms", ChronoUnit.MILLIS,
        stagingDefaults.retryInitialBackoff());
    Duration retryMax = duration(s, "staging.retry_max_backoff_ms", ChronoUnit.MILLIS, stagingDefaults.retryMaxBackoff());
    LifecycleConfig.Staging staging = attributed(byRecordKey,
        () -> new LifecycleConfig.Staging(flushMaxRows, flushMaxBytes, flushMaxAge, overrides, directory, maxTableBytes,
            maxTotalBytes, maxPending, fullPolicy, blockTimeout, durability, backgroundFlush, retryInitial, retryMax));

    LifecycleConfig.Compaction cd = LifecycleConfig.Compaction.DEFAULTS;
    long target = integer(s, "compaction.target_file_size_bytes", cd.targetFileSizeBytes());
    int minInputFiles = intValue(s, "compaction.min_input_files", cd.minInputFiles());
    Duration maxWait = duration(s, "compaction.max_wait_secs", ChronoUnit.SECONDS, cd.maxWait());
    int chunkPartitions = intValue(s, "compaction.chunk_partitions", cd.chunkPartitions());
    int maxChunkRetries = intValue(s, "compaction.max_chunk_retries", cd.maxChunkRetries());
    Duration compactionInterval = duration(s, "compaction.interval_secs", ChronoUnit.SECONDS, cd.interval());
    long rowGroup = integer(s, "compaction.row_group_size_bytes", cd.rowGroupSizeBytes());
    long fastPath = integer(s, "compaction.fast_path_row_group_bytes", cd.fastPathRowGroupBytes());
    long memoryBudget = integer(s, "compaction.memory_budget_bytes", cd.memoryBudgetBytes());
    Duration lease = duration(s, "compaction.lease_duration_secs", ChronoUnit.SECONDS, cd.leaseDuration());
    Duration ttl = duration(s, "compaction.checkpoint_ttl_hours", ChronoUnit.HOURS, cd.checkpointTtl());
    int maxFiles = intValue(s, "compaction.max_files_per_run", cd.maxFilesPerRun());
    long maxBytes = integer(s, "compaction.max_bytes_per_run", cd.maxBytesPerRun());
    dev.lakelifecycle.api.compaction.CompactionPlan.Order order = compactionOrder(s, cd.order());
    LifecycleConfig.Compaction compaction = attributed(byRecordKey, () -> new LifecycleConfig.Compaction(
        target, minInputFiles, maxWait, chunkPartitions, maxChunkRetries, compactionInterval, rowGroup, fastPath,
        memoryBudget, lease, ttl, maxFiles, maxBytes, order, cd.tablePriorities(), cd.health()));

    LifecycleConfig.RetentionSettings rd = LifecycleConfig.RetentionSettings.DEFAULTS;
    Map<String, Retention> global = new TreeMap<>();
    s.values.forEach((k, v) -> {
      if (k.startsWith("retention.") && tableTypeOf(k.substring("retention.".length())) != null) {
        global.put(tableTypeOf(k.substring("retention.".length())), retentionDays(v));
      }
    });
    Map<String, Map<String, Retention>> tenants = new TreeMap<>();
    Map<String, Map<String, Retention>> datasets = new TreeMap<>();
    tenantOverrides(s, tenants, datasets, byRecordKey);
    Duration grace = duration(s, "retention.grace_period_hours", ChronoUnit.HOURS, rd.gracePeriod());
    int snapshotsToKeep = intValue(s, "retention.snapshots_to_keep", rd.snapshotsToKeep());
    Duration maxSnapshotAge = duration(s, "retention.max_snapshot_age_hours", ChronoUnit.HOURS, rd.maxSnapshotAge());
    Duration minRetention = duration(s, "retention.min_retention_hours", ChronoUnit.HOURS, rd.minRetention());
    boolean retentionDryRun = bool(s, "retention.dry_run", rd.dryRun());
    Duration retentionInterval = duration(s, "retention.interval_secs", ChronoUnit.SECONDS, rd.interval());
    java.time.ZoneId displayZone = zone(s, "retention.display_timezone", rd.displayZone());
    LifecycleConfig.RetentionSettings retention = attributed(byRecordKey, () -> new LifecycleConfig.RetentionSettings(
        global, tenants, datasets, grace, snapshotsToKeep, maxSnapshotAge, minRetention, retentionDryRun,
        retentionInterval, displayZone));

    LifecycleConfig.Sweep sd = LifecycleConfig.Sweep.DEFAULTS;
    Duration sweepGrace = duration(s, "sweep.grace_period_hours", ChronoUnit.HOURS, sd.gracePeriod());
    Duration minGrace = duration(s, "sweep.min_grace_period_hours", ChronoUnit.HOURS, sd.minGracePeriod());
    int batchSize = intValue(s, "sweep.batch_size", sd.batchSize());
    boolean sweepDryRun = bool(s, "sweep.dry_run", sd.dryRun());
    Duration sweepInterval = duration(s, "sweep.interval_hours", ChronoUnit.HOURS, sd.interval());
    boolean revalidate = bool(s, "sweep.revalidate", sd.revalidate());
    PrefixMismatchMode mismatchMode = prefixMismatchMode(s, "sweep.prefix_mismatch_mode", sd.prefixMismatchMode());
    Path spillDir = directory(s, "sweep.spill_dir", sd.spillDirectory());
    Duration sweepLease = duration(s, "sweep.lease_duration_secs", ChronoUnit.SECONDS, sd.leaseDuration());
    LifecycleConfig.Sweep sweep = attributed(byRecordKey, () -> new LifecycleConfig.Sweep(sweepGrace, minGrace,
        batchSize, sweepDryRun, sweepInterval, revalidate, mismatchMode, spillDir, sweepLease));

    LifecycleConfig.Schedule sc = LifecycleConfig.Schedule.DEFAULTS;
    Duration jitter = duration(s, "schedule.jitter_secs", ChronoUnit.SECONDS, sc.jitter());
    Duration flushInterval = duration(s, "schedule.flush_interval_ms", ChronoUnit.MILLIS, sc.flushInterval());
    LifecycleConfig.Schedule schedule = attributed(byRecordKey, () -> new LifecycleConfig.Schedule(jitter, flushInterval));

    return LifecycleConfig.builder().staging(staging).compaction(compaction).retention(retention).sweep(sweep)
        .schedule(schedule).build();
  }

  /**
   * Runs a section record's constructor; when its own check fails, appends where the offending value was set
   * (the file key or the environment variable), so the operator knows what to edit.
   */
  private static <T> T attributed(Map<String, Value> byRecordKey, Supplier<T> construct) {
    try {
      return construct.get();
    } catch (InvalidConfigurationException e) {
      String prefix = "Invalid configuration: ";
      String msg = e.getMessage();
      if (msg != null && msg.startsWith(prefix) && msg.indexOf(" = ") > 0) {
        Value source = byRecordKey.get(msg.substring(prefix.length(), msg.indexOf(" = ")));
        if (source != null) {
          throw new InvalidConfigurationException(msg + "; set by " + source.describe(), e);
        }
      }
      throw e;
    }
  }

  private static long integer(Sources s, String key, long dflt) {
    Value v = s.values.get(key);
    return v == null ? dflt : parseLong(v, "an integer");
  }

  private static int intValue(Sources s, String key, int dflt) {
    Value v = s.values.get(key);
    if (v == null) {
      return dflt;
    }
    long l = parseLong(v, "an integer");
    if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
      throw v.invalid("an integer from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE);
    }
    return (int) l;
  }

  private static Duration duration(Sources s, String key, ChronoUnit unit, Duration dflt) {
    Value v = s.values.get(key);
    return v == null ? dflt : toDuration(v, unit);
  }

  private static Duration toDuration(Value v, ChronoUnit unit) {
    String allowed = "an integer number of " + unit.toString().toLowerCase(Locale.ROOT);
    long amount = parseLong(v, allowed);
    try {
      return Duration.of(amount, unit);
    } catch (ArithmeticException e) {
      throw v.invalid(allowed + " small enough to fit a duration");
    }
  }

  private static dev.lakelifecycle.api.compaction.CompactionPlan.Order compactionOrder(Sources s,
      dev.lakelifecycle.api.compaction.CompactionPlan.Order dflt) {
    Value v = s.values.get("compaction.order");
    if (v == null) {
      return dflt;
    }
    String text = v.node() != null ? (v.node().isTextual() ? v.node().textValue() : "") : v.raw().trim();
    for (dev.lakelifecycle.api.compaction.CompactionPlan.Order o
        : dev.lakelifecycle.api.compaction.CompactionPlan.Order.values()) {
      if (o.name().equalsIgnoreCase(text)) {
        return o;
      }
    }
    throw v.invalid("age, bytes or files");
  }

  /** A non-blank string value, or {@code dflt} if the key is not set. */
  private static String text(Sources s, String key, String dflt) {
    Value v = s.values.get(key);
    if (v == null) {
      return dflt;
    }
    String t = v.node() != null ? (v.node().isTextual() ? v.node().textValue() : null) : v.raw();
    if (t == null || t.isBlank()) {
      throw v.invalid("a non-blank string");
    }
    return t.trim();
  }

  /** One of the constants of {@code type}, written in any case ({@code block}, {@code BLOCK}). */
  private static <E extends Enum<E>> E choice(Sources s, String key, Class<E> type, E dflt) {
    Value v = s.values.get(key);
    if (v == null) {
      return dflt;
    }
    String allowed = java.util.Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(" or "));
    String t = v.node() != null ? (v.node().isTextual() ? v.node().textValue() : null) : v.raw();
    if (t != null) {
      for (E e : type.getEnumConstants()) {
        if (e.name().equalsIgnoreCase(t.trim())) {
          return e;
        }
      }
    }
    throw v.invalid(allowed);
  }

  private static boolean bool(Sources s, String key, boolean dflt) {
    Value v = s.values.get(key);
    if (v == null) {
      return dflt;
    }
    if (v.node() != null) {
      if (v.node().isBoolean()) {
        return v.node().booleanValue();
      }
    } else if ("true".equalsIgnoreCase(v.raw().trim()) || "false".equalsIgnoreCase(v.raw().trim())) {
      return Boolean.parseBoolean(v.raw().trim());
    }
    throw v.invalid("true or false");
  }

  private static String string(Value v, String allowed) {
    if (v.node() != null) {
      if (v.node().isTextual()) {
        return v.node().textValue();
      }
      throw v.invalid(allowed);
    }
    return v.raw().trim();
  }

  private static java.time.ZoneId zone(Sources s, String key, java.time.ZoneId dflt) {
    Value v = s.values.get(key);
    if (v == null) {
      return dflt;
    }
    String allowed = "a time zone id such as \"UTC\", \"+02:00\" or \"Europe/Paris\"";
    try {
      return java.time.ZoneId.of(string(v, allowed).trim());
    } catch (java.time.DateTimeException e) {
      throw v.invalid(allowed);
    }
  }

  private static PrefixMismatchMode prefixMismatchMode(Sources s, String key, PrefixMismatchMode dflt) {
    Value v = s.values.get(key);
    if (v == null) {
      return dflt;
    }
    String allowed = "\"fail\", \"ignore\" or \"treat_as_equal\"";
    switch (string(v, allowed).toLowerCase(Locale.ROOT)) {
      case "fail":
        return PrefixMismatchMode.FAIL;
      case "ignore":
        return PrefixMismatchMode.IGNORE;
      case "treat_as_equal":
        return PrefixMismatchMode.TREAT_AS_EQUAL;
      default:
        throw v.invalid(allowed);
    }
  }

  private static Path directory(Sources s, String key, Path dflt) {
    Value v = s.values.get(key);
    if (v == null) {
      return dflt;
    }
    String allowed = "an absolute path of a local directory";
    String text = string(v, allowed);
    try {
      Path path = Path.of(text);
      if (!path.isAbsolute()) {
        throw v.invalid(allowed);
      }
      return path;
    } catch (java.nio.file.InvalidPathException e) {
      throw v.invalid(allowed);
    }
  }

  private static long parseLong(Value v, String allowed) {
    if (v.node() != null) {
      if (v.node().isIntegralNumber() && v.node().canConvertToLong()) {
        return v.node().longValue();
      }
      throw v.invalid(allowed);
    }
    try {
      return Long.parseLong(v.raw().trim());
    } catch (NumberFormatException e) {
      throw v.invalid(allowed);
    }
  }

  /** A {@code <table>_retention_days} value: a positive number of days, or {@code "forever"}. */
  private static Retention retentionDays(Value v) {
    String allowed = "a positive integer number of days, or \"forever\"";
    boolean textual = v.node() == null || v.node().isTextual();
    if (textual && FOREVER.equalsIgnoreCase((v.node() != null ? v.node().textValue() : v.raw()).trim())) {
      return Retention.forever();
    }
    long days = parseLong(v, allowed);
    if (days <= 0) {
      throw v.invalid(allowed);
    }
    try {
      return Retention.of(Duration.ofDays(days));
    } catch (ArithmeticException e) {
      throw v.invalid(allowed + " small enough to fit a duration");
    }
  }

  private static Map<String, LifecycleConfig.Flush> tableOverrides(Sources s, long rows, long bytes, Duration age) {
    Map<String, LifecycleConfig.Flush> out = new TreeMap<>();
    if (s.tableOverrides == null) {
      return out;
    }
    int i = 0;
    for (JsonNode entry : s.tableOverrides) {
      String where = "staging.table_overrides[" + i++ + "]";
      ObjectNode table = requireTable(entry, where, s.file);
      checkKeys(table, where, TABLE_OVERRIDE_KEYS, s.file);
      String path = tableIdOf(table, where, s.file).path();
      long maxRows = table.has("max_rows")
          ? parseLong(Value.ofFile(table.get("max_rows"), where + ".max_rows", s.file), "an integer") : rows;
      long maxBytes = table.has("max_bytes")
          ? parseLong(Value.ofFile(table.get("max_bytes"), where + ".max_bytes", s.file), "an integer") : bytes;
      Duration maxAge = table.has("max_age_ms")
          ? toDuration(Value.ofFile(table.get("max_age_ms"), where + ".max_age_ms", s.file), ChronoUnit.MILLIS) : age;
      Map<String, Value> byRecordKey = new HashMap<>();
      table.properties().forEach(f -> byRecordKey.put("staging.table_overrides." + f.getKey(),
          Value.ofFile(f.getValue(), where + "." + f.getKey() + " (table \"" + path + "\")", s.file)));
      LifecycleConfig.Flush flush = attributed(byRecordKey, () -> new LifecycleConfig.Flush(maxRows, maxBytes, maxAge));
      if (out.put(path, flush) != null) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Invalid configuration: %s.table = \"%s\" in %s; allowed: each table at most once in "
                + "[[staging.table_overrides]] (merge the duplicate entries)", where, path, s.file));
      }
    }
    return out;
  }

  private static TableId tableIdOf(ObjectNode table, String where, Path file) {
    JsonNode node = table.get("table");
    Value v = Value.ofFile(node, where + ".table", file);
    String allowed = "a table id \"tenant/dataset/table\", each part 1-64 of a-z 0-9 _ -";
    if (node == null) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "Invalid configuration: %s in %s has no 'table' key; allowed: %s", where, file, allowed));
    }
    if (!node.isTextual()) {
      throw v.invalid(allowed);
    }
    try {
      return TableId.parse(node.textValue());
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationException(v.invalid(allowed).getMessage() + " (" + e.getMessage() + ")", e);
    }
  }

  private static void tenantOverrides(Sources s, Map<String, Map<String, Retention>> tenants,
      Map<String, Map<String, Retention>> datasets, Map<String, Value> byRecordKey) {
    if (s.tenantOverrides == null) {
      return;
    }
    int i = 0;
    for (JsonNode entry : s.tenantOverrides) {
      String where = "retention.tenant_overrides[" + i++ + "]";
      ObjectNode table = requireTable(entry, where, s.file);
      String tenant = partOf(table, "tenant_id", where, s.file);
      if (tenants.containsKey(tenant)) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Invalid configuration: %s.tenant_id = \"%s\" in %s; allowed: each tenant at most once in "
                + "[[retention.tenant_overrides]] (merge the duplicate entries)", where, tenant, s.file));
      }
      Map<String, Retention> own = new TreeMap<>();
      for (Map.Entry<String, JsonNode> f : table.properties()) {
        String key = f.getKey();
        if (key.equals("tenant_id")) {
          continue;
        }
        if (key.equals("dataset_overrides")) {
          datasetOverrides(f.getValue(), tenant, where + ".dataset_overrides", s.file, datasets, byRecordKey);
          continue;
        }
        String type = tableTypeOf(key);
        if (type == null) {
          throw new InvalidConfigurationException(String.format(Locale.ROOT,
              "Unknown configuration key '%s.%s' in %s; allowed keys in [[retention.tenant_overrides]]: tenant_id, "
                  + "<table>%s (table: 1-64 of a-z 0-9 _ -), [[retention.tenant_overrides.dataset_overrides]]",
              where, key, s.file, RETENTION_DAYS_SUFFIX));
        }
        Value v = Value.ofFile(f.getValue(), where + "." + key + " (tenant \"" + tenant + "\")", s.file);
        own.put(type, retentionDays(v));
        byRecordKey.put("retention.tenant_overrides[" + tenant + "]." + type + "_retention", v);
      }
      tenants.put(tenant, own);
    }
  }

  private static void datasetOverrides(JsonNode array, String tenant, String where, Path file,
      Map<String, Map<String, Retention>> datasets, Map<String, Value> byRecordKey) {
    if (!array.isArray()) {
      throw Value.ofFile(array, where, file).invalid("an array of tables [[retention.tenant_overrides.dataset_overrides]]");
    }
    int i = 0;
    for (JsonNode entry : array) {
      String at = where + "[" + i++ + "]";
      ObjectNode table = requireTable(entry, at, file);
      String dataset = partOf(table, "dataset_id", at, file);
      String key = tenant + "/" + dataset;
      if (datasets.containsKey(key)) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Invalid configuration: %s.dataset_id = \"%s\" in %s; allowed: each dataset at most once per tenant "
                + "(merge the duplicate entries of tenant \"%s\")", at, dataset, file, tenant));
      }
      Map<String, Retention> own = new TreeMap<>();
      for (Map.Entry<String, JsonNode> f : table.properties()) {
        if (f.getKey().equals("dataset_id")) {
          continue;
        }
        String type = tableTypeOf(f.getKey());
        if (type == null) {
          throw new InvalidConfigurationException(String.format(Locale.ROOT,
              "Unknown configuration key '%s.%s' in %s; allowed keys in "
                  + "[[retention.tenant_overrides.dataset_overrides]]: dataset_id, <table>%s (table: 1-64 of a-z 0-9 _ -)",
              at, f.getKey(), file, RETENTION_DAYS_SUFFIX));
        }
        Value v = Value.ofFile(f.getValue(), at + "." + f.getKey() + " (dataset \"" + key + "\")", file);
        own.put(type, retentionDays(v));
        byRecordKey.put("retention.dataset_overrides[" + key + "]." + type + "_retention", v);
      }
      datasets.put(key, own);
    }
  }

  private static ObjectNode requireTable(JsonNode entry, String where, Path file) {
    if (!entry.isObject()) {
      throw Value.ofFile(entry, where, file).invalid("a table");
    }
    return (ObjectNode) entry;
  }

  private static void checkKeys(ObjectNode table, String where, List<String> allowed, Path file) {
    Set<String> known = Set.copyOf(allowed);
    table.properties().forEach(p -> {
      String k = p.getKey();
      if (!known.contains(k)) {
        throw new InvalidConfigurationException(String.format(Locale.ROOT,
            "Unknown configuration key '%s.%s' in %s; allowed keys: %s", where, k, file, String.join(", ", allowed)));
      }
    });
  }

  /** A tenant or dataset id: a valid {@link TableId} part. */
  private static String partOf(ObjectNode table, String key, String where, Path file) {
    JsonNode node = table.get(key);
    String allowed = "a string of 1-64 characters of a-z, 0-9, '_' or '-'";
    if (node == null) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "Invalid configuration: %s in %s has no '%s' key; allowed: %s", where, file, key, allowed));
    }
    if (!node.isTextual() || !TABLE_PART.matcher(node.textValue()).matches()) {
      throw Value.ofFile(node, where + "." + key, file).invalid(allowed);
    }
    return node.textValue();
  }
}
