package dev.lakelifecycle.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.sweep.PrefixMismatchMode;
import dev.lakelifecycle.core.LifecycleConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep's safety keys: revalidation, prefix-mismatch mode and spill directory. */
class SweepConfigKeysTest {
  @TempDir Path dir;

  @Test
  void defaultsRevalidateFailOnMismatchAndSpillToTheTempDirectory() {
    LifecycleConfig.Sweep s = ConfigLoader.load(null, Map.of()).sweep();
    assertThat(s.revalidate()).isTrue();
    assertThat(s.prefixMismatchMode()).isEqualTo(PrefixMismatchMode.FAIL);
    assertThat(s.spillDirectory()).isNull();
  }

  @Test
  void readsTheKeysFromTheFileAndTheEnvironmentOverridesThem() throws IOException {
    Path file = dir.resolve("l.toml");
    Files.writeString(file, "[sweep]\nrevalidate = false\nprefix_mismatch_mode = \"ignore\"\nspill_dir = \"/var/tmp/x\"\n");

    LifecycleConfig.Sweep fromFile = ConfigLoader.load(file, Map.of()).sweep();
    assertThat(fromFile.revalidate()).isFalse();
    assertThat(fromFile.prefixMismatchMode()).isEqualTo(PrefixMismatchMode.IGNORE);
    assertThat(fromFile.spillDirectory()).isEqualTo(Path.of("/var/tmp/x"));

    LifecycleConfig.Sweep overridden = ConfigLoader.load(file, Map.of("LIFECYCLE_SWEEP_REVALIDATE", "true",
        "LIFECYCLE_SWEEP_PREFIX_MISMATCH_MODE", "TREAT_AS_EQUAL", "LIFECYCLE_SWEEP_SPILL_DIR", "/srv/spill")).sweep();
    assertThat(overridden.revalidate()).isTrue();
    assertThat(overridden.prefixMismatchMode()).isEqualTo(PrefixMismatchMode.TREAT_AS_EQUAL);
    assertThat(overridden.spillDirectory()).isEqualTo(Path.of("/srv/spill"));
  }

  @Test
  void rejectsAnUnknownModeAndARelativeSpillDirectoryNamingKeyValueAndAllowed() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LIFECYCLE_SWEEP_PREFIX_MISMATCH_MODE", "delete")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("LIFECYCLE_SWEEP_PREFIX_MISMATCH_MODE=delete")
        .hasMessageContaining("\"fail\", \"ignore\" or \"treat_as_equal\"");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LIFECYCLE_SWEEP_SPILL_DIR", "tmp/spill")))
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining("tmp/spill")
        .hasMessageContaining("an absolute path");
  }
}
