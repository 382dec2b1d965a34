package dev.lakelifecycle.api.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * One object as a listing or a write reports it.
 *
 * @param key the key relative to the store's root, {@code /}-separated, never starting with {@code /}
 * @param size size in bytes
 * @param lastModified last write time as the store reports it
 * @param etag an opaque tag that changes whenever the object's content changes (a rewrite with identical bytes
 *     may keep it: on S3 it is the content's MD5); compare with {@link WriteCondition#ifMatch(String)}
 */
public record ObjectInfo(String key, long size, Instant lastModified, String etag) {
  public ObjectInfo {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(lastModified, "lastModified");
    Objects.requireNonNull(etag, "etag");
  }
}
