package dev.lakelifecycle.core.internal.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.retention.ResolvedRetention;
import dev.lakelifecycle.api.retention.ResolvedRetention.Tier;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.LifecycleConfig.RetentionSettings;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.InMemoryCheckpointStore;
import dev.lakelifecycle.core.internal.config.ConfigLoader;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Policy resolution through the three tiers and the cutoff arithmetic; no table is touched. */
class RetentionResolutionTest {
  @TempDir
  Path dir;

  private final MutableClock clock = MutableClock.at("2026-02-01T12:00:00Z");

  private DefaultRetentionResolver resolver(RetentionSettings settings) {
    return new DefaultRetentionResolver(new ManifestCatalog(new LocalObjectStore(dir.resolve("lake")), clock),
        new InMemoryCheckpointStore(clock), settings, clock, null);
  }

  private static RetentionSettings settings(Map<String, Retention> global, Map<String, Map<String, Retention>> tenants,
      Map<String, Map<String, Retention>> datasets) {
    return new RetentionSettings(global, tenants, datasets, Duration.ofHours(1), 5, null, Duration.ofHours(1), false,
        Duration.ofHours(1));
  }

  @Test
  void runbookWorkedExampleResolvesEachTierFromTheTomlFile() throws IOException {
    Path file = dir.resolve("lifecycle.toml");
    Files.writeString(file, """
        [retention]
        traces_retention_days = 7
        [[retention.tenant_overrides]]
        tenant_id = "acme"
        traces_retention_days = 14
        [[retention.tenant_overrides.dataset_overrides]]
        dataset_id = "production"
        traces_retention_days = 30
        """);
    DefaultRetentionResolver r = resolver(ConfigLoader.load(file, Map.of()).retention());

    ResolvedRetention production = r.resolve(TableId.parse("acme/production/traces"));
    ResolvedRetention staging = r.resolve(TableId.parse("acme/staging/traces"));
    ResolvedRetention other = r.resolve(TableId.parse("other/production/traces"));

    assertThat(production.retention()).isEqualTo(Retention.days(30));
    assertThat(production.retentionTier()).isEqualTo(Tier.DATASET);
    assertThat(staging.retention()).isEqualTo(Retention.days(14));
    assertThat(staging.retentionTier()).isEqualTo(Tier.TENANT);
    assertThat(other.retention()).isEqualTo(Retention.days(7));
    assertThat(other.retentionTier()).isEqualTo(Tier.GLOBAL);
  }

  @Test
  void tierThatSetsNothingForTheTableTypeInherits() {
    DefaultRetentionResolver r = resolver(settings(
        Map.of("traces", Retention.days(7), "logs", Retention.days(3)),
        Map.of("acme", Map.of("traces", Retention.days(14))),
        Map.of("acme/production", Map.of("metrics", Retention.days(90)))));

    // The dataset tier sets only metrics: traces come from the tenant, logs from the global tier.
    assertThat(r.resolve(TableId.parse("acme/production/traces")))
        .extracting(ResolvedRetention::retention, ResolvedRetention::retentionTier)
        .containsExactly(Retention.days(14), Tier.TENANT);
    assertThat(r.resolve(TableId.parse("acme/production/logs")))
        .extracting(ResolvedRetention::retention, ResolvedRetention::retentionTier)
        .containsExactly(Retention.days(3), Tier.GLOBAL);
    assertThat(r.resolve(TableId.parse("acme/production/metrics")))
        .extracting(ResolvedRetention::retention, ResolvedRetention::retentionTier)
        .containsExactly(Retention.days(90), Tier.DATASET);
  }

  @Test
  void noTierSettingTheTypeMeansForeverFromTheDefaultTier() {
    DefaultRetentionResolver r = resolver(settings(Map.of("traces", Retention.days(7)), Map.of(), Map.of()));
    ResolvedRetention events = r.resolve(TableId.parse("acme/prod/events"));
    assertThat(events.retention().isForever()).isTrue();
    assertThat(events.retentionTier()).isEqualTo(Tier.DEFAULT);
    assertThat(events.cutoff(clock.instant())).isEmpty();
  }

  @Test
  void foreverSetByATenantOverridesAGlobalDurationAndIsNotTheDefault() {
    DefaultRetentionResolver r = resolver(settings(
        Map.of("traces", Retention.days(7)),
        Map.of("bank", Map.of("traces", Retention.forever())),
        Map.of("bank/scratch", Map.of("traces", Retention.days(2)))));

    ResolvedRetention bank = r.resolve(TableId.parse("bank/prod/traces"));
    assertThat(bank.retention().isForever()).isTrue();
    assertThat(bank.retentionTier()).isEqualTo(Tier.TENANT);
    // A dataset below the tenant can still set a duration again.
    assertThat(r.resolve(TableId.parse("bank/scratch/traces")).retention()).isEqualTo(Retention.days(2));
  }

  @Test
  void resolvedPolicyCarriesGraceAndSnapshotSettings() {
    RetentionSettings s = new RetentionSettings(Map.of("logs", Retention.days(3)), Map.of(), Map.of(),
        Duration.ofHours(6), 9, Duration.ofDays(30), Duration.ofHours(1), false, Duration.ofHours(1));
    ResolvedRetention p = resolver(s).resolve(TableId.parse("acme/prod/logs"));
    assertThat(p.gracePeriod()).isEqualTo(Duration.ofHours(6));
    assertThat(p.snapshotsToKeep()).isEqualTo(9);
    assertThat(p.maxSnapshotAge()).isEqualTo(Duration.ofDays(30));
    assertThat(p.table()).isEqualTo(TableId.parse("acme/prod/logs"));
  }

  @Test
  void cutoffIsNowMinusRetentionMinusGrace() {
    RetentionSettings s = new RetentionSettings(Map.of("logs", Retention.days(3)), Map.of(), Map.of(),
        Duration.ofHours(2), 5, null, Duration.ofHours(1), false, Duration.ofHours(1));
    ResolvedRetention p = resolver(s).resolve(TableId.parse("acme/prod/logs"));
    assertThat(DefaultRetentionResolver.cutoffAt(p, Instant.parse("2026-02-01T12:00:00Z")))
        .isEqualTo(Instant.parse("2026-01-29T10:00:00Z"));
  }

  @Test
  void retentionReachingBeyondTheTimeLineHasACutoffBeforeEverything() {
    RetentionSettings s = settings(Map.of("logs", Retention.of(Duration.ofSeconds(Long.MAX_VALUE / 2))), Map.of(),
        Map.of());
    ResolvedRetention p = resolver(s).resolve(TableId.parse("acme/prod/logs"));
    assertThat(DefaultRetentionResolver.cutoffAt(p, clock.instant())).isEqualTo(Instant.MIN);
  }

  @Test
  void resolutionIsCachedAndStable() {
    DefaultRetentionResolver r = resolver(LifecycleConfig.defaults().retention());
    TableId t = TableId.parse("acme/prod/traces");
    assertThat(r.resolve(t)).isSameAs(r.resolve(t));
  }
}
