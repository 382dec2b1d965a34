package dev.lakelifecycle.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

/**
 * Finds the project's shared real data ({@code shared/data} beside the project root) the way the test kit
 * does, without depending on it: the {@code lifecycle.shared.data} system property, else the first
 * {@code shared/data} found walking up from the working directory.
 */
final class SharedDataLocator {
  private SharedDataLocator() {}

  static Optional<Path> root() {
    String prop = System.getProperty("lifecycle.shared.data");
    if (prop != null && Files.isDirectory(Paths.get(prop))) {
      return Optional.of(Paths.get(prop).toAbsolutePath().normalize());
    }
    for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared/data");
      if (Files.isDirectory(candidate)) {
        return Optional.of(candidate.normalize());
      }
    }
    return Optional.empty();
  }
}
