package dev.lakelifecycle.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.IncompleteValidSetException;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.storage.LocalObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Failure;
import dev.lakelifecycle.testkit.FaultInjectingObjectStore.Operation;
import dev.lakelifecycle.testkit.TableCatalogContract;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TableCatalog contract on the manifest catalog over a real {@link LocalObjectStore} in a temporary
 * directory, and what is particular to this catalog: the layout, lost acknowledgements, damaged
 * metadata, bounds. Faults, 412 answers included, come from the testkit's {@link FaultInjectingObjectStore}.
 */
class ManifestCatalogTest extends TableCatalogContract {
  private static final String LOGS_META = "acme/prod/logs/_lifecycle/";

  @TempDir Path dir;

  private ObjectStore base;
  private FaultInjectingObjectStore store;

  @Override
  protected TableCatalog newCatalog(Clock clock) {
    base = LocalObjectStore.create(dir.resolve("lake"));
    store = FaultInjectingObjectStore.wrap(base);
    return new ManifestCatalog(store, clock);
  }

  @AfterEach
  void closeStore() {
    if (base != null) {
      base.close();
    }
  }

  @Override
  protected TableCatalog openSameStorage(Clock clock) {
    return new ManifestCatalog(store, clock);
  }

  @Override
  protected boolean supportsSeparateInstances() {
    return true;
  }

  @Override
  protected boolean supportsSchemaEvolution() {
    return true;
  }

  @Override
  protected boolean supportsMetadataTampering() {
    return true;
  }

  @Override
  protected void deleteObject(String location) {
    base.delete(List.of(base.keyOf(location).orElseThrow()));
  }

  @Override
  protected void overwriteObject(String location, byte[] content) {
    base.put(base.keyOf(location).orElseThrow(), content);
  }

  private List<String> metadataKeys(String namePrefix) {
    try (Stream<ObjectInfo> s = base.list(LOGS_META + namePrefix)) {
      return s.map(ObjectInfo::key).collect(Collectors.toList());
    }
  }

  private static Predicate versionKeys() {
    return k -> k.startsWith(LOGS_META + "v");
  }

  private interface Predicate extends java.util.function.Predicate<String> {}

  private ManifestCatalog catalogWith(CommitPolicy policy) {
    catalog();
    return new ManifestCatalog(store, clock, policy);
  }

  // ---- layout ----------------------------------------------------------------------------------

  @Test
  void writesZeroPaddedJsonVersionDocumentsUnderTheTablesLifecycleDirectory() throws Exception {
    CatalogTable t = createLogs();
    t.commitAppend("k1", List.of(file(t, P10, "a", 10)));

    assertThat(metadataKeys("v")).containsExactly(LOGS_META + "v00000000000000000000.json",
        LOGS_META + "v00000000000000000001.json");
    JsonNode doc = new ObjectMapper().readTree(base.read(LOGS_META + "v00000000000000000001.json"));
    assertThat(doc.get("format-version").asInt()).isEqualTo(1);
    assertThat(doc.get("table").asText()).isEqualTo("acme/prod/logs");
    assertThat(doc.get("current-snapshot-id").asLong()).isEqualTo(1);
    assertThat(doc.get("snapshots")).hasSize(1);
    assertThat(t.location()).isEqualTo(base.location("acme/prod/logs") + "/");
  }

  @Test
  void schemaEvolutionWritesAVersionWithTheNewSchemaAndTheNextSchemaId() throws Exception {
    CatalogTable t = createLogs();
    t.commitAppend("k1", List.of(file(t, P10, "a", 10)));
    int manifests = metadataKeys("manifest-").size();

    t.addColumns(List.of(new TableSchema.Column("host", TableSchema.Type.STRING, true)));
    t.addColumns(List.of(new TableSchema.Column("host", TableSchema.Type.STRING, true)));

    assertThat(metadataKeys("v")).as("the repeated addition commits nothing").hasSize(3);
    JsonNode doc = new ObjectMapper().readTree(base.read(LOGS_META + "v00000000000000000002.json"));
    assertThat(doc.get("schema-id").asInt()).isEqualTo(1);
    assertThat(doc.get("schema")).hasSize(4);
    assertThat(doc.get("schema").get(3).get("name").asText()).isEqualTo("host");
    assertThat(doc.get("schema").get(3).get("nullable").asBoolean()).isTrue();
    assertThat(doc.get("current-snapshot-id").asLong()).isEqualTo(1);
    assertThat(doc.get("snapshots")).hasSize(1);
    JsonNode created = new ObjectMapper().readTree(base.read(LOGS_META + "v00000000000000000000.json"));
    assertThat(created.get("schema-id").asInt()).isZero();
    assertThat(metadataKeys("manifest-")).as("no manifest rewritten").hasSize(manifests);
    assertThat(((ManifestTable) catalog().loadTable(LOGS)).schemaId()).isEqualTo(1);
  }

  @Test
  void readsVersionDocumentsWrittenBeforeSchemaIdsExisted() throws Exception {
    createLogs();
    ObjectMapper json = new ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode doc =
        (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(base.read(LOGS_META + "v00000000000000000000.json"));
    doc.remove("schema-id");
    base.put(LOGS_META + "v00000000000000000000.json", json.writeValueAsBytes(doc));

    ManifestTable old = (ManifestTable) openSameStorage(clock).loadTable(LOGS);
    assertThat(old.schemaId()).isZero();
    old.addColumns(List.of(new TableSchema.Column("host", TableSchema.Type.STRING, true)));
    assertThat(((ManifestTable) openSameStorage(clock).loadTable(LOGS)).schemaId()).isEqualTo(1);
  }

  @Test
  void aSchemaEvolutionWhoseAcknowledgementWasLostLandsOnce() {
    CatalogTable t = createLogs();
    store.failNext(Operation.PUT, 1, versionKeys(), Failure.WRITE_THEN_FAIL);

    TableSchema after = t.addColumns(List.of(new TableSchema.Column("host", TableSchema.Type.STRING, true)));

    assertThat(after.size()).isEqualTo(SCHEMA.size() + 1);
    assertThat(metadataKeys("v")).hasSize(2);
    assertThat(((ManifestTable) catalog().loadTable(LOGS)).schemaId()).isEqualTo(1);
  }

  @Test
  void unchangedPartitionsShareTheirManifestAcrossSnapshots() {
    CatalogTable t = createLogs();
    for (int i = 0; i < 5; i++) {
      t.commitAppend("p10-" + i, List.of(file(t, P10, "a" + i, 1)));
    }
    int before = metadataKeys("manifest-").size();

    t.commitAppend("p11", List.of(file(t, P11, "b", 1)));

    assertThat(metadataKeys("manifest-")).hasSize(before + 1);
  }

  @Test
  void referencesTheNewestTwoVersionDocumentsButNotOlderOnes() {
    CatalogTable t = createLogs();
    t.commitAppend("k1", List.of(file(t, P10, "a", 1)));
    t.commitAppend("k2", List.of(file(t, P10, "b", 1)));
    t.commitAppend("k3", List.of(file(t, P10, "c", 1)));

    Set<String> referenced = t.referencedLocations();

    assertThat(referenced).contains(base.location(LOGS_META + "v00000000000000000003.json"),
        base.location(LOGS_META + "v00000000000000000002.json"));
    assertThat(referenced).doesNotContain(base.location(LOGS_META + "v00000000000000000001.json"),
        base.location(LOGS_META + "v00000000000000000000.json"));
    assertThat(referenced).containsAll(metadataKeys("snap-").stream().map(base::location).toList());
  }

  @Test
  void aStaleHandleNeverCommitsIntoAVersionTheSweeperRemoved() {
    // Found by LifecyclePropertyTest: a stager's handle stale by several commits re-created a swept
    // version with create-if-absent; readers take the newest version, so its append vanished.
    CatalogTable stale = createLogs();
    CatalogTable other = openSameStorage(clock).loadTable(LOGS);
    for (int i = 0; i < 4; i++) {
      other.commitAppend("other-" + i, List.of(file(other, P10, "o" + i, 1)));
    }
    Set<String> referenced = other.referencedLocations();
    try (Stream<ObjectInfo> all = base.list(LOGS_META)) {
      base.delete(all.map(ObjectInfo::key).filter(k -> !referenced.contains(base.location(k))).toList());
    }
    assertThat(base.stat(LOGS_META + "v00000000000000000001.json")).isEmpty();

    TableSnapshot appended = stale.commitAppend("stale", List.of(file(stale, P11, "s", 1)));

    CatalogTable fresh = openSameStorage(clock).loadTable(LOGS);
    assertThat(fresh.currentSnapshot()).contains(appended);
    assertThat(appended.snapshotId()).isEqualTo(5);
    assertThat(fresh.liveFiles()).hasSize(5);
    assertThat(fresh.findAppend("stale")).contains(appended);
    assertThat(base.stat(LOGS_META + "v00000000000000000001.json")).as("the withdrawn write").isEmpty();
  }

  @Test
  void tablesStayLoadableAfterTheSweeperRemovesUnreferencedVersions() {
    CatalogTable t = createLogs();
    for (int i = 0; i < 4; i++) {
      t.commitAppend("k" + i, List.of(file(t, P10, "f" + i, 1)));
    }
    Set<String> referenced = t.referencedLocations();
    List<String> unreferenced;
    try (Stream<ObjectInfo> all = base.list(LOGS_META)) {
      unreferenced = all.map(ObjectInfo::key).filter(k -> !referenced.contains(base.location(k))).toList();
    }
    assertThat(unreferenced).isNotEmpty();

    base.delete(unreferenced);

    CatalogTable fresh = openSameStorage(clock).loadTable(LOGS);
    assertThat(fresh.liveFiles()).hasSize(4);
    assertThat(fresh.snapshots()).hasSize(4);
    assertThat(fresh.referencedLocations()).isEqualTo(referenced);
    fresh.commitAppend("k9", List.of(file(t, P11, "g", 1)));
    assertThat(catalog().tableExists(LOGS)).isTrue();
    assertThat(catalog().listTables()).containsExactly(LOGS);
  }

  // ---- lost acknowledgements -------------------------------------------------------------------

  @Test
  void lostAcknowledgementOfTheVersionWriteDoesNotDuplicateAnAppend() {
    CatalogTable t = createLogs();
    long putsBefore = store.calls(Operation.PUT);
    // An append writes a manifest, a manifest list, then the version document: lose the third ack.
    store.crashAfterWrite(Operation.PUT, 3);

    TableSnapshot s = t.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));

    assertThat(store.calls(Operation.PUT) - putsBefore).isEqualTo(3);
    assertThat(t.currentSnapshot()).contains(s);
    CatalogTable fresh = openSameStorage(clock).loadTable(LOGS);
    assertThat(fresh.snapshots()).containsExactly(s);
    assertThat(fresh.liveFiles()).hasSize(1);
    assertThat(metadataKeys("v")).hasSize(2);
  }

  @Test
  void aCommitTouchingManyPartitionsWritesEveryManifestOrNothingVisible() {
    CatalogTable t = createLogs();
    List<DataFile> files = new java.util.ArrayList<>();
    for (int h = 0; h < 24; h++) {
      files.add(file(t, String.format(java.util.Locale.ROOT, "hour=2026-01-16-%02d", h), "f" + h, h + 1));
    }
    store.failNth(Operation.PUT, 7);

    assertThatThrownBy(() -> t.commitAppend("day", files)).isInstanceOf(StorageException.class);
    assertThat(openSameStorage(clock).loadTable(LOGS).currentSnapshot()).isEmpty();

    TableSnapshot s = t.commitAppend("day", files);

    CatalogTable fresh = openSameStorage(clock).loadTable(LOGS);
    assertThat(fresh.currentSnapshot()).contains(s);
    assertThat(fresh.liveFiles()).containsExactlyInAnyOrderElementsOf(files);
    assertThat(metadataKeys("manifest-")).hasSizeGreaterThanOrEqualTo(24);
  }

  @Test
  void aStoreThatKeepsFailingEndsInAStorageErrorNotAConflict() {
    ManifestCatalog c = catalogWith(new CommitPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2), 10));
    CatalogTable t = c.createTable(LOGS, SCHEMA, SPEC);
    store.failWhere(Operation.PUT, k -> k.startsWith(LOGS_META + "v"));

    assertThatThrownBy(() -> t.commitAppend("k", List.of(file(t, P10, "a", 1))))
        .isInstanceOf(StorageException.class)
        .isNotInstanceOf(CommitConflictException.class)
        .hasMessageContaining("attempt 3 of 3")
        .hasMessageContaining("unchanged");

    store.clearFaults();
    assertThat(c.loadTable(LOGS).currentSnapshot()).isEmpty();
  }

  @Test
  void lostAcknowledgementOfAnAppendIsRecognisedByItsCommitId() {
    CatalogTable t = createLogs();
    store.failNext(Operation.PUT, 1, versionKeys(), Failure.WRITE_THEN_FAIL);

    TableSnapshot s = t.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));

    assertThat(store.injected(Operation.PUT)).isEqualTo(1);
    assertThat(s.summary()).containsEntry(TableSnapshot.COMMIT_KEY, "flush-1");
    assertThat(t.currentSnapshot()).contains(s);
    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(fresh.snapshots()).containsExactly(s);
    assertThat(fresh.liveFiles()).hasSize(1);
    assertThat(metadataKeys("v")).hasSize(2);
  }

  @Test
  void lostAcknowledgementOfAReplaceIsNotMistakenForAConflict() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    DataFile b = file(t, P10, "b", 20);
    t.commitAppend("k1", List.of(a, b));
    DataFile ab = file(t, P10, "ab", 30);
    store.failNext(Operation.PUT, 1, versionKeys(), Failure.WRITE_THEN_FAIL);

    TableSnapshot s = t.commitReplace(List.of(a, b), List.of(ab), Map.of());

    assertThat(store.injected(Operation.PUT)).isEqualTo(1);
    assertThat(t.currentSnapshot()).contains(s);
    assertThat(catalog().loadTable(LOGS).liveFiles()).containsExactly(ab);
  }

  @Test
  void preconditionFailedAnsweringOurOwnLandedWriteIsRecognised() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    t.commitAppend("k1", List.of(a));
    store.failNext(Operation.PUT, 1, versionKeys(), Failure.WRITE_THEN_PRECONDITION_FAILED);

    TableSnapshot s = t.commitReplace(List.of(a), List.of(file(t, P10, "a2", 10)), Map.of());

    assertThat(store.injected(Operation.PUT)).isEqualTo(1);
    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(fresh.snapshots()).hasSize(2);
    assertThat(fresh.currentSnapshot()).contains(s);
  }

  @Test
  void retriesAVersionWriteThatFailedBeforeLanding() {
    CatalogTable t = createLogs();
    store.failNext(Operation.PUT, 2, versionKeys(), Failure.FAIL);

    TableSnapshot s = t.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));

    assertThat(store.injected(Operation.PUT)).isEqualTo(2);
    assertThat(s.snapshotId()).isEqualTo(1);
    assertThat(catalog().loadTable(LOGS).snapshots()).containsExactly(s);
  }

  @Test
  void aPermanentWriteFailureLeavesTheTableUnchanged() {
    CatalogTable t = createLogs();
    store.failNext(Operation.PUT, 1, versionKeys(), Failure.FAIL_PERMANENTLY);

    assertThatThrownBy(() -> t.commitAppend("flush-1", List.of(file(t, P10, "a", 10))))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("v00000000000000000001.json")
        .hasMessageContaining("unchanged");

    assertThat(catalog().loadTable(LOGS).currentSnapshot()).isEmpty();
    assertThat(t.commitAppend("flush-1", List.of(file(t, P10, "a", 10))).snapshotId()).isEqualTo(1);
  }

  @Test
  void aPermanentErrorAfterTheWriteLandedStillCountsAsCommitted() {
    CatalogTable t = createLogs();
    store.failNext(Operation.PUT, 1, versionKeys(), Failure.WRITE_THEN_FAIL_PERMANENTLY);

    TableSnapshot s = t.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));

    assertThat(catalog().loadTable(LOGS).snapshots()).containsExactly(s);
  }

  @Test
  void createTableSurvivesALostAcknowledgement() {
    catalog();
    store.failNext(Operation.PUT, 1, versionKeys(), Failure.WRITE_THEN_FAIL);

    CatalogTable t = createLogs();

    assertThat(store.injected(Operation.PUT)).isEqualTo(1);
    assertThat(t.currentSnapshot()).isEmpty();
    assertThat(catalog().tableExists(LOGS)).isTrue();
  }

  @Test
  void givesUpWithACommitConflictAfterTheLastAttempt() {
    ManifestCatalog c = catalogWith(new CommitPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2), 10));
    CatalogTable t = c.createTable(LOGS, SCHEMA, SPEC);
    store.failNext(Operation.PUT, 3, versionKeys(), Failure.PRECONDITION_FAILED);

    assertThatThrownBy(() -> t.commitAppend("k", List.of(file(t, P10, "a", 1))))
        .isInstanceOf(CommitConflictException.class)
        .hasMessageContaining("3 attempts");

    assertThat(c.loadTable(LOGS).currentSnapshot()).isEmpty();
  }

  // ---- conflicts -------------------------------------------------------------------------------

  @Test
  void conflictNamesTheSnapshotThatRemovedTheFile() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    t.commitAppend("k1", List.of(a, file(t, P11, "b", 1)));
    CatalogTable stale = catalog().loadTable(LOGS);
    TableSnapshot dropped = t.commitDropPartitions(List.of(P10)).orElseThrow();

    assertThatThrownBy(() -> stale.commitReplace(List.of(a), List.of(file(t, P10, "a2", 10)), Map.of()))
        .isInstanceOf(CommitConflictException.class)
        .hasMessageContaining(a.location())
        .hasMessageContaining("removed by snapshot " + dropped.snapshotId())
        .hasMessageContaining("re-plan and retry");
  }

  @Test
  void matchesRemovedFilesByNormalisedLocation() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    t.commitAppend("k1", List.of(a));
    DataFile sameObject = new DataFile(a.location(), a.partition(), 1, 1, "other", a.createdAt(), Map.of());

    t.commitReplace(List.of(sameObject), List.of(file(t, P10, "a2", 10)), Map.of());

    assertThat(t.liveFiles()).extracting(DataFile::location).containsExactly(file(t, P10, "a2", 10).location());
  }

  @Test
  void rejectsAppendingAFileThatIsAlreadyLive() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    t.commitAppend("k1", List.of(a));

    assertThatThrownBy(() -> t.commitAppend("k2", List.of(a)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already live");
    assertThat(t.snapshots()).hasSize(1);
  }

  @Test
  void rejectsDataFilesInsideTheMetadataDirectory() {
    CatalogTable t = createLogs();
    DataFile sneaky = new DataFile(t.location() + "_lifecycle/x.parquet", P10, 1, 1, "w", clock.instant(), Map.of());

    assertThatThrownBy(() -> t.commitAppend("k1", List.of(sneaky))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsFilesWhosePartitionGranularityDiffersFromTheTable() {
    CatalogTable t = createLogs();
    DataFile daily = new DataFile(t.location() + "data/d.parquet", "day=2026-01-15", 1, 1, "w", clock.instant(),
        Map.of());

    assertThatThrownBy(() -> t.commitAppend("k1", List.of(daily)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hour(ts)");
  }

  // ---- commit-key memory -----------------------------------------------------------------------

  @Test
  void remembersCommitKeysOfExpiredAppendsUpToTheBound() {
    ManifestCatalog c = catalogWith(new CommitPolicy(10, Duration.ofMillis(1), Duration.ofMillis(2), 2));
    CatalogTable t = c.createTable(LOGS, SCHEMA, SPEC);
    for (int i = 0; i < 4; i++) {
      t.commitAppend("k" + i, List.of(file(t, P10, "f" + i, 1)));
      clock.advance(Duration.ofMinutes(1));
    }

    assertThat(t.expireSnapshots(1, clock.instant(), Set.of())).hasSize(3);

    CatalogTable fresh = c.loadTable(LOGS);
    assertThat(fresh.findAppend("k0")).isEmpty();
    assertThat(fresh.findAppend("k1")).isPresent();
    assertThat(fresh.findAppend("k2")).isPresent();
    assertThat(fresh.findAppend("k3")).isPresent();
    assertThat(fresh.referencedLocations()).anyMatch(l -> l.contains("/_lifecycle/keys-"));
  }

  // ---- damaged metadata ------------------------------------------------------------------------

  @Test
  void corruptLatestVersionFailsLoadingAndTheValidSetNamingIt() {
    CatalogTable t = createLogs();
    t.commitAppend("k1", List.of(file(t, P10, "a", 10)));
    String latest = base.location(LOGS_META + "v00000000000000000001.json");
    overwriteObject(latest, "{\"format-version\": 1, \"kind\": \"vers".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> catalog().loadTable(LOGS))
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining(latest)
        .hasMessageContaining("corrupt");
    assertThatThrownBy(t::refresh).isInstanceOf(LifecycleException.class).hasMessageContaining(latest);
    assertThatThrownBy(t::referencedLocations)
        .isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining(latest);
  }

  @Test
  void refusesMetadataOfANewerFormatAskingForAnUpgrade() {
    CatalogTable t = createLogs();
    String v0 = base.location(LOGS_META + "v00000000000000000000.json");
    String doc = new String(base.read(LOGS_META + "v00000000000000000000.json"), StandardCharsets.UTF_8);
    overwriteObject(v0, doc.replace("\"format-version\" : 1", "\"format-version\" : 7")
        .getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> catalog().loadTable(LOGS))
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining("upgrade");
    assertThat(t.id()).isEqualTo(LOGS);
  }

  @Test
  void missingManifestOfAnOlderRetainedSnapshotMakesOnlyTheValidSetIncomplete() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    t.commitAppend("k1", List.of(a));
    List<String> firstManifest = metadataKeys("manifest-");
    t.commitReplace(List.of(a), List.of(file(t, P10, "a2", 10)), Map.of());
    String lost = base.location(firstManifest.get(0));

    deleteObject(lost);

    assertThatThrownBy(t::referencedLocations)
        .isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining(lost);
    assertThat(openSameStorage(clock).loadTable(LOGS).liveFiles()).hasSize(1);
  }

  @Test
  void missingManifestOfTheCurrentSnapshotFailsLoadingNamingIt() {
    CatalogTable t = createLogs();
    t.commitAppend("k1", List.of(file(t, P10, "a", 10)));
    String lost = base.location(metadataKeys("manifest-").get(0));

    deleteObject(lost);

    assertThatThrownBy(() -> openSameStorage(clock).loadTable(LOGS))
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining(lost)
        .hasMessageContaining("missing");
  }

  @Test
  void missingExpiredKeysObjectMakesTheValidSetIncomplete() {
    CatalogTable t = createLogs();
    t.commitAppend("k1", List.of(file(t, P10, "a", 1)));
    clock.advance(Duration.ofMinutes(1));
    t.commitAppend("k2", List.of(file(t, P10, "b", 1)));
    clock.advance(Duration.ofMinutes(1));
    t.expireSnapshots(1, clock.instant(), Set.of());
    String keys = base.location(metadataKeys("keys-").get(0));

    deleteObject(keys);

    assertThatThrownBy(t::referencedLocations)
        .isInstanceOf(IncompleteValidSetException.class)
        .hasMessageContaining(keys);
  }

  // ---- catalog ---------------------------------------------------------------------------------

  @Test
  void listTablesSkipsStrayKeysAndDirectoriesWithoutVersions() {
    catalog();
    base.put("readme.txt", new byte[1]);
    base.put("_staging/a/b/c/spool.bin", new byte[1]);
    base.put("Acme/prod/logs/_lifecycle/v00000000000000000000.json", new byte[1]);
    base.put("acme/prod/orphans/data/x.parquet", new byte[1]);
    base.put("acme/prod/notes/_lifecycle/readme.txt", new byte[1]);
    base.put("acme/prod/file", new byte[1]);
    TableId metrics = TableId.of("acme", "prod", "metrics");
    CatalogTable m = catalog().createTable(metrics, SCHEMA, SPEC);
    m.commitAppend("k", List.of(file(m, P10, "a", 1)));
    createLogs();

    assertThat(catalog().listTables()).containsExactly(LOGS, metrics);
  }

  @Test
  void refusesCreatingATableWhosePartitionColumnIsNotATimestamp() {
    assertThatThrownBy(() -> catalog().createTable(LOGS, SCHEMA, dev.lakelifecycle.api.PartitionSpec.hourly("msg")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("msg");
    assertThat(catalog().tableExists(LOGS)).isFalse();
  }

  @Test
  void aClosedCatalogRefusesWork() {
    CatalogTable t = createLogs();
    catalog().close();

    assertThatThrownBy(() -> catalog().loadTable(LOGS)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> t.commitAppend("k", List.of(file(t, P10, "a", 1))))
        .isInstanceOf(IllegalStateException.class);
    assertThat(openSameStorage(clock).loadTable(LOGS).currentSnapshot()).isEmpty();
  }
}
