package dev.lakelifecycle.core.internal.staging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.LifecycleConfig.Staging.Durability;
import dev.lakelifecycle.core.LifecycleConfig.Staging.FullPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagingConfigTest {
  @Test
  void readsEveryStagingSettingFromTheRunbooksEnvironmentVariables() {
    LifecycleConfig.Staging s = LifecycleConfig.load(null, Map.ofEntries(
        Map.entry("LIFECYCLE_STAGING_DIRECTORY", "/var/lib/ingest/spool"),
        Map.entry("LIFECYCLE_STAGING_MAX_DATASET_BYTES", "1000000"),
        Map.entry("LIFECYCLE_STAGING_MAX_TOTAL_BYTES", "5000000"),
        Map.entry("LIFECYCLE_STAGING_MAX_PENDING", "20"),
        Map.entry("LIFECYCLE_STAGING_FLUSH_MAX_ROWS", "1000"),
        Map.entry("LIFECYCLE_STAGING_FLUSH_MAX_BYTES", "2000"),
        Map.entry("LIFECYCLE_STAGING_FLUSH_MAX_AGE_MS", "3000"),
        Map.entry("LIFECYCLE_STAGING_FULL_POLICY", "reject"),
        Map.entry("LIFECYCLE_STAGING_BLOCK_TIMEOUT_MS", "250"),
        Map.entry("LIFECYCLE_STAGING_DURABILITY", "BATCH"),
        Map.entry("LIFECYCLE_STAGING_BACKGROUND_FLUSH", "false"),
        Map.entry("LIFECYCLE_STAGING_RETRY_INITIAL_BACKOFF_MS", "10"),
        Map.entry("LIFECYCLE_STAGING_RETRY_MAX_BACKOFF_MS", "90"))).staging();

    assertThat(s.directory()).isEqualTo(Path.of("/var/lib/ingest/spool"));
    assertThat(s.maxTableBytes()).isEqualTo(1_000_000);
    assertThat(s.maxTotalBytes()).isEqualTo(5_000_000);
    assertThat(s.maxPending()).isEqualTo(20);
    assertThat(s.flushMaxRows()).isEqualTo(1000);
    assertThat(s.flushMaxBytes()).isEqualTo(2000);
    assertThat(s.flushMaxAge()).isEqualTo(Duration.ofSeconds(3));
    assertThat(s.fullPolicy()).isEqualTo(FullPolicy.REJECT);
    assertThat(s.blockTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(s.durability()).isEqualTo(Durability.BATCH);
    assertThat(s.backgroundFlush()).isFalse();
    assertThat(s.retryInitialBackoff()).isEqualTo(Duration.ofMillis(10));
    assertThat(s.retryMaxBackoff()).isEqualTo(Duration.ofMillis(90));
  }

  @Test
  void defaultsAreTheRunbooksGuardrailsWithGroupCommitAndBlocking() {
    LifecycleConfig.Staging s = LifecycleConfig.defaults().staging();
    assertThat(s.directory()).isNull();
    assertThat(s.maxTableBytes()).isEqualTo(512L << 20);
    assertThat(s.maxTotalBytes()).isZero();
    assertThat(s.maxPending()).isEqualTo(10_000);
    assertThat(s.fullPolicy()).isEqualTo(FullPolicy.BLOCK);
    assertThat(s.durability()).isEqualTo(Durability.GROUP);
    assertThat(s.backgroundFlush()).isTrue();
  }

  @Test
  void readsTheSettingsFromTheFileAndNamesAnInvalidOne(@TempDir Path dir) throws Exception {
    Path toml = dir.resolve("lifecycle.toml");
    Files.writeString(toml, "[staging]\ndirectory = \"/srv/spool\"\nfull_policy = \"block\"\nmax_pending = 7\n");
    assertThat(LifecycleConfig.load(toml, Map.of()).staging().maxPending()).isEqualTo(7);

    assertThatThrownBy(() -> LifecycleConfig.load(null, Map.of("LIFECYCLE_STAGING_FULL_POLICY", "drop")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_STAGING_FULL_POLICY").hasMessageContaining("block or reject");
    assertThatThrownBy(() -> LifecycleConfig.load(null, Map.of("LIFECYCLE_STAGING_MAX_PENDING", "0")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("staging.max_pending").hasMessageContaining("LIFECYCLE_STAGING_MAX_PENDING");
  }
}
