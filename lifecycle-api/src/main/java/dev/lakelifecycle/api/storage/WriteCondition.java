package dev.lakelifecycle.api.storage;

import java.util.Objects;

/**
 * The precondition of a write: none, create-if-absent ({@code If-None-Match: *}) or
 * replace-if-etag-matches ({@code If-Match: <etag>}). Commits, checkpoints and leases are built on these.
 */
public final class WriteCondition {
  /** What kind of precondition. */
  public enum Kind { NONE, IF_ABSENT, IF_MATCH }

  private static final WriteCondition NONE = new WriteCondition(Kind.NONE, null);
  private static final WriteCondition IF_ABSENT = new WriteCondition(Kind.IF_ABSENT, null);

  private final Kind kind;
  private final String etag;

  private WriteCondition(Kind kind, String etag) {
    this.kind = kind;
    this.etag = etag;
  }

  /** Unconditional: create or overwrite. */
  public static WriteCondition none() {
    return NONE;
  }

  /** Succeeds only if no object exists at the key. */
  public static WriteCondition ifAbsent() {
    return IF_ABSENT;
  }

  /** Succeeds only if an object exists at the key with exactly this etag. */
  public static WriteCondition ifMatch(String etag) {
    return new WriteCondition(Kind.IF_MATCH, Objects.requireNonNull(etag, "etag"));
  }

  public Kind kind() {
    return kind;
  }

  /** The expected etag for {@link Kind#IF_MATCH}, otherwise {@code null}. */
  public String etag() {
    return etag;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WriteCondition w && w.kind == kind && Objects.equals(w.etag, etag);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, etag);
  }

  @Override
  public String toString() {
    return kind == Kind.IF_MATCH ? "if-match " + etag : kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
