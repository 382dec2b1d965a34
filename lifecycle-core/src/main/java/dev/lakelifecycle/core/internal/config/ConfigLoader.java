package dev.lakelifecycle.core.internal.config;

import dev.lakelifecycle.core.LifecycleConfig;
import java.nio.file.Path;
import java.util.Map;

/** Loads {@link LifecycleConfig} from TOML and {@code LIFECYCLE_*} environment variables. */
public final class ConfigLoader {
  private ConfigLoader() {}

  public static LifecycleConfig load(Path tomlFile, Map<String, String> environment) {
    throw new UnsupportedOperationException("written by the config helper");
  }
}
