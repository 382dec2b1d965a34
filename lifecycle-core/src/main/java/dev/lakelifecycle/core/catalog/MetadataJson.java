package dev.lakelifecycle.core.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableId;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.TableSnapshot;
import dev.lakelifecycle.core.catalog.Metadata.ExpiredKeys;
import dev.lakelifecycle.core.catalog.Metadata.Manifest;
import dev.lakelifecycle.core.catalog.Metadata.ManifestRef;
import dev.lakelifecycle.core.catalog.Metadata.SnapshotEntry;
import dev.lakelifecycle.core.catalog.Metadata.VersionDoc;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the catalog's metadata objects as JSON through Jackson's tree model, so that the
 * persisted layout is spelled out here field by field rather than derived from Java class shapes.
 * Instants are ISO-8601 strings. Every decode error is a {@link MalformedMetadataException} saying
 * which field is wrong; the caller adds the object's location.
 */
final class MetadataJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private MetadataJson() {}

  /** A metadata object that is not valid JSON or does not have the expected fields. */
  static final class MalformedMetadataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedMetadataException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  // ---- version document ------------------------------------------------------------------------

  static byte[] writeVersion(VersionDoc doc) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format-version", Metadata.FORMAT_VERSION);
    root.put("kind", "version");
    root.put("table", doc.table().path());
    root.put("version", doc.version());
    root.put("commit-id", doc.commitId());
    if (doc.parentCommitId() != null) {
      root.put("parent-commit-id", doc.parentCommitId());
    }
    root.put("written-at", doc.writtenAt().toString());
    ArrayNode columns = root.putArray("schema");
    for (TableSchema.Column c : doc.schema().columns()) {
      columns.addObject().put("name", c.name()).put("type", c.type().name()).put("nullable", c.nullable());
    }
    root.put("schema-id", doc.schemaId());
    root.putObject("partition-spec")
        .put("column", doc.spec().timestampColumn())
        .put("granularity", doc.spec().granularity().name());
    if (doc.currentSnapshotId() == null) {
      root.putNull("current-snapshot-id");
    } else {
      root.put("current-snapshot-id", doc.currentSnapshotId());
    }
    ArrayNode snapshots = root.putArray("snapshots");
    for (SnapshotEntry e : doc.snapshots()) {
      ObjectNode n = writeSnapshot(snapshots.addObject(), e.snapshot());
      n.put("manifest-list", e.manifestList());
    }
    if (doc.expiredKeys() == null) {
      root.putNull("expired-commit-keys");
    } else {
      root.put("expired-commit-keys", doc.expiredKeys());
    }
    return bytes(root);
  }

  static VersionDoc readVersion(byte[] content) {
    JsonNode root = parse(content, "version");
    try {
      TableId table = TableId.parse(text(root, "table"));
      List<TableSchema.Column> columns = new ArrayList<>();
      for (JsonNode c : array(root, "schema")) {
        columns.add(new TableSchema.Column(text(c, "name"),
            TableSchema.Type.valueOf(text(c, "type")), bool(c, "nullable")));
      }
      JsonNode spec = object(root, "partition-spec");
      PartitionSpec partitionSpec = PartitionSpec.of(text(spec, "column"),
          PartitionSpec.Granularity.valueOf(text(spec, "granularity")));
      List<SnapshotEntry> snapshots = new ArrayList<>();
      for (JsonNode s : array(root, "snapshots")) {
        snapshots.add(new SnapshotEntry(readSnapshot(s), text(s, "manifest-list")));
      }
      return new VersionDoc(number(root, "version"), text(root, "commit-id"), nullableText(root, "parent-commit-id"),
          instant(root, "written-at"), table,
          TableSchema.of(columns), schemaId(root), partitionSpec, nullableNumber(root, "current-snapshot-id"), snapshots,
          nullableText(root, "expired-commit-keys"));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new MalformedMetadataException("invalid version document: " + e.getMessage(), e);
    }
  }

  /** The {@code schema-id} of a version document; documents written before schemas could evolve have none: 0. */
  private static int schemaId(JsonNode root) {
    JsonNode v = root.get("schema-id");
    if (v == null || v.isNull()) {
      return 0;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
      throw new MalformedMetadataException("field 'schema-id' is not a non-negative integer", null);
    }
    return v.asInt();
  }

  // ---- manifest list ---------------------------------------------------------------------------

  static byte[] writeManifestList(List<ManifestRef> refs) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format-version", Metadata.FORMAT_VERSION);
    root.put("kind", "manifest-list");
    ArrayNode manifests = root.putArray("manifests");
    for (ManifestRef r : refs) {
      manifests.addObject().put("manifest", r.manifest()).put("partition", r.partition())
          .put("file-count", r.fileCount()).put("record-count", r.recordCount());
    }
    return bytes(root);
  }

  static List<ManifestRef> readManifestList(byte[] content) {
    JsonNode root = parse(content, "manifest-list");
    List<ManifestRef> refs = new ArrayList<>();
    for (JsonNode m : array(root, "manifests")) {
      refs.add(new ManifestRef(text(m, "manifest"), text(m, "partition"), number(m, "file-count"),
          number(m, "record-count")));
    }
    return refs;
  }

  // ---- manifest --------------------------------------------------------------------------------

  static byte[] writeManifest(Manifest manifest) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format-version", Metadata.FORMAT_VERSION);
    root.put("kind", "manifest");
    root.put("partition", manifest.partition());
    ArrayNode files = root.putArray("files");
    for (DataFile f : manifest.files()) {
      ObjectNode n = files.addObject();
      n.put("location", f.location());
      n.put("partition", f.partition());
      n.put("size-bytes", f.sizeBytes());
      n.put("record-count", f.recordCount());
      n.put("writer-id", f.writerId());
      n.put("created-at", f.createdAt().toString());
      ObjectNode stats = n.putObject("column-stats");
      for (Map.Entry<String, DataFile.ColumnStats> s : new TreeMap<>(f.columnStats()).entrySet()) {
        ObjectNode c = stats.putObject(s.getKey());
        c.put("null-count", s.getValue().nullCount());
        c.put("min", s.getValue().min());
        c.put("max", s.getValue().max());
      }
    }
    return bytes(root);
  }

  static Manifest readManifest(byte[] content) {
    JsonNode root = parse(content, "manifest");
    try {
      List<DataFile> files = new ArrayList<>();
      for (JsonNode n : array(root, "files")) {
        Map<String, DataFile.ColumnStats> stats = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = object(n, "column-stats").properties().iterator();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> s = it.next();
          stats.put(s.getKey(), new DataFile.ColumnStats(number(s.getValue(), "null-count"),
              nullableText(s.getValue(), "min"), nullableText(s.getValue(), "max")));
        }
        files.add(new DataFile(text(n, "location"), text(n, "partition"), number(n, "size-bytes"),
            number(n, "record-count"), text(n, "writer-id"), instant(n, "created-at"), stats));
      }
      return new Manifest(text(root, "partition"), files);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new MalformedMetadataException("invalid manifest: " + e.getMessage(), e);
    }
  }

  // ---- expired commit keys ---------------------------------------------------------------------

  static byte[] writeExpiredKeys(ExpiredKeys keys) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format-version", Metadata.FORMAT_VERSION);
    root.put("kind", "expired-commit-keys");
    ArrayNode appends = root.putArray("appends");
    for (TableSnapshot s : keys.appends()) {
      writeSnapshot(appends.addObject(), s);
    }
    return bytes(root);
  }

  static ExpiredKeys readExpiredKeys(byte[] content) {
    JsonNode root = parse(content, "expired-commit-keys");
    List<TableSnapshot> appends = new ArrayList<>();
    for (JsonNode s : array(root, "appends")) {
      TableSnapshot snapshot = readSnapshot(s);
      if (!snapshot.summary().containsKey(TableSnapshot.COMMIT_KEY)) {
        throw new MalformedMetadataException("snapshot " + snapshot.snapshotId() + " has no "
            + TableSnapshot.COMMIT_KEY, null);
      }
      appends.add(snapshot);
    }
    return ExpiredKeys.of(appends);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static ObjectNode writeSnapshot(ObjectNode n, TableSnapshot s) {
    n.put("snapshot-id", s.snapshotId());
    if (s.parentId() == null) {
      n.putNull("parent-id");
    } else {
      n.put("parent-id", s.parentId());
    }
    n.put("committed-at", s.committedAt().toString());
    n.put("operation", s.operation().name());
    ObjectNode summary = n.putObject("summary");
    new TreeMap<>(s.summary()).forEach(summary::put);
    return n;
  }

  private static TableSnapshot readSnapshot(JsonNode n) {
    try {
      Map<String, String> summary = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = object(n, "summary").properties().iterator();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw new MalformedMetadataException("summary entry '" + e.getKey() + "' is not a string", null);
        }
        summary.put(e.getKey(), e.getValue().asText());
      }
      return new TableSnapshot(number(n, "snapshot-id"), nullableNumber(n, "parent-id"), instant(n, "committed-at"),
          TableSnapshot.Operation.valueOf(text(n, "operation")), summary);
    } catch (IllegalArgumentException e) {
      throw new MalformedMetadataException("invalid snapshot: " + e.getMessage(), e);
    }
  }

  private static byte[] bytes(JsonNode root) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      // Serialising a tree of strings and numbers cannot fail; if it does, it is a bug here.
      throw new IllegalStateException("Cannot serialise catalog metadata", e);
    }
  }

  private static JsonNode parse(byte[] content, String expectedKind) {
    JsonNode root;
    try {
      root = MAPPER.readTree(content);
    } catch (JsonProcessingException e) {
      throw new MalformedMetadataException("not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new MalformedMetadataException("not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new MalformedMetadataException("not a JSON object", null);
    }
    long format = number(root, "format-version");
    if (format > Metadata.FORMAT_VERSION) {
      throw new MalformedMetadataException(String.format(Locale.ROOT,
          "format-version %d is newer than this library reads (%d); upgrade Lake Lifecycle", format,
          Metadata.FORMAT_VERSION), null);
    }
    String kind = text(root, "kind");
    if (!kind.equals(expectedKind)) {
      throw new MalformedMetadataException("kind is '" + kind + "', expected '" + expectedKind + "'", null);
    }
    return root;
  }

  private static JsonNode field(JsonNode n, String name) {
    JsonNode v = n.get(name);
    if (v == null) {
      throw new MalformedMetadataException("missing field '" + name + "'", null);
    }
    return v;
  }

  private static String text(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isTextual()) {
      throw new MalformedMetadataException("field '" + name + "' is not a string", null);
    }
    return v.asText();
  }

  private static String nullableText(JsonNode n, String name) {
    JsonNode v = n.get(name);
    return v == null || v.isNull() ? null : text(n, name);
  }

  private static long number(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new MalformedMetadataException("field '" + name + "' is not an integer", null);
    }
    return v.asLong();
  }

  private static Long nullableNumber(JsonNode n, String name) {
    JsonNode v = n.get(name);
    return v == null || v.isNull() ? null : number(n, name);
  }

  private static boolean bool(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isBoolean()) {
      throw new MalformedMetadataException("field '" + name + "' is not a boolean", null);
    }
    return v.asBoolean();
  }

  private static Instant instant(JsonNode n, String name) {
    try {
      return Instant.parse(text(n, name));
    } catch (DateTimeParseException e) {
      throw new MalformedMetadataException("field '" + name + "' is not an ISO-8601 instant", e);
    }
  }

  private static JsonNode array(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isArray()) {
      throw new MalformedMetadataException("field '" + name + "' is not an array", null);
    }
    return v;
  }

  private static JsonNode object(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isObject()) {
      throw new MalformedMetadataException("field '" + name + "' is not an object", null);
    }
    return v;
  }
}
