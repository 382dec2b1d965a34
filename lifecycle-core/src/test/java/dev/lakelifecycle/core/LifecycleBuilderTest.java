package dev.lakelifecycle.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.ObjectStoreProvider;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifecycleBuilderTest {
  @TempDir Path dir;

  @Test
  void refusesToBuildWithoutStorage() {
    assertThatThrownBy(() -> Lifecycle.builder().build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("location(\"file:/path/\")");
  }

  @Test
  void refusesSecondCallOfASetter() {
    Lifecycle.Builder b = Lifecycle.builder().clock(Clock.systemUTC());
    assertThatThrownBy(() -> b.clock(Clock.systemUTC()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("clock was already set");
    Lifecycle.Builder s = Lifecycle.builder().location("file:" + dir);
    assertThatThrownBy(() -> s.store(new LocalObjectStore(dir)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("store or location");
  }

  @Test
  void rejectsLocationWithoutScheme() {
    assertThatThrownBy(() -> Lifecycle.builder().location("/var/lake"))
        .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("file:/var/lake/");
  }

  @Test
  void rejectsInvalidWriterId() {
    assertThatThrownBy(() -> Lifecycle.builder().writerId("a b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("writer id 'a b'");
  }

  @Test
  void findsTheFileStoreByScheme() {
    try (Lifecycle lake = Lifecycle.builder().location("file:" + dir).build()) {
      assertThat(lake.store()).isInstanceOf(LocalObjectStore.class);
      assertThat(lake.store().root().getPath()).isEqualTo(dir.toAbsolutePath() + "/");
      assertThat(lake.catalog()).isInstanceOf(ManifestCatalog.class);
    }
  }

  @Test
  void namesTheKnownSchemesWhenNoneMatches() {
    assertThatThrownBy(() -> Lifecycle.builder().location("gs://bucket/x").build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("scheme 'gs'").hasMessageContaining("file");
  }

  @Test
  void twoProvidersForOneSchemeFailNamingBoth() {
    assertThatThrownBy(() -> Lifecycle.builder().location("dup://x/").build())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining(FirstDupProvider.class.getName())
        .hasMessageContaining(SecondDupProvider.class.getName());
  }

  @Test
  void aFailingScheduledRunIsRetriedAtTheNextInterval() throws Exception {
    // The catalog fails its first two listings; the schedule must survive and call again.
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch thirdCall = new CountDownLatch(1);
    ObjectStore store = new LocalObjectStore(dir);
    TableCatalog real = new ManifestCatalog(store, Clock.systemUTC());
    TableCatalog flaky = new TableCatalog() {
      @Override public CatalogTable createTable(TableId id, TableSchema schema, PartitionSpec spec) {
        return real.createTable(id, schema, spec);
      }
      @Override public CatalogTable loadTable(TableId id) {
        return real.loadTable(id);
      }
      @Override public boolean tableExists(TableId id) {
        return real.tableExists(id);
      }
      @Override public List<TableId> listTables() {
        if (calls.incrementAndGet() <= 2) {
          throw new IllegalStateException("injected listing failure " + calls.get());
        }
        thirdCall.countDown();
        return real.listTables();
      }
      @Override public void close() {}
    };
    LifecycleConfig config = LifecycleConfig.builder()
        .compaction(new LifecycleConfig.Compaction(128L << 20, 10, Duration.ofMinutes(5), 48, 3, Duration.ofMillis(20)))
        .schedule(new LifecycleConfig.Schedule(Duration.ZERO, Duration.ofSeconds(1)))
        .build();
    try (Lifecycle lake = Lifecycle.builder().store(store).catalog(flaky).config(config).build()) {
      lake.start();
      lake.start(); // idempotent
      assertThat(thirdCall.await(10, TimeUnit.SECONDS)).as("schedule kept running after failures").isTrue();
    }
    store.close();
  }

  @Test
  void closeIsIdempotentAndStartAfterCloseFails() {
    Lifecycle lake = Lifecycle.builder().location("file:" + dir).build();
    lake.close();
    lake.close();
    assertThatThrownBy(lake::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void reloadingRetentionReplacesCachedPolicies() {
    TableId logs = TableId.parse("acme/prod/logs");
    LifecycleConfig.RetentionSettings sevenDays = new LifecycleConfig.RetentionSettings(
        Map.of("logs", dev.lakelifecycle.api.retention.Retention.days(7)), Map.of(), Map.of(), Duration.ofHours(1), 5,
        null, Duration.ofHours(1), false, Duration.ofHours(1));
    try (Lifecycle lake = Lifecycle.builder().location("file:" + dir)
        .config(LifecycleConfig.builder().retention(sevenDays).build()).build()) {
      assertThat(lake.retention().resolve(logs).retention()).hasToString("7d");

      lake.reloadRetention(LifecycleConfig.load(null, Map.of("LIFECYCLE_RETENTION_LOGS_RETENTION_DAYS", "3")).retention());

      assertThat(lake.retention().resolve(logs).retention()).hasToString("3d");
      assertThat(lake.config().retention().global()).containsOnlyKeys("logs");
    }
  }

  /** Registered in test META-INF/services together with {@link SecondDupProvider} for scheme {@code dup}. */
  public static final class FirstDupProvider implements ObjectStoreProvider {
    @Override public Set<String> schemes() {
      return Set.of("dup");
    }
    @Override public ObjectStore open(URI root, Map<String, String> properties) {
      throw new AssertionError("must not be opened");
    }
  }

  public static final class SecondDupProvider implements ObjectStoreProvider {
    @Override public Set<String> schemes() {
      return Set.of("dup");
    }
    @Override public ObjectStore open(URI root, Map<String, String> properties) {
      throw new AssertionError("must not be opened");
    }
  }
}
