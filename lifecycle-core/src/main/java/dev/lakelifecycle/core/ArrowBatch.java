package dev.lakelifecycle.core;

import dev.lakelifecycle.api.RecordBatch;
import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.TableSchema;
import dev.lakelifecycle.core.internal.staging.SchemaDiff;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * A {@link RecordBatch} view over an Apache Arrow {@link VectorSchemaRoot}, read in place: no rows are copied
 * and getters read the vectors directly.
 *
 * <p>Arrow types map to table types as follows; any other type is refused with a
 * {@link SchemaMismatchException} naming the field:
 * <table>
 *   <caption>Supported Arrow types</caption>
 *   <tr><th>Arrow</th><th>table type</th></tr>
 *   <tr><td>Bool</td><td>BOOLEAN</td></tr>
 *   <tr><td>Int(32, signed)</td><td>INT</td></tr>
 *   <tr><td>Int(64, signed)</td><td>LONG</td></tr>
 *   <tr><td>FloatingPoint(SINGLE)</td><td>FLOAT</td></tr>
 *   <tr><td>FloatingPoint(DOUBLE)</td><td>DOUBLE</td></tr>
 *   <tr><td>Utf8</td><td>STRING</td></tr>
 *   <tr><td>Binary</td><td>BINARY</td></tr>
 *   <tr><td>Timestamp(any unit, time zone UTC or none)</td><td>TIMESTAMP, converted to epoch microseconds
 *       (nanoseconds are rounded toward negative infinity)</td></tr>
 * </table>
 *
 * <p>The view reads the vectors as they are when a getter is called. Callers typically refill one root per
 * batch, so the root must not change until {@code append} returns; the stager copies what it keeps. Closing the
 * root (and its allocator) stays the caller's job.
 */
public final class ArrowBatch implements RecordBatch {
  private static final String SUPPORTED = "Bool, Int(32, signed), Int(64, signed), FloatingPoint(SINGLE|DOUBLE), "
      + "Utf8, Binary, Timestamp(SECOND|MILLISECOND|MICROSECOND|NANOSECOND, UTC or no time zone)";

  private final VectorSchemaRoot root;
  private final TableSchema schema;
  private final FieldVector[] vectors;
  /** For TIMESTAMP columns: multiply (positive) or floor-divide (negative) the raw value to get micros; else 0. */
  private final long[] toMicros;

  private ArrowBatch(VectorSchemaRoot root, TableSchema schema, long[] toMicros) {
    this.root = root;
    this.schema = schema;
    this.vectors = root.getFieldVectors().toArray(new FieldVector[0]);
    this.toMicros = toMicros;
  }

  /**
   * A view of {@code root} with the table schema derived from its Arrow schema: column names and order as in
   * Arrow, nullable as the Arrow field says.
   *
   * @throws SchemaMismatchException naming the field and the supported types if a field's type has no table type
   */
  public static ArrowBatch wrap(VectorSchemaRoot root) {
    Objects.requireNonNull(root, "root");
    List<Field> fields = root.getSchema().getFields();
    List<TableSchema.Column> columns = new ArrayList<>(fields.size());
    long[] toMicros = new long[fields.size()];
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      TableSchema.Type t = typeOf(f);
      if (t == TableSchema.Type.TIMESTAMP) {
        toMicros[i] = microsFactor((ArrowType.Timestamp) f.getType());
      }
      columns.add(new TableSchema.Column(f.getName(), t, f.isNullable()));
    }
    if (columns.isEmpty()) {
      throw new SchemaMismatchException("Cannot wrap an Arrow VectorSchemaRoot without fields: a batch needs at least one column");
    }
    return new ArrowBatch(root, TableSchema.of(columns), toMicros);
  }

  /**
   * A view of {@code root} whose {@link #schema()} is {@code expected}, after checking that the Arrow fields
   * have the expected names, order and types. Nullability is checked against the data: an Arrow field marked
   * nullable is accepted for a non-nullable column when its vector holds no null (Arrow producers often mark
   * every field nullable), and a non-nullable field is accepted for a nullable column.
   *
   * @throws SchemaMismatchException naming every differing column, or a field of an unsupported type
   */
  public static ArrowBatch wrap(VectorSchemaRoot root, TableSchema expected) {
    Objects.requireNonNull(expected, "expected");
    ArrowBatch derived = wrap(root);
    List<TableSchema.Column> effective = new ArrayList<>(derived.schema.size());
    for (int i = 0; i < derived.schema.size(); i++) {
      TableSchema.Column c = derived.schema.column(i);
      int e = expected.indexOf(c.name());
      // Nullability is checked against the data, not the Arrow flag: a non-null field may feed a nullable
      // column, and a nullable field without nulls may feed a non-nullable one.
      boolean adopt = e >= 0 && (expected.column(e).nullable() || derived.vectors[i].getNullCount() == 0);
      effective.add(adopt ? new TableSchema.Column(c.name(), c.type(), expected.column(e).nullable()) : c);
    }
    TableSchema actual = TableSchema.of(effective);
    if (!actual.equals(expected)) {
      throw new SchemaMismatchException(String.format(Locale.ROOT,
          "Arrow batch does not match the table schema %s: %s (build the VectorSchemaRoot with the table's columns, "
              + "in order, of the mapped Arrow types: %s)",
          expected, String.join("; ", SchemaDiff.differences(actual, expected)), SUPPORTED));
    }
    return new ArrowBatch(root, expected, derived.toMicros);
  }

  private static TableSchema.Type typeOf(Field f) {
    ArrowType t = f.getType();
    TableSchema.Type out = null;
    if (t instanceof ArrowType.Bool) {
      out = TableSchema.Type.BOOLEAN;
    } else if (t instanceof ArrowType.Int i && i.getIsSigned() && i.getBitWidth() == 32) {
      out = TableSchema.Type.INT;
    } else if (t instanceof ArrowType.Int i && i.getIsSigned() && i.getBitWidth() == 64) {
      out = TableSchema.Type.LONG;
    } else if (t instanceof ArrowType.FloatingPoint fp && fp.getPrecision() == FloatingPointPrecision.SINGLE) {
      out = TableSchema.Type.FLOAT;
    } else if (t instanceof ArrowType.FloatingPoint fp && fp.getPrecision() == FloatingPointPrecision.DOUBLE) {
      out = TableSchema.Type.DOUBLE;
    } else if (t instanceof ArrowType.Utf8) {
      out = TableSchema.Type.STRING;
    } else if (t instanceof ArrowType.Binary) {
      out = TableSchema.Type.BINARY;
    } else if (t instanceof ArrowType.Timestamp ts && isUtc(ts.getTimezone())) {
      out = TableSchema.Type.TIMESTAMP;
    }
    if (out == null) {
      throw new SchemaMismatchException(String.format(Locale.ROOT,
          "Cannot stage Arrow field '%s' of type %s: no table column type for it (supported: %s)",
          f.getName(), t, SUPPORTED));
    }
    return out;
  }

  private static boolean isUtc(String timezone) {
    if (timezone == null || timezone.isEmpty()) {
      return true;
    }
    try {
      return ZoneId.of(timezone).normalized().equals(ZoneOffset.UTC);
    } catch (DateTimeException e) {
      return false;
    }
  }

  private static long microsFactor(ArrowType.Timestamp ts) {
    return switch (ts.getUnit()) {
      case SECOND -> 1_000_000L;
      case MILLISECOND -> 1_000L;
      case MICROSECOND -> 1L;
      case NANOSECOND -> -1_000L;
    };
  }

  /** The wrapped root. */
  public VectorSchemaRoot root() {
    return root;
  }

  @Override
  public TableSchema schema() {
    return schema;
  }

  @Override
  public int rowCount() {
    return root.getRowCount();
  }

  @Override
  public boolean isNull(int column, int row) {
    return vectors[column].isNull(row);
  }

  @Override
  public boolean getBoolean(int column, int row) {
    return ((BitVector) vectors[column]).get(row) != 0;
  }

  @Override
  public int getInt(int column, int row) {
    return ((IntVector) vectors[column]).get(row);
  }

  @Override
  public long getLong(int column, int row) {
    long f = toMicros[column];
    if (f == 0) {
      return ((BigIntVector) vectors[column]).get(row);
    }
    long raw = ((TimeStampVector) vectors[column]).get(row);
    return f > 0 ? Math.multiplyExact(raw, f) : Math.floorDiv(raw, -f);
  }

  @Override
  public float getFloat(int column, int row) {
    return ((Float4Vector) vectors[column]).get(row);
  }

  @Override
  public double getDouble(int column, int row) {
    return ((Float8Vector) vectors[column]).get(row);
  }

  @Override
  public String getString(int column, int row) {
    return new String(((VarCharVector) vectors[column]).get(row), StandardCharsets.UTF_8);
  }

  @Override
  public byte[] getBytes(int column, int row) {
    return ((VarBinaryVector) vectors[column]).get(row);
  }
}
