package dev.lakelifecycle.core.storage;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.ObjectStoreProvider;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Opens a {@link LocalObjectStore} for {@code file:} locations: {@code file:/var/lake/},
 * {@code file:///var/lake/} or {@code file://localhost/var/lake/} (percent-encoded as URIs are). Takes no
 * properties. Registered for {@link java.util.ServiceLoader} in {@code META-INF/services}.
 */
public final class LocalObjectStoreProvider implements ObjectStoreProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public LocalObjectStoreProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("file");
  }

  /**
   * Opens (creating if missing) the directory named by {@code root}.
   *
   * @throws InvalidConfigurationException if {@code root} is not an absolute local {@code file:} URI, a
   *     property is given, or the directory cannot be created
   */
  @Override
  public ObjectStore open(URI root, Map<String, String> properties) {
    if (root.getScheme() == null || !root.getScheme().equalsIgnoreCase("file")) {
      throw invalid(root, "the scheme must be 'file'");
    }
    if (root.isOpaque() || root.getPath() == null || !root.getPath().startsWith("/")) {
      throw invalid(root, "the path must be absolute, as in file:/var/lake/");
    }
    String authority = root.getRawAuthority();
    if (authority != null && !authority.isEmpty() && !authority.equalsIgnoreCase("localhost")) {
      throw invalid(root, "a host ('" + authority + "') is not supported; mount the share and use its local path");
    }
    if (root.getRawQuery() != null || root.getRawFragment() != null) {
      throw invalid(root, "a query or fragment is not allowed");
    }
    if (properties != null && !properties.isEmpty()) {
      throw invalid(root, "the local store takes no properties, got " + new java.util.TreeSet<>(properties.keySet())
          + " (remove them)");
    }
    try {
      return new LocalObjectStore(Path.of(root.getPath()));
    } catch (InvalidPathException | StorageException e) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "Invalid storage location '%s': cannot open it as a local directory: %s", root, e.getMessage()), e);
    }
  }

  private static InvalidConfigurationException invalid(URI root, String why) {
    return new InvalidConfigurationException(String.format(Locale.ROOT, "Invalid storage location '%s': %s",
        root, why));
  }
}
