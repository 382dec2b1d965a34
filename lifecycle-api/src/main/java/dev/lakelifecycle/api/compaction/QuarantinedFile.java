package dev.lakelifecycle.api.compaction;

import java.time.Instant;
import java.util.Objects;

/**
 * A data file compaction could not read and keeps out of its plans until
 * {@link Compactor#clearQuarantine(dev.lakelifecycle.api.TableId, java.util.Collection)} is called. The file stays
 * live in the table: quarantine never removes data, it stops compaction from failing on it again.
 *
 * @param location the file's location as the catalog lists it
 * @param partition its partition
 * @param error why it could not be read (e.g. {@code "ParquetCryptoRuntimeException: ..."})
 * @param quarantinedAt when it was quarantined
 */
public record QuarantinedFile(String location, String partition, String error, Instant quarantinedAt) {
  public QuarantinedFile {
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(error, "error");
  }
}
