package dev.lakelifecycle.examples;

import dev.lakelifecycle.api.CorruptFileException;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;

/**
 * Reads every row of a Parquet file through an {@link ObjectStore}, the way a query engine would read the
 * table's live files: the bytes come from the store's ranged reads, not from a local path.
 */
final class ParquetRows {
  private ParquetRows() {}

  /** What one file held. */
  record FileRows(long rowsRead, long footerRows) {}

  /**
   * Calls {@code action} with every row of the object at {@code key}, row group by row group.
   *
   * @return the rows read, and the row count the footer declares (they must agree)
   * @throws CorruptFileException if the file cannot be read as Parquet
   */
  static FileRows forEach(ObjectStore store, String key, Consumer<Group> action) {
    try (SeekableInput input = store.open(key);
        ParquetFileReader reader = ParquetFileReader.open(new StoreInputFile(input))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
      long footerRows = reader.getRecordCount();
      long read = 0;
      PageReadStore rowGroup;
      while ((rowGroup = reader.readNextRowGroup()) != null) {
        RecordReader<Group> records = io.getRecordReader(rowGroup, new GroupRecordConverter(schema));
        for (long i = 0; i < rowGroup.getRowCount(); i++) {
          action.accept(records.read());
          read++;
        }
      }
      return new FileRows(read, footerRows);
    } catch (IOException | RuntimeException e) {
      if (e instanceof LifecycleException l) {
        throw l; // a storage error is not a corrupt file; keep its own type and message
      }
      throw new CorruptFileException(String.format(Locale.ROOT,
          "Cannot read %s as Parquet: %s (the file is damaged or not Parquet)", store.location(key), e), e);
    }
  }

  /** Parquet's view of one open object: ranged reads served by {@link SeekableInput#readFully}. */
  private static final class StoreInputFile implements InputFile {
    private final SeekableInput input;

    StoreInputFile(SeekableInput input) {
      this.input = input;
    }

    @Override
    public long getLength() {
      return input.length();
    }

    @Override
    public SeekableInputStream newStream() {
      return new Stream(input);
    }
  }

  private static final class Stream extends SeekableInputStream {
    private final SeekableInput input;
    private long pos;

    Stream(SeekableInput input) {
      this.input = input;
    }

    @Override
    public long getPos() {
      return pos;
    }

    @Override
    public void seek(long newPos) throws IOException {
      if (newPos < 0 || newPos > input.length()) {
        throw new EOFException("Cannot seek to " + newPos + " of " + input.length() + " bytes");
      }
      pos = newPos;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      long left = input.length() - pos;
      if (len == 0) {
        return 0;
      }
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      input.readFully(pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public void readFully(byte[] bytes) throws IOException {
      readFully(bytes, 0, bytes.length);
    }

    @Override
    public void readFully(byte[] bytes, int start, int len) throws IOException {
      if (input.length() - pos < len) {
        throw new EOFException("Cannot read " + len + " bytes at " + pos + " of " + input.length());
      }
      input.readFully(pos, bytes, start, len);
      pos += len;
    }

    @Override
    public int read(ByteBuffer buf) {
      int len = buf.remaining();
      if (len == 0) {
        return 0;
      }
      byte[] tmp = new byte[(int) Math.min(len, Math.max(0, input.length() - pos))];
      if (tmp.length == 0) {
        return -1;
      }
      int n = read(tmp, 0, tmp.length);
      buf.put(tmp, 0, n);
      return n;
    }

    @Override
    public void readFully(ByteBuffer buf) throws IOException {
      byte[] tmp = new byte[buf.remaining()];
      readFully(tmp, 0, tmp.length);
      buf.put(tmp);
    }

    @Override
    public void close() {
      // The SeekableInput belongs to forEach, which closes it after the reader.
    }
  }
}
