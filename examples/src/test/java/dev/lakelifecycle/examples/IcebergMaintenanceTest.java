package dev.lakelifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IcebergMaintenanceTest {
  @TempDir Path dir;

  @Test
  void compactsExpiresAndSweepsAnExistingIcebergTableKeepingEveryRow() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long rows = IcebergMaintenance.run(dir, new PrintStream(bytes, true, StandardCharsets.UTF_8));

    String printed = bytes.toString(StandardCharsets.UTF_8);
    assertThat(rows).isEqualTo(1000);
    assertThat(printed).contains("Compacted: 20 files into 1", "Expired: 20 snapshots", "same rows");
    assertThat(printed).containsPattern("Swept: [2-9][0-9]+ unreferenced files deleted");
  }
}
