package dev.lakelifecycle.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.lakelifecycle.api.CommitConflictException;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.IncompleteValidSetException;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.NoSuchTableException;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.SchemaEvolutionUnsupportedException;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.TableAlreadyExistsException;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link TableCatalog} must have, in the style of Iceberg's {@code CatalogTests}.
 * An implementation's test class extends this and supplies a catalog over fresh storage:
 *
 * <pre>{@code
 * class MyCatalogTest extends TableCatalogContract {
 *   @TempDir Path dir;
 *
 *   @Override
 *   protected TableCatalog newCatalog(Clock clock) {
 *     return new MyCatalog(dir, clock);
 *   }
 * }
 * }</pre>
 *
 * <p>Capabilities an implementation may lack are {@code supportsX()} flags (default {@code false}); the
 * tests that need them are skipped through assumptions. Tables are created with {@link #SCHEMA} and
 * hourly partitions on {@code ts}; data files are fabricated records under the table's location
 * ({@link #dataFileLocation}); they need not exist in storage.
 */
public abstract class TableCatalogContract {
  /** The schema of every table the suite creates. */
  protected static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .column("level", TableSchema.Type.STRING)
      .column("msg", TableSchema.Type.STRING)
      .build();
  /** Hourly partitions on {@code ts}. */
  protected static final PartitionSpec SPEC = PartitionSpec.hourly("ts");
  protected static final String P10 = "hour=2026-01-15-10";
  protected static final String P11 = "hour=2026-01-15-11";
  protected static final String P12 = "hour=2026-01-15-12";
  protected static final TableId LOGS = TableId.of("acme", "prod", "logs");
  protected static final TableId TRACES = TableId.of("acme", "prod", "traces");

  /** The clock handed to the catalog; tests move it between commits. */
  protected final MutableClock clock = MutableClock.at("2026-01-15T10:00:00Z");

  private TableCatalog catalog;
  private final List<TableCatalog> opened = new ArrayList<>();

  /**
   * A new catalog over fresh, empty storage. Called at most once per test, lazily; the suite closes it.
   *
   * @param clock the clock commit times should come from, if the implementation can take one (see
   *     {@link #usesSuppliedClock()})
   */
  protected abstract TableCatalog newCatalog(Clock clock);

  /**
   * Another, independent instance over the same storage as {@link #catalog()}, as a second process
   * would open it. Only called if {@link #supportsSeparateInstances()}.
   */
  protected TableCatalog openSameStorage(Clock clock) {
    throw new UnsupportedOperationException("override openSameStorage with supportsSeparateInstances");
  }

  /** Whether {@link #openSameStorage(Clock)} is implemented. */
  protected boolean supportsSeparateInstances() {
    return false;
  }

  /**
   * Whether tables can gain nullable columns through {@link CatalogTable#addColumns}. If not, the suite checks
   * that {@code addColumns} refuses with a {@link SchemaEvolutionUnsupportedException} (the interface's default).
   */
  protected boolean supportsSchemaEvolution() {
    return false;
  }

  /** Whether snapshot commit times come from the clock given to {@link #newCatalog(Clock)}. */
  protected boolean usesSuppliedClock() {
    return true;
  }

  /** Whether {@link #deleteObject} and {@link #overwriteObject} are implemented. */
  protected boolean supportsMetadataTampering() {
    return false;
  }

  /** Deletes the object at a location the catalog returned (to simulate damage from outside). */
  protected void deleteObject(String location) {
    throw new UnsupportedOperationException("override deleteObject with supportsMetadataTampering");
  }

  /** Overwrites the object at a location the catalog returned (to simulate damage from outside). */
  protected void overwriteObject(String location, byte[] content) {
    throw new UnsupportedOperationException("override overwriteObject with supportsMetadataTampering");
  }

  /**
   * Where a data file of {@code table} in {@code partition} would live. Default: under the table's
   * {@link CatalogTable#location()}, {@code data/<partition>/<name>}.
   */
  protected String dataFileLocation(CatalogTable table, String partition, String name) {
    return under(table.location(), "data/" + partition + "/" + name);
  }

  /** A location just outside {@code table}'s location: a sibling whose name starts with the table's. */
  protected String locationOutside(CatalogTable table, String name) {
    String loc = table.location();
    String bare = loc.endsWith("/") ? loc.substring(0, loc.length() - 1) : loc;
    return bare + "-elsewhere/" + name;
  }

  /** The catalog under test, created on first use. */
  protected final TableCatalog catalog() {
    if (catalog == null) {
      catalog = newCatalog(clock);
      opened.add(catalog);
    }
    return catalog;
  }

  private TableCatalog secondInstance() {
    assumeThat(supportsSeparateInstances()).as("supportsSeparateInstances").isTrue();
    catalog();
    TableCatalog other = openSameStorage(clock);
    opened.add(other);
    return other;
  }

  @AfterEach
  void closeCatalogs() {
    for (TableCatalog c : opened) {
      c.close();
    }
    opened.clear();
  }

  // ---- fixtures --------------------------------------------------------------------------------

  protected CatalogTable createLogs() {
    return catalog().createTable(LOGS, SCHEMA, SPEC);
  }

  /** A fabricated data file of {@code table}. */
  protected DataFile file(CatalogTable table, String partition, String name, long records) {
    return new DataFile(dataFileLocation(table, partition, name + ".parquet"), partition, 100 * records, records,
        "contract", clock.instant(), Map.of("ts", new DataFile.ColumnStats(0, "2026-01-15T10:00:00Z",
            "2026-01-15T10:59:59Z")));
  }

  private static String under(String base, String rest) {
    return base.endsWith("/") ? base + rest : base + "/" + rest;
  }

  private static List<String> locations(Collection<DataFile> files) {
    return files.stream().map(DataFile::location).collect(Collectors.toList());
  }

  private static long records(CatalogTable table) {
    return table.liveFiles().stream().mapToLong(DataFile::recordCount).sum();
  }

  private long currentId(CatalogTable table) {
    return table.currentSnapshot().orElseThrow().snapshotId();
  }

  // ---- tables ----------------------------------------------------------------------------------

  @Test
  void createsLoadsAndListsTables() {
    CatalogTable created = createLogs();
    catalog().createTable(TRACES, SCHEMA, PartitionSpec.daily("ts"));

    assertThat(created.id()).isEqualTo(LOGS);
    assertThat(created.currentSnapshot()).isEmpty();
    assertThat(created.snapshots()).isEmpty();
    assertThat(created.liveFiles()).isEmpty();
    assertThat(catalog().tableExists(LOGS)).isTrue();
    assertThat(catalog().tableExists(TableId.of("acme", "prod", "metrics"))).isFalse();
    assertThat(catalog().listTables()).containsExactly(LOGS, TRACES);

    CatalogTable loaded = catalog().loadTable(TRACES);
    assertThat(loaded.schema()).isEqualTo(SCHEMA);
    assertThat(loaded.partitionSpec()).isEqualTo(PartitionSpec.daily("ts"));
    assertThat(loaded.location()).isEqualTo(catalog().loadTable(TRACES).location())
        .isNotEqualTo(created.location());
    assertThat(loaded.currentSnapshot()).isEmpty();
  }

  @Test
  void listsTablesOfSeveralTenantsSortedByPath() {
    TableId a = TableId.of("zeta", "prod", "logs");
    TableId b = TableId.of("acme", "prod-eu", "logs");
    TableId c = TableId.of("acme", "prod", "logs");
    for (TableId id : List.of(a, b, c)) {
      CatalogTable t = catalog().createTable(id, SCHEMA, SPEC);
      t.commitAppend("k", List.of(file(t, P10, "f", 1)));
    }

    assertThat(catalog().listTables()).containsExactly(b, c, a);
  }

  @Test
  void rejectsCreatingATableThatExists() {
    CatalogTable t = createLogs();
    t.commitAppend("k1", List.of(file(t, P10, "a", 10)));

    assertThatThrownBy(() -> catalog().createTable(LOGS, SCHEMA, SPEC))
        .isInstanceOf(TableAlreadyExistsException.class)
        .hasMessageContaining(LOGS.path());
    assertThat(catalog().loadTable(LOGS).liveFiles()).hasSize(1);
  }

  @Test
  void rejectsLoadingATableThatDoesNotExist() {
    assertThatThrownBy(() -> catalog().loadTable(LOGS))
        .isInstanceOf(NoSuchTableException.class)
        .hasMessageContaining(LOGS.path());
  }

  @Test
  void loadOrCreateReturnsTheExistingTable() {
    CatalogTable t = createLogs();
    t.commitAppend("k1", List.of(file(t, P10, "a", 10)));

    CatalogTable again = catalog().loadOrCreateTable(LOGS, SCHEMA, PartitionSpec.daily("ts"));

    assertThat(again.partitionSpec()).isEqualTo(SPEC);
    assertThat(again.liveFiles()).hasSize(1);
  }

  @Test
  void racingCreatorsMakeOneTable() throws Exception {
    catalog();
    int racers = 4;

    List<Outcome<CatalogTable>> created = race(racers, i -> catalog().createTable(LOGS, SCHEMA, SPEC));
    List<Outcome<CatalogTable>> loaded = race(racers, i -> catalog().loadOrCreateTable(TRACES, SCHEMA, SPEC));

    assertThat(created.stream().filter(o -> o.error == null)).hasSize(1);
    assertThat(created.stream().filter(o -> o.error != null))
        .allSatisfy(o -> assertThat(o.error).isInstanceOf(TableAlreadyExistsException.class));
    assertNoErrors(loaded);
    assertThat(catalog().listTables()).containsExactly(LOGS, TRACES);
  }

  // ---- append ----------------------------------------------------------------------------------

  @Test
  void appendMakesFilesLiveSortedByPartitionThenLocation() {
    CatalogTable t = createLogs();
    DataFile b11 = file(t, P11, "b", 5);
    DataFile a11 = file(t, P11, "a", 7);
    DataFile z10 = file(t, P10, "z", 3);

    TableSnapshot s = t.commitAppend("flush-1", List.of(b11, a11, z10));

    assertThat(s.operation()).isEqualTo(TableSnapshot.Operation.APPEND);
    assertThat(s.parentId()).isNull();
    assertThat(s.summary()).containsEntry(TableSnapshot.COMMIT_KEY, "flush-1");
    assertThat(t.currentSnapshot()).contains(s);
    assertThat(locations(t.liveFiles())).containsExactly(z10.location(), a11.location(), b11.location());
    assertThat(t.liveFiles(p -> p.equals(P11))).extracting(DataFile::location)
        .containsExactly(a11.location(), b11.location());
    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(fresh.liveFiles()).isEqualTo(t.liveFiles());
    assertThat(fresh.currentSnapshot()).contains(s);
  }

  @Test
  void liveFilesKeepEveryField() {
    CatalogTable t = createLogs();
    DataFile f = new DataFile(dataFileLocation(t, P10, "stats.parquet"), P10, 12345, 678, "writer-7",
        Instant.parse("2026-01-15T10:05:00.123456Z"),
        Map.of("ts", new DataFile.ColumnStats(0, "2026-01-15T10:00:00Z", "2026-01-15T10:59:00Z"),
            "msg", new DataFile.ColumnStats(4, null, null)));
    t.commitAppend("k", List.of(f));

    assertThat(catalog().loadTable(LOGS).liveFiles()).containsExactly(f);
  }

  @Test
  void snapshotsAreOldestFirstWithIncreasingIdsAndParents() {
    CatalogTable t = createLogs();
    TableSnapshot s1 = t.commitAppend("k1", List.of(file(t, P10, "a", 1)));
    clock.advance(Duration.ofMinutes(1));
    TableSnapshot s2 = t.commitAppend("k2", List.of(file(t, P10, "b", 1)));
    clock.advance(Duration.ofMinutes(1));
    TableSnapshot s3 = t.commitReplace(t.liveFiles(), List.of(file(t, P10, "ab", 2)), Map.of());

    assertThat(catalog().loadTable(LOGS).snapshots()).containsExactly(s1, s2, s3);
    assertThat(s2.snapshotId()).isGreaterThan(s1.snapshotId());
    assertThat(s3.snapshotId()).isGreaterThan(s2.snapshotId());
    assertThat(s2.parentId()).isEqualTo(s1.snapshotId());
    assertThat(s3.parentId()).isEqualTo(s2.snapshotId());
    if (usesSuppliedClock()) {
      assertThat(s1.committedAt()).isEqualTo(Instant.parse("2026-01-15T10:00:00Z"));
      assertThat(s3.committedAt()).isEqualTo(Instant.parse("2026-01-15T10:02:00Z"));
    }
  }

  @Test
  void appendIsIdempotentByCommitKey() {
    CatalogTable t = createLogs();
    TableSnapshot first = t.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));

    TableSnapshot again = t.commitAppend("flush-1", List.of(file(t, P10, "a-retry", 10)));

    assertThat(again).isEqualTo(first);
    assertThat(t.snapshots()).containsExactly(first);
    assertThat(records(t)).isEqualTo(10);
    assertThat(t.findAppend("flush-1")).contains(first);
    assertThat(t.findAppend("flush-2")).isEmpty();
  }

  @Test
  void appendIsIdempotentThroughAnotherHandle() {
    CatalogTable t = createLogs();
    CatalogTable stale = catalog().loadTable(LOGS);
    TableSnapshot first = t.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));

    assertThat(stale.findAppend("flush-1")).contains(first);
    TableSnapshot again = stale.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));

    assertThat(again).isEqualTo(first);
    assertThat(records(stale)).isEqualTo(10);
    assertThat(catalog().loadTable(LOGS).snapshots()).containsExactly(first);
  }

  @Test
  void appendIsIdempotentThroughAnotherCatalogInstance() {
    CatalogTable t = createLogs();
    TableCatalog other = secondInstance();
    TableSnapshot first = t.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));

    CatalogTable there = other.loadTable(LOGS);
    TableSnapshot again = there.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));

    assertThat(again.snapshotId()).isEqualTo(first.snapshotId());
    assertThat(records(there)).isEqualTo(10);
    t.refresh();
    assertThat(t.snapshots()).hasSize(1);
  }

  @Test
  void rejectsAppendOfFileOutsideTheTableLocation() {
    CatalogTable t = createLogs();
    DataFile outside = new DataFile(locationOutside(t, "x.parquet"), P10, 10, 1, "w", clock.instant(), Map.of());

    assertThatThrownBy(() -> t.commitAppend("k", List.of(file(t, P10, "ok", 1), outside)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(outside.location());
    assertThat(catalog().loadTable(LOGS).currentSnapshot()).isEmpty();
  }

  @Test
  void rejectsAppendOfFileWithInvalidPartition() {
    CatalogTable t = createLogs();
    DataFile bad = new DataFile(dataFileLocation(t, "x", "f.parquet"), "hour=2026-13-45-99", 10, 1, "w",
        clock.instant(), Map.of());

    assertThatThrownBy(() -> t.commitAppend("k", List.of(bad))).isInstanceOf(IllegalArgumentException.class);
    assertThat(catalog().loadTable(LOGS).currentSnapshot()).isEmpty();
  }

  @Test
  void refreshShowsCommitsOfOtherHandles() {
    CatalogTable t = createLogs();
    CatalogTable other = catalog().loadTable(LOGS);
    TableSnapshot s = other.commitAppend("k", List.of(file(t, P10, "a", 1)));

    assertThat(t.currentSnapshot()).isEmpty();
    t.refresh();
    assertThat(t.currentSnapshot()).contains(s);
    assertThat(t.liveFiles()).hasSize(1);
  }

  // ---- replace ---------------------------------------------------------------------------------

  @Test
  void replaceSwapsFiles() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    DataFile b = file(t, P10, "b", 20);
    DataFile c = file(t, P11, "c", 5);
    t.commitAppend("k1", List.of(a, b, c));
    DataFile ab = file(t, P10, "ab", 30);

    TableSnapshot s = t.commitReplace(List.of(a, b), List.of(ab), Map.of("compaction-run", "r1"));

    assertThat(s.operation()).isEqualTo(TableSnapshot.Operation.REPLACE);
    assertThat(s.summary()).containsEntry("compaction-run", "r1");
    assertThat(locations(t.liveFiles())).containsExactly(ab.location(), c.location());
    assertThat(records(t)).isEqualTo(35);
    assertThat(locations(catalog().loadTable(LOGS).liveFiles())).containsExactly(ab.location(), c.location());
  }

  @Test
  void rejectsReplaceOfFileNoLongerLiveAndLeavesTableUnchanged() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    DataFile b = file(t, P10, "b", 20);
    t.commitAppend("k1", List.of(a, b));
    t.commitReplace(List.of(a), List.of(file(t, P10, "a2", 10)), Map.of());
    long before = currentId(t);
    List<DataFile> liveBefore = t.liveFiles();

    assertThatThrownBy(() -> t.commitReplace(List.of(a, b), List.of(file(t, P10, "ab", 30)), Map.of()))
        .isInstanceOf(CommitConflictException.class)
        .hasMessageContaining(a.location());

    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(currentId(fresh)).isEqualTo(before);
    assertThat(fresh.liveFiles()).isEqualTo(liveBefore);
    assertThat(currentId(t)).isEqualTo(before);
  }

  @Test
  void rejectsReplaceFromStaleHandleWhoseInputWasCompactedElsewhere() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    DataFile b = file(t, P10, "b", 20);
    t.commitAppend("k1", List.of(a, b));
    CatalogTable stale = catalog().loadTable(LOGS);
    DataFile winner = file(t, P10, "winner", 30);
    t.commitReplace(List.of(a, b), List.of(winner), Map.of());

    assertThatThrownBy(() -> stale.commitReplace(List.of(a, b), List.of(file(t, P10, "loser", 30)), Map.of()))
        .isInstanceOf(CommitConflictException.class);

    stale.refresh();
    assertThat(locations(stale.liveFiles())).containsExactly(winner.location());
    assertThat(records(stale)).isEqualTo(30);
  }

  @Test
  void replaceCommitsOnTopOfAConcurrentAppend() {
    CatalogTable compactor = createLogs();
    DataFile a = file(compactor, P10, "a", 10);
    DataFile b = file(compactor, P10, "b", 20);
    compactor.commitAppend("k1", List.of(a, b));
    CatalogTable stager = catalog().loadTable(LOGS);
    DataFile late = file(compactor, P10, "late", 4);
    stager.commitAppend("k2", List.of(late));

    DataFile ab = file(compactor, P10, "ab", 30);
    compactor.commitReplace(List.of(a, b), List.of(ab), Map.of());

    assertThat(locations(catalog().loadTable(LOGS).liveFiles())).containsExactly(ab.location(), late.location());
    assertThat(records(compactor)).isEqualTo(34);
  }

  @Test
  void racingReplacesOfTheSameFilesHaveExactlyOneWinner() throws Exception {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    DataFile b = file(t, P10, "b", 20);
    DataFile other = file(t, P11, "other", 1);
    t.commitAppend("k1", List.of(a, b, other));
    int racers = 4;
    List<CatalogTable> handles = new ArrayList<>();
    for (int i = 0; i < racers; i++) {
      handles.add(catalog().loadTable(LOGS));
    }

    List<Outcome<TableSnapshot>> outcomes = race(racers, i ->
        handles.get(i).commitReplace(List.of(a, b), List.of(file(t, P10, "out-" + i, 30)), Map.of()));

    List<Outcome<TableSnapshot>> wins = outcomes.stream().filter(o -> o.error == null).toList();
    assertThat(wins).hasSize(1);
    assertThat(outcomes.stream().filter(o -> o.error != null))
        .allSatisfy(o -> assertThat(o.error).isInstanceOf(CommitConflictException.class));
    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(fresh.liveFiles()).hasSize(2);
    assertThat(records(fresh)).isEqualTo(31);
    assertThat(fresh.currentSnapshot()).contains(wins.get(0).value);
  }

  // ---- schema evolution ------------------------------------------------------------------------

  private static final TableSchema.Column HOST = new TableSchema.Column("host", TableSchema.Type.STRING, true);
  private static final TableSchema.Column BYTES = new TableSchema.Column("bytes", TableSchema.Type.LONG, true);

  private static TableSchema schemaPlus(TableSchema.Column... added) {
    List<TableSchema.Column> columns = new ArrayList<>(SCHEMA.columns());
    columns.addAll(List.of(added));
    return TableSchema.of(columns);
  }

  @Test
  void addsNullableColumnsAtTheEndVisibleToEveryHandle() {
    assumeThat(supportsSchemaEvolution()).as("supportsSchemaEvolution").isTrue();
    CatalogTable t = createLogs();
    CatalogTable other = catalog().loadTable(LOGS);

    TableSchema evolved = t.addColumns(List.of(HOST, BYTES));

    assertThat(evolved).isEqualTo(schemaPlus(HOST, BYTES));
    assertThat(t.schema()).isEqualTo(evolved);
    assertThat(catalog().loadTable(LOGS).schema()).isEqualTo(evolved);
    other.refresh();
    assertThat(other.schema()).isEqualTo(evolved);
    assertThat(t.partitionSpec()).isEqualTo(SPEC);
  }

  @Test
  void schemaEvolutionKeepsLiveFilesAndSnapshotsAndLaterAppendsLand() {
    assumeThat(supportsSchemaEvolution()).as("supportsSchemaEvolution").isTrue();
    CatalogTable t = createLogs();
    t.commitAppend("before", List.of(file(t, P10, "before", 5)));
    List<String> liveBefore = locations(t.liveFiles());
    long snapshotBefore = currentId(t);

    t.addColumns(List.of(HOST));

    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(locations(fresh.liveFiles())).isEqualTo(liveBefore);
    assertThat(currentId(fresh)).isEqualTo(snapshotBefore);
    assertThat(fresh.findAppend("before")).isPresent();
    fresh.commitAppend("after", List.of(file(fresh, P11, "after", 3)));
    CatalogTable last = catalog().loadTable(LOGS);
    assertThat(records(last)).isEqualTo(8);
    assertThat(last.schema()).isEqualTo(schemaPlus(HOST));
  }

  @Test
  void addingAColumnTheTableAlreadyHasChangesNothing() {
    assumeThat(supportsSchemaEvolution()).as("supportsSchemaEvolution").isTrue();
    CatalogTable t = createLogs();
    t.addColumns(List.of(HOST));

    assertThat(t.addColumns(List.of(HOST))).isEqualTo(schemaPlus(HOST));
    assertThat(t.addColumns(List.of(new TableSchema.Column("msg", TableSchema.Type.STRING, true), HOST, HOST)))
        .isEqualTo(schemaPlus(HOST));
    assertThat(t.addColumns(List.of())).isEqualTo(schemaPlus(HOST));
    assertThat(catalog().loadTable(LOGS).schema()).isEqualTo(schemaPlus(HOST));
  }

  @Test
  void rejectsAddingARequiredColumnOrRedefiningOneNamingIt() {
    assumeThat(supportsSchemaEvolution()).as("supportsSchemaEvolution").isTrue();
    CatalogTable t = createLogs();

    assertThatThrownBy(() -> t.addColumns(List.of(HOST,
        new TableSchema.Column("status", TableSchema.Type.INT, false))))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("acme/prod/logs")
        .hasMessageContaining("'status'")
        .hasMessageContaining("nullable");
    assertThatThrownBy(() -> t.addColumns(List.of(new TableSchema.Column("msg", TableSchema.Type.LONG, true))))
        .isInstanceOf(SchemaMismatchException.class)
        .hasMessageContaining("'msg'")
        .hasMessageContaining("string");
    assertThat(t.schema()).isEqualTo(SCHEMA);
    assertThat(catalog().loadTable(LOGS).schema()).isEqualTo(SCHEMA);
  }

  @Test
  void refusesSchemaEvolutionWithATypedErrorWhenUnsupported() {
    assumeThat(supportsSchemaEvolution()).as("supportsSchemaEvolution").isFalse();
    CatalogTable t = createLogs();

    assertThatThrownBy(() -> t.addColumns(List.of(HOST)))
        .isInstanceOf(SchemaEvolutionUnsupportedException.class)
        .hasMessageContaining("acme/prod/logs")
        .hasMessageContaining("host");
    assertThat(catalog().loadTable(LOGS).schema()).isEqualTo(SCHEMA);
  }

  @Test
  void racingSchemaEvolutionsFromManyHandlesAllLand() throws Exception {
    assumeThat(supportsSchemaEvolution()).as("supportsSchemaEvolution").isTrue();
    createLogs();
    int writers = 4;

    assertNoErrors(race(writers, w -> {
      CatalogTable h = catalog().loadTable(LOGS);
      // Every racer adds the shared column too: exactly one of them adds it, the others find it there.
      TableSchema after = h.addColumns(List.of(new TableSchema.Column("c" + w, TableSchema.Type.INT, true), HOST));
      assertThat(after.indexOf("c" + w)).isGreaterThanOrEqualTo(SCHEMA.size());
      return null;
    }));

    TableSchema last = catalog().loadTable(LOGS).schema();
    assertThat(last.columns().subList(0, SCHEMA.size())).isEqualTo(SCHEMA.columns());
    assertThat(last.columns().stream().map(TableSchema.Column::name).toList())
        .containsExactlyInAnyOrder("ts", "level", "msg", "host", "c0", "c1", "c2", "c3");
    assertThat(last.columns().subList(SCHEMA.size(), last.size())).allMatch(TableSchema.Column::nullable);
  }

  @Test
  void schemaEvolutionRacingAppendsLosesNeither() throws Exception {
    assumeThat(supportsSchemaEvolution()).as("supportsSchemaEvolution").isTrue();
    CatalogTable t = createLogs();

    assertNoErrors(race(3, w -> {
      CatalogTable h = catalog().loadTable(LOGS);
      for (int i = 0; i < 6; i++) {
        if (w == 0) {
          h.addColumns(List.of(new TableSchema.Column("e" + i, TableSchema.Type.DOUBLE, true)));
        } else {
          h.commitAppend("w" + w + "-" + i, List.of(file(t, P10, "w" + w + "-" + i, 1)));
        }
      }
      return null;
    }));

    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(fresh.liveFiles()).hasSize(12);
    assertThat(fresh.schema().size()).isEqualTo(SCHEMA.size() + 6);
    assertThat(fresh.schema().column(SCHEMA.size() + 5).name()).isEqualTo("e5");
  }

  @Test
  void schemaEvolvedThroughAnotherCatalogInstanceIsSeenAfterRefresh() {
    assumeThat(supportsSchemaEvolution()).as("supportsSchemaEvolution").isTrue();
    CatalogTable t = createLogs();
    TableCatalog other = secondInstance();

    other.loadTable(LOGS).addColumns(List.of(HOST));
    // A stale handle adding its own column builds on the other instance's change instead of overwriting it.
    TableSchema after = t.addColumns(List.of(BYTES));

    assertThat(after).isEqualTo(schemaPlus(HOST, BYTES));
    assertThat(other.loadTable(LOGS).schema()).isEqualTo(schemaPlus(HOST, BYTES));
  }

  // ---- concurrency -----------------------------------------------------------------------------

  @Test
  void concurrentAppendsFromManyHandlesAllLandExactlyOnce() throws Exception {
    CatalogTable t = createLogs();
    int writers = 4;
    int perWriter = 8;

    assertNoErrors(race(writers, w -> {
      CatalogTable h = catalog().loadTable(LOGS);
      for (int i = 0; i < perWriter; i++) {
        List<DataFile> files = List.of(file(t, P10, "w" + w + "-" + i, 1));
        h.commitAppend("w" + w + "-" + i, files);
        // A retried flush with the same key must not add rows.
        h.commitAppend("w" + w + "-" + i, files);
      }
      return null;
    }));

    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(fresh.liveFiles()).hasSize(writers * perWriter);
    assertThat(fresh.snapshots()).hasSize(writers * perWriter);
    assertThat(fresh.snapshots().stream().map(TableSnapshot::snapshotId).distinct()).hasSize(writers * perWriter);
  }

  @Test
  void concurrentAppendsThroughOneHandleAllLandExactlyOnce() throws Exception {
    CatalogTable t = createLogs();
    int writers = 4;
    int perWriter = 8;

    assertNoErrors(race(writers, w -> {
      for (int i = 0; i < perWriter; i++) {
        t.commitAppend("w" + w + "-" + i, List.of(file(t, P11, "w" + w + "-" + i, 2)));
      }
      return null;
    }));

    assertThat(t.liveFiles()).hasSize(writers * perWriter);
    assertThat(records(catalog().loadTable(LOGS))).isEqualTo(2L * writers * perWriter);
  }

  @Test
  void concurrentAppendsFromTwoCatalogInstancesAllLand() throws Exception {
    CatalogTable t = createLogs();
    TableCatalog other = secondInstance();
    List<TableCatalog> instances = List.of(catalog(), other);

    assertNoErrors(race(2, w -> {
      CatalogTable h = instances.get(w).loadTable(LOGS);
      for (int i = 0; i < 8; i++) {
        h.commitAppend("i" + w + "-" + i, List.of(file(t, P10, "i" + w + "-" + i, 1)));
      }
      return null;
    }));

    assertThat(catalog().loadTable(LOGS).liveFiles()).hasSize(16);
  }

  /**
   * Writers append (some appends retried with the same key) while compactors replace random sets of
   * live files with one file holding their rows, and snapshots expire, all at once through separate
   * handles. Whatever interleaving happens, every acknowledged append's rows are live exactly once.
   */
  @Test
  void rowsAreNeverLostOrDoubledUnderConcurrentAppendsCompactionsAndExpiry() throws Exception {
    long seed = System.nanoTime();
    java.util.Random seeds = new java.util.Random(seed);
    CatalogTable t = createLogs();
    int writers = 3;
    int compactors = 2;
    int steps = 12;
    long[] threadSeeds = new long[writers + compactors + 1];
    for (int i = 0; i < threadSeeds.length; i++) {
      threadSeeds[i] = seeds.nextLong();
    }
    List<String> partitions = List.of(P10, P11);
    java.util.concurrent.ConcurrentHashMap<String, Long> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.concurrent.atomic.AtomicInteger conflicts = new java.util.concurrent.atomic.AtomicInteger();

    List<Outcome<Object>> outcomes = race(writers + compactors + 1, i -> {
      java.util.Random r = new java.util.Random(threadSeeds[i]);
      CatalogTable h = catalog().loadTable(LOGS);
      for (int step = 0; step < steps; step++) {
        if (i < writers) {
          String key = "w" + i + "-" + step;
          long rows = 1 + r.nextInt(100);
          List<DataFile> files = List.of(file(t, partitions.get(r.nextInt(2)), key, rows));
          h.commitAppend(key, files);
          acknowledged.put(key, rows);
          if (r.nextInt(3) == 0) {
            h.commitAppend(key, files);
          }
        } else if (i < writers + compactors) {
          h.refresh();
          String p = partitions.get(r.nextInt(2));
          List<DataFile> live = h.liveFiles(q -> q.equals(p));
          if (live.size() < 2) {
            continue;
          }
          List<DataFile> input = new ArrayList<>(live);
          java.util.Collections.shuffle(input, r);
          input = input.subList(0, 2 + r.nextInt(input.size() - 1));
          long rows = input.stream().mapToLong(DataFile::recordCount).sum();
          try {
            h.commitReplace(input, List.of(file(t, p, "c" + i + "-" + step, rows)), Map.of());
          } catch (CommitConflictException e) {
            conflicts.incrementAndGet();
          }
        } else {
          h.expireSnapshots(3, Instant.MAX, Set.of());
        }
      }
      return null;
    });

    assertThat(outcomes).as("seed %d", seed).allSatisfy(o -> assertThat(o.error).isNull());
    CatalogTable fresh = catalog().loadTable(LOGS);
    long expectedRows = acknowledged.values().stream().mapToLong(Long::longValue).sum();
    assertThat(records(fresh)).as("seed %d", seed).isEqualTo(expectedRows);
    assertThat(fresh.liveFiles().stream().map(DataFile::location).distinct()).hasSize(fresh.liveFiles().size());
    for (String key : acknowledged.keySet()) {
      assertThat(fresh.findAppend(key)).as("append %s (seed %d)", key, seed).isPresent();
    }
    assertThat(fresh.snapshots()).isNotEmpty();
    assertThat(fresh.referencedLocations()).containsAll(locations(fresh.liveFiles()));
  }

  // ---- drop partitions -------------------------------------------------------------------------

  @Test
  void dropPartitionsRemovesExactlyThosePartitions() {
    CatalogTable t = createLogs();
    DataFile keep = file(t, P11, "keep", 5);
    t.commitAppend("k1", List.of(file(t, P10, "a", 1), file(t, P10, "b", 1), keep, file(t, P12, "c", 1)));

    Optional<TableSnapshot> s = t.commitDropPartitions(List.of(P10, P12, "hour=2026-01-01-00"));

    assertThat(s).isPresent();
    assertThat(s.get().operation()).isEqualTo(TableSnapshot.Operation.DELETE);
    assertThat(t.currentSnapshot()).isEqualTo(s);
    assertThat(locations(catalog().loadTable(LOGS).liveFiles())).containsExactly(keep.location());
  }

  @Test
  void dropOfPartitionsWithNoLiveFileCommitsNothing() {
    CatalogTable t = createLogs();
    t.commitAppend("k1", List.of(file(t, P10, "a", 1)));
    TableSnapshot before = t.currentSnapshot().orElseThrow();

    assertThat(t.commitDropPartitions(List.of(P11, P12))).isEmpty();
    assertThat(t.commitDropPartitions(List.of())).isEmpty();

    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(fresh.currentSnapshot()).contains(before);
    assertThat(fresh.snapshots()).hasSize(1);
  }

  // ---- expire ----------------------------------------------------------------------------------

  private List<TableSnapshot> appendHourly(CatalogTable t, int count) {
    List<TableSnapshot> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(t.commitAppend("k" + i, List.of(file(t, P10, "f" + i, 1))));
      clock.advance(Duration.ofHours(1));
    }
    return out;
  }

  @Test
  void expireRespectsRetainLastAndNeverExpiresTheCurrentSnapshot() {
    CatalogTable t = createLogs();
    List<TableSnapshot> s = appendHourly(t, 5);
    Instant future = clock.instant().plus(Duration.ofDays(1));

    List<TableSnapshot> expired = t.expireSnapshots(2, future, Set.of());

    assertThat(expired).containsExactly(s.get(0), s.get(1), s.get(2));
    assertThat(t.snapshots()).containsExactly(s.get(3), s.get(4));
    assertThat(catalog().loadTable(LOGS).snapshots()).containsExactly(s.get(3), s.get(4));
    assertThat(t.expireSnapshots(1, future, Set.of())).containsExactly(s.get(3));
    assertThat(t.expireSnapshots(1, future, Set.of())).isEmpty();
    assertThat(t.currentSnapshot()).contains(s.get(4));
    assertThat(t.liveFiles()).hasSize(5);
  }

  @Test
  void expireOnlyTouchesSnapshotsStrictlyOlderThanTheCutoff() {
    assumeThat(usesSuppliedClock()).as("usesSuppliedClock").isTrue();
    CatalogTable t = createLogs();
    List<TableSnapshot> s = appendHourly(t, 4);

    List<TableSnapshot> expired = t.expireSnapshots(1, s.get(2).committedAt(), Set.of());

    assertThat(expired).containsExactly(s.get(0), s.get(1));
    assertThat(catalog().loadTable(LOGS).snapshots()).containsExactly(s.get(2), s.get(3));
  }

  @Test
  void expireKeepsPinnedSnapshots() {
    CatalogTable t = createLogs();
    List<TableSnapshot> s = appendHourly(t, 4);

    List<TableSnapshot> expired = t.expireSnapshots(1, clock.instant().plusSeconds(1),
        Set.of(s.get(1).snapshotId()));

    assertThat(expired).containsExactly(s.get(0), s.get(2));
    assertThat(catalog().loadTable(LOGS).snapshots()).containsExactly(s.get(1), s.get(3));
  }

  @Test
  void expireRejectsRetainingFewerThanOneSnapshot() {
    CatalogTable t = createLogs();
    appendHourly(t, 2);

    assertThatThrownBy(() -> t.expireSnapshots(0, clock.instant(), Set.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retainLast");
    assertThat(t.snapshots()).hasSize(2);
  }

  @Test
  void expiredSnapshotsFilesLeaveTheValidSetWhileLiveFilesAndMetadataStay() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    DataFile b = file(t, P10, "b", 10);
    DataFile c = file(t, P11, "c", 1);
    t.commitAppend("k1", List.of(a, b, c));
    clock.advance(Duration.ofHours(1));
    DataFile ab = file(t, P10, "ab", 20);
    t.commitReplace(List.of(a, b), List.of(ab), Map.of());
    assertThat(t.referencedLocations()).contains(a.location(), b.location(), ab.location(), c.location());
    clock.advance(Duration.ofHours(1));

    assertThat(t.expireSnapshots(1, clock.instant(), Set.of())).hasSize(1);

    Set<String> referenced = catalog().loadTable(LOGS).referencedLocations();
    assertThat(referenced).contains(ab.location(), c.location()).doesNotContain(a.location(), b.location());
    Set<String> metadata = new HashSet<>(referenced);
    metadata.removeAll(List.of(ab.location(), c.location()));
    assertThat(metadata).isNotEmpty().allSatisfy(loc -> assertThat(loc).startsWith(t.location()));
  }

  @Test
  void appendStaysIdempotentAfterItsSnapshotExpired() {
    CatalogTable t = createLogs();
    TableSnapshot first = t.commitAppend("flush-1", List.of(file(t, P10, "a", 10)));
    clock.advance(Duration.ofHours(1));
    t.commitAppend("flush-2", List.of(file(t, P10, "b", 10)));
    clock.advance(Duration.ofHours(1));
    assertThat(t.expireSnapshots(1, clock.instant(), Set.of())).containsExactly(first);

    CatalogTable fresh = catalog().loadTable(LOGS);
    assertThat(fresh.findAppend("flush-1")).contains(first);
    assertThat(fresh.commitAppend("flush-1", List.of(file(t, P10, "a", 10)))).isEqualTo(first);
    assertThat(records(fresh)).isEqualTo(20);
  }

  // ---- valid set -------------------------------------------------------------------------------

  @Test
  void referencedLocationsHoldEveryRetainedFileAndTheCatalogMetadata() {
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    t.commitAppend("k1", List.of(a));
    DataFile b = file(t, P11, "b", 10);
    t.commitAppend("k2", List.of(b));
    DataFile c = file(t, P11, "c", 10);
    t.commitReplace(List.of(b), List.of(c), Map.of());

    Set<String> referenced = t.referencedLocations();

    assertThat(referenced).contains(a.location(), b.location(), c.location());
    assertThat(referenced).allSatisfy(loc -> assertThat(loc).startsWith(t.location()));
    assertThat(referenced.size()).as("data files plus at least one metadata object").isGreaterThan(3);
  }

  @Test
  void referencedLocationsAreReadFreshNotFromTheHandle() {
    CatalogTable stale = createLogs();
    CatalogTable writer = catalog().loadTable(LOGS);
    DataFile a = file(writer, P10, "a", 10);
    writer.commitAppend("k1", List.of(a));

    assertThat(stale.currentSnapshot()).isEmpty();
    assertThat(stale.referencedLocations()).contains(a.location());
  }

  @Test
  void corruptMetadataMakesTheValidSetIncompleteAndLoadingFail() {
    assumeThat(supportsMetadataTampering()).as("supportsMetadataTampering").isTrue();
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    t.commitAppend("k1", List.of(a));
    Set<String> metadata = new HashSet<>(t.referencedLocations());
    metadata.remove(a.location());

    for (String location : metadata) {
      overwriteObject(location, "{ not metadata".getBytes(StandardCharsets.UTF_8));
    }

    assertThatThrownBy(t::referencedLocations).isInstanceOf(IncompleteValidSetException.class);
    assertThatThrownBy(() -> catalog().loadTable(LOGS))
        .isInstanceOf(LifecycleException.class)
        .isNotInstanceOf(NoSuchTableException.class);
  }

  @Test
  void deletedMetadataMakesTheValidSetIncomplete() {
    assumeThat(supportsMetadataTampering()).as("supportsMetadataTampering").isTrue();
    CatalogTable t = createLogs();
    DataFile a = file(t, P10, "a", 10);
    t.commitAppend("k1", List.of(a));
    Set<String> metadata = new HashSet<>(t.referencedLocations());
    metadata.remove(a.location());

    for (String location : metadata) {
      deleteObject(location);
    }

    assertThatThrownBy(t::referencedLocations).isInstanceOf(IncompleteValidSetException.class);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** What one racer got: a value or an error. */
  protected record Outcome<T>(T value, Throwable error) {}

  /** A task of a race, given its index. */
  @FunctionalInterface
  protected interface Racer<T> {
    T run(int index) throws Exception;
  }

  /** Runs {@code n} tasks released at the same instant and waits for all (at most a minute). */
  protected static <T> List<Outcome<T>> race(int n, Racer<T> task) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        Callable<T> c = () -> {
          start.await();
          return task.run(index);
        };
        futures.add(pool.submit(c));
      }
      start.countDown();
      List<Outcome<T>> outcomes = new ArrayList<>();
      for (Future<T> f : futures) {
        try {
          outcomes.add(new Outcome<>(f.get(60, TimeUnit.SECONDS), null));
        } catch (ExecutionException e) {
          outcomes.add(new Outcome<>(null, e.getCause()));
        } catch (java.util.concurrent.TimeoutException e) {
          throw new AssertionError("A racer did not finish within 60 s", e);
        }
      }
      return outcomes;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Fails with the first error a racer hit, if any. */
  protected static <T> void assertNoErrors(List<Outcome<T>> outcomes) {
    for (Outcome<T> o : outcomes) {
      if (o.error != null) {
        throw new AssertionError("A racer failed: " + o.error, o.error);
      }
    }
  }
}
