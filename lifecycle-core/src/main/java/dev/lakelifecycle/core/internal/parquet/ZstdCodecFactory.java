package dev.lakelifecycle.core.internal.parquet;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * The codec factory of every Parquet file this library writes or reads: ZSTD pages go straight to zstd-jni with
 * pooled native contexts ({@link ZstdContexts}); other codecs (SNAPPY, GZIP, LZ4, LZ4_RAW, BROTLI...) go to
 * parquet-java's own {@link CodecFactory}, created on first use.
 *
 * <p>Why: parquet-java's ZSTD codec runs through Hadoop's {@code CodecPool}, which never pools it, so every file
 * written or decoded created a fresh zstd stream and logged "Got brand-new compressor [.zstd]" at INFO. Here a page
 * is one zstd frame made by a one-shot {@code ZSTD_compress2} at the same level (3 by default, parquet-java's
 * default), readable by parquet-java's codec, DuckDB, Arrow and Spark; and any zstd frame(s) another writer made,
 * with or without the content size in the header, decompress here.
 *
 * <p>Lifecycle, as parquet-java expects it: one instance per writer or reader, which releases it when it closes
 * ({@code ParquetWriter.close()}, {@code ParquetFileReader.close()}); {@link #release()} frees the delegate and the
 * scratch buffers, and the factory remains usable afterwards (a {@code ParquetReader} over several files releases it
 * after each). Like parquet-java's, an instance and its compressors are not thread-safe (its zstd decompressor is). The
 * compressor's output is valid until its next {@code compress} call, as parquet-java's is.
 */
public final class ZstdCodecFactory implements CompressionCodecFactory {
  /** parquet-java's default ZSTD level ({@code parquet.compression.codec.zstd.level}). */
  public static final int DEFAULT_ZSTD_LEVEL = 3;

  /** Page size hint for the delegate's buffers, as parquet-java's writer passes it. */
  private final int pageSize;
  private final Map<Integer, ZstdCompressor> zstdCompressors = new HashMap<>();
  private CodecFactory delegate;

  private ZstdCodecFactory(int pageSize) {
    this.pageSize = pageSize;
  }

  /** A factory for one writer or reader. */
  public static ZstdCodecFactory create() {
    return new ZstdCodecFactory(WriterDefaults.PAGE_SIZE);
  }

  /**
   * Read options with a plain (Hadoop-free) configuration and a fresh factory of this kind: for
   * {@code ParquetFileReader.open(file, options)}, which releases the factory when it closes.
   */
  public static ParquetReadOptions readOptions() {
    return ParquetReadOptions.builder(new PlainParquetConfiguration()).withCodecFactory(create()).build();
  }

  @Override
  public BytesInputCompressor getCompressor(CompressionCodecName codec) {
    return codec == CompressionCodecName.ZSTD ? getCompressor(codec, DEFAULT_ZSTD_LEVEL) : delegateCompressor(codec);
  }

  /**
   * @throws IllegalArgumentException if {@code codec} is ZSTD and {@code level} is outside zstd's levels
   */
  @Override
  public BytesInputCompressor getCompressor(CompressionCodecName codec, int level) {
    if (codec != CompressionCodecName.ZSTD) {
      return codec == CompressionCodecName.UNCOMPRESSED ? Uncompressed.INSTANCE : delegate().getCompressor(codec, level);
    }
    if (level < Zstd.minCompressionLevel() || level > Zstd.maxCompressionLevel()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "zstd compression level %d is out of range"
          + " [%d, %d]; use a level in that range (3 is the default)", level, Zstd.minCompressionLevel(),
          Zstd.maxCompressionLevel()));
    }
    return zstdCompressors.computeIfAbsent(level, ZstdCompressor::new);
  }

  @Override
  public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
    return switch (codec) {
      case ZSTD -> ZstdDecompressor.INSTANCE;
      case UNCOMPRESSED -> Uncompressed.INSTANCE;
      default -> delegate().getDecompressor(codec);
    };
  }

  @Override
  public void release() {
    zstdCompressors.values().forEach(ZstdCompressor::release);
    zstdCompressors.clear();
    if (delegate != null) {
      CodecFactory d = delegate;
      delegate = null;
      d.release();
    }
  }

  private BytesInputCompressor delegateCompressor(CompressionCodecName codec) {
    return codec == CompressionCodecName.UNCOMPRESSED ? Uncompressed.INSTANCE : delegate().getCompressor(codec);
  }

  private CodecFactory delegate() {
    if (delegate == null) {
      // Only for codecs other than ZSTD: its Hadoop configuration and codec pool are not worth creating otherwise.
      delegate = new CodecFactory(new PlainParquetConfiguration(), pageSize);
    }
    return delegate;
  }

  /**
   * Compresses a page into one zstd frame. The page is first gathered into a reused array: parquet-java hands over
   * a concatenation (levels and values, heap or direct slabs) that one-shot compression needs contiguous.
   */
  private static final class ZstdCompressor implements BytesInputCompressor {
    private final int level;
    private final Gather input = new Gather();
    private byte[] output = new byte[0];

    ZstdCompressor(int level) {
      this.level = level;
    }

    @Override
    public BytesInput compress(BytesInput bytes) throws IOException {
      long size = bytes.size();
      if (size > Integer.MAX_VALUE - 1024) {
        throw new IOException(String.format(Locale.ROOT, "Parquet page of %d bytes is too large for one zstd frame;"
            + " write smaller pages", size));
      }
      input.reset((int) size);
      bytes.writeAllTo(input);
      int bound = (int) Zstd.compressBound(input.size);
      if (output.length < bound) {
        output = new byte[bound];
      }
      ZstdCompressCtx ctx = ZstdContexts.compressor(level);
      int n;
      try {
        n = ctx.compressByteArray(output, 0, output.length, input.buf, 0, input.size);
      } catch (RuntimeException e) {
        ctx.close(); // its state is unknown after a failure: not back to the pool
        throw new IOException(String.format(Locale.ROOT, "zstd could not compress a Parquet page of %d bytes: %s",
            input.size, e.getMessage()), e);
      }
      ZstdContexts.release(ctx);
      return BytesInput.from(output, 0, n);
    }

    @Override
    public CompressionCodecName getCodecName() {
      return CompressionCodecName.ZSTD;
    }

    @Override
    public void release() {
      input.buf = new byte[0];
      output = new byte[0];
    }
  }

  /** A reused growable array that {@link BytesInput#writeAllTo} fills. */
  private static final class Gather extends OutputStream {
    byte[] buf = new byte[0];
    int size;

    void reset(int expected) {
      if (buf.length < expected) {
        buf = new byte[expected];
      }
      size = 0;
    }

    @Override
    public void write(int b) {
      ensure(1);
      buf[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, size, len);
      size += len;
    }

    private void ensure(int more) {
      if (buf.length - size < more) {
        byte[] grown = new byte[Math.max(size + more, buf.length * 2)];
        System.arraycopy(buf, 0, grown, 0, size);
        buf = grown;
      }
    }
  }

  /** Decompresses zstd pages; stateless apart from the borrowed context, so one instance serves all. */
  private static final class ZstdDecompressor implements BytesInputDecompressor {
    static final ZstdDecompressor INSTANCE = new ZstdDecompressor();

    /** A fresh array per page: parquet-java keeps pages (a dictionary page for the whole column chunk). */
    @Override
    public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
      byte[] out = new byte[uncompressedSize];
      ByteBuffer src = bytes.toByteBuffer();
      decompress(src, src.position(), src.remaining(), ByteBuffer.wrap(out), 0, uncompressedSize);
      return BytesInput.from(out);
    }

    /**
     * As parquet-java's own decompressors: reads {@code compressedSize} bytes from the input's position, writes
     * {@code uncompressedSize} bytes at the output's position, and advances both positions past them.
     */
    @Override
    public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
        throws IOException {
      if (input.remaining() < compressedSize || output.remaining() < uncompressedSize) {
        throw new IOException(String.format(Locale.ROOT, "zstd page of %d bytes into %d bytes does not fit its"
            + " buffers (%d bytes of input, %d bytes of room)", compressedSize, uncompressedSize, input.remaining(),
            output.remaining()));
      }
      int in = input.position();
      int out = output.position();
      decompress(input, in, compressedSize, output, out, uncompressedSize);
      input.position(in + compressedSize);
      output.position(out + uncompressedSize);
    }

    private static void decompress(ByteBuffer src, int srcPos, int srcLen, ByteBuffer dst, int dstPos, int size)
        throws IOException {
      if (size == 0) {
        return; // an empty page: nothing to inflate, whatever frame (or none) its writer stored
      }
      if (dst.isReadOnly()) {
        throw new IOException("zstd cannot decompress into a read-only buffer");
      }
      if (!src.isDirect() && !src.hasArray()) {
        // A read-only heap buffer hides its array: copy the frame out once.
        byte[] copy = new byte[srcLen];
        src.duplicate().position(srcPos).get(copy);
        src = ByteBuffer.wrap(copy);
        srcPos = 0;
      }
      ZstdDecompressCtx ctx = ZstdContexts.decompressor();
      int n;
      try {
        if (src.isDirect() && dst.isDirect()) {
          n = ctx.decompressDirectByteBuffer(dst, dstPos, size, src, srcPos, srcLen);
        } else if (src.isDirect()) {
          n = ctx.decompressDirectByteBufferToByteArray(dst.array(), dst.arrayOffset() + dstPos, size, src, srcPos,
              srcLen);
        } else if (dst.isDirect()) {
          n = ctx.decompressByteArrayToDirectByteBuffer(dst, dstPos, size, src.array(), src.arrayOffset() + srcPos,
              srcLen);
        } else {
          n = ctx.decompressByteArray(dst.array(), dst.arrayOffset() + dstPos, size, src.array(),
              src.arrayOffset() + srcPos, srcLen);
        }
      } catch (RuntimeException e) {
        ctx.close(); // its state is unknown after a failure: not back to the pool
        throw new IOException(String.format(Locale.ROOT, "zstd page of %d bytes did not decompress to %d bytes: %s"
            + " (the page is damaged)", srcLen, size, e.getMessage()), e);
      }
      ZstdContexts.release(ctx);
      if (n != size) {
        throw new IOException(String.format(Locale.ROOT, "zstd page of %d bytes decompressed to %d bytes, but its"
            + " header says %d (the page is damaged)", srcLen, n, size));
      }
    }

    @Override
    public void release() {
      // Holds nothing: contexts go back to the pool after each page.
    }
  }

  /** UNCOMPRESSED pages pass through (parquet-java's no-op codec, without creating its factory). */
  private static final class Uncompressed implements BytesInputCompressor, BytesInputDecompressor {
    static final Uncompressed INSTANCE = new Uncompressed();

    @Override
    public BytesInput compress(BytesInput bytes) {
      return bytes;
    }

    @Override
    public CompressionCodecName getCodecName() {
      return CompressionCodecName.UNCOMPRESSED;
    }

    @Override
    public BytesInput decompress(BytesInput bytes, int uncompressedSize) {
      return bytes;
    }

    @Override
    public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
        throws IOException {
      if (compressedSize != uncompressedSize || input.remaining() < compressedSize
          || output.remaining() < uncompressedSize) {
        throw new IOException(String.format(Locale.ROOT, "uncompressed page of %d bytes claims %d bytes (%d bytes of"
            + " input, %d bytes of room)", compressedSize, uncompressedSize, input.remaining(), output.remaining()));
      }
      ByteBuffer page = input.duplicate();
      page.limit(page.position() + compressedSize);
      output.put(page);
      input.position(input.position() + compressedSize);
    }

    @Override
    public void release() {
      // Nothing held.
    }
  }
}
