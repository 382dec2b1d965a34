package dev.lakelifecycle.core.internal.parquet;

import dev.lakelifecycle.api.SchemaMismatchException;
import dev.lakelifecycle.api.TableSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeUnit;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Maps a {@link TableSchema} to the Parquet {@link MessageType} this library writes, and back.
 *
 * <p>Written types (see {@link TableSchema.Type}): BOOLEAN → {@code boolean}; INT → {@code int32}; LONG →
 * {@code int64}; FLOAT → {@code float}; DOUBLE → {@code double}; STRING → {@code binary (STRING)}; BINARY →
 * {@code binary}; TIMESTAMP → {@code int64 (TIMESTAMP(MICROS,true))}. A nullable column is {@code optional},
 * any other {@code required}.
 *
 * <p>Read types ({@link #toTableSchema}) are wider, so that files of other writers map too: any INT32 without a
 * logical type or with a signed {@code INT(8|16|32)} annotation is INT; INT64 signed is LONG; INT64
 * {@code TIMESTAMP} of any unit and legacy INT96 timestamps are TIMESTAMP (values converted to microseconds by
 * {@link ParquetRows}); BINARY annotated STRING, ENUM or JSON is STRING, unannotated BINARY is BINARY.
 */
public final class ParquetSchemas {
  /** Name of the message type written into every file. */
  public static final String MESSAGE_NAME = "lake_lifecycle";

  private ParquetSchemas() {}

  /** The Parquet schema that {@link BatchParquetWriter} writes for {@code schema}. */
  public static MessageType toMessageType(TableSchema schema) {
    Types.MessageTypeBuilder b = Types.buildMessage();
    for (TableSchema.Column c : schema.columns()) {
      b.addField(toParquetType(c));
    }
    return b.named(MESSAGE_NAME);
  }

  private static PrimitiveType toParquetType(TableSchema.Column c) {
    Type.Repetition rep = c.nullable() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
    return switch (c.type()) {
      case BOOLEAN -> Types.primitive(PrimitiveTypeName.BOOLEAN, rep).named(c.name());
      case INT -> Types.primitive(PrimitiveTypeName.INT32, rep).named(c.name());
      case LONG -> Types.primitive(PrimitiveTypeName.INT64, rep).named(c.name());
      case FLOAT -> Types.primitive(PrimitiveTypeName.FLOAT, rep).named(c.name());
      case DOUBLE -> Types.primitive(PrimitiveTypeName.DOUBLE, rep).named(c.name());
      case STRING -> Types.primitive(PrimitiveTypeName.BINARY, rep)
          .as(LogicalTypeAnnotation.stringType()).named(c.name());
      case BINARY -> Types.primitive(PrimitiveTypeName.BINARY, rep).named(c.name());
      case TIMESTAMP -> Types.primitive(PrimitiveTypeName.INT64, rep)
          .as(LogicalTypeAnnotation.timestampType(true, TimeUnit.MICROS)).named(c.name());
    };
  }

  /**
   * The table schema of a flat Parquet schema.
   *
   * @param source names the file in error messages
   * @throws SchemaMismatchException naming the column and its Parquet type when a column is nested, repeated or
   *     of a type with no {@link TableSchema.Type} (decimal, date, time, unsigned, fixed-length binary, ...)
   */
  public static TableSchema toTableSchema(MessageType message, String source) {
    List<TableSchema.Column> columns = new ArrayList<>(message.getFieldCount());
    for (Type field : message.getFields()) {
      columns.add(new TableSchema.Column(field.getName(), tableTypeOf(field, source),
          !field.isRepetition(Type.Repetition.REQUIRED)));
    }
    return TableSchema.of(columns);
  }

  /**
   * The table type of one top-level Parquet field.
   *
   * @throws SchemaMismatchException if it has none
   */
  static TableSchema.Type tableTypeOf(Type field, String source) {
    if (!field.isPrimitive() || field.isRepetition(Type.Repetition.REPEATED)) {
      throw unsupported(field, source, "nested and repeated columns are not supported");
    }
    PrimitiveType p = field.asPrimitiveType();
    LogicalTypeAnnotation logical = p.getLogicalTypeAnnotation();
    TableSchema.Type t = switch (p.getPrimitiveTypeName()) {
      case BOOLEAN -> logical == null ? TableSchema.Type.BOOLEAN : null;
      case INT32 -> logical == null || isSignedInt(logical, 32) ? TableSchema.Type.INT : null;
      case INT64 -> {
        if (logical == null || isSignedInt(logical, 64)) {
          yield TableSchema.Type.LONG;
        }
        yield logical instanceof TimestampLogicalTypeAnnotation ? TableSchema.Type.TIMESTAMP : null;
      }
      case INT96 -> TableSchema.Type.TIMESTAMP;
      case FLOAT -> logical == null ? TableSchema.Type.FLOAT : null;
      case DOUBLE -> logical == null ? TableSchema.Type.DOUBLE : null;
      case BINARY -> {
        if (logical == null) {
          yield TableSchema.Type.BINARY;
        }
        yield isText(logical) ? TableSchema.Type.STRING : null;
      }
      case FIXED_LEN_BYTE_ARRAY -> null;
    };
    if (t == null) {
      throw unsupported(field, source, "its type has no table column type");
    }
    return t;
  }

  static boolean isText(LogicalTypeAnnotation logical) {
    return logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
        || logical instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
        || logical instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation;
  }

  private static boolean isSignedInt(LogicalTypeAnnotation logical, int maxWidth) {
    return logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i && i.isSigned()
        && i.getBitWidth() <= maxWidth;
  }

  private static SchemaMismatchException unsupported(Type field, String source, String why) {
    return new SchemaMismatchException(String.format(Locale.ROOT,
        "Cannot map column '%s' (%s) of %s to a table column: %s (supported: boolean, int32, int64, float, double, "
            + "binary, binary STRING/ENUM/JSON, int64 TIMESTAMP, int96)",
        field.getName(), field.toString().trim(), source, why));
  }
}
