package dev.lakelifecycle.api.storage;

import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * Creates {@link ObjectStore}s for URI schemes. Implementations are found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.lakelifecycle.api.storage.ObjectStoreProvider}).
 * A store set explicitly on the {@code Lifecycle} builder always wins; two providers claiming one scheme
 * fail the build naming both classes.
 */
public interface ObjectStoreProvider {
  /** The schemes served, lower case, e.g. {@code file}, or {@code s3} and {@code s3a}. */
  Set<String> schemes();

  /**
   * Opens a store rooted at {@code root}.
   *
   * @param root the root location, e.g. {@code s3://bucket/prefix/}
   * @param properties provider-specific settings (region, endpoint, ...), possibly empty
   * @throws dev.lakelifecycle.api.InvalidConfigurationException for a bad root or setting
   */
  ObjectStore open(URI root, Map<String, String> properties);
}
