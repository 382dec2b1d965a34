package dev.lakelifecycle.core.internal.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.CheckpointConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.IncompleteValidSetException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.ParameterizedTest;
import dev.lakelifecycle.testkit.ForwardingTableCatalog;
import dev.lakelifecycle.testkit.ForwardingCatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.checkpoint.CheckpointStore;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.sweep.PrefixMismatchMode;
import dev.lakelifecycle.api.sweep.SweepAction;
import dev.lakelifecycle.api.sweep.SweepListener;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.api.sweep.SweepResult.Revalidation;
import dev.lakelifecycle.core.LifecycleConfig;
import dev.lakelifecycle.core.catalog.ManifestCatalog;
import dev.lakelifecycle.core.checkpoint.InMemoryCheckpointStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweeper against a real {@link LocalObjectStore} and a real {@link ManifestCatalog} in a temporary
 * directory. The clock stands 30 days after the real time, so every file written by the test is 30 days old
 * unless {@link #ageOf(String, Duration)} says otherwise (the local store reports real modification times).
 */
class DefaultOrphanSweeperTest {
  private static final TableId T = TableId.of("acme", "prod", "t");
  private static final TableId T_2 = TableId.of("acme", "prod", "t_2");
  private static final TableId U = TableId.of("acme", "prod", "u");
  private static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP).column("msg", TableSchema.Type.STRING).build();
  private static final PartitionSpec SPEC = PartitionSpec.daily("ts");
  private static final String PARTITION = "day=2026-01-15";
  private static final Duration DAY = Duration.ofHours(24);
  private static final Pattern VERSION_DOC = Pattern.compile("/_lifecycle/v\\d+\\.json$");

  @TempDir Path root;

  private MutableClock clock;
  private InterceptingObjectStore store;
  private InterceptingCatalog catalog;
  private CheckpointStore checkpoints;
  private SimpleMeterRegistry registry;
  private DefaultOrphanSweeper sweeper;
  private int commits;

  @BeforeEach
  void setUp() {
    clock = MutableClock.at(Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS));
    store = new InterceptingObjectStore(new LocalObjectStore(root));
    catalog = new InterceptingCatalog(new ManifestCatalog(store, clock));
    checkpoints = new InMemoryCheckpointStore(clock);
    registry = new SimpleMeterRegistry();
    sweeper = new DefaultOrphanSweeper(store, catalog, checkpoints, LifecycleConfig.Sweep.DEFAULTS, clock, registry);
    for (TableId id : List.of(T, T_2, U)) {
      catalog.createTable(id, SCHEMA, SPEC);
    }
  }

  @AfterEach
  void tearDown() {
    catalog.close();
    checkpoints.close();
    store.close();
  }

  // ---------------------------------------------------------------------------------------------- phases

  @Test
  @DisplayName("rule 7: the reported deleted count equals what was really deleted")
  void deletesUnreferencedOldFilesAndReportsTheExactCount() {
    List<String> live = commitFiles(T, "a.parquet", "b.parquet");
    List<String> orphans = writeFiles(T, "orphan-1.parquet", "orphan-2.parquet", "orphan-3.parquet");

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.table()).isEqualTo(T);
    assertThat(r.dryRun()).isFalse();
    assertThat(r.orphanSample()).containsExactlyInAnyOrderElementsOf(locations(orphans));
    assertThat(r.filesDeleted()).isEqualTo(3);
    assertThat(r.bytesFreed()).isEqualTo(orphans.stream().mapToLong(this::contentLength).sum());
    assertThat(r.failedSample()).isEmpty();
    assertThat(r.referencedFiles()).isEqualTo(catalog.loadTable(T).referencedLocations().size());
    assertThat(r.filesScanned()).isEqualTo(r.referencedFiles() + 3);
    assertThat(orphans).noneMatch(this::exists);
    assertThat(live).allMatch(this::exists);
    assertTableIntact(T, live);
  }

  @Test
  @DisplayName("rule 6: every metadata file the catalog references survives")
  void neverDeletesAnyReferencedFileDataOrMetadata() {
    List<String> live = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      live.addAll(commitFiles(T, "f" + i + ".parquet"));
    }
    Set<String> referenced = catalog.loadTable(T).referencedLocations();
    assertThat(referenced).as("the catalog references its own metadata too").hasSizeGreaterThan(live.size());
    List<String> supersededVersions = unreferencedMetadata(T);
    assertThat(supersededVersions).as("version documents the catalog no longer needs").isNotEmpty();

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.orphanSample()).containsExactlyInAnyOrderElementsOf(locations(supersededVersions));
    assertThat(r.filesDeleted()).isEqualTo(supersededVersions.size());
    for (String location : referenced) {
      assertThat(exists(store.keyOf(location).orElseThrow())).as(location).isTrue();
    }
    assertTableIntact(T, live);
  }

  @Test
  @DisplayName("rule 5: files younger than the grace period survive")
  void neverDeletesAFileYoungerThanTheGracePeriod() {
    commitFiles(T, "a.parquet");
    String young = writeFiles(T, "young.parquet").get(0);
    String exactlyGrace = writeFiles(T, "exactly-grace.parquet").get(0);
    String old = writeFiles(T, "old.parquet").get(0);
    ageOf(young, DAY.minusMinutes(1));
    ageOf(exactlyGrace, DAY);
    ageOf(old, DAY.plusMinutes(1));

    SweepResult first = sweeper.sweep(T).olderThan(DAY).execute();

    assertThat(first.orphanSample()).containsExactly(store.location(old));
    assertThat(exists(young)).isTrue();
    assertThat(exists(exactlyGrace)).as("only strictly older files may go").isTrue();
    assertThat(exists(old)).isFalse();

    clock.advance(Duration.ofMinutes(2));
    SweepResult later = sweeper.sweep(T).olderThan(DAY).execute();

    assertThat(later.orphanSample()).containsExactlyInAnyOrderElementsOf(locations(List.of(young, exactlyGrace)));
    assertThat(exists(young)).isFalse();
  }

  @Test
  void dryRunDeletesNothingButReportsTheOrphansARealRunDeletes() {
    commitFiles(T, "a.parquet");
    List<String> orphans = writeFiles(T, "x.parquet", "y.parquet");

    SweepResult dry = sweeper.sweep(T).dryRun(true).execute();

    assertThat(dry.dryRun()).isTrue();
    assertThat(dry.filesDeleted()).isZero();
    assertThat(dry.bytesFreed()).isZero();
    assertThat(dry.orphanSample()).containsExactlyInAnyOrderElementsOf(locations(orphans));
    assertThat(orphans).allMatch(this::exists);
    assertThat(store.deleteCalls()).isEmpty();
    assertThat(checkpoints.get("sweep/" + T.path())).as("a dry run writes no progress").isEmpty();

    SweepResult real = sweeper.sweep(T).execute();

    assertThat(real.orphanSample()).isEqualTo(dry.orphanSample());
    assertThat(real.filesDeleted()).isEqualTo(2);
  }

  @ParameterizedTest(name = "catalog places the table at \"{0}\"")
  @ValueSource(strings = {"", "acme/", "acme/prod/u", "acme/prod/t_2", "elsewhere/t"})
  @DisplayName("rule 2: a table the catalog places at the root, a parent or another table is never swept")
  void refusesToSweepATableTheCatalogPlacesOutsideItsOwnLocation(String misplacedKey) {
    commitFiles(T, "a.parquet");
    List<String> stray = writeFiles(T, "stray.parquet");
    List<String> elsewhere = writeFiles(U, "u.parquet");
    TableCatalog misplacing = new ForwardingTableCatalog(catalog) {
      @Override
      public CatalogTable loadTable(TableId id) {
        return new ForwardingCatalogTable(super.loadTable(id)) {
          @Override
          public String location() {
            return store.location(misplacedKey);
          }
        };
      }
    };
    DefaultOrphanSweeper misled = new DefaultOrphanSweeper(store, misplacing, checkpoints, LifecycleConfig.Sweep.DEFAULTS,
        clock, registry);

    assertThatThrownBy(() -> misled.sweep(T).execute())
        .isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining("ending in acme/prod/t/").hasMessageContaining("nothing was deleted");
    assertThat(stray).allMatch(this::exists);
    assertThat(elsewhere).allMatch(this::exists);
  }

  @Test
  @DisplayName("rule 2: never outside the table: not a sibling sharing its name prefix (t, t_2), not the shared parent")
  void neverTouchesASiblingTableNorAnythingElseUnderTheParent() {
    List<String> liveT = commitFiles(T, "a.parquet");
    List<String> liveT2 = commitFiles(T_2, "a.parquet");
    List<String> liveU = commitFiles(U, "a.parquet");
    List<String> orphanT = writeFiles(T, "orphan.parquet");
    List<String> orphanT2 = writeFiles(T_2, "orphan.parquet");
    List<String> orphanU = writeFiles(U, "orphan.parquet");
    String parentStray = put("acme/prod/stray.parquet");
    String prefixTwin = put("acme/prod/t.parquet");
    String otherTenant = put("other/prod/t/data/" + PARTITION + "/orphan.parquet");

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.orphanSample()).containsExactlyElementsOf(locations(orphanT));
    assertThat(exists(orphanT.get(0))).isFalse();
    for (String key : List.of(orphanT2.get(0), orphanU.get(0), parentStray, prefixTwin, otherTenant)) {
      assertThat(exists(key)).as(key).isTrue();
    }
    assertThat(store.deleteCalls()).flatMap(keys -> keys).allMatch(k -> k.startsWith(T.path() + "/"));
    assertTableIntact(T, liveT);
    assertTableIntact(T_2, liveT2);
    assertTableIntact(U, liveU);
  }

  @Test
  @DisplayName("rule 6: hidden and .tmp paths survive; unreferenced _lifecycle/ metadata goes")
  void skipsInFlightTemporaryFilesButSweepsUnreferencedCatalogMetadata() {
    commitFiles(T, "a.parquet");
    String hidden = put(T.path() + "/data/" + PARTITION + "/.part-0001.parquet");
    String tmp = put(T.path() + "/data/" + PARTITION + "/b.parquet.tmp");
    String inHiddenDir = put(T.path() + "/.staging/c.parquet");
    String inTmpDir = put(T.path() + "/upload.tmp/d.parquet");
    String staleMetadata = put(T.path() + "/_lifecycle/unreferenced-leftover.bin");

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.orphanSample()).containsExactly(store.location(staleMetadata));
    assertThat(exists(staleMetadata)).isFalse();
    assertThat(List.of(hidden, tmp, inHiddenDir, inTmpDir)).allMatch(this::exists);
  }

  // ------------------------------------------------------------------------------------- the valid set

  @Test
  @DisplayName("rule 3: a missing manifest fails the sweep and deletes nothing")
  void refusesToSweepWhenAManifestObjectIsMissing() {
    List<String> live = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      live.addAll(commitFiles(T, "f" + i + ".parquet"));
    }
    List<String> orphans = writeFiles(T, "orphan.parquet");
    List<String> metadata = catalog.loadTable(T).referencedLocations().stream()
        .map(l -> store.keyOf(l).orElseThrow())
        .filter(k -> k.startsWith(T.path() + "/_lifecycle/") && !VERSION_DOC.matcher(k).find())
        .sorted()
        .collect(Collectors.toList());
    assertThat(metadata).as("manifest objects under _lifecycle/, other than version documents").isNotEmpty();
    store.delete(List.of(metadata.get(0)));

    assertThatThrownBy(() -> sweeper.sweep(T).execute()).isInstanceOf(IncompleteValidSetException.class);

    assertThat(store.deleteCalls()).hasSize(1);
    assertThat(orphans).allMatch(this::exists);
    assertThat(live).allMatch(this::exists);
  }

  @Test
  @DisplayName("rule 3: an empty valid set for a table with data fails the sweep")
  void refusesToSweepWhenTheValidSetIsEmptyForATableWithData() {
    List<String> live = commitFiles(T, "a.parquet");
    catalog.rewriteReferenced(refs -> Set.of());

    assertThatThrownBy(() -> sweeper.sweep(T).execute())
        .isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining(T.path())
        .hasMessageContaining("references no file");

    assertThat(store.deleteCalls()).isEmpty();
    assertThat(live).allMatch(this::exists);
  }

  @Test
  @DisplayName("rule 1/3: a reference outside the store fails the sweep by default")
  void refusesToSweepWhenAReferencedLocationIsOutsideTheStore() {
    List<String> live = commitFiles(T, "a.parquet");
    writeFiles(T, "orphan.parquet");
    String foreign = "s3://elsewhere/acme/prod/t/data/" + PARTITION + "/a.parquet";
    catalog.rewriteReferenced(refs -> {
      Set<String> out = new HashSet<>(refs);
      out.add(foreign);
      return out;
    });

    assertThatThrownBy(() -> sweeper.sweep(T).execute())
        .isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining(foreign)
        .hasMessageContaining("nothing was deleted");

    assertThat(store.deleteCalls()).isEmpty();
    assertThat(live).allMatch(this::exists);
  }

  @Test
  @DisplayName("rule 4: a file committed between the valid set and the deletion survives")
  void keepsAFileCommittedBetweenTheValidSetAndTheDeletion() {
    commitFiles(T, "a.parquet");
    String lateCommit = writeFiles(T, "late.parquet").get(0);
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    // The sweep's first load builds the valid set, its second revalidates: the commit lands in between,
    // after the listing saw the file unreferenced.
    int before = catalog.loads();
    catalog.beforeLoad((n, real) -> {
      if (n == before + 2) {
        real.loadTable(T).commitAppend("late", List.of(dataFile(lateCommit)));
      }
    });

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(catalog.loads() - before).isEqualTo(2);
    assertThat(r.revalidation()).as("the commit changed the metadata version").isEqualTo(Revalidation.FULL);
    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(exists(lateCommit)).isTrue();
    assertThat(exists(orphan)).isFalse();
    assertThat(catalog.loadTable(T).liveFiles()).extracting(DataFile::location).contains(store.location(lateCommit));
  }

  @Test
  @DisplayName("rule 4: a schema change between the valid set and the deletion also makes revalidation rebuild it")
  void rebuildsTheValidSetAtRevalidationAfterASchemaChange() {
    commitFiles(T, "a.parquet");
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    int before = catalog.loads();
    int streamedBefore = catalog.streamedValidSets();
    catalog.beforeLoad((n, real) -> {
      if (n == before + 2) {
        real.loadTable(T).addColumns(List.of(new TableSchema.Column("host", TableSchema.Type.STRING, true)));
      }
    });

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.revalidation()).isEqualTo(Revalidation.FULL);
    assertThat(catalog.streamedValidSets() - streamedBefore).isEqualTo(2);
    assertThat(exists(orphan)).isFalse();
  }

  @Test
  @DisplayName("rule 4: when nothing was committed since the valid set was built, revalidation does not rebuild it")
  void skipsRebuildingTheValidSetWhenTheMetadataVersionIsUnchanged() {
    List<String> live = commitFiles(T, "a.parquet", "b.parquet");
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    int before = catalog.loads();
    int streamedBefore = catalog.streamedValidSets();

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.revalidation()).isEqualTo(Revalidation.SKIPPED_UNCHANGED);
    assertThat(catalog.loads() - before).as("the table is still loaded again to compare versions").isEqualTo(2);
    assertThat(catalog.streamedValidSets() - streamedBefore).as("the catalog's references are read once")
        .isEqualTo(1);
    assertThat(registry.get("lifecycle.sweep.revalidations.skipped").tag("table", T.table()).counter().count())
        .isEqualTo(1.0);
    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(exists(orphan)).isFalse();
    assertTableIntact(T, live);
  }

  @Test
  @DisplayName("rule 5: a pending compaction that starts after the valid set was built still protects its outputs "
      + "when revalidation skips the catalog")
  void keepsOutputsOfACompactionThatStartedDuringTheSweepWhenTheCatalogIsUnchanged() {
    commitFiles(T, "a.parquet");
    String output = writeFiles(T, "compacted.parquet").get(0);
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    int before = catalog.loads();
    catalog.beforeLoad((n, real) -> {
      if (n == before + 2) {
        checkpoints.compareAndSet(Checkpoint.pending("compaction/" + T.path())
            .withMetadata(Map.of(DefaultOrphanSweeper.OUTPUT_LOCATIONS, List.of(store.location(output)))), 0);
      }
    });

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.revalidation()).isEqualTo(Revalidation.SKIPPED_UNCHANGED);
    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(exists(output)).isTrue();
    assertThat(exists(orphan)).isFalse();
  }

  @Test
  @DisplayName("rule 5: files named by a pending compaction checkpoint survive")
  void keepsOutputsOfAPendingCompactionButNotOfACompletedOne() {
    commitFiles(T, "a.parquet");
    String pendingOutput = writeFiles(T, "compacted-pending.parquet").get(0);
    String completedOutput = writeFiles(T, "compacted-done.parquet").get(0);
    String siblingOutput = writeFiles(T, "claimed-by-t_2.parquet").get(0);
    checkpoints.compareAndSet(Checkpoint.pending("compaction/" + T.path())
        .withMetadata(Map.of(DefaultOrphanSweeper.OUTPUT_LOCATIONS, List.of(store.location(pendingOutput)))), 0);
    checkpoints.compareAndSet(Checkpoint.pending("compaction/" + T.path() + "/old-run")
        .withStatus(Checkpoint.Status.COMPLETED)
        .withMetadata(Map.of(DefaultOrphanSweeper.OUTPUT_LOCATIONS, List.of(store.location(completedOutput)))), 0);
    // A sibling's checkpoint id shares the prefix "compaction/acme/prod/t": it must not protect t's files.
    checkpoints.compareAndSet(Checkpoint.pending("compaction/" + T_2.path())
        .withMetadata(Map.of(DefaultOrphanSweeper.OUTPUT_LOCATIONS, List.of(store.location(siblingOutput)))), 0);

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(exists(pendingOutput)).isTrue();
    assertThat(r.orphanSample()).containsExactlyInAnyOrderElementsOf(locations(List.of(completedOutput, siblingOutput)));
  }

  @Test
  void refusesToSweepWhenAPendingCompactionsOutputsAreUnreadable() {
    commitFiles(T, "a.parquet");
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    checkpoints.compareAndSet(Checkpoint.pending("compaction/" + T.path())
        .withMetadata(Map.of(DefaultOrphanSweeper.OUTPUT_LOCATIONS, "not-a-list")), 0);

    assertThatThrownBy(() -> sweeper.sweep(T).execute())
        .isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining("compaction/" + T.path())
        .hasMessageContaining(DefaultOrphanSweeper.OUTPUT_LOCATIONS);
    assertThat(exists(orphan)).isTrue();
  }

  @Test
  void refusesToSweepWhenTheListingIsNotInKeyOrder() {
    List<String> live = commitFiles(T, "a.parquet", "b.parquet");
    List<String> orphans = writeFiles(T, "orphan.parquet");
    // A sorted merge against an unsorted listing would step past referenced keys and call them orphans.
    store.onList(listing -> {
      List<ObjectInfo> all = listing.collect(Collectors.toList());
      java.util.Collections.reverse(all);
      return all.stream();
    });

    assertThatThrownBy(() -> sweeper.sweep(T).execute())
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("not in UTF-8 binary key order")
        .hasMessageContaining("nothing was deleted");

    assertThat(store.deleteCalls()).isEmpty();
    assertThat(orphans).allMatch(this::exists);
    assertThat(live).allMatch(this::exists);
  }

  @Test
  void keepsAFileTheCatalogNamesVerbatimWhenTheStoreNormalisesItsLocationToAnotherKey() {
    List<String> live = commitFiles(T, "pct%20literal.parquet");
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    // The sweeper's view of the store decodes '%20' (a lossy normalisation); the catalog's does not.
    InterceptingObjectStore lossy = new InterceptingObjectStore(store);
    lossy.onKeyOf(key -> key.map(k -> k.replace("%20", " ")));
    DefaultOrphanSweeper lossySweeper = new DefaultOrphanSweeper(lossy, catalog, checkpoints,
        LifecycleConfig.Sweep.DEFAULTS, clock, registry);

    SweepResult r = lossySweeper.sweep(T).execute();

    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(live).allMatch(this::exists);
    assertTableIntact(T, live);
  }

  // ---------------------------------------------------------------------------------------- settings

  @Test
  @DisplayName("rule 8: a grace period below the 1 h floor is refused")
  void refusesAGracePeriodBelowTheFloorNamingValueFloorAndFix() {
    assertThatThrownBy(() -> sweeper.sweep(T).olderThan(Duration.ofMinutes(30)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT30M")
        .hasMessageContaining("PT1H")
        .hasMessageContaining("sweep.min_grace_period_hours");
    assertThat(sweeper.sweep(T).olderThan(Duration.ofHours(1))).isNotNull();
  }

  @Test
  void refusesBatchSizesOutsideOneToAThousand() {
    assertThatThrownBy(() -> sweeper.sweep(T).batchSize(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 to 1000");
    assertThatThrownBy(() -> sweeper.sweep(T).batchSize(1001)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1001");
    assertThat(sweeper.sweep(T).batchSize(1)).isNotNull();
    assertThat(sweeper.sweep(T).batchSize(1000)).isNotNull();
  }

  @Test
  void refusesASettingGivenTwice() {
    SweepAction action = sweeper.sweep(T).olderThan(DAY).dryRun(true).batchSize(10);
    assertThatThrownBy(() -> action.olderThan(DAY.multipliedBy(2))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("olderThan");
    assertThatThrownBy(() -> action.dryRun(false)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> action.batchSize(20)).isInstanceOf(IllegalStateException.class);
  }

  // ------------------------------------------------------------------------------- batches and failures

  @Test
  void deletesTwoThousandFiveHundredOrphansInThreeBatchesOfAtMostAThousand() {
    List<String> live = commitFiles(T, "a.parquet");
    List<String> orphans = new ArrayList<>();
    // Written straight to disk, as a crashed writer leaves them: 2,500 durable puts would take half a minute.
    for (int i = 0; i < 2_500; i++) {
      orphans.add(writeDirectly(String.format("%s/data/%s/orphan-%05d.parquet", T.path(), PARTITION, i)));
    }
    assertThat(store.stat(orphans.get(0))).isPresent();

    SweepResult r = sweeper.sweep(T).batchSize(1000).execute();

    assertThat(store.deleteCalls()).extracting(List::size).containsExactly(1000, 1000, 500);
    assertThat(r.filesDeleted()).isEqualTo(2_500);
    assertThat(r.orphansIdentified()).isEqualTo(2_500);
    assertThat(r.orphanSample()).as("a bounded sample, the first in key order")
        .containsExactlyElementsOf(locations(orphans.subList(0, SweepResult.SAMPLE_LIMIT)));
    assertThat(orphans).noneMatch(this::exists);
    assertTableIntact(T, live);
    Checkpoint progress = checkpoints.get("sweep/" + T.path()).orElseThrow();
    assertThat(progress.status()).isEqualTo(Checkpoint.Status.COMPLETED);
    assertThat(progress.cursor()).isEqualTo(3);
    assertThat(counter("files.deleted")).isEqualTo(2_500);
  }

  @Test
  @DisplayName("rule 7: deleted count is exact; failed deletes are reported and retried next run")
  void reportsFailedDeletesWithoutCountingThemAndTheNextRunDeletesThem() {
    commitFiles(T, "a.parquet");
    List<String> orphans = writeFiles(T, "o1.parquet", "o2.parquet", "o3.parquet", "o4.parquet");
    Set<String> stubborn = Set.of(orphans.get(1), orphans.get(3));
    store.onDelete((call, keys, real) -> {
      List<String> allowed = keys.stream().filter(k -> !stubborn.contains(k)).collect(Collectors.toList());
      DeleteResult done = real.delete(allowed);
      Map<String, String> failed = new HashMap<>(done.failed());
      keys.stream().filter(stubborn::contains).forEach(k -> failed.put(k, "AccessDenied: simulated"));
      return new DeleteResult(done.deleted(), failed);
    });

    SweepResult first = sweeper.sweep(T).execute();

    assertThat(first.filesDeleted()).isEqualTo(2);
    assertThat(first.bytesFreed()).isEqualTo(contentLength(orphans.get(0)) + contentLength(orphans.get(2)));
    assertThat(first.failedSample()).containsOnlyKeys(locations(new ArrayList<>(stubborn)))
        .containsValue("AccessDenied: simulated");
    assertThat(stubborn).allMatch(this::exists);
    assertThat(counter("deletion.failures")).isEqualTo(2);

    store.onDelete((call, keys, real) -> real.delete(keys));
    SweepResult next = sweeper.sweep(T).execute();

    assertThat(next.filesDeleted()).isEqualTo(2);
    assertThat(next.failedSample()).isEmpty();
    assertThat(orphans).noneMatch(this::exists);
  }

  @Test
  void resumesAfterACrashMidSweepAndFinishesTheJob() {
    List<String> live = commitFiles(T, "a.parquet", "b.parquet");
    List<String> orphans = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      orphans.add(put(String.format("%s/data/%s/orphan-%02d.parquet", T.path(), PARTITION, i)));
    }
    store.onDelete((call, keys, real) -> {
      if (call == 2) {
        throw new StorageException("simulated crash during delete batch 2");
      }
      return real.delete(keys);
    });

    assertThatThrownBy(() -> sweeper.sweep(T).batchSize(10).execute()).isInstanceOf(StorageException.class);

    Checkpoint crashed = checkpoints.get("sweep/" + T.path()).orElseThrow();
    assertThat(crashed.status()).isEqualTo(Checkpoint.Status.PENDING);
    assertThat(crashed.cursor()).isEqualTo(1);
    assertThat(crashed.metadata()).containsEntry(DefaultOrphanSweeper.LAST_DELETED_KEY, orphans.get(9));
    assertThat(orphans.subList(0, 10)).noneMatch(this::exists);
    assertThat(orphans.subList(10, 25)).allMatch(this::exists);

    store.onDelete((call, keys, real) -> real.delete(keys));
    int loadsBefore = catalog.loads();
    SweepResult resumed = sweeper.sweep(T).batchSize(10).execute();

    assertThat(catalog.loads() - loadsBefore).as("a resumed sweep builds a fresh valid set").isEqualTo(2);
    assertThat(resumed.orphanSample()).containsExactlyElementsOf(locations(orphans.subList(10, 25)));
    assertThat(resumed.filesDeleted()).isEqualTo(15);
    assertThat(orphans).noneMatch(this::exists);
    assertTableIntact(T, live);
    Checkpoint done = checkpoints.get("sweep/" + T.path()).orElseThrow();
    assertThat(done.status()).isEqualTo(Checkpoint.Status.COMPLETED);
    assertThat(done.cursor()).isEqualTo(3);

    SweepResult afterwards = sweeper.sweep(T).execute();
    assertThat(afterwards.filesScanned()).as("a completed sweep is not resumed: the next lists everything")
        .isEqualTo(afterwards.referencedFiles());
    assertThat(afterwards.orphanSample()).isEmpty();
  }

  @Test
  @DisplayName("one deleting sweep per table: a second sweep while one runs does nothing and says so")
  void aSecondSweepWhileOneHoldsTheLeaseReturnsAlreadyRunningAndDeletesNothing() {
    List<String> live = commitFiles(T, "a.parquet");
    List<String> orphans = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      orphans.add(put(String.format("%s/data/%s/orphan-%02d.parquet", T.path(), PARTITION, i)));
    }
    DefaultOrphanSweeper replica = new DefaultOrphanSweeper(store, catalog, checkpoints,
        LifecycleConfig.Sweep.DEFAULTS, clock, registry);
    List<SweepResult> during = new ArrayList<>();
    store.onDelete((call, keys, real) -> {
      if (call == 1) {
        during.add(replica.sweep(T).batchSize(10).execute());
        during.add(sweeper.sweep(T).batchSize(10).execute());
        during.add(replica.sweep(T).dryRun(true).execute());
      }
      return real.delete(keys);
    });

    SweepResult first = sweeper.sweep(T).batchSize(10).execute();

    assertThat(first.status()).isEqualTo(SweepResult.Status.COMPLETED);
    assertThat(first.filesDeleted()).isEqualTo(25);
    assertThat(during.get(0).status()).as("another replica").isEqualTo(SweepResult.Status.ALREADY_RUNNING);
    assertThat(during.get(1).status()).as("another run of the same instance")
        .isEqualTo(SweepResult.Status.ALREADY_RUNNING);
    for (SweepResult r : during.subList(0, 2)) {
      assertThat(r.filesScanned()).isZero();
      assertThat(r.orphansIdentified()).isZero();
      assertThat(r.filesDeleted()).isZero();
    }
    assertThat(during.get(2).status()).as("a dry run takes no lease").isEqualTo(SweepResult.Status.COMPLETED);
    assertThat(during.get(2).orphansIdentified()).isEqualTo(25);
    assertThat(store.deleteCalls()).as("only the lease holder deleted: 3 batches").hasSize(3);
    assertThat(orphans).noneMatch(this::exists);
    assertTableIntact(T, live);
    Checkpoint done = checkpoints.get("sweep/" + T.path()).orElseThrow();
    assertThat(done.leaseOwner()).as("released at the end").isNull();

    store.onDelete((call, keys, real) -> real.delete(keys));
    String later = writeFiles(T, "later.parquet").get(0);
    SweepResult next = replica.sweep(T).execute();
    assertThat(next.status()).isEqualTo(SweepResult.Status.COMPLETED);
    assertThat(exists(later)).isFalse();
  }

  @Test
  @DisplayName("one deleting sweep per table: a crashed sweep's lease lapses and the next sweep resumes from its "
      + "checkpoint")
  void anExpiredLeaseOfACrashedSweepLetsTheNextSweepResumeFromItsCheckpoint() {
    List<String> live = commitFiles(T, "a.parquet");
    List<String> orphans = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      orphans.add(put(String.format("%s/data/%s/orphan-%02d.parquet", T.path(), PARTITION, i)));
    }
    // What a replica killed after its first batch of ten leaves behind: its progress, under a live lease.
    checkpoints.compareAndSet(Checkpoint.pending("sweep/" + T.path()).withCursor(1)
        .withMetadata(Map.of(DefaultOrphanSweeper.LAST_DELETED_KEY, orphans.get(9)))
        .withLease("killed-replica", clock.instant().plus(DefaultOrphanSweeper.LEASE_DURATION)), 0);

    SweepResult blocked = sweeper.sweep(T).batchSize(10).execute();

    assertThat(blocked.status()).isEqualTo(SweepResult.Status.ALREADY_RUNNING);
    assertThat(store.deleteCalls()).isEmpty();
    assertThat(orphans).allMatch(this::exists);

    clock.advance(DefaultOrphanSweeper.LEASE_DURATION.plusSeconds(1));
    SweepResult resumed = sweeper.sweep(T).batchSize(10).execute();

    assertThat(resumed.status()).isEqualTo(SweepResult.Status.COMPLETED);
    assertThat(resumed.orphanSample()).as("listed after the crashed run's last batch")
        .containsExactlyElementsOf(locations(orphans.subList(10, 25)));
    assertThat(resumed.filesDeleted()).isEqualTo(15);
    assertThat(orphans.subList(10, 25)).noneMatch(this::exists);
    assertTableIntact(T, live);
    Checkpoint done = checkpoints.get("sweep/" + T.path()).orElseThrow();
    assertThat(done.status()).isEqualTo(Checkpoint.Status.COMPLETED);
    assertThat(done.cursor()).isEqualTo(3);
    assertThat(done.leaseOwner()).isNull();
  }

  @Test
  @DisplayName("one deleting sweep per table: a sweep paused past its lease while another took over stops")
  void aSweepThatLostItsLeaseStopsAndTheNewHolderFinishes() {
    List<String> live = commitFiles(T, "a.parquet");
    List<String> orphans = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      orphans.add(put(String.format("%s/data/%s/orphan-%02d.parquet", T.path(), PARTITION, i)));
    }
    DefaultOrphanSweeper replica = new DefaultOrphanSweeper(store, catalog, checkpoints,
        LifecycleConfig.Sweep.DEFAULTS, clock, registry);
    List<SweepResult> takeover = new ArrayList<>();
    store.onDelete((call, keys, real) -> {
      if (call == 1) {
        // The first sweep stalls in its first delete call until its lease has lapsed; a replica takes over.
        clock.advance(DefaultOrphanSweeper.LEASE_DURATION.plusSeconds(1));
        takeover.add(replica.sweep(T).batchSize(10).execute());
      }
      return real.delete(keys);
    });

    assertThatThrownBy(() -> sweeper.sweep(T).batchSize(10).execute())
        .isInstanceOf(CheckpointConflictException.class)
        .hasMessageContaining("lost the lease")
        .hasMessageContaining("sweep/" + T.path());

    assertThat(takeover.get(0).status()).isEqualTo(SweepResult.Status.COMPLETED);
    assertThat(takeover.get(0).filesDeleted()).isEqualTo(25);
    assertThat(orphans).noneMatch(this::exists);
    assertTableIntact(T, live);
    Checkpoint done = checkpoints.get("sweep/" + T.path()).orElseThrow();
    assertThat(done.status()).isEqualTo(Checkpoint.Status.COMPLETED);
    assertThat(done.leaseOwner()).as("the stopped sweep released nothing it no longer held").isNull();
  }

  @Test
  @DisplayName("rule 1: keys with space, colon, percent, equals, tilde and non-ASCII")
  void handlesKeysWithSpecialCharacters() {
    List<String> names = List.of("with space.parquet", "colon:x.parquet", "pct%20literal.parquet",
        "eq=1.parquet", "tilde~x.parquet", "caf\u00e9.parquet", "full\uff01width.parquet",
        "emoji\ud83d\ude00.parquet");
    List<String> live = new ArrayList<>();
    List<String> orphans = new ArrayList<>();
    for (String name : names) {
      live.addAll(commitFiles(T, "live " + name));
      orphans.addAll(writeFiles(T, "orphan " + name));
    }

    List<String> expected = new ArrayList<>(orphans);
    expected.addAll(unreferencedMetadata(T));

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.orphanSample()).containsExactlyInAnyOrderElementsOf(locations(expected));
    assertThat(r.filesDeleted()).isEqualTo(expected.size());
    assertThat(orphans).noneMatch(this::exists);
    assertThat(live).allMatch(this::exists);
    assertTableIntact(T, live);
  }

  @Test
  void recordsRunMetricsTaggedByTable() {
    commitFiles(T, "a.parquet");
    writeFiles(T, "o1.parquet", "o2.parquet");

    SweepResult dry = sweeper.sweep(T).dryRun(true).execute();
    SweepResult real = sweeper.sweep(T).execute();

    assertThat(counter("runs")).isEqualTo(2);
    assertThat(counter("files.scanned")).isEqualTo(dry.filesScanned() + real.filesScanned());
    assertThat(counter("orphans.identified")).isEqualTo(4);
    assertThat(counter("files.deleted")).isEqualTo(2);
    assertThat(counter("bytes.freed")).isEqualTo(real.bytesFreed());
    assertThat(counter("deletion.failures")).isZero();
    assertThat(registry.get("lifecycle.sweep.duration").tag("table", "t").timer().count()).isEqualTo(2);
  }

  // ------------------------------------------------------------------------- the safety rules

  @Test
  @DisplayName("rule 1: a bare path, its file: form and its percent-encoded file:/// form are one file")
  void treatsABarePathItsFileFormAndItsPercentEncodedFormAsOneFile() {
    List<String> live = commitFiles(T, "with space.parquet", "colon:x.parquet", "pct%x.parquet", "eq=1.parquet",
        "tilde~x.parquet", "plain.parquet");
    String orphan = writeFiles(T, "orphan with space.parquet").get(0);
    Set<String> liveLocations = Set.copyOf(locations(live));
    // The catalog spells each data file another way: alternately a bare path and a percent-encoded URI.
    catalog.rewriteReferenced(refs -> {
      Set<String> out = new HashSet<>();
      int i = 0;
      for (String ref : refs) {
        if (!liveLocations.contains(ref)) {
          out.add(ref);
          continue;
        }
        Path file = root.resolve(store.keyOf(ref).orElseThrow());
        out.add(i++ % 2 == 0 ? file.toString() : file.toUri().toString());
      }
      return out;
    });
    assertThat(catalog.loadTable(T).referencedLocations()).anyMatch(l -> l.startsWith("/"))
        .anyMatch(l -> l.startsWith("file:///") && l.contains("%20"));

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(live).allMatch(this::exists);
    assertThat(r.prefixMismatches()).isZero();
  }

  @Test
  @DisplayName("rule 1: a scheme or authority the listing does not use fails the sweep, listing each pair")
  void failsOnAPrefixMismatchByDefaultNamingEveryConflictingPair() {
    List<String> live = commitFiles(T, "a.parquet", "b.parquet");
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    String otherHost = "file://otherhost" + root.resolve(live.get(0));
    String hdfs = "hdfs://nn:8020" + root.resolve(live.get(1));
    catalog.rewriteReferenced(refs -> replaceLive(refs, live, List.of(otherHost, hdfs)));

    assertThatThrownBy(() -> sweeper.sweep(T).execute())
        .isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining("valid set: file://otherhost vs listing: file:")
        .hasMessageContaining("valid set: hdfs://nn:8020 vs listing: file:")
        .hasMessageContaining(otherHost)
        .hasMessageContaining("sweep.prefix_mismatch_mode")
        .hasMessageContaining("Nothing was deleted");

    assertThat(store.deleteCalls()).isEmpty();
    assertThat(exists(orphan)).isTrue();
    assertThat(live).allMatch(this::exists);
  }

  @Test
  @DisplayName("rule 1: prefix-mismatch mode ignore keeps the mismatched files but does not count them")
  void ignoreModeKeepsFilesAtMismatchedPathsWithoutCountingThemAsReferences() {
    List<String> live = commitFiles(T, "a.parquet", "b.parquet");
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    String hdfs = "hdfs://nn" + root.resolve(live.get(0));
    catalog.rewriteReferenced(refs -> replaceLive(refs, live.subList(0, 1), List.of(hdfs)));

    SweepResult r = sweeper.sweep(T).prefixMismatchMode(PrefixMismatchMode.IGNORE).execute();

    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(r.prefixMismatches()).isEqualTo(1);
    assertThat(live).allMatch(this::exists);

    // A table none of whose references are spelled the store's way has, for this store, an empty valid set.
    catalog.rewriteReferenced(refs -> refs.stream().map(l -> "hdfs://nn" + root.resolve(store.keyOf(l).orElseThrow()))
        .collect(Collectors.toSet()));
    String orphan2 = writeFiles(T, "orphan2.parquet").get(0);
    assertThatThrownBy(() -> sweeper.sweep(T).prefixMismatchMode(PrefixMismatchMode.IGNORE).execute())
        .isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining("references no file in this store");
    assertThat(exists(orphan2)).isTrue();
  }

  @Test
  @DisplayName("rule 1: prefix-mismatch mode treat-as-equal counts mismatched references as the store's")
  void treatAsEqualModeCountsMismatchedReferencesAsTheStoresOwn() {
    List<String> live = commitFiles(T, "a.parquet", "b.parquet");
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    Set<String> referenced = catalog.loadTable(T).referencedLocations();
    catalog.rewriteReferenced(refs -> refs.stream().map(l -> "s3a://alias" + root.resolve(store.keyOf(l).orElseThrow()))
        .collect(Collectors.toSet()));
    DefaultOrphanSweeper configured = new DefaultOrphanSweeper(store, catalog, checkpoints,
        sweepConfig(true, PrefixMismatchMode.TREAT_AS_EQUAL), clock, registry);

    SweepResult r = configured.sweep(T).execute();

    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(r.referencedFiles()).isEqualTo(referenced.size());
    assertThat(r.prefixMismatches()).isEqualTo(referenced.size());
    assertThat(live).allMatch(this::exists);
    catalog.resetReferenced();
    assertTableIntact(T, live);
  }

  @Test
  @DisplayName("rule 3: an unreadable (corrupt) manifest list fails the sweep and deletes nothing")
  void refusesToSweepWhenAManifestListIsCorrupt() {
    List<String> live = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      live.addAll(commitFiles(T, "f" + i + ".parquet"));
    }
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    List<String> metadata = catalog.loadTable(T).referencedLocations().stream()
        .map(l -> store.keyOf(l).orElseThrow())
        .filter(k -> k.startsWith(T.path() + "/_lifecycle/") && !VERSION_DOC.matcher(k).find())
        .collect(Collectors.toList());
    for (String key : metadata) {
      store.put(key, "{not json".getBytes(StandardCharsets.UTF_8));
    }

    assertThatThrownBy(() -> sweeper.sweep(T).execute()).isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining("corrupt");

    assertThat(store.deleteCalls()).isEmpty();
    assertThat(exists(orphan)).isTrue();
    assertThat(live).allMatch(this::exists);
  }

  @Test
  @DisplayName("rule 4: revalidation is on by default and can be turned off (one catalog load, no second look)")
  void revalidationCanBeTurnedOffAndThenTheCatalogIsReadOnce() {
    commitFiles(T, "a.parquet");
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    assertThat(LifecycleConfig.Sweep.DEFAULTS.revalidate()).isTrue();
    int before = catalog.loads();

    SweepResult r = sweeper.sweep(T).revalidate(false).execute();

    assertThat(catalog.loads() - before).isEqualTo(1);
    assertThat(r.revalidation()).isEqualTo(Revalidation.OFF);
    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(exists(orphan)).isFalse();

    String orphan2 = writeFiles(T, "orphan2.parquet").get(0);
    DefaultOrphanSweeper configured = new DefaultOrphanSweeper(store, catalog, checkpoints,
        sweepConfig(false, PrefixMismatchMode.FAIL), clock, registry);
    int beforeConfigured = catalog.loads();
    configured.sweep(T).execute();
    assertThat(catalog.loads() - beforeConfigured).as("sweep.revalidate = false").isEqualTo(1);
    assertThat(exists(orphan2)).isFalse();
  }

  @Test
  @DisplayName("rule 5: a stager spool placed in a hidden directory of the table survives, however old")
  void keepsAStagerSpoolPlacedInAHiddenDirectoryOfTheTable() {
    commitFiles(T, "a.parquet");
    String spoolSegment = put(T.path() + "/.spool/segment-000001.log");
    String spoolIndex = put(T.path() + "/.spool/index/state.json");
    String orphan = writeFiles(T, "orphan.parquet").get(0);

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(List.of(spoolSegment, spoolIndex)).allMatch(this::exists);
  }

  @Test
  @DisplayName("rule 6: checkpoints kept under _checkpoints/ inside a table survive; a look-alike does not")
  void keepsCheckpointObjectsButNotLookAlikeNames() {
    commitFiles(T, "a.parquet");
    String checkpoint = put(T.path() + "/_checkpoints/compaction/x.json");
    String lookAlike = put(T.path() + "/_checkpoints_old/x.json");
    String tmpPrefix = put(T.path() + "/data/" + PARTITION + "/tmp.parquet");

    SweepResult r = sweeper.sweep(T).execute();

    assertThat(r.orphanSample()).containsExactlyInAnyOrderElementsOf(locations(List.of(lookAlike, tmpPrefix)));
    assertThat(exists(checkpoint)).isTrue();
  }

  @Test
  @DisplayName("rule 7: the listener sees every orphan, deletion and failure; a throwing listener changes nothing")
  void listenerReceivesEveryOrphanDeletionAndFailureAndCannotBreakTheSweep() {
    commitFiles(T, "a.parquet");
    List<String> orphans = writeFiles(T, "o1.parquet", "o2.parquet", "o3.parquet");
    store.onDelete((call, keys, real) -> {
      List<String> allowed = keys.stream().filter(k -> !k.equals(orphans.get(1))).collect(Collectors.toList());
      DeleteResult done = real.delete(allowed);
      return new DeleteResult(done.deleted(), Map.of(orphans.get(1), "SlowDown: simulated"));
    });
    List<String> seen = new ArrayList<>();
    List<String> deleted = new ArrayList<>();
    Map<String, String> failed = new HashMap<>();

    SweepResult r = sweeper.sweep(T).listener(new SweepListener() {
      @Override
      public void orphan(String location, long sizeBytes, Instant lastModified) {
        seen.add(location);
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void deleted(String location, long sizeBytes) {
        deleted.add(location);
      }

      @Override
      public void deleteFailed(String location, String reason) {
        failed.put(location, reason);
      }
    }).execute();

    assertThat(seen).containsExactlyElementsOf(locations(orphans));
    assertThat(deleted).containsExactlyElementsOf(locations(List.of(orphans.get(0), orphans.get(2))));
    assertThat(failed).containsExactly(Map.entry(store.location(orphans.get(1)), "SlowDown: simulated"));
    assertThat(r.filesDeleted()).isEqualTo(deleted.size());
    assertThat(r.deleteFailures()).isEqualTo(1);
    assertThat(r.failedSample()).isEqualTo(failed);
    assertThat(exists(orphans.get(1))).isTrue();
  }

  @Test
  @DisplayName("rule 8: a grace period below one hour is accepted only when the floor is lowered explicitly")
  void acceptsAGracePeriodBelowTheDefaultFloorOnlyWhenTheFloorIsLowered() {
    commitFiles(T, "a.parquet");
    String orphan = writeFiles(T, "orphan.parquet").get(0);
    ageOf(orphan, Duration.ofMinutes(20));
    assertThatThrownBy(() -> new LifecycleConfig.Sweep(Duration.ofMinutes(10), Duration.ofHours(1), 1000, false, DAY))
        .hasMessageContaining("sweep.grace_period_hours");
    DefaultOrphanSweeper lowered = new DefaultOrphanSweeper(store, catalog, checkpoints,
        new LifecycleConfig.Sweep(DAY, Duration.ZERO, 1000, false, DAY), clock, registry);

    SweepResult r = lowered.sweep(T).olderThan(Duration.ofMinutes(10)).execute();

    assertThat(r.orphanSample()).containsExactly(store.location(orphan));
    assertThat(exists(orphan)).isFalse();
  }

  // ------------------------------------------------------------------------------------------- scale

  @Test
  void spillsTheValidSetAndCandidatesToDiskAndKeepsTheResultBounded(@TempDir Path spill) {
    List<String> live = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      List<DataFile> files = new ArrayList<>();
      for (int i = 0; i < 150; i++) {
        String key = writeDirectly(String.format("%s/data/%s/live-%d-%03d.parquet", T.path(), PARTITION, c, i));
        live.add(key);
        files.add(dataFile(key));
      }
      catalog.loadTable(T).commitAppend("bulk-" + c, files);
    }
    List<String> orphans = new ArrayList<>();
    for (int i = 0; i < 1_500; i++) {
      orphans.add(writeDirectly(String.format("%s/data/%s/orphan-%05d.parquet", T.path(), PARTITION, i)));
    }
    AtomicLong heard = new AtomicLong();
    DefaultOrphanSweeper small = new DefaultOrphanSweeper(store, catalog, checkpoints,
        new LifecycleConfig.Sweep(DAY, Duration.ofHours(1), 1000, false, DAY, true, PrefixMismatchMode.FAIL, spill),
        clock, registry).runBytes(2048);
    List<String> expected = new ArrayList<>(unreferencedMetadata(T));
    expected.addAll(orphans);
    int streamedBefore = catalog.streamedValidSets();

    SweepResult r = small.sweep(T).listener(new SweepListener() {
      @Override
      public void orphan(String location, long sizeBytes, Instant lastModified) {
        heard.incrementAndGet();
      }
    }).execute();

    assertThat(catalog.streamedValidSets() - streamedBefore)
        .as("the valid set streamed from the manifests, once: nothing was committed before revalidation")
        .isEqualTo(1);
    assertThat(r.revalidation()).isEqualTo(Revalidation.SKIPPED_UNCHANGED);
    assertThat(r.orphansIdentified()).isEqualTo(expected.size());
    assertThat(heard.get()).isEqualTo(expected.size());
    assertThat(r.orphanSample()).as("the first orphans in key order: superseded metadata, then data")
        .containsExactlyElementsOf(locations(expected.subList(0, SweepResult.SAMPLE_LIMIT)));
    assertThat(r.filesDeleted()).isEqualTo(expected.size());
    assertThat(r.referencedFiles()).isEqualTo(catalog.loadTable(T).referencedLocations().size());
    assertThat(orphans).noneMatch(this::exists);
    assertTableIntact(T, live);
    try (var left = Files.list(spill)) {
      assertThat(left).as("spilled runs and candidate files are deleted").isEmpty();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void streamedReferencesOfTheManifestCatalogEqualItsReferencedSet() {
    for (int i = 0; i < 6; i++) {
      commitFiles(T, "f" + i + ".parquet");
    }
    CatalogTable t = catalog.loadTable(T);
    t.commitDropPartitions(List.of(PARTITION));
    commitFiles(T, "after-drop.parquet");
    t.refresh();
    t.expireSnapshots(3, clock.instant().plusSeconds(1), Set.of());
    CatalogTable fresh = new ManifestCatalog(store, clock).loadTable(T);
    List<String> streamed = new ArrayList<>();

    fresh.forEachReferencedLocation(streamed::add);

    assertThat(new HashSet<>(streamed)).isEqualTo(fresh.referencedLocations());
  }

  // --------------------------------------------------------------------------------------------- helpers

  private LifecycleConfig.Sweep sweepConfig(boolean revalidate, PrefixMismatchMode mode) {
    return new LifecycleConfig.Sweep(DAY, Duration.ofHours(1), 1000, false, DAY, revalidate, mode, null);
  }

  /** The references with the locations of {@code keys} replaced by {@code replacements}, in order. */
  private Set<String> replaceLive(Set<String> refs, List<String> keys, List<String> replacements) {
    Set<String> out = new HashSet<>(refs);
    for (int i = 0; i < keys.size(); i++) {
      assertThat(out.remove(store.location(keys.get(i)))).as(keys.get(i)).isTrue();
      out.add(replacements.get(i));
    }
    return out;
  }

  private List<String> commitFiles(TableId table, String... names) {
    List<String> keys = writeFiles(table, names);
    CatalogTable t = catalog.loadTable(table);
    t.commitAppend("commit-" + (++commits), keys.stream().map(this::dataFile).collect(Collectors.toList()));
    return keys;
  }

  /** Keys under the table's _lifecycle/ that the catalog does not reference (superseded version documents). */
  private List<String> unreferencedMetadata(TableId table) {
    Set<String> referencedKeys = catalog.loadTable(table).referencedLocations().stream()
        .map(l -> store.keyOf(l).orElseThrow()).collect(Collectors.toSet());
    try (var listing = store.list(table.path() + "/_lifecycle/")) {
      return listing.map(ObjectInfo::key).filter(k -> !referencedKeys.contains(k)).collect(Collectors.toList());
    }
  }

  private List<String> writeFiles(TableId table, String... names) {
    List<String> keys = new ArrayList<>();
    for (String name : names) {
      keys.add(put(table.path() + "/data/" + PARTITION + "/" + name));
    }
    return keys;
  }

  private String put(String key) {
    store.put(key, ("content of " + key).getBytes(StandardCharsets.UTF_8));
    return key;
  }

  private String writeDirectly(String key) {
    try {
      Path file = root.resolve(key);
      Files.createDirectories(file.getParent());
      Files.write(file, ("content of " + key).getBytes(StandardCharsets.UTF_8));
      return key;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot write " + key, e);
    }
  }

  private long contentLength(String key) {
    return ("content of " + key).getBytes(StandardCharsets.UTF_8).length;
  }

  private DataFile dataFile(String key) {
    return new DataFile(store.location(key), PARTITION, contentLength(key), 1, "sweeper-test", clock.instant(),
        Map.of());
  }

  private boolean exists(String key) {
    return store.stat(key).isPresent();
  }

  private List<String> locations(List<String> keys) {
    return keys.stream().map(store::location).collect(Collectors.toList());
  }

  /** Makes the object at {@code key} {@code age} old by the test clock. */
  private void ageOf(String key, Duration age) {
    Instant mtime = clock.instant().minus(age);
    try {
      Files.setLastModifiedTime(root.resolve(key), FileTime.from(mtime));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot set the modification time of " + key, e);
    }
    assertThat(store.stat(key).orElseThrow().lastModified()).as("mtime of %s", key).isEqualTo(mtime);
  }

  private void assertTableIntact(TableId table, List<String> expectedLive) {
    CatalogTable t = catalog.loadTable(table);
    assertThat(t.liveFiles()).extracting(DataFile::location).containsExactlyInAnyOrderElementsOf(locations(expectedLive));
    for (String location : t.referencedLocations()) {
      assertThat(exists(store.keyOf(location).orElseThrow())).as(location).isTrue();
    }
  }

  private double counter(String name) {
    return registry.get("lifecycle.sweep." + name).tags("tenant", "acme", "dataset", "prod", "table", "t")
        .counter().count();
  }
}
