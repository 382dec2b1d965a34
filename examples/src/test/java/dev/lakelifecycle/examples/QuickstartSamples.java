package dev.lakelifecycle.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Small samples of the shared real data for the quickstart's tests; the full data is the quickstart's own run.
 * Lines 8,800-9,099 of the access log hold its one truncated line (8,899, in the sample line 100); every 100th
 * (or 400th) earthquake keeps the whole January-November span, so that retention drops part of it.
 */
final class QuickstartSamples {
  private QuickstartSamples() {}

  /** 300 lines of the access log, one of which does not parse. */
  static Path apacheLogs(Path dir) throws IOException {
    Path shared = SharedDataLocator.root().orElseThrow();
    return sample(shared.resolve("real/apache_logs"), dir.resolve("apache_logs"), 8_799, 300, 1);
  }

  /** The header and every 100th earthquake. */
  static Path earthquakes(Path dir) throws IOException {
    return earthquakes(dir, 100);
  }

  /** The header and every {@code every}-th earthquake. */
  static Path earthquakes(Path dir, int every) throws IOException {
    Path shared = SharedDataLocator.root().orElseThrow();
    return sample(shared.resolve("real/earthquakes.txt"), dir.resolve("earthquakes.txt"), 0, Integer.MAX_VALUE, every);
  }

  /** Writes the header (if {@code every} > 1) and every {@code every}-th of {@code count} lines after {@code skip}. */
  private static Path sample(Path source, Path target, int skip, int count, int every) throws IOException {
    List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    int first = skip;
    if (every > 1) {
      out.add(lines.get(0));
      first = Math.max(1, skip);
    }
    for (int i = first; i < lines.size() && i < (long) skip + count; i++) {
      if ((i - first) % every == 0) {
        out.add(lines.get(i));
      }
    }
    Files.createDirectories(target.getParent());
    return Files.write(target, out, StandardCharsets.UTF_8);
  }
}
