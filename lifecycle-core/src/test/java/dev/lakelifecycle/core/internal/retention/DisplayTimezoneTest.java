package dev.lakelifecycle.core.internal.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.retention.Retention;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.checkpoint.InMemoryCheckpointStore;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code retention.display_timezone} changes how times are shown, never which cutoff is computed. */
class DisplayTimezoneTest {
  @TempDir Path dir;

  @Test
  void theDisplayZoneChangesHowTheCutoffIsShownButNotTheCutoff() {
    MutableClock clock = MutableClock.at("2026-01-15T10:00:00Z");
    TableId table = TableId.parse("acme/prod/logs");
    DefaultRetentionResolver utc = resolver(clock, ZoneId.of("UTC"));
    DefaultRetentionResolver paris = resolver(clock, ZoneId.of("Europe/Paris"));

    Instant cutoff = utc.resolve(table).cutoff(clock.instant()).orElseThrow();

    assertThat(paris.resolve(table).cutoff(clock.instant())).contains(cutoff).contains(Instant.parse("2026-01-08T09:00:00Z"));
    assertThat(utc.display(cutoff)).isEqualTo("2026-01-08T09:00Z");
    assertThat(paris.display(cutoff)).isEqualTo("2026-01-08T10:00+01:00");
  }

  @Test
  void loadsTheZoneFromTheEnvironmentAndRefusesAnUnknownOne() {
    LifecycleConfig config = LifecycleConfig.load(null, Map.of("LIFECYCLE_RETENTION_DISPLAY_TIMEZONE", "Asia/Tokyo"));
    assertThat(config.retention().displayZone()).isEqualTo(ZoneId.of("Asia/Tokyo"));
    assertThat(LifecycleConfig.defaults().retention().displayZone()).isEqualTo(ZoneId.of("Z"));
    assertThatThrownBy(() -> LifecycleConfig.load(null, Map.of("LIFECYCLE_RETENTION_DISPLAY_TIMEZONE", "Mars/Olympus")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_RETENTION_DISPLAY_TIMEZONE").hasMessageContaining("Mars/Olympus")
        .hasMessageContaining("Europe/Paris");
  }

  private DefaultRetentionResolver resolver(MutableClock clock, ZoneId zone) {
    LifecycleConfig.RetentionSettings settings = new LifecycleConfig.RetentionSettings(
        Map.of("logs", Retention.days(7)), Map.of(), Map.of(), Duration.ofHours(1), 5, null, Duration.ofHours(1),
        false, Duration.ofHours(1), zone);
    LocalObjectStore store = LocalObjectStore.create(dir, clock);
    return new DefaultRetentionResolver(new ManifestCatalog(store, clock), new InMemoryCheckpointStore(clock), settings,
        clock, new SimpleMeterRegistry());
  }
}
