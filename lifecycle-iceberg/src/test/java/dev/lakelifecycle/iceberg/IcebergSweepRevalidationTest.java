package dev.lakelifecycle.iceberg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.CatalogTable;
import dev.lakelifecycle.api.catalog.TableCatalog;
import dev.lakelifecycle.api.sweep.SweepResult;
import dev.lakelifecycle.api.sweep.SweepResult.Revalidation;
import dev.lakelifecycle.core.Lifecycle;
import dev.lakelifecycle.testkit.ForwardingTableCatalog;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.data.GenericRecord;
import org.junit.jupiter.api.Test;

/**
 * Rule 4 of the orphan sweep on a real Iceberg catalog: a file committed between building the valid set and
 * deleting survives, and revalidation rebuilds the valid set only when the table's metadata file changed.
 */
class IcebergSweepRevalidationTest extends IcebergFixture {
  private static final Duration GRACE = Duration.ofHours(1);

  /** The Iceberg catalog, running an action before the n-th table load after {@link #arm}. */
  private static final class LoadHook extends ForwardingTableCatalog {
    private final AtomicInteger loads = new AtomicInteger();
    private volatile int at = -1;
    private volatile Runnable action = () -> { };

    LoadHook(TableCatalog real) {
      super(real);
    }

    void arm(int nthLoad, Runnable before) {
      loads.set(0);
      at = nthLoad;
      action = before;
    }

    int loads() {
      return loads.get();
    }

    @Override
    public CatalogTable loadTable(TableId id) {
      if (loads.incrementAndGet() == at) {
        action.run();
      }
      return super.loadTable(id);
    }
  }

  @Test
  void keepsAFileCommittedBetweenTheValidSetAndTheDeletion() {
    createLogs();
    Instant hour = clock.instant().minus(3, ChronoUnit.HOURS);
    writeAndCommit(hour, "live");
    DataFile late = writeWithIceberg(iceberg(), List.of(row(hour, "late")), hour);
    DataFile orphan = writeWithIceberg(iceberg(), List.of(row(hour, "orphan")), hour);
    clock.advance(Duration.ofHours(2));
    LoadHook hook = new LoadHook(catalog);

    SweepResult r;
    try (Lifecycle lake = lifecycle(hook)) {
      // The sweep's first load builds the valid set, its second revalidates: the commit lands in between,
      // after the listing saw the file unreferenced.
      hook.arm(2, () -> iceberg().newAppend().appendFile(late).commit());
      r = lake.sweeper().sweep(LOGS).olderThan(GRACE).execute();
    }

    assertThat(hook.loads()).isEqualTo(2);
    assertThat(r.revalidation()).as("the commit wrote a new metadata file").isEqualTo(Revalidation.FULL);
    assertThat(r.orphanSample()).containsExactly(orphan.location());
    assertThat(exists(late.location())).isTrue();
    assertThat(exists(orphan.location())).isFalse();
    assertThat(readWithIceberg()).containsKey(key(hour, "INFO", "late"));
  }

  @Test
  void aSchemaChangeDuringTheSweepMakesRevalidationRebuildTheValidSet() {
    createLogs();
    Instant hour = clock.instant().minus(3, ChronoUnit.HOURS);
    writeAndCommit(hour, "live");
    DataFile orphan = writeWithIceberg(iceberg(), List.of(row(hour, "orphan")), hour);
    clock.advance(Duration.ofHours(2));
    LoadHook hook = new LoadHook(catalog);

    SweepResult r;
    try (Lifecycle lake = lifecycle(hook)) {
      hook.arm(2, () -> catalog.loadTable(LOGS)
          .addColumns(List.of(new TableSchema.Column("host", TableSchema.Type.STRING, true))));
      r = lake.sweeper().sweep(LOGS).olderThan(GRACE).execute();
    }

    assertThat(r.revalidation()).isEqualTo(Revalidation.FULL);
    assertThat(r.orphanSample()).containsExactly(orphan.location());
    assertThat(exists(orphan.location())).isFalse();
  }

  @Test
  void skipsRebuildingTheValidSetWhenNothingWasCommittedDuringTheSweep() {
    createLogs();
    Instant hour = clock.instant().minus(3, ChronoUnit.HOURS);
    DataFile live = writeAndCommit(hour, "live");
    DataFile orphan = writeWithIceberg(iceberg(), List.of(row(hour, "orphan")), hour);
    clock.advance(Duration.ofHours(2));
    var rows = readWithIceberg();

    SweepResult r;
    try (Lifecycle lake = lifecycle()) {
      r = lake.sweeper().sweep(LOGS).olderThan(GRACE).execute();
    }

    assertThat(r.revalidation()).isEqualTo(Revalidation.SKIPPED_UNCHANGED);
    assertThat(r.orphanSample()).containsExactly(orphan.location());
    assertThat(r.filesDeleted()).isEqualTo(1);
    assertThat(exists(live.location())).isTrue();
    assertThat(readWithIceberg()).isEqualTo(rows);
  }

  private DataFile writeAndCommit(Instant hour, String msg) {
    DataFile f = writeWithIceberg(iceberg(), List.of(row(hour, msg)), hour);
    iceberg().newAppend().appendFile(f).commit();
    return f;
  }

  private GenericRecord row(Instant ts, String msg) {
    GenericRecord r = GenericRecord.create(iceberg().schema());
    r.setField("ts", OffsetDateTime.ofInstant(ts, ZoneOffset.UTC));
    r.setField("level", "INFO");
    r.setField("msg", msg);
    return r;
  }

  private boolean exists(String location) {
    return store.stat(store.keyOf(location).orElseThrow()).isPresent();
  }
}
