package dev.lakelifecycle.core.internal.retention;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.retention.ResolvedRetention;
import dev.lakelifecycle.api.retention.ResolvedRetention.Tier;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.api.retention.RetentionAction;
import dev.lakelifecycle.api.retention.RetentionResolver;
import dev.lakelifecycle.api.retention.RetentionResult;
import dev.lakelifecycle.api.retention.RetentionResult.DroppedPartition;
import dev.lakelifecycle.core.LifecycleConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retention engine: resolves each table's policy through the SignalDB runbook's three tiers and enforces it
 * by dropping expired partitions and expiring old snapshots.
 *
 * <p><b>Resolution.</b> The table type is {@link TableId#table()}. The dataset tier ({@code tenant/dataset} in
 * {@link LifecycleConfig.RetentionSettings#datasets()}) wins over the tenant tier, which wins over the global
 * tier; a tier that sets nothing for the type inherits from the one above, and a tier that sets
 * {@link Retention#forever()} keeps data forever even when a tier above sets a duration. When no tier sets the
 * type the policy is forever with {@link Tier#DEFAULT}. Resolved policies are cached (at most
 * {@value #CACHE_SIZE} tables); {@link #reload} swaps in new settings and empties the cache, so the next
 * {@link #resolve} and every later run use them.
 *
 * <p><b>Enforcement.</b> {@code cutoff = now − retention − grace}. A partition is dropped only when its whole
 * range has ended at or before the cutoff ({@code PartitionSpec.endOf(p) <= cutoff}), so data newer than the
 * cutoff is never dropped (invariant 3). All expired partitions go in one {@code commitDropPartitions} commit;
 * no commit is made when none expired. Then snapshots expire by {@link SnapshotExpiry}: beyond the newest
 * {@code snapshots_to_keep}, older than {@code max_snapshot_age_hours} when set (any age otherwise), never the
 * current one, and never one pinned by a pending compaction checkpoint. A dry run computes the same result on
 * the loaded table (as if the drop commit had been made) and changes nothing.
 *
 * <p><b>Pinned snapshots.</b> The table's compaction checkpoint ({@value #COMPACTION_CHECKPOINT_PREFIX} + the
 * table path), while its status is {@link Checkpoint.Status#PENDING} and its metadata holds
 * {@value #BASE_SNAPSHOT_ID} (a number, or a string of digits), pins that snapshot id. This is the key the
 * compactor writes: the snapshot its plan was made on. Only the table's own checkpoint is read (one read, however
 * many tables share the checkpoint store): snapshot ids are per table. When the checkpoint cannot be read the run
 * fails before it changes anything.
 *
 * <p><b>Metrics</b> (tags {@code tenant}, {@code dataset}, {@code table}): counters
 * {@code lifecycle.retention.cutoffs.computed}, {@code lifecycle.retention.partitions.evaluated} (dry runs
 * included), {@code lifecycle.retention.partitions.dropped}, {@code lifecycle.retention.rows.dropped},
 * {@code lifecycle.retention.bytes.dropped}, {@code lifecycle.retention.snapshots.expired} (real changes only),
 * and the timer {@code lifecycle.retention.enforcement.duration} (every run, failed ones included).
 */
public final class DefaultRetentionResolver implements RetentionResolver {
  /** Metadata key of a compaction checkpoint that names the snapshot id its plan was made on (a number). */
  public static final String BASE_SNAPSHOT_ID = "baseSnapshotId";
  /** Id prefix of the compactor's checkpoints. */
  public static final String COMPACTION_CHECKPOINT_PREFIX = "compaction/";
  /** Most tables whose resolved policy is cached. */
  public static final int CACHE_SIZE = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(DefaultRetentionResolver.class);

  private final TableCatalog catalog;
  private final CheckpointStore checkpoints;
  private volatile LifecycleConfig.RetentionSettings config;
  private final Clock clock;
  private final MeterRegistry registry;
  /** Each policy with the settings it came from, so that one computed across a reload is never served after it. */
  private final LoadingCache<TableId, Cached> policies;

  /**
   * @param registry where metrics go; {@code null} records nothing
   */
  public DefaultRetentionResolver(TableCatalog catalog, CheckpointStore checkpoints,
      LifecycleConfig.RetentionSettings config, Clock clock, MeterRegistry registry) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.registry = registry != null ? registry : new CompositeMeterRegistry();
    this.policies = Caffeine.newBuilder().maximumSize(CACHE_SIZE).build(this::computePolicy);
  }

  /**
   * Replaces the settings (e.g. after the configuration file was reloaded) and drops every cached policy.
   * Runs already executing finish with the policy they resolved; later calls use the new settings.
   */
  public void reload(LifecycleConfig.RetentionSettings settings) {
    this.config = Objects.requireNonNull(settings, "settings");
    policies.invalidateAll();
    LOG.info("Retention settings reloaded; cached policies dropped");
  }

  @Override
  public ResolvedRetention resolve(TableId table) {
    Objects.requireNonNull(table, "table");
    Cached cached = policies.get(table);
    while (cached.settings != config) {
      policies.invalidate(table);
      cached = policies.get(table);
    }
    return cached.policy;
  }

  private record Cached(LifecycleConfig.RetentionSettings settings, ResolvedRetention policy) {}

  @Override
  public RetentionAction enforce(TableId table) {
    Objects.requireNonNull(table, "table");
    return new RetentionAction() {
      private boolean dryRun = config.dryRun();

      @Override
      public RetentionAction dryRun(boolean dryRun) {
        this.dryRun = dryRun;
        return this;
      }

      @Override
      public RetentionResult execute() {
        return run(table, dryRun);
      }
    };
  }

  private Cached computePolicy(TableId table) {
    LifecycleConfig.RetentionSettings config = this.config;
    String type = table.table();
    Retention retention = Retention.forever();
    Tier tier = Tier.DEFAULT;
    Map<String, Retention> dataset = config.datasets().get(table.tenant() + "/" + table.dataset());
    Map<String, Retention> tenant = config.tenants().get(table.tenant());
    if (dataset != null && dataset.containsKey(type)) {
      retention = dataset.get(type);
      tier = Tier.DATASET;
    } else if (tenant != null && tenant.containsKey(type)) {
      retention = tenant.get(type);
      tier = Tier.TENANT;
    } else if (config.global().containsKey(type)) {
      retention = config.global().get(type);
      tier = Tier.GLOBAL;
    }
    return new Cached(config, new ResolvedRetention(table, retention, tier, config.gracePeriod(),
        config.snapshotsToKeep(), config.maxSnapshotAge()));
  }

  private RetentionResult run(TableId id, boolean dryRun) {
    Tags tags = Tags.of("tenant", id.tenant(), "dataset", id.dataset(), "table", id.table());
    Timer.Sample sample = Timer.start(registry);
    try {
      ResolvedRetention policy = resolve(id);
      Instant now = clock.instant();
      Instant cutoff = cutoffAt(policy, now);
      if (cutoff != null) {
        counter("lifecycle.retention.cutoffs.computed", "Retention cutoffs computed", tags).increment();
        LOG.debug("Computed retention cutoff: tenant={} dataset={} table={} retention={} tier={} cutoff={}",
            id.tenant(), id.dataset(), id.table(), policy.retention(), policy.retentionTier(), display(cutoff));
      }
      // Read the pins before touching the table: a run that cannot know them changes nothing.
      SnapshotExpiry expiry = new SnapshotExpiry(policy.snapshotsToKeep(),
          policy.maxSnapshotAge() == null ? SnapshotExpiry.ANY_AGE : now.minus(policy.maxSnapshotAge()),
          pinnedSnapshots(id));

      CatalogTable table = catalog.loadTable(id);
      Map<String, Partition> partitions = partitionsOf(table.liveFiles());
      List<DroppedPartition> expired = expiredPartitions(id, partitions, cutoff);
      counter("lifecycle.retention.partitions.evaluated", "Live partitions checked against the cutoff", tags)
          .increment(partitions.size());

      List<DroppedPartition> dropped;
      List<TableSnapshot> snapshotsExpired;
      if (dryRun) {
        dropped = expired;
        List<TableSnapshot> view = new ArrayList<>(table.snapshots());
        if (!expired.isEmpty()) {
          // The drop commit a real run would make becomes the current snapshot and counts among the kept.
          Long parent = table.currentSnapshot().map(TableSnapshot::snapshotId).orElse(null);
          view.add(new TableSnapshot(Long.MIN_VALUE, parent, now, TableSnapshot.Operation.DELETE, Map.of()));
        }
        snapshotsExpired = expiry.select(view);
        dropped.forEach(p -> LOG.info("[DRY-RUN] Would drop partition: tenant={} dataset={} table={} {} "
            + "files={} bytes={} rows={}", id.tenant(), id.dataset(), id.table(), p.partition(), p.files(), p.bytes(),
            p.rows()));
        snapshotsExpired.forEach(s -> LOG.info("[DRY-RUN] Would expire snapshot: tenant={} dataset={} table={} "
            + "snapshot_id={} age={}", id.tenant(), id.dataset(), id.table(), s.snapshotId(), age(s, now)));
      } else {
        dropped = expired.isEmpty() ? List.of() : commitDrops(id, table, expired);
        snapshotsExpired = expiry.apply(table);
        snapshotsExpired.forEach(s -> LOG.info("Expired snapshot: tenant={} dataset={} table={} snapshot_id={} age={}",
            id.tenant(), id.dataset(), id.table(), s.snapshotId(), age(s, now)));
      }
      // Registered in dry runs too (at zero), so that dashboards see the series before the first real drop.
      List<DroppedPartition> droppedNow = dryRun ? List.of() : dropped;
      counter("lifecycle.retention.partitions.dropped", "Partitions dropped", tags).increment(droppedNow.size());
      counter("lifecycle.retention.rows.dropped", "Rows in dropped partitions", tags)
          .increment(droppedNow.stream().mapToLong(DroppedPartition::rows).sum());
      counter("lifecycle.retention.bytes.dropped", "Bytes of files in dropped partitions", tags)
          .increment(droppedNow.stream().mapToLong(DroppedPartition::bytes).sum());
      counter("lifecycle.retention.snapshots.expired", "Snapshots expired", tags)
          .increment(dryRun ? 0 : snapshotsExpired.size());
      if (!dropped.isEmpty() || !snapshotsExpired.isEmpty()) {
        LOG.info("{}Retention on {}: {} of {} partitions dropped ({} rows), {} snapshots expired; policy {} from {} "
                + "tier, cutoff {}", dryRun ? "[DRY-RUN] " : "", id, dropped.size(), partitions.size(),
            dropped.stream().mapToLong(DroppedPartition::rows).sum(), snapshotsExpired.size(), policy.retention(),
            policy.retentionTier(), display(cutoff));
      }
      return new RetentionResult(id, policy, cutoff, dryRun, partitions.size(), dropped, snapshotsExpired);
    } finally {
      sample.stop(Timer.builder("lifecycle.retention.enforcement.duration")
          .description("Duration of one retention run on one table").tags(tags).register(registry));
    }
  }

  private List<DroppedPartition> commitDrops(TableId id, CatalogTable table, List<DroppedPartition> expired) {
    Optional<TableSnapshot> commit = table.commitDropPartitions(
        expired.stream().map(DroppedPartition::partition).toList());
    if (commit.isEmpty()) {
      // Nothing was live in them any more: another replica dropped them first. Nothing changed here.
      LOG.info("Retention on {}: the {} expired partitions were already gone (dropped concurrently)", id,
          expired.size());
      return List.of();
    }
    expired.forEach(p -> LOG.info("Dropped partition: tenant={} dataset={} table={} {} files={} bytes={} rows={} "
            + "snapshot_id={}", id.tenant(), id.dataset(), id.table(), p.partition(), p.files(), p.bytes(), p.rows(),
        commit.get().snapshotId()));
    return expired;
  }

  /** The cutoff at {@code now}, {@code null} for forever; a retention reaching beyond the time line drops nothing. */
  static Instant cutoffAt(ResolvedRetention policy, Instant now) {
    try {
      return policy.cutoff(now).orElse(null);
    } catch (DateTimeException | ArithmeticException e) {
      return Instant.MIN;
    }
  }

  /** Live files per partition, in partition order. */
  static Map<String, Partition> partitionsOf(List<DataFile> liveFiles) {
    Map<String, Partition> out = new TreeMap<>();
    for (DataFile f : liveFiles) {
      out.computeIfAbsent(f.partition(), Partition::new).add(f);
    }
    return out;
  }

  /**
   * The partitions whose whole range ends at or before {@code cutoff}, oldest first. A partition value that
   * cannot be read as a time range is kept and reported: dropping what cannot be dated could drop new data.
   */
  static List<DroppedPartition> expiredPartitions(TableId id, Map<String, Partition> partitions,
      Instant cutoff) {
    if (cutoff == null) {
      return List.of();
    }
    List<Partition> expired = new ArrayList<>();
    for (Partition p : partitions.values()) {
      Instant end;
      try {
        end = PartitionSpec.endOf(p.name);
      } catch (IllegalArgumentException e) {
        LOG.warn("Retention on {} keeps partition '{}': its value is not a time partition ({}); drop it by hand "
            + "if it is expired", id, p.name, e.getMessage());
        continue;
      }
      if (!end.isAfter(cutoff)) {
        p.end = end;
        expired.add(p);
      }
    }
    expired.sort(Comparator.comparing((Partition p) -> p.end).thenComparing(p -> p.name));
    return expired.stream().map(p -> new DroppedPartition(p.name, p.files, p.bytes, p.rows)).toList();
  }

  /**
   * The snapshot id the table's pending compaction checkpoint names; it must survive until the compaction ends.
   * Only the table's own checkpoint counts: snapshot ids are per table (one read, however many tables share the
   * checkpoint store).
   */
  private Set<Long> pinnedSnapshots(TableId table) {
    Set<Long> pinned = new HashSet<>();
    for (Checkpoint c : checkpoints.get(COMPACTION_CHECKPOINT_PREFIX + table.path()).stream().toList()) {
      if (c.status() != Checkpoint.Status.PENDING) {
        continue;
      }
      Object base = c.metadata().get(BASE_SNAPSHOT_ID);
      if (base instanceof Number n) {
        pinned.add(n.longValue());
      } else if (base instanceof String s && s.matches("-?\\d{1,19}")) {
        try {
          pinned.add(Long.parseLong(s));
        } catch (NumberFormatException e) {
          LOG.warn("Checkpoint {} names base snapshot '{}', which is not a snapshot id; it pins nothing", c.id(), s);
        }
      } else if (base != null) {
        LOG.warn("Checkpoint {} names base snapshot {} of type {}, expected a number; it pins nothing", c.id(), base,
            base.getClass().getSimpleName());
      }
    }
    return pinned;
  }

  private Counter counter(String name, String description, Tags tags) {
    return Counter.builder(name).description(description).tags(tags).register(registry);
  }

  private static String age(TableSnapshot s, Instant now) {
    Duration age = Duration.between(s.committedAt(), now);
    return age.toDays() >= 1 ? age.toDays() + "days" : age.toHours() + "hours";
  }

  /** Accumulates the live files of one partition. */
  static final class Partition {
    final String name;
    int files;
    long bytes;
    long rows;
    Instant end;

    Partition(String name) {
      this.name = name;
    }

    void add(DataFile f) {
      files++;
      bytes += f.sizeBytes();
      rows += f.recordCount();
    }
  }

  /**
   * An instant as operators read it: in {@code retention.display_timezone}, with its offset, so a log line
   * stays unambiguous; cutoffs themselves are always computed in UTC.
   */
  String display(Instant instant) {
    return instant == null ? "none" : instant.atZone(config.displayZone()).toOffsetDateTime().toString();
  }
}
