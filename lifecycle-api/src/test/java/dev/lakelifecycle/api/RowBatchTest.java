package dev.lakelifecycle.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RowBatchTest {
  private static final TableSchema SCHEMA = TableSchema.builder()
      .required("ts", TableSchema.Type.TIMESTAMP)
      .column("n", TableSchema.Type.LONG)
      .column("x", TableSchema.Type.DOUBLE)
      .column("s", TableSchema.Type.STRING)
      .column("b", TableSchema.Type.BINARY)
      .build();

  @Test
  void coercesValuesToTheSchemaTypes() {
    RowBatch batch = RecordBatch.builder(SCHEMA)
        .row(Instant.parse("1970-01-01T00:00:01Z"), 7, 1.5f, new StringBuilder("é"), new byte[] {1, 2})
        .row(5L, null, null, null, null)
        .build();
    assertThat(batch.rowCount()).isEqualTo(2);
    assertThat(batch.getLong(0, 0)).isEqualTo(1_000_000L);
    assertThat(batch.get(1, 0)).isEqualTo(7L);
    assertThat(batch.getDouble(2, 0)).isEqualTo(1.5);
    assertThat(batch.getString(3, 0)).isEqualTo("é");
    assertThat(batch.getBytes(4, 0)).containsExactly(1, 2);
    assertThat(batch.isNull(1, 1)).isTrue();
    assertThat(batch.get(0, 1)).isEqualTo(5L);
  }

  @Test
  void rejectsWrongTypesNullsAndCountsNamingTheColumn() {
    RowBatch.Builder b = RecordBatch.builder(SCHEMA);
    assertThatThrownBy(() -> b.row(null, 1L, 1.0, "s", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'ts' is not nullable");
    assertThatThrownBy(() -> b.row(Instant.EPOCH, "seven", 1.0, "s", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'n' of type LONG cannot hold a String");
    assertThatThrownBy(() -> b.row(Instant.EPOCH))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 1 values but schema");
    assertThat(b.size()).isZero();
  }

  @Test
  void isImmutableAndTheBuilderStartsOverAfterBuild() {
    byte[] bytes = {1};
    RowBatch.Builder b = RecordBatch.builder(SCHEMA).row(Instant.EPOCH, null, null, null, bytes);
    RowBatch first = b.build();
    bytes[0] = 9;
    first.getBytes(4, 0)[0] = 8;
    assertThat(first.getBytes(4, 0)).containsExactly(1);
    assertThat(b.size()).isZero();
    assertThat(b.build().rowCount()).isZero();
  }

  @Test
  void schemaRejectsDuplicateAndBlankColumns() {
    assertThatThrownBy(() -> TableSchema.builder().column("a", TableSchema.Type.INT).column("a", TableSchema.Type.LONG).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Duplicate column name 'a'");
    assertThatThrownBy(() -> TableSchema.builder().column(" ", TableSchema.Type.INT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(SCHEMA.indexOf("s")).isEqualTo(3);
    assertThat(SCHEMA.indexOf("nope")).isEqualTo(-1);
    assertThat(SCHEMA).hasToString("(ts timestamp not null, n long, x double, s string, b binary)");
  }
}
