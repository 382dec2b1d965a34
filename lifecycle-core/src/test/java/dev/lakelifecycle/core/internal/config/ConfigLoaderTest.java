package dev.lakelifecycle.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.core.LifecycleConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
  /** Every key, each set to a value that differs from its default. */
  private static final String FULL = """
      [staging]
      flush_max_rows = 250000
      flush_max_bytes = 33554432
      flush_max_age_ms = 30000
      [[staging.table_overrides]]
      table = "acme/prod/traces"
      max_rows = 1000
      [[staging.table_overrides]]
      table = "acme/prod/logs"
      max_rows = 2000
      max_bytes = 4096
      max_age_ms = 500

      [compaction]
      target_file_size_bytes = 268435456
      min_input_files = 4
      max_wait_secs = 600
      chunk_partitions = 12
      max_chunk_retries = 5
      interval_secs = 1800

      [retention]
      traces_retention_days = 7
      logs_retention_days = 3
      audit_retention_days = "forever"
      grace_period_hours = 2
      snapshots_to_keep = 3
      max_snapshot_age_hours = 720
      min_retention_hours = 12
      dry_run = true
      interval_secs = 7200
      [[retention.tenant_overrides]]
      tenant_id = "acme"
      traces_retention_days = 14
      [[retention.tenant_overrides.dataset_overrides]]
      dataset_id = "production"
      traces_retention_days = 30
      [[retention.tenant_overrides]]
      tenant_id = "bank"
      logs_retention_days = "forever"

      [sweep]
      grace_period_hours = 48
      min_grace_period_hours = 2
      batch_size = 500
      dry_run = true
      interval_hours = 12

      [schedule]
      jitter_secs = 30
      flush_interval_ms = 250
      """;

  @TempDir
  Path dir;

  private Path write(String toml) throws IOException {
    Path file = dir.resolve("lifecycle.toml");
    Files.writeString(file, toml);
    return file;
  }

  @Test
  void loadsEveryKeyOfTheFileIntoTheModel() throws IOException {
    LifecycleConfig loaded = ConfigLoader.load(write(FULL), Map.of());

    LifecycleConfig expected = LifecycleConfig.builder()
        .staging(new LifecycleConfig.Staging(250_000, 32L << 20, Duration.ofSeconds(30), Map.of(
            "acme/prod/traces", new LifecycleConfig.Flush(1000, 32L << 20, Duration.ofSeconds(30)),
            "acme/prod/logs", new LifecycleConfig.Flush(2000, 4096, Duration.ofMillis(500)))))
        .compaction(new LifecycleConfig.Compaction(256L << 20, 4, Duration.ofMinutes(10), 12, 5, Duration.ofMinutes(30)))
        .retention(new LifecycleConfig.RetentionSettings(
            Map.of("traces", Retention.days(7), "logs", Retention.days(3), "audit", Retention.forever()),
            Map.of("acme", Map.of("traces", Retention.days(14)), "bank", Map.of("logs", Retention.forever())),
            Map.of("acme/production", Map.of("traces", Retention.days(30))),
            Duration.ofHours(2), 3, Duration.ofHours(720), Duration.ofHours(12), true, Duration.ofHours(2)))
        .sweep(new LifecycleConfig.Sweep(Duration.ofHours(48), Duration.ofHours(2), 500, true, Duration.ofHours(12)))
        .schedule(new LifecycleConfig.Schedule(Duration.ofSeconds(30), Duration.ofMillis(250)))
        .build();
    assertThat(loaded).isEqualTo(expected);
  }

  @Test
  void noFileAndNoEnvironmentGivesTheDefaults() {
    assertThat(ConfigLoader.load(null, Map.of())).isEqualTo(LifecycleConfig.defaults());
    assertThat(ConfigLoader.load(null, null)).isEqualTo(LifecycleConfig.defaults());
  }

  @Test
  void emptySectionsKeepTheDefaults() throws IOException {
    assertThat(ConfigLoader.load(write("[staging]\n[retention]\n"), Map.of())).isEqualTo(LifecycleConfig.defaults());
  }

  @Test
  void environmentOverridesTheFileKeyByKey() throws IOException {
    LifecycleConfig c = ConfigLoader.load(write(FULL), Map.of(
        "LIFECYCLE_COMPACTION_TARGET_FILE_SIZE_BYTES", "1048576",
        "LIFECYCLE_RETENTION_TRACES_RETENTION_DAYS", "10",
        "LIFECYCLE_RETENTION_METRICS_RETENTION_DAYS", "forever",
        "LIFECYCLE_RETENTION_DRY_RUN", "false",
        "LIFECYCLE_SWEEP_GRACE_PERIOD_HOURS", "72",
        "PATH", "/usr/bin",
        "OTHER_RETENTION_DAYS", "1"));

    assertThat(c.compaction().targetFileSizeBytes()).isEqualTo(1L << 20);
    assertThat(c.compaction().minInputFiles()).isEqualTo(4);
    assertThat(c.retention().global()).containsEntry("traces", Retention.days(10))
        .containsEntry("logs", Retention.days(3))
        .containsEntry("metrics", Retention.forever());
    // The environment sets the global tier only; the file's tenant overrides stay.
    assertThat(c.retention().tenants().get("acme")).containsEntry("traces", Retention.days(14));
    assertThat(c.retention().dryRun()).isFalse();
    assertThat(c.sweep().gracePeriod()).isEqualTo(Duration.ofHours(72));
    assertThat(c.sweep().batchSize()).isEqualTo(500);
  }

  @Test
  void environmentAloneWorksWithoutAFile() {
    LifecycleConfig c = ConfigLoader.load(null, Map.of(
        "LIFECYCLE_STAGING_FLUSH_MAX_AGE_MS", "1500",
        "LIFECYCLE_SCHEDULE_JITTER_SECS", "0",
        "LIFECYCLE_RETENTION_MAX_SNAPSHOT_AGE_HOURS", "24"));
    assertThat(c.staging().flushMaxAge()).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.schedule().jitter()).isZero();
    assertThat(c.retention().maxSnapshotAge()).isEqualTo(Duration.ofHours(24));
  }

  @Test
  void tableOverrideInheritsTheGlobalValuesAfterTheEnvironmentApplied() throws IOException {
    Path file = write("""
        [staging]
        flush_max_rows = 100
        [[staging.table_overrides]]
        table = "acme/prod/traces"
        max_bytes = 2048
        """);
    LifecycleConfig c = ConfigLoader.load(file, Map.of("LIFECYCLE_STAGING_FLUSH_MAX_ROWS", "300"));
    assertThat(c.staging().flushFor("acme/prod/traces"))
        .isEqualTo(new LifecycleConfig.Flush(300, 2048, Duration.ofSeconds(60)));
  }

  @Test
  void rejectsUnknownKeyInFileNamingKeyAndFile() throws IOException {
    Path file = write("[compaction]\ntarget_file_size = 10\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("compaction.target_file_size")
        .hasMessageContaining(file.toString())
        .hasMessageContaining("target_file_size_bytes");
  }

  @Test
  void rejectsUnknownSection() throws IOException {
    Path file = write("[compactor]\nenabled = true\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("'compactor'")
        .hasMessageContaining("[retention]");
  }

  @Test
  void rejectsUnknownKeyInTenantOverride() throws IOException {
    Path file = write("""
        [[retention.tenant_overrides]]
        tenant_id = "acme"
        grace_period_hours = 3
        """);
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("retention.tenant_overrides[0].grace_period_hours");
  }

  @Test
  void rejectsUnknownEnvironmentVariableNamingIt() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LIFECYCLE_SWEEP_GRACE_HOURS", "5")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_SWEEP_GRACE_HOURS")
        .hasMessageContaining("LIFECYCLE_SWEEP_GRACE_PERIOD_HOURS");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LIFECYCLE_COMPACTOR_ENABLED", "true")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_COMPACTOR_ENABLED");
  }

  @Test
  void rejectsOverridesInTheEnvironmentPointingToTheFile() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LIFECYCLE_RETENTION_TENANT_OVERRIDES", "acme")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_RETENTION_TENANT_OVERRIDES")
        .hasMessageContaining("only be set in the TOML file");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "LIFECYCLE_STAGING_FLUSH_MAX_ROWS|abc|an integer",
      "LIFECYCLE_RETENTION_DRY_RUN|yes|true or false",
      "LIFECYCLE_RETENTION_TRACES_RETENTION_DAYS|0|a positive integer number of days, or \"forever\"",
      "LIFECYCLE_RETENTION_TRACES_RETENTION_DAYS|7d|a positive integer number of days, or \"forever\"",
      "LIFECYCLE_SWEEP_BATCH_SIZE|99999999999|an integer from",
      "LIFECYCLE_SCHEDULE_JITTER_SECS|1.5|an integer number of seconds",
  })
  void rejectsBadEnvironmentValueNamingVariableValueAndAllowed(String name, String value, String allowed) {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(name, value)))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining(name)
        .hasMessageContaining(value)
        .hasMessageContaining("allowed: " + allowed);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "[staging]\\nflush_max_rows = \"abc\"|staging.flush_max_rows = \"abc\"|an integer",
      "[compaction]\\nmin_input_files = 2.5|compaction.min_input_files = 2.5|an integer",
      "[sweep]\\ndry_run = \"true\"|sweep.dry_run = \"true\"|true or false",
      "[retention]\\nlogs_retention_days = -3|retention.logs_retention_days = -3|a positive integer number of days",
      "[retention]\\nlogs_retention_days = \"always\"|retention.logs_retention_days = \"always\"|\"forever\"",
      "[retention]\\nmax_snapshot_age_hours = 999999999999999999|retention.max_snapshot_age_hours|small enough",
  })
  void rejectsBadFileValueNamingKeyValueAndAllowed(String toml, String keyAndValue, String allowed) throws IOException {
    Path file = write(toml.replace("\\n", "\n"));
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining(keyAndValue)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(allowed);
  }

  @Test
  void rejectsIntegersOf19DigitsThatTheTomlReaderWouldMisread() throws IOException {
    // jackson-dataformat-toml 2.21.0 reads 1000000000000000001 as 1: a one-day retention nobody asked for.
    Path file = write("# 12345678901234567890 in a comment is fine\n[retention]\n"
        + "traces_retention_days = 1_000_000_000_000_000_001\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("1_000_000_000_000_000_001 at line 3")
        .hasMessageContaining(file.toString())
        .hasMessageContaining("at most 18 digits");
  }

  @Test
  void longDigitRunsInsideStringsAndCommentsAreNotMistakenForIntegers() throws IOException {
    Path file = write("""
        # 12345678901234567890
        [[staging.table_overrides]]
        table = "t1234567890123456789012/prod/traces" # 99999999999999999999
        max_rows = 5
        [[retention.tenant_overrides]]
        tenant_id = '1234567890123456789012'
        """);
    LifecycleConfig c = ConfigLoader.load(file, Map.of());
    assertThat(c.staging().tableOverrides()).containsKey("t1234567890123456789012/prod/traces");
    assertThat(c.retention().tenants()).containsKey("1234567890123456789012");
  }

  @Test
  void rangeCheckOfTheModelNamesTheEnvironmentVariableThatSetIt() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LIFECYCLE_SWEEP_GRACE_PERIOD_HOURS", "-48")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("sweep.grace_period_hours")
        .hasMessageContaining("LIFECYCLE_SWEEP_GRACE_PERIOD_HOURS=-48")
        .hasMessageContaining("allowed: a duration >= sweep.min_grace_period_hours");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LIFECYCLE_RETENTION_SNAPSHOTS_TO_KEEP", "0")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_RETENTION_SNAPSHOTS_TO_KEEP=0")
        .hasMessageContaining("at least one snapshot");
  }

  @Test
  void rangeCheckOfTheModelNamesTheFileKeyThatSetIt() throws IOException {
    Path file = write("[compaction]\nmin_input_files = 1\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("compaction.min_input_files = 1")
        .hasMessageContaining("an integer >= 2")
        .hasMessageContaining(file.toString());
  }

  @Test
  void rejectsRetentionBelowTheFloorNamingTenantKey() throws IOException {
    Path file = write("""
        [retention]
        min_retention_hours = 72
        traces_retention_days = 7
        [[retention.tenant_overrides]]
        tenant_id = "acme"
        traces_retention_days = 2
        """);
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("retention.tenant_overrides[0].traces_retention_days")
        .hasMessageContaining("min_retention_hours = 72h");
  }

  @Test
  void rejectsGlobalRetentionBelowTheFloorSetInTheEnvironment() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(
        "LIFECYCLE_RETENTION_MIN_RETENTION_HOURS", "48",
        "LIFECYCLE_RETENTION_LOGS_RETENTION_DAYS", "1")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_RETENTION_LOGS_RETENTION_DAYS=1")
        .hasMessageContaining("'forever'");
  }

  @Test
  void foreverIsAllowedAtEveryTierAndIgnoresTheFloor() throws IOException {
    Path file = write("""
        [retention]
        min_retention_hours = 100000
        traces_retention_days = "forever"
        [[retention.tenant_overrides]]
        tenant_id = "acme"
        logs_retention_days = "FOREVER"
        [[retention.tenant_overrides.dataset_overrides]]
        dataset_id = "prod"
        metrics_retention_days = "forever"
        """);
    LifecycleConfig.RetentionSettings r = ConfigLoader.load(file, Map.of()).retention();
    assertThat(r.global()).containsEntry("traces", Retention.forever());
    assertThat(r.tenants().get("acme")).containsEntry("logs", Retention.forever());
    assertThat(r.datasets().get("acme/prod")).containsEntry("metrics", Retention.forever());
  }

  @Test
  void rejectsInvalidTableTenantAndDatasetNames() throws IOException {
    Path badTable = write("[[staging.table_overrides]]\ntable = \"acme/../traces\"\nmax_rows = 5\n");
    assertThatThrownBy(() -> ConfigLoader.load(badTable, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("staging.table_overrides[0].table = \"acme/../traces\"");

    Path badTenant = write("[[retention.tenant_overrides]]\ntenant_id = \"Acme Corp\"\n");
    assertThatThrownBy(() -> ConfigLoader.load(badTenant, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("retention.tenant_overrides[0].tenant_id = \"Acme Corp\"");

    Path badType = write("[retention]\n\"Traces.v2_retention_days\" = 3\n");
    assertThatThrownBy(() -> ConfigLoader.load(badType, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("retention.Traces.v2_retention_days");
  }

  @Test
  void rejectsDuplicateTenantOverride() throws IOException {
    Path file = write("""
        [[retention.tenant_overrides]]
        tenant_id = "acme"
        traces_retention_days = 3
        [[retention.tenant_overrides]]
        tenant_id = "acme"
        logs_retention_days = 3
        """);
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("retention.tenant_overrides[1].tenant_id = \"acme\"");
  }

  @Test
  void rejectsInvalidTableOverrideValueNamingTheTable() throws IOException {
    Path file = write("[[staging.table_overrides]]\ntable = \"acme/prod/traces\"\nmax_rows = 0\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("staging.table_overrides.max_rows = 0")
        .hasMessageContaining("acme/prod/traces");
  }

  @Test
  void missingFileIsRejectedNamingThePath() {
    Path missing = dir.resolve("nope.toml");
    assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void directoryInsteadOfFileIsRejectedNamingThePath() {
    assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining(dir.toString());
  }

  @Test
  void syntaxErrorIsRejectedNamingThePath() throws IOException {
    Path file = write("[staging\nflush_max_rows = 1\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("invalid TOML");
  }

  @Test
  void everyTomlExampleInTheConfigurationReferenceLoads() throws IOException {
    // Surefire runs in the module directory; the reference sits in the repository's docs/.
    String doc = Files.readString(Path.of(System.getProperty("basedir", "."), "..", "docs", "configuration.md"));
    String[] blocks = doc.split("```toml\n");
    assertThat(blocks).hasSizeGreaterThan(2);
    for (int i = 1; i < blocks.length; i++) {
      String toml = blocks[i].substring(0, blocks[i].indexOf("```"));
      LifecycleConfig c = ConfigLoader.load(write(toml), Map.of());
      assertThat(c.retention().global()).containsEntry("traces", Retention.days(7));
    }
  }

  @Test
  void lifecycleConfigLoadDelegatesHere() throws IOException {
    assertThat(LifecycleConfig.load(write(FULL), Map.of())).isEqualTo(ConfigLoader.load(write(FULL), Map.of()));
  }

  @org.junit.jupiter.api.Test
  void readsTheCompactionSettingsOfTheTimestoreRunbookFromTheEnvironment() {
    LifecycleConfig c = ConfigLoader.load(null, java.util.Map.of(
        "LIFECYCLE_COMPACTION_CHUNK_PARTITIONS", "12",
        "LIFECYCLE_COMPACTION_MAX_CHUNK_RETRIES", "5",
        "LIFECYCLE_COMPACTION_CHECKPOINT_TTL_HOURS", "48",
        "LIFECYCLE_COMPACTION_LEASE_DURATION_SECS", "600",
        "LIFECYCLE_COMPACTION_MAX_WAIT_SECS", "60",
        "LIFECYCLE_COMPACTION_MIN_INPUT_FILES", "4",
        "LIFECYCLE_COMPACTION_ORDER", "bytes",
        "LIFECYCLE_COMPACTION_MAX_FILES_PER_RUN", "1000"));

    org.assertj.core.api.Assertions.assertThat(c.compaction().chunkPartitions()).isEqualTo(12);
    org.assertj.core.api.Assertions.assertThat(c.compaction().maxChunkRetries()).isEqualTo(5);
    org.assertj.core.api.Assertions.assertThat(c.compaction().checkpointTtl()).isEqualTo(java.time.Duration.ofHours(48));
    org.assertj.core.api.Assertions.assertThat(c.compaction().leaseDuration())
        .isEqualTo(java.time.Duration.ofMinutes(10));
    org.assertj.core.api.Assertions.assertThat(c.compaction().maxWait()).isEqualTo(java.time.Duration.ofMinutes(1));
    org.assertj.core.api.Assertions.assertThat(c.compaction().minInputFiles()).isEqualTo(4);
    org.assertj.core.api.Assertions.assertThat(c.compaction().order())
        .isEqualTo(dev.lakelifecycle.api.compaction.CompactionPlan.Order.BYTES);
    org.assertj.core.api.Assertions.assertThat(c.compaction().maxFilesPerRun()).isEqualTo(1000);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.load(null,
        java.util.Map.of("LIFECYCLE_COMPACTION_ORDER", "newest")))
        .isInstanceOf(dev.lakelifecycle.api.InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_COMPACTION_ORDER");
  }
}
