package dev.lakelifecycle.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TableIdTest {

  @Test
  void parsesAndPrintsTheThreeParts() {
    TableId id = TableId.parse("acme/prod-1/traces_v2");
    assertThat(id.tenant()).isEqualTo("acme");
    assertThat(id.dataset()).isEqualTo("prod-1");
    assertThat(id.table()).isEqualTo("traces_v2");
    assertThat(id.path()).isEqualTo("acme/prod-1/traces_v2");
    assertThat(id).hasToString("acme/prod-1/traces_v2").isEqualTo(TableId.of("acme", "prod-1", "traces_v2"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"..", ".", "a/b", "Acme", "ACME", "", " ", "a b", "a.b", "é", "a\\b", "a\u0000"})
  void rejectsAnInvalidPartNamingItAndTheRule(String part) {
    assertThatThrownBy(() -> TableId.of(part, "prod", "traces"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tenant")
        .hasMessageContaining("a-z, 0-9, '_' or '-'");
    assertThatThrownBy(() -> TableId.of("acme", part, "traces"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataset");
    assertThatThrownBy(() -> TableId.of("acme", "prod", part))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table");
  }

  @Test
  void acceptsSixtyFourCharactersAndRejectsSixtyFive() {
    String max = "a".repeat(TableId.MAX_PART_LENGTH);
    assertThat(TableId.of(max, "d", "t").tenant()).hasSize(64);
    assertThatThrownBy(() -> TableId.of(max + "a", "d", "t"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1-64 characters");
  }

  @Test
  void rejectsNullParts() {
    assertThatThrownBy(() -> TableId.of(null, "d", "t"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant is null");
  }

  @ParameterizedTest
  @ValueSource(strings = {"acme/prod", "acme/prod/traces/x", "acme//traces", "/acme/prod/traces", "acme/prod/traces/"})
  void parseRejectsAnythingButThreeNonEmptyParts(String text) {
    assertThatThrownBy(() -> TableId.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Invalid table id");
  }

  @Test
  void quotesAnOverlongValueShortened() {
    String huge = "x".repeat(10_000);
    assertThatThrownBy(() -> TableId.of(huge, "d", "t"))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300).contains("..."));
  }
}
