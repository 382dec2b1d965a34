package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.PartitionSpec;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.api.catalog.SortOrder;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.Metrics;
import org.apache.iceberg.NullOrder;
import org.apache.iceberg.PartitionData;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SortDirection;
import org.apache.iceberg.SortField;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Conversions between our table model and Iceberg's. Stateless. */
final class IcebergConversions {
  private static final Logger LOG = LoggerFactory.getLogger(IcebergConversions.class);
  private static final long MICROS_PER_HOUR = 3_600_000_000L;
  private static final long MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

  private IcebergConversions() {}

  static Schema toIceberg(TableSchema schema) {
    List<Types.NestedField> fields = new ArrayList<>();
    int id = 1;
    for (TableSchema.Column c : schema.columns()) {
      Type type = switch (c.type()) {
        case BOOLEAN -> Types.BooleanType.get();
        case INT -> Types.IntegerType.get();
        case LONG -> Types.LongType.get();
        case FLOAT -> Types.FloatType.get();
        case DOUBLE -> Types.DoubleType.get();
        case STRING -> Types.StringType.get();
        case BINARY -> Types.BinaryType.get();
        case TIMESTAMP -> Types.TimestampType.withZone();
      };
      fields.add(c.nullable() ? Types.NestedField.optional(id++, c.name(), type)
          : Types.NestedField.required(id++, c.name(), type));
    }
    return new Schema(fields);
  }

  static TableSchema fromIceberg(Schema schema, String table) {
    TableSchema.Builder b = TableSchema.builder();
    for (Types.NestedField f : schema.columns()) {
      TableSchema.Type type = switch (f.type().typeId()) {
        case BOOLEAN -> TableSchema.Type.BOOLEAN;
        case INTEGER -> TableSchema.Type.INT;
        case LONG -> TableSchema.Type.LONG;
        case FLOAT -> TableSchema.Type.FLOAT;
        case DOUBLE -> TableSchema.Type.DOUBLE;
        case STRING -> TableSchema.Type.STRING;
        case BINARY -> TableSchema.Type.BINARY;
        case TIMESTAMP -> TableSchema.Type.TIMESTAMP;
        default -> throw new UnsupportedOperationException(String.format(Locale.ROOT,
            "Iceberg table %s: column '%s' has type %s, which lake lifecycle does not support (supported: boolean, int,"
                + " long, float, double, string, binary, timestamp)", table, f.name(), f.type()));
      };
      b.column(f.name(), type, f.isOptional());
    }
    return b.build();
  }

  static org.apache.iceberg.PartitionSpec toIceberg(PartitionSpec spec, Schema schema) {
    org.apache.iceberg.PartitionSpec.Builder b = org.apache.iceberg.PartitionSpec.builderFor(schema);
    return switch (spec.granularity()) {
      case HOUR -> b.hour(spec.timestampColumn()).build();
      case DAY -> b.day(spec.timestampColumn()).build();
    };
  }

  /**
   * Our spec for an Iceberg spec of exactly one hour or day transform on a timestamp column.
   *
   * @throws UnsupportedOperationException for any other spec
   */
  static PartitionSpec fromIceberg(org.apache.iceberg.PartitionSpec spec, String table) {
    if (spec.fields().size() == 1) {
      PartitionField f = spec.fields().get(0);
      String transform = f.transform().toString();
      String column = spec.schema().findColumnName(f.sourceId());
      if ("hour".equals(transform)) {
        return PartitionSpec.hourly(column);
      }
      if ("day".equals(transform)) {
        return PartitionSpec.daily(column);
      }
    }
    throw new UnsupportedOperationException(String.format(Locale.ROOT,
        "Iceberg table %s has partition spec %s; lake lifecycle maintains tables partitioned by exactly one hour() or"
            + " day() transform of a timestamp column", table, spec));
  }

  /**
   * Our sort order for an Iceberg one: identity transforms of top-level columns map field by field; an order
   * with any other transform maps to unsorted (compaction cannot apply it), with a log line saying so.
   */
  static SortOrder fromIceberg(org.apache.iceberg.SortOrder order, Schema schema, String table) {
    if (order == null || order.isUnsorted()) {
      return SortOrder.unsorted();
    }
    List<SortOrder.Field> fields = new ArrayList<>();
    for (SortField f : order.fields()) {
      String column = schema.findColumnName(f.sourceId());
      if (!f.transform().isIdentity() || column == null || column.contains(".")) {
        LOG.info("Iceberg table {} has sort order {} with {}: only identity sorts of top-level columns are applied,"
            + " so compaction keeps its files unsorted", table, order.orderId(), f);
        return SortOrder.unsorted();
      }
      fields.add(new SortOrder.Field(column,
          f.direction() == SortDirection.DESC ? SortOrder.Direction.DESC : SortOrder.Direction.ASC,
          f.nullOrder() == NullOrder.NULLS_LAST ? SortOrder.NullOrder.NULLS_LAST : SortOrder.NullOrder.NULLS_FIRST));
    }
    return new SortOrder(order.orderId(), fields);
  }

  /** Our partition string for an Iceberg partition tuple of an hour/day spec, or null if the value is null. */
  static String partitionOf(PartitionSpec spec, StructLike partition) {
    Integer ordinal = partition.get(0, Integer.class);
    if (ordinal == null) {
      return null;
    }
    long micros = spec.granularity() == PartitionSpec.Granularity.HOUR ? ordinal * MICROS_PER_HOUR
        : ordinal * MICROS_PER_DAY;
    return spec.partitionOfMicros(micros);
  }

  /**
   * The Iceberg partition tuple for one of our partition strings.
   *
   * @throws IllegalArgumentException if the string is malformed or of another granularity than the spec
   */
  static PartitionData partitionData(PartitionSpec spec, org.apache.iceberg.PartitionSpec iceSpec, String partition,
      String table) {
    Instant start = PartitionSpec.startOf(partition);
    if (PartitionSpec.granularityOf(partition) != spec.granularity()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Partition '%s' does not match table %s's partition spec %s: write files partitioned by %s", partition,
          table, spec, spec));
    }
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, start);
    int ordinal = (int) Math.floorDiv(micros,
        spec.granularity() == PartitionSpec.Granularity.HOUR ? MICROS_PER_HOUR : MICROS_PER_DAY);
    PartitionData data = new PartitionData(iceSpec.partitionType());
    data.set(0, ordinal);
    return data;
  }

  /**
   * An Iceberg data file record for one of ours with the given metrics (read from the file by iceberg-parquet),
   * or, when {@code metrics} is null, metrics made from our column statistics.
   */
  static org.apache.iceberg.DataFile toIceberg(DataFile f, PartitionSpec spec, org.apache.iceberg.PartitionSpec iceSpec,
      Schema schema, String table, Metrics metrics) {
    return DataFiles.builder(iceSpec)
        .withPath(f.location())
        .withFormat(FileFormat.PARQUET)
        .withFileSizeInBytes(f.sizeBytes())
        .withPartition(partitionData(spec, iceSpec, f.partition(), table))
        .withMetrics(metrics != null ? metrics : statsMetrics(f, schema))
        .build();
  }

  /** Iceberg metrics from our column statistics: counts and bounds, no column sizes. */
  static Metrics statsMetrics(DataFile f, Schema schema) {
    Map<Integer, Long> nulls = new HashMap<>();
    Map<Integer, ByteBuffer> lower = new HashMap<>();
    Map<Integer, ByteBuffer> upper = new HashMap<>();
    Map<Integer, Long> values = new HashMap<>();
    for (Map.Entry<String, DataFile.ColumnStats> e : f.columnStats().entrySet()) {
      Types.NestedField field = schema.findField(e.getKey());
      if (field == null) {
        continue;
      }
      DataFile.ColumnStats s = e.getValue();
      nulls.put(field.fieldId(), s.nullCount());
      values.put(field.fieldId(), f.recordCount());
      ByteBuffer lo = bound(field.type(), s.min());
      ByteBuffer hi = bound(field.type(), s.max());
      if (lo != null && hi != null) {
        lower.put(field.fieldId(), lo);
        upper.put(field.fieldId(), hi);
      }
    }
    return new Metrics(f.recordCount(), null, values, nulls, null, lower, upper);
  }

  /** Our record for an Iceberg data file; {@code writerId} and {@code createdAt} come from the caller. */
  static DataFile fromIceberg(org.apache.iceberg.DataFile f, String partition, Schema schema, String writerId,
      Instant createdAt) {
    Map<String, DataFile.ColumnStats> stats = new HashMap<>();
    Map<Integer, Long> nulls = f.nullValueCounts() == null ? Map.of() : f.nullValueCounts();
    Map<Integer, ByteBuffer> lower = f.lowerBounds() == null ? Map.of() : f.lowerBounds();
    Map<Integer, ByteBuffer> upper = f.upperBounds() == null ? Map.of() : f.upperBounds();
    for (Types.NestedField field : schema.columns()) {
      int id = field.fieldId();
      if (!nulls.containsKey(id) && !lower.containsKey(id)) {
        continue;
      }
      long nullCount = nulls.getOrDefault(id, 0L);
      stats.put(field.name(), new DataFile.ColumnStats(nullCount, display(field.type(), lower.get(id)),
          display(field.type(), upper.get(id))));
    }
    return new DataFile(f.location(), partition, f.fileSizeInBytes(), f.recordCount(), writerId, createdAt, stats);
  }

  private static ByteBuffer bound(Type type, String text) {
    if (text == null) {
      return null;
    }
    try {
      Object value = switch (type.typeId()) {
        case TIMESTAMP -> ChronoUnit.MICROS.between(Instant.EPOCH, Instant.parse(text));
        case STRING -> text;
        case BINARY -> ByteBuffer.wrap(HexFormat.of().parseHex(text));
        case INTEGER -> Integer.parseInt(text);
        case LONG -> Long.parseLong(text);
        case FLOAT -> Float.parseFloat(text);
        case DOUBLE -> Double.parseDouble(text);
        case BOOLEAN -> Boolean.parseBoolean(text);
        default -> null;
      };
      return value == null ? null : Conversions.toByteBuffer(type, value);
    } catch (RuntimeException e) {
      // A bound we cannot read is left out: Iceberg then treats the column as unbounded, which is safe.
      return null;
    }
  }

  private static String display(Type type, ByteBuffer buffer) {
    if (buffer == null) {
      return null;
    }
    Object value = Conversions.fromByteBuffer(type, buffer);
    return switch (type.typeId()) {
      case TIMESTAMP -> Instant.EPOCH.plus((Long) value, ChronoUnit.MICROS).toString();
      case BINARY -> {
        ByteBuffer b = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        yield HexFormat.of().formatHex(bytes);
      }
      default -> String.valueOf(value);
    };
  }

  /** Epoch microseconds of an instant. */
  static long micros(Instant instant) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
  }
}
