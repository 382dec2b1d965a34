package dev.lakelifecycle.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Locates the shared real data ({@code ../shared/data} beside the project root): the Apache Parquet
 * cross-implementation corpus and real logs and events. Tests read it in place and never copy it in.
 */
public final class SharedData {
  private SharedData() {}

  /**
   * The {@code shared/data} directory: the {@code lifecycle.shared.data} system property (set by the build),
   * else the first {@code ../shared/data} found walking up from the working directory.
   *
   * @throws IllegalStateException if it cannot be found
   */
  public static Path root() {
    String prop = System.getProperty("lifecycle.shared.data");
    if (prop != null && Files.isDirectory(Paths.get(prop))) {
      return Paths.get(prop).toAbsolutePath().normalize();
    }
    for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared/data");
      if (Files.isDirectory(candidate)) {
        return candidate.normalize();
      }
    }
    throw new IllegalStateException("Cannot find shared/data: set -Dlifecycle.shared.data=/path/to/shared/data");
  }

  /** A file of the Parquet corpus, e.g. {@code data/alltypes_plain.parquet} or {@code bad_data/PARQUET-1481.parquet}. */
  public static Path parquetTesting(String relative) {
    return root().resolve("parquet-testing").resolve(relative);
  }

  /** A file of the real event data, e.g. {@code apache_logs}. */
  public static Path real(String name) {
    return root().resolve("real").resolve(name);
  }
}
