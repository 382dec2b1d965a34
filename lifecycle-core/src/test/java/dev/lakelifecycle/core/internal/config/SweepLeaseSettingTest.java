package dev.lakelifecycle.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.core.LifecycleConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sweep.lease_duration_secs}: the sweep lease is a setting like compaction's. */
class SweepLeaseSettingTest {
  @TempDir Path dir;

  @Test
  void defaultsToFiveMinutes() {
    assertThat(ConfigLoader.load(null, Map.of()).sweep().leaseDuration()).isEqualTo(Duration.ofMinutes(5));
    assertThat(LifecycleConfig.Sweep.DEFAULTS.leaseDuration()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void readsTheFileKeyAndTheEnvironmentVariableOverridesIt() throws IOException {
    Path file = dir.resolve("l.toml");
    Files.writeString(file, "[sweep]\nlease_duration_secs = 90\n");

    assertThat(ConfigLoader.load(file, Map.of()).sweep().leaseDuration()).isEqualTo(Duration.ofSeconds(90));
    assertThat(ConfigLoader.load(file, Map.of("LIFECYCLE_SWEEP_LEASE_DURATION_SECS", "600")).sweep()
        .leaseDuration()).isEqualTo(Duration.ofSeconds(600));
  }

  @Test
  void rejectsANonPositiveDurationNamingTheVariable() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LIFECYCLE_SWEEP_LEASE_DURATION_SECS", "0")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_SWEEP_LEASE_DURATION_SECS")
        .hasMessageContaining("> 0");
    assertThatThrownBy(() -> LifecycleConfig.Sweep.DEFAULTS.withLeaseDuration(Duration.ZERO))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("sweep.lease_duration_secs");
  }
}
