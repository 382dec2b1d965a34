package dev.lakelifecycle.core.internal.parquet;

import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import java.io.IOException;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * A Parquet {@link OutputFile} that writes one object of an {@link ObjectStore}. The object becomes visible
 * whole when the Parquet writer closes; if writing fails, call {@link #abort()} so that nothing (no temp
 * file, no incomplete multipart upload) is left behind. One instance writes one object once.
 */
public final class StoreOutputFile implements OutputFile {
  private final ObjectStore store;
  private final String key;
  private ObjectOutput out;

  public StoreOutputFile(ObjectStore store, String key) {
    this.store = store;
    this.key = key;
  }

  public String key() {
    return key;
  }

  @Override
  public PositionOutputStream create(long blockSizeHint) {
    return open();
  }

  @Override
  public PositionOutputStream createOrOverwrite(long blockSizeHint) {
    return open();
  }

  private synchronized PositionOutputStream open() {
    if (out != null) {
      throw new IllegalStateException("StoreOutputFile " + store.location(key) + " was already opened");
    }
    ObjectOutput o = store.create(key);
    out = o;
    return new PositionOutputStream() {
      @Override
      public long getPos() {
        return o.position();
      }

      @Override
      public void write(int b) throws IOException {
        o.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        o.write(b, off, len);
      }

      @Override
      public void flush() throws IOException {
        o.flush();
      }

      @Override
      public void close() throws IOException {
        o.close();
      }
    };
  }

  /** Discards a write that failed; a no-op if nothing was opened or it was already published. */
  public synchronized void abort() {
    if (out != null) {
      out.abort();
    }
  }

  /** What was published, once the writer has closed. */
  public synchronized ObjectInfo result() {
    if (out == null) {
      throw new IllegalStateException("Nothing was written to " + store.location(key));
    }
    return out.result();
  }

  @Override
  public boolean supportsBlockSize() {
    return false;
  }

  @Override
  public long defaultBlockSize() {
    return 0;
  }

  @Override
  public String getPath() {
    return store.location(key);
  }
}
