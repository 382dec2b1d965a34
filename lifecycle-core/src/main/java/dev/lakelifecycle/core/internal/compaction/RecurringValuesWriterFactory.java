package dev.lakelifecycle.core.internal.compaction;

import java.util.Arrays;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.dictionary.DictionaryValuesWriter.PlainBinaryDictionaryValuesWriter;
import org.apache.parquet.column.values.factory.DefaultV1ValuesWriterFactory;
import org.apache.parquet.column.values.factory.ValuesWriterFactory;
import org.apache.parquet.column.values.fallback.FallbackValuesWriter;
import org.apache.parquet.column.values.plain.PlainValuesWriter;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Parquet v1 value writers whose binary dictionaries recognise a value instance they have seen before without
 * hashing its bytes. The rewriter hands the same immutable instance for every occurrence of an input dictionary
 * entry ({@link StreamingRewriter}), so most writes of a dictionary-encoded string column find their id by
 * identity; the stock writer hashes and compares every value's bytes, which was the largest cost of a merge.
 * Output is identical to {@link DefaultV1ValuesWriterFactory}'s.
 */
final class RecurringValuesWriterFactory implements ValuesWriterFactory {
  private final DefaultV1ValuesWriterFactory defaults = new DefaultV1ValuesWriterFactory();
  private ParquetProperties props;

  @Override
  public void initialize(ParquetProperties properties) {
    this.props = properties;
    defaults.initialize(properties);
  }

  @Override
  public ValuesWriter newValuesWriter(ColumnDescriptor descriptor) {
    if (descriptor.getPrimitiveType().getPrimitiveTypeName() != PrimitiveTypeName.BINARY
        || !props.isDictionaryEnabled(descriptor)) {
      return defaults.newValuesWriter(descriptor);
    }
    // As DefaultV1ValuesWriterFactory builds it for BINARY: a dictionary falling back to plain encoding.
    return FallbackValuesWriter.of(
        new RecurringBinaryDictionaryWriter(props.getDictionaryPageSizeThreshold(), props.getAllocator()),
        new PlainValuesWriter(props.getInitialSlabSize(), props.getPageSizeThreshold(), props.getAllocator()));
  }

  /** A binary dictionary writer with a direct-mapped identity cache of value instance to dictionary id. */
  static final class RecurringBinaryDictionaryWriter extends PlainBinaryDictionaryValuesWriter {
    private static final int SLOTS = 4096;
    private final Binary[] seen = new Binary[SLOTS];
    private final int[] ids = new int[SLOTS];

    RecurringBinaryDictionaryWriter(int maxDictionaryByteSize, ByteBufferAllocator allocator) {
      super(maxDictionaryByteSize, Encoding.PLAIN_DICTIONARY, Encoding.PLAIN_DICTIONARY, allocator);
    }

    @Override
    public void writeBytes(Binary v) {
      if (v.isBackingBytesReused()) {
        // Its bytes may change under the same instance: identity says nothing.
        super.writeBytes(v);
        return;
      }
      int slot = System.identityHashCode(v) & (SLOTS - 1);
      if (seen[slot] == v) {
        encodedValues.add(ids[slot]);
        return;
      }
      int id = binaryDictionaryContent.getInt(v);
      if (id == -1) {
        id = binaryDictionaryContent.size();
        binaryDictionaryContent.put(v.copy(), id);
        dictionaryByteSize += 4L + v.length();
      }
      encodedValues.add(id);
      seen[slot] = v;
      ids[slot] = id;
    }

    @Override
    protected void clearDictionaryContent() {
      super.clearDictionaryContent();
      Arrays.fill(seen, null);
    }
  }
}
