package dev.lakelifecycle.examples;

import dev.lakelifecycle.api.TableSchema;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import org.apache.parquet.example.data.Group;

/**
 * A 64-bit hash of one row's values, the same whether the row is taken from the values the quickstart
 * staged or read back from a Parquet file. Summed over a table (order does not matter, duplicates count)
 * it tells whether the rows that came out are the rows that went in: the compactor must preserve the
 * multiset of rows.
 */
final class RowFingerprint {
  private RowFingerprint() {}

  /** The hash of values in schema order, as given to {@code RecordBatch.builder(schema).row(...)}. */
  static long ofValues(TableSchema schema, Object[] values) {
    long h = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < schema.size(); i++) {
      h = mix(h ^ valueHash(schema.column(i).type(), values[i]));
    }
    return h;
  }

  /** The hash of a row read from Parquet, its columns found by the schema's names. */
  static long ofGroup(TableSchema schema, Group row) {
    Object[] values = new Object[schema.size()];
    for (int i = 0; i < schema.size(); i++) {
      TableSchema.Column c = schema.column(i);
      values[i] = value(c, row);
    }
    return ofValues(schema, values);
  }

  /** A column's value read from Parquet, boxed as a staged value would be (TIMESTAMP as epoch micros). */
  static Object value(TableSchema.Column c, Group row) {
    String n = c.name();
    if (row.getFieldRepetitionCount(n) == 0) {
      return null;
    }
    return switch (c.type()) {
      case BOOLEAN -> row.getBoolean(n, 0);
      case INT -> row.getInteger(n, 0);
      case LONG, TIMESTAMP -> row.getLong(n, 0);
      case FLOAT -> row.getFloat(n, 0);
      case DOUBLE -> row.getDouble(n, 0);
      case STRING -> row.getString(n, 0);
      case BINARY -> row.getBinary(n, 0).getBytes();
    };
  }

  private static long valueHash(TableSchema.Type type, Object v) {
    if (v == null) {
      return 0x5BD1E995L;
    }
    return switch (type) {
      case BOOLEAN -> ((Boolean) v) ? 1 : 2;
      case INT, LONG -> ((Number) v).longValue();
      case TIMESTAMP -> v instanceof Instant t ? ChronoUnit.MICROS.between(Instant.EPOCH, t) : (Long) v;
      case FLOAT -> Float.floatToIntBits(((Number) v).floatValue());
      case DOUBLE -> Double.doubleToLongBits(((Number) v).doubleValue());
      case STRING -> bytesHash(((String) v).getBytes(StandardCharsets.UTF_8));
      case BINARY -> bytesHash((byte[]) v);
    };
  }

  private static long bytesHash(byte[] b) {
    // FNV-1a; Arrays.hashCode alone would be only 32 bits.
    long h = 0xCBF29CE484222325L;
    for (byte x : b) {
      h = (h ^ (x & 0xFF)) * 0x100000001B3L;
    }
    return h ^ Arrays.hashCode(b);
  }

  /** MurmurHash3's 64-bit finaliser: spreads every input bit over the output. */
  private static long mix(long k) {
    k ^= k >>> 33;
    k *= 0xFF51AFD7ED558CCDL;
    k ^= k >>> 33;
    k *= 0xC4CEB9FE1A85EC53L;
    k ^= k >>> 33;
    return k;
  }
}
