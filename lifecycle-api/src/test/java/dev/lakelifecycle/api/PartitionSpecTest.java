package dev.lakelifecycle.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionSpecTest {

  @Test
  void hourlyPartitionsAreUtcHoursWithAHalfOpenRange() {
    PartitionSpec spec = PartitionSpec.hourly("ts");
    Instant t = Instant.parse("2026-01-15T10:59:59.999999Z");
    assertThat(spec.partitionOf(t)).isEqualTo("hour=2026-01-15-10");
    assertThat(spec.partitionOf(t.plus(1, ChronoUnit.MICROS))).isEqualTo("hour=2026-01-15-11");
    assertThat(PartitionSpec.startOf("hour=2026-01-15-10")).isEqualTo(Instant.parse("2026-01-15T10:00:00Z"));
    assertThat(PartitionSpec.endOf("hour=2026-01-15-10")).isEqualTo(Instant.parse("2026-01-15T11:00:00Z"));
  }

  @Test
  void dailyPartitionsAreUtcDays() {
    PartitionSpec spec = PartitionSpec.daily("ts");
    assertThat(spec.partitionOf(Instant.parse("2016-02-29T23:59:59Z"))).isEqualTo("day=2016-02-29");
    assertThat(PartitionSpec.endOf("day=2016-02-29")).isEqualTo(Instant.parse("2016-03-01T00:00:00Z"));
    assertThat(PartitionSpec.granularityOf("day=2016-02-29")).isEqualTo(PartitionSpec.Granularity.DAY);
  }

  @Test
  void microsAndInstantsGiveTheSamePartition() {
    PartitionSpec spec = PartitionSpec.hourly("ts");
    Instant t = Instant.parse("1969-12-31T23:30:00Z");
    assertThat(spec.partitionOfMicros(ChronoUnit.MICROS.between(Instant.EPOCH, t))).isEqualTo(spec.partitionOf(t))
        .isEqualTo("hour=1969-12-31-23");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "month=2026-01", "hour=2026-01-15", "day=2026-13-01", "day=2026-01-15-10", "hour=x"})
  void rejectsMalformedPartitionValues(String partition) {
    assertThatThrownBy(() -> PartitionSpec.startOf(partition))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Invalid partition");
  }

  @Test
  void needsAColumnName() {
    assertThatThrownBy(() -> PartitionSpec.daily(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThat(PartitionSpec.daily("ts")).isEqualTo(PartitionSpec.of("ts", PartitionSpec.Granularity.DAY))
        .hasToString("day(ts)");
  }
}
