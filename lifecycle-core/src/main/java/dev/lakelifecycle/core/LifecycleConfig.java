package dev.lakelifecycle.core;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.api.sweep.PrefixMismatchMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The one immutable configuration model of a {@link Lifecycle}. Built with {@link #builder()}, copied with
 * {@link #toBuilder()}, or loaded from a TOML file and {@code LIFECYCLE_*} environment variables with
 * {@link #load(java.nio.file.Path, Map)} (environment wins). Every section validates its values when built and
 * throws {@link InvalidConfigurationException} naming the key, the value and what is allowed.
 *
 * <p>Keys are written as in the TOML file ({@code section.key}); the environment variable of a key is
 * {@code LIFECYCLE_} + the key upper-cased with {@code .} replaced by {@code _}, e.g.
 * {@code compaction.target_file_size_bytes} ↔ {@code LIFECYCLE_COMPACTION_TARGET_FILE_SIZE_BYTES}.
 */
public final class LifecycleConfig {

  /**
   * {@code [staging]}: the durable local spool in front of Parquet writes, its guardrails, and when a table's
   * staged batches are flushed. Keys after {@code table_overrides} were added with the durable spool; the
   * four-argument constructor keeps their defaults.
   *
   * @param flushMaxRows {@code staging.flush_max_rows}: flush a table at this many staged rows; default 500,000
   * @param flushMaxBytes {@code staging.flush_max_bytes}: flush at this many staged (spooled) bytes; default 64 MiB
   * @param flushMaxAge {@code staging.flush_max_age_ms}: flush when the oldest staged batch is this old; default 60 s
   * @param tableOverrides per-table flush thresholds keyed by {@code tenant/dataset/table}
   *     ({@code [[staging.table_overrides]]}); a table without one uses the values above
   * @param directory {@code staging.directory}: the local directory holding the spool; {@code null} (default)
   *     means {@code <java.io.tmpdir>/lake-lifecycle-staging/<hash of the store root>}, which survives a process
   *     crash but, on a tmpfs or a host that clears its temporary directory, not a reboot: set it in production
   *     to a directory on a persistent local disk, outside the object store's root
   * @param maxTableBytes {@code staging.max_dataset_bytes}: spooled bytes one table may hold; default 512 MiB
   * @param maxTotalBytes {@code staging.max_total_bytes}: spooled bytes all tables together may hold; 0
   *     (default) means no limit beyond the per-table one
   * @param maxPending {@code staging.max_pending}: staged batches one table may hold; default 10,000
   * @param fullPolicy {@code staging.full_policy}: {@code block} (default) or {@code reject}, what an append does
   *     when a guardrail is reached
   * @param blockTimeout {@code staging.block_timeout_ms}: how long a blocked append waits for room before it
   *     fails; default 30 s
   * @param durability {@code staging.durability}: {@code group} (default: concurrent appends share one fsync,
   *     each returns after its group's) or {@code batch} (one fsync per append)
   * @param backgroundFlush {@code staging.background_flush}: whether a table that reached a threshold is flushed
   *     by the stager's own thread (default {@code true}, so appends never wait for the object store) or by the
   *     appending thread before its {@code append} returns
   * @param retryInitialBackoff {@code staging.retry_initial_backoff_ms}: the wait before a failed background flush
   *     is retried; doubled per failure, with full jitter; default 1 s
   * @param retryMaxBackoff {@code staging.retry_max_backoff_ms}: the cap of that wait; default 60 s
   */
  public record Staging(long flushMaxRows, long flushMaxBytes, Duration flushMaxAge, Map<String, Flush> tableOverrides,
      java.nio.file.Path directory, long maxTableBytes, long maxTotalBytes, int maxPending, FullPolicy fullPolicy,
      Duration blockTimeout, Durability durability, boolean backgroundFlush, Duration retryInitialBackoff,
      Duration retryMaxBackoff) {
    public static final Staging DEFAULTS = new Staging(500_000, 64L << 20, Duration.ofSeconds(60), Map.of());

    /** What an append does when a guardrail is reached. */
    public enum FullPolicy {
      /** Wait up to {@code staging.block_timeout_ms} for flushes to make room, then fail. */
      BLOCK,
      /** Fail at once. */
      REJECT
    }

    /** When an append's spool write is forced to disk. */
    public enum Durability {
      /** Appends in flight together share one fsync; each returns after the fsync that covers it. */
      GROUP,
      /** Every append forces its own write. */
      BATCH
    }

    public Staging {
      positive("staging.flush_max_rows", flushMaxRows);
      positive("staging.flush_max_bytes", flushMaxBytes);
      positive("staging.flush_max_age_ms", flushMaxAge);
      tableOverrides = Map.copyOf(tableOverrides);
      positive("staging.max_dataset_bytes", maxTableBytes);
      if (maxTotalBytes < 0) {
        throw invalid("staging.max_total_bytes", maxTotalBytes, "an integer >= 0 (0: no total limit)");
      }
      positive("staging.max_pending", maxPending);
      if (fullPolicy == null) {
        throw invalid("staging.full_policy", null, "block or reject");
      }
      nonNegative("staging.block_timeout_ms", blockTimeout);
      if (durability == null) {
        throw invalid("staging.durability", null, "group or batch");
      }
      positive("staging.retry_initial_backoff_ms", retryInitialBackoff);
      positive("staging.retry_max_backoff_ms", retryMaxBackoff);
      if (retryMaxBackoff.compareTo(retryInitialBackoff) < 0) {
        throw invalid("staging.retry_max_backoff_ms", retryMaxBackoff.toMillis(),
            "a duration >= staging.retry_initial_backoff_ms (" + retryInitialBackoff.toMillis() + ")");
      }
    }

    /** The flush thresholds with every spool and guardrail setting at its default. */
    public Staging(long flushMaxRows, long flushMaxBytes, Duration flushMaxAge, Map<String, Flush> tableOverrides) {
      this(flushMaxRows, flushMaxBytes, flushMaxAge, tableOverrides, null, 512L << 20, 0, 10_000, FullPolicy.BLOCK,
          Duration.ofSeconds(30), Durability.GROUP, true, Duration.ofSeconds(1), Duration.ofSeconds(60));
    }

    /** A copy with {@code staging.directory} set; {@code null} restores the derived default. */
    public Staging withDirectory(java.nio.file.Path directory) {
      return new Staging(flushMaxRows, flushMaxBytes, flushMaxAge, tableOverrides, directory, maxTableBytes,
          maxTotalBytes, maxPending, fullPolicy, blockTimeout, durability, backgroundFlush, retryInitialBackoff,
          retryMaxBackoff);
    }

    /** A copy with the guardrails and the policy applied when one is reached. */
    public Staging withGuardrails(long maxTableBytes, long maxTotalBytes, int maxPending, FullPolicy fullPolicy,
        Duration blockTimeout) {
      return new Staging(flushMaxRows, flushMaxBytes, flushMaxAge, tableOverrides, directory, maxTableBytes,
          maxTotalBytes, maxPending, fullPolicy, blockTimeout, durability, backgroundFlush, retryInitialBackoff,
          retryMaxBackoff);
    }

    /** A copy with the durability policy and whether flushes run in the background. */
    public Staging withDurability(Durability durability, boolean backgroundFlush) {
      return new Staging(flushMaxRows, flushMaxBytes, flushMaxAge, tableOverrides, directory, maxTableBytes,
          maxTotalBytes, maxPending, fullPolicy, blockTimeout, durability, backgroundFlush, retryInitialBackoff,
          retryMaxBackoff);
    }

    /** A copy with the backoff of background flush retries. */
    public Staging withRetryBackoff(Duration initial, Duration max) {
      return new Staging(flushMaxRows, flushMaxBytes, flushMaxAge, tableOverrides, directory, maxTableBytes,
          maxTotalBytes, maxPending, fullPolicy, blockTimeout, durability, backgroundFlush, initial, max);
    }

    /** The thresholds of one table: its override or the global values. */
    public Flush flushFor(String tablePath) {
      Flush f = tableOverrides.get(tablePath);
      return f != null ? f : new Flush(flushMaxRows, flushMaxBytes, flushMaxAge);
    }
  }

  /** Flush thresholds of one table. */
  public record Flush(long maxRows, long maxBytes, Duration maxAge) {
    public Flush {
      positive("staging.table_overrides.max_rows", maxRows);
      positive("staging.table_overrides.max_bytes", maxBytes);
      positive("staging.table_overrides.max_age_ms", maxAge);
    }
  }

  /**
   * {@code [compaction]}: the Timestore, ParqueDB and Iceberg runbooks' defaults.
   *
   * @param targetFileSizeBytes {@code compaction.target_file_size_bytes}; default 128 MiB
   * @param minInputFiles {@code compaction.min_input_files}: small files a partition needs; default 10, at least 2
   * @param maxWait {@code compaction.max_wait_secs}: how long after its end a partition stays open; default 5 min
   *     (the ParqueDB runbook's priority 1); a table with an entry in {@code tablePriorities} uses its priority's wait
   * @param chunkPartitions {@code compaction.chunk_partitions}: groups committed per chunk; default 48
   * @param maxChunkRetries {@code compaction.max_chunk_retries}: retries of a failing chunk; default 3
   * @param interval {@code compaction.interval_secs}: schedule period of {@link Lifecycle#start()}; default 1 h
   * @param rowGroupSizeBytes {@code compaction.row_group_size_bytes}: output row group size, uncompressed;
   *     default 128 MiB
   * @param fastPathRowGroupBytes {@code compaction.fast_path_row_group_bytes}: input row groups at least this large
   *     (uncompressed) are copied whole; smaller ones are merged page by page, without decoding values, into row
   *     groups of {@code rowGroupSizeBytes}; default 8 MiB
   * @param memoryBudgetBytes {@code compaction.memory_budget_bytes}: most input bytes the page merge holds at once
   *     (beyond it, it reads column chunk by column chunk), and on the decode fallback the most compressed output
   *     bytes buffered before a row group is written early; default 32 MiB, at least 1 MiB
   * @param leaseDuration {@code compaction.lease_duration_secs}: how long a run's lease lasts without renewal; an
   *     expired lease lets another worker resume (the ParqueDB runbook's stuck-window reset); default 5 min
   * @param checkpointTtl {@code compaction.checkpoint_ttl_hours}: how long a completed checkpoint is kept for audit
   *     before {@code cleanup} removes it (the Timestore runbook); default 24 h
   * @param maxFilesPerRun {@code compaction.max_files_per_run}: most input files one run rewrites; 0 (default) = no cap
   * @param maxBytesPerRun {@code compaction.max_bytes_per_run}: most input bytes one run rewrites; 0 (default) = no cap
   * @param order {@code compaction.order}: {@code age} (default: oldest window first), {@code bytes} or {@code files}
   *     (largest first)
   * @param tablePriorities per-table priority 0–3 keyed by {@code tenant/dataset/table} or by table name (the path
   *     wins): max wait 1 min / 5 min / 15 min / 1 h (the ParqueDB runbook); programmatic only; default none
   * @param health the status thresholds; default {@link Health#DEFAULTS} (the ParqueDB runbook's table)
   */
  public record Compaction(long targetFileSizeBytes, int minInputFiles, Duration maxWait, int chunkPartitions,
      int maxChunkRetries, Duration interval, long rowGroupSizeBytes, long fastPathRowGroupBytes,
      long memoryBudgetBytes, Duration leaseDuration, Duration checkpointTtl, int maxFilesPerRun, long maxBytesPerRun,
      dev.lakelifecycle.api.compaction.CompactionPlan.Order order, Map<String, Integer> tablePriorities,
      Health health) {
    public static final Compaction DEFAULTS =
        new Compaction(128L << 20, 10, Duration.ofMinutes(5), 48, 3, Duration.ofHours(1));

    /** The max wait of priorities 0, 1, 2 and 3 (the ParqueDB runbook). */
    public static final java.util.List<Duration> PRIORITY_MAX_WAIT = java.util.List.of(Duration.ofMinutes(1),
        Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1));

    public Compaction {
      positive("compaction.target_file_size_bytes", targetFileSizeBytes);
      if (minInputFiles < 2) {
        throw invalid("compaction.min_input_files", minInputFiles, "an integer >= 2");
      }
      nonNegative("compaction.max_wait_secs", maxWait);
      positive("compaction.chunk_partitions", chunkPartitions);
      if (maxChunkRetries < 0) {
        throw invalid("compaction.max_chunk_retries", maxChunkRetries, "an integer >= 0");
      }
      positive("compaction.interval_secs", interval);
      positive("compaction.row_group_size_bytes", rowGroupSizeBytes);
      positive("compaction.fast_path_row_group_bytes", fastPathRowGroupBytes);
      if (memoryBudgetBytes < (1L << 20)) {
        throw invalid("compaction.memory_budget_bytes", memoryBudgetBytes, "an integer >= 1048576 (1 MiB)");
      }
      positive("compaction.lease_duration_secs", leaseDuration);
      positive("compaction.checkpoint_ttl_hours", checkpointTtl);
      if (maxFilesPerRun < 0) {
        throw invalid("compaction.max_files_per_run", maxFilesPerRun, "an integer >= 0 (0 = no cap)");
      }
      if (maxBytesPerRun < 0) {
        throw invalid("compaction.max_bytes_per_run", maxBytesPerRun, "an integer >= 0 (0 = no cap)");
      }
      Objects.requireNonNull(order, "compaction.order");
      tablePriorities = Map.copyOf(tablePriorities);
      tablePriorities.forEach((table, p) -> {
        if (p == null || p < 0 || p > 3) {
          throw invalid("compaction.table_priorities[" + table + "]", p,
              "0 (critical, 1 min), 1 (high, 5 min), 2 (medium, 15 min) or 3 (background, 1 h)");
        }
      });
      Objects.requireNonNull(health, "compaction.health");
    }

    /** The first six settings; every later one at its default. */
    public Compaction(long targetFileSizeBytes, int minInputFiles, Duration maxWait, int chunkPartitions,
        int maxChunkRetries, Duration interval) {
      this(targetFileSizeBytes, minInputFiles, maxWait, chunkPartitions, maxChunkRetries, interval, 128L << 20,
          8L << 20, 32L << 20, Duration.ofMinutes(5), Duration.ofHours(24), 0, 0,
          dev.lakelifecycle.api.compaction.CompactionPlan.Order.AGE, Map.of(), Health.DEFAULTS);
    }

    /** The smallest output worth producing, and the size below which a file is "small": 75 % of the target. */
    public long minFileSizeBytes() {
      return targetFileSizeBytes * 3 / 4;
    }

    /**
     * The max wait of one table: its priority's ({@code tablePriorities} by path, then by table name), else
     * {@link #maxWait()}.
     */
    public Duration maxWaitFor(String tenantDatasetTable, String tableName) {
      Integer p = tablePriorities.get(tenantDatasetTable);
      if (p == null) {
        p = tablePriorities.get(tableName);
      }
      return p == null ? maxWait : PRIORITY_MAX_WAIT.get(p);
    }

    /** The priority of one table, or {@code -1} if it has none. */
    public int priorityOf(String tenantDatasetTable, String tableName) {
      Integer p = tablePriorities.get(tenantDatasetTable);
      if (p == null) {
        p = tablePriorities.get(tableName);
      }
      return p == null ? -1 : p;
    }

    /** A copy with other run caps (0 = no cap). */
    public Compaction withCaps(int maxFiles, long maxBytes) {
      return new Compaction(targetFileSizeBytes, minInputFiles, maxWait, chunkPartitions, maxChunkRetries, interval,
          rowGroupSizeBytes, fastPathRowGroupBytes, memoryBudgetBytes, leaseDuration, checkpointTtl, maxFiles,
          maxBytes, order, tablePriorities, health);
    }

    /** A copy with other table priorities. */
    public Compaction withTablePriorities(Map<String, Integer> priorities) {
      return new Compaction(targetFileSizeBytes, minInputFiles, maxWait, chunkPartitions, maxChunkRetries, interval,
          rowGroupSizeBytes, fastPathRowGroupBytes, memoryBudgetBytes, leaseDuration, checkpointTtl, maxFilesPerRun,
          maxBytesPerRun, order, priorities, health);
    }

    /** A copy with other rewrite sizes. */
    public Compaction withRewriteSizes(long rowGroupBytes, long fastPathBytes, long memoryBudget) {
      return new Compaction(targetFileSizeBytes, minInputFiles, maxWait, chunkPartitions, maxChunkRetries, interval,
          rowGroupBytes, fastPathBytes, memoryBudget, leaseDuration, checkpointTtl, maxFilesPerRun, maxBytesPerRun,
          order, tablePriorities, health);
    }

    /** A copy with another lease duration and checkpoint TTL. */
    public Compaction withLeaseAndTtl(Duration lease, Duration ttl) {
      return new Compaction(targetFileSizeBytes, minInputFiles, maxWait, chunkPartitions, maxChunkRetries, interval,
          rowGroupSizeBytes, fastPathRowGroupBytes, memoryBudgetBytes, lease, ttl, maxFilesPerRun, maxBytesPerRun,
          order, tablePriorities, health);
    }

    /** A copy with other health thresholds. */
    public Compaction withHealth(Health h) {
      return new Compaction(targetFileSizeBytes, minInputFiles, maxWait, chunkPartitions, maxChunkRetries, interval,
          rowGroupSizeBytes, fastPathRowGroupBytes, memoryBudgetBytes, leaseDuration, checkpointTtl, maxFilesPerRun,
          maxBytesPerRun, order, tablePriorities, h);
    }
  }

  /**
   * When compaction status turns {@code degraded} (warning) or {@code unhealthy} (critical): a value above the
   * threshold trips it. Defaults are the ParqueDB runbook's "Key Metrics to Monitor" table.
   *
   * @param stuckWarning windows stuck past their lease; default 0
   * @param stuckCritical default 3
   * @param oldestPendingWarning age of the oldest pending window; default 2 h
   * @param oldestPendingCritical default 4 h
   * @param pendingWindowsWarning windows waiting to be compacted; default 10
   * @param pendingWindowsCritical default 20
   * @param pendingFilesWarning small files waiting in pending windows; default 1000
   * @param pendingFilesCritical default 5000
   * @param quarantinedWarning quarantined files; default 0
   * @param quarantinedCritical default 100
   */
  public record Health(int stuckWarning, int stuckCritical, Duration oldestPendingWarning,
      Duration oldestPendingCritical, int pendingWindowsWarning, int pendingWindowsCritical, long pendingFilesWarning,
      long pendingFilesCritical, int quarantinedWarning, int quarantinedCritical) {
    public static final Health DEFAULTS = new Health(0, 3, Duration.ofHours(2), Duration.ofHours(4), 10, 20, 1000,
        5000, 0, 100);

    public Health {
      nonNegative("compaction.health.oldest_pending_warning", oldestPendingWarning);
      nonNegative("compaction.health.oldest_pending_critical", oldestPendingCritical);
      if (stuckWarning < 0 || stuckCritical < stuckWarning || pendingWindowsWarning < 0
          || pendingWindowsCritical < pendingWindowsWarning || pendingFilesWarning < 0
          || pendingFilesCritical < pendingFilesWarning || quarantinedWarning < 0
          || quarantinedCritical < quarantinedWarning || oldestPendingCritical.compareTo(oldestPendingWarning) < 0) {
        throw invalid("compaction.health", "warning/critical pair",
            "thresholds >= 0 with each critical threshold >= its warning threshold");
      }
    }
  }

  /**
   * {@code [retention]}: the SignalDB runbook's three tiers, per table type ({@code traces}, {@code logs},
   * {@code metrics} or any table name).
   *
   * @param global {@code retention.<table>_retention_days}: table type → retention for every tenant
   * @param tenants {@code [[retention.tenant_overrides]]}: tenant → (table type → retention)
   * @param datasets {@code [[retention.tenant_overrides.dataset_overrides]]}: {@code tenant/dataset} → (table type → retention)
   * @param gracePeriod {@code retention.grace_period_hours}: added to every retention; default 1 h
   * @param snapshotsToKeep {@code retention.snapshots_to_keep}: default 5, at least 1
   * @param maxSnapshotAge {@code retention.max_snapshot_age_hours}: snapshots older than this (beyond the newest
   *     {@code snapshotsToKeep}) expire; {@code null} (default) means only the count applies
   * @param minRetention {@code retention.min_retention_hours}: floor below which a policy is refused; default 1 h
   * @param dryRun {@code retention.dry_run}: default false
   * @param interval {@code retention.interval_secs}: schedule period; default 1 h
   * @param displayZone {@code retention.display_timezone}: the zone in which cutoffs and snapshot times are shown
   *     in logs, e.g. {@code Europe/Paris}; default UTC. Cutoffs are always computed in UTC from the clock.
   */
  public record RetentionSettings(Map<String, Retention> global, Map<String, Map<String, Retention>> tenants,
      Map<String, Map<String, Retention>> datasets, Duration gracePeriod, int snapshotsToKeep,
      Duration maxSnapshotAge, Duration minRetention, boolean dryRun, Duration interval, java.time.ZoneId displayZone) {
    public static final RetentionSettings DEFAULTS = new RetentionSettings(Map.of(), Map.of(), Map.of(),
        Duration.ofHours(1), 5, null, Duration.ofHours(1), false, Duration.ofHours(1));

    /** Settings shown in UTC. */
    public RetentionSettings(Map<String, Retention> global, Map<String, Map<String, Retention>> tenants,
        Map<String, Map<String, Retention>> datasets, Duration gracePeriod, int snapshotsToKeep,
        Duration maxSnapshotAge, Duration minRetention, boolean dryRun, Duration interval) {
      this(global, tenants, datasets, gracePeriod, snapshotsToKeep, maxSnapshotAge, minRetention, dryRun, interval,
          java.time.ZoneOffset.UTC);
    }

    public RetentionSettings {
      global = new TreeMap<>(global);
      tenants = deepCopy(tenants);
      datasets = deepCopy(datasets);
      nonNegative("retention.grace_period_hours", gracePeriod);
      if (snapshotsToKeep < 1) {
        throw invalid("retention.snapshots_to_keep", snapshotsToKeep, "an integer >= 1 (at least one snapshot is always kept)");
      }
      if (maxSnapshotAge != null) {
        positive("retention.max_snapshot_age_hours", maxSnapshotAge);
      }
      nonNegative("retention.min_retention_hours", minRetention);
      positive("retention.interval_secs", interval);
      if (displayZone == null) {
        throw invalid("retention.display_timezone", null, "a time zone id such as UTC or Europe/Paris");
      }
      checkFloor("retention", global, minRetention);
      tenants.forEach((t, m) -> checkFloor("retention.tenant_overrides[" + t + "]", m, minRetention));
      datasets.forEach((d, m) -> checkFloor("retention.dataset_overrides[" + d + "]", m, minRetention));
    }

    private static Map<String, Map<String, Retention>> deepCopy(Map<String, Map<String, Retention>> in) {
      Map<String, Map<String, Retention>> out = new TreeMap<>();
      in.forEach((k, v) -> out.put(k, java.util.Collections.unmodifiableMap(new TreeMap<>(v))));
      return java.util.Collections.unmodifiableMap(out);
    }

    private static void checkFloor(String where, Map<String, Retention> m, Duration floor) {
      m.forEach((type, r) -> {
        if (!r.isForever() && r.duration().compareTo(floor) < 0) {
          throw invalid(where + "." + type + "_retention", r,
              "a retention of at least retention.min_retention_hours = " + floor.toHours() + "h, or 'forever'");
        }
      });
    }
  }

  /**
   * {@code [sweep]}: orphan cleanup, the SignalDB runbook's {@code [compactor.orphan_cleanup]}.
   *
   * @param gracePeriod {@code sweep.grace_period_hours}: files younger than this survive; default 24 h
   * @param minGracePeriod {@code sweep.min_grace_period_hours}: floor for any grace period; default 1 h
   * @param batchSize {@code sweep.batch_size}: keys per delete call; default 1000, 1 to 1000
   * @param dryRun {@code sweep.dry_run}: default false
   * @param interval {@code sweep.interval_hours}: schedule period; default 24 h
   * @param revalidate {@code sweep.revalidate}: check candidates against a reloaded catalog right before
   *     deleting (the runbook's {@code revalidate_before_delete}); default true
   * @param prefixMismatchMode {@code sweep.prefix_mismatch_mode}: {@code fail} (default), {@code ignore} or
   *     {@code treat_as_equal}, see {@link PrefixMismatchMode}
   * @param spillDirectory {@code sweep.spill_dir}: local directory for the sorted runs of large valid sets and
   *     candidate lists (deleted when a sweep ends); {@code null} (default) means {@code java.io.tmpdir}. Never
   *     put it inside a table's location.
   * @param leaseDuration {@code sweep.lease_duration_secs}: how long a deleting sweep's lease on its table's
   *     checkpoint lasts without renewal (renewed after a third of it while the sweep runs); a crashed worker's
   *     sweep is resumed by another once it lapses; default 5 min
   */
  public record Sweep(Duration gracePeriod, Duration minGracePeriod, int batchSize, boolean dryRun, Duration interval,
      boolean revalidate, PrefixMismatchMode prefixMismatchMode, Path spillDirectory, Duration leaseDuration) {
    /** The default of {@code sweep.lease_duration_secs}. */
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofMinutes(5);
    public static final Sweep DEFAULTS = new Sweep(Duration.ofHours(24), Duration.ofHours(1), 1000, false,
        Duration.ofHours(24), true, PrefixMismatchMode.FAIL, null, DEFAULT_LEASE_DURATION);

    public Sweep {
      nonNegative("sweep.min_grace_period_hours", minGracePeriod);
      if (gracePeriod == null || gracePeriod.compareTo(minGracePeriod) < 0) {
        throw invalid("sweep.grace_period_hours", gracePeriod,
            "a duration >= sweep.min_grace_period_hours (" + minGracePeriod + "); lower the floor explicitly to go below it");
      }
      if (batchSize < 1 || batchSize > 1000) {
        throw invalid("sweep.batch_size", batchSize, "an integer from 1 to 1000");
      }
      positive("sweep.interval_hours", interval);
      if (prefixMismatchMode == null) {
        throw invalid("sweep.prefix_mismatch_mode", null, "fail, ignore or treat_as_equal");
      }
      positive("sweep.lease_duration_secs", leaseDuration);
    }

    /** The first eight settings; the lease duration takes its default (5 min). */
    public Sweep(Duration gracePeriod, Duration minGracePeriod, int batchSize, boolean dryRun, Duration interval,
        boolean revalidate, PrefixMismatchMode prefixMismatchMode, Path spillDirectory) {
      this(gracePeriod, minGracePeriod, batchSize, dryRun, interval, revalidate, prefixMismatchMode, spillDirectory,
          DEFAULT_LEASE_DURATION);
    }

    /** The first five settings; the rest take their defaults (revalidate, fail on prefix mismatch, temp dir). */
    public Sweep(Duration gracePeriod, Duration minGracePeriod, int batchSize, boolean dryRun, Duration interval) {
      this(gracePeriod, minGracePeriod, batchSize, dryRun, interval, true, PrefixMismatchMode.FAIL, null);
    }

    /** A copy with another lease duration ({@code sweep.lease_duration_secs}). */
    public Sweep withLeaseDuration(Duration lease) {
      return new Sweep(gracePeriod, minGracePeriod, batchSize, dryRun, interval, revalidate, prefixMismatchMode,
          spillDirectory, lease);
    }
  }

  /**
   * {@code [schedule]}: how {@link Lifecycle#start()} runs the services.
   *
   * @param jitter {@code schedule.jitter_secs}: each run starts up to this much later, at random; default 60 s
   * @param flushInterval {@code schedule.flush_interval_ms}: how often staged tables are checked against their
   *     flush thresholds; default 1 s
   */
  public record Schedule(Duration jitter, Duration flushInterval) {
    public static final Schedule DEFAULTS = new Schedule(Duration.ofSeconds(60), Duration.ofSeconds(1));

    public Schedule {
      nonNegative("schedule.jitter_secs", jitter);
      positive("schedule.flush_interval_ms", flushInterval);
    }
  }

  private final Staging staging;
  private final Compaction compaction;
  private final RetentionSettings retention;
  private final Sweep sweep;
  private final Schedule schedule;

  private LifecycleConfig(Builder b) {
    this.staging = b.staging;
    this.compaction = b.compaction;
    this.retention = b.retention;
    this.sweep = b.sweep;
    this.schedule = b.schedule;
  }

  /** Every default. */
  public static LifecycleConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads a configuration: defaults, then the TOML file (if not {@code null}), then every {@code LIFECYCLE_*}
   * variable of {@code environment} (environment wins).
   *
   * @throws InvalidConfigurationException for an unreadable file, an unknown key or an invalid value
   */
  public static LifecycleConfig load(java.nio.file.Path tomlFile, Map<String, String> environment) {
    return dev.lakelifecycle.core.internal.config.ConfigLoader.load(tomlFile, environment);
  }

  public Builder toBuilder() {
    return new Builder().staging(staging).compaction(compaction).retention(retention).sweep(sweep).schedule(schedule);
  }

  public Staging staging() {
    return staging;
  }

  public Compaction compaction() {
    return compaction;
  }

  public RetentionSettings retention() {
    return retention;
  }

  public Sweep sweep() {
    return sweep;
  }

  public Schedule schedule() {
    return schedule;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LifecycleConfig c && c.staging.equals(staging) && c.compaction.equals(compaction)
        && c.retention.equals(retention) && c.sweep.equals(sweep) && c.schedule.equals(schedule);
  }

  @Override
  public int hashCode() {
    return Objects.hash(staging, compaction, retention, sweep, schedule);
  }

  @Override
  public String toString() {
    return "LifecycleConfig[" + staging + ", " + compaction + ", " + retention + ", " + sweep + ", " + schedule + "]";
  }

  /** Replaces whole sections; unset sections keep their defaults. */
  public static final class Builder {
    private Staging staging = Staging.DEFAULTS;
    private Compaction compaction = Compaction.DEFAULTS;
    private RetentionSettings retention = RetentionSettings.DEFAULTS;
    private Sweep sweep = Sweep.DEFAULTS;
    private Schedule schedule = Schedule.DEFAULTS;

    private Builder() {}

    public Builder staging(Staging staging) {
      this.staging = Objects.requireNonNull(staging, "staging");
      return this;
    }

    public Builder compaction(Compaction compaction) {
      this.compaction = Objects.requireNonNull(compaction, "compaction");
      return this;
    }

    public Builder retention(RetentionSettings retention) {
      this.retention = Objects.requireNonNull(retention, "retention");
      return this;
    }

    public Builder sweep(Sweep sweep) {
      this.sweep = Objects.requireNonNull(sweep, "sweep");
      return this;
    }

    public Builder schedule(Schedule schedule) {
      this.schedule = Objects.requireNonNull(schedule, "schedule");
      return this;
    }

    public LifecycleConfig build() {
      return new LifecycleConfig(this);
    }
  }

  static InvalidConfigurationException invalid(String key, Object value, String allowed) {
    return new InvalidConfigurationException(String.format(Locale.ROOT,
        "Invalid configuration: %s = %s; allowed: %s", key, value, allowed));
  }

  private static void positive(String key, long value) {
    if (value <= 0) {
      throw invalid(key, value, "an integer > 0");
    }
  }

  private static void positive(String key, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw invalid(key, value, "a duration > 0");
    }
  }

  private static void nonNegative(String key, Duration value) {
    if (value == null || value.isNegative()) {
      throw invalid(key, value, "a duration >= 0");
    }
  }
}
