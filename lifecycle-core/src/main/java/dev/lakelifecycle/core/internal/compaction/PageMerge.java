package dev.lakelifecycle.core.internal.compaction;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.bitpacking.BytePacker;
import org.apache.parquet.column.values.bitpacking.Packer;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.DataPageHeaderV2;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.internal.column.columnindex.ColumnIndex;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.parquet.internal.hadoop.metadata.IndexReference;
import org.apache.parquet.schema.PrimitiveType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one output row group from consecutive small input row groups without decoding values: per column, the
 * output chunk is the input chunks' pages one after the other. Plain, delta and other non-dictionary pages are
 * copied as compressed bytes (recompressed when the input codec differs from the output's). Dictionary-encoded
 * chunks share one merged dictionary page per output chunk: a first pass reads only the inputs' dictionary pages
 * and builds it, then each dictionary-encoded page has its RLE/bit-packed ids remapped (levels are copied). An
 * input whose dictionary would push the merged one past {@link #dictionaryBound} has its dictionary-encoded pages
 * turned into plain pages from its own dictionary instead.
 *
 * <p>Page statistics and row counts feed the output's column and offset indexes: statistics come from the page
 * header, else from the input's column index, else (single-page chunk) from the chunk statistics; their merge
 * must equal the chunk statistics of the footer (which also rules out truncated column-index values). Rows per
 * page come from v2 headers, the value count of flat v1 pages, or the input's offset index. When anything of
 * that is missing, or a chunk holds a page this class does not know, {@link #write} writes nothing and returns
 * {@code false}: the caller decodes that row group instead.
 *
 * <p><b>Memory</b>: when the row groups' column chunks (and their indexes) fit {@code budget} bytes, each input
 * row group is read once as one range and kept while the output row group is written; otherwise every column
 * chunk is read on its own, twice (scan, then write), and dropped after use. Output pages go straight to the
 * output file. Not thread-safe: one instance per merge.
 */
final class PageMerge implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PageMerge.class);
  /** parquet-java's default zstd level ({@code parquet.compression.codec.zstd.level}). */
  private static final int ZSTD_LEVEL = 3;
  private static final ParquetMetadataConverter CONVERTER = new ParquetMetadataConverter();

  /** One input row group of the output row group being written. */
  record Source(DataFile file, String key, BlockMetaData block, String createdBy) {}

  private final ObjectStore store;
  private final CompressionCodecName codec;
  private final int dictionaryBound;
  /** Codec state of each thread that works for this merge (zstd contexts are not thread-safe). */
  private final ThreadLocal<Codec> threadCodec = new ThreadLocal<>();
  private final Queue<Codec> allCodecs = new ConcurrentLinkedQueue<>();

  /**
   * @param store where inputs are read
   * @param codec the output codec
   * @param dictionaryBound most bytes (plain-encoded) of a merged dictionary
   */
  PageMerge(ObjectStore store, CompressionCodecName codec, int dictionaryBound) {
    this.store = store;
    this.codec = codec;
    this.dictionaryBound = dictionaryBound;
  }

  @Override
  public void close() {
    for (Codec c; (c = allCodecs.poll()) != null; ) {
      c.close();
    }
  }

  /**
   * Writes {@code sources} as one row group of {@code writer}, or writes nothing and returns {@code false} when a
   * chunk cannot be merged page by page (see the class comment).
   *
   * @throws BadPage if an input turns out unreadable after writing began (the output is then unusable)
   * @throws StorageException if the store fails
   */
  boolean write(List<Source> sources, List<ColumnDescriptor> columns, ParquetFileWriter writer, long budget,
      ExecutorService pool) throws IOException {
    Bytes bytes;
    try {
      bytes = Bytes.read(store, sources, columns.size(), budget);
    } catch (IOException | RuntimeException e) {
      rethrowStorage(e);
      LOG.debug("Page merge not possible: reading {} input row groups failed", sources.size(), e);
      return false;
    }
    int n = sources.size();
    Chunk[][] chunks = new Chunk[columns.size()][n];
    for (int c = 0; c < columns.size(); c++) {
      for (int k = 0; k < n; k++) {
        Source s = sources.get(k);
        try {
          chunks[c][k] = scan(bytes, k, s, columns.get(c), s.block().getColumns().get(c));
        } catch (IOException | RuntimeException e) {
          rethrowStorage(e);
          LOG.debug("Page merge not possible for {}: column {} cannot be scanned", s.file().location(),
              columns.get(c), e);
          return false;
        }
        if (chunks[c][k].why != null) {
          LOG.debug("Page merge not possible for {}: column {}: {}", s.file().location(), columns.get(c),
              chunks[c][k].why);
          return false;
        }
      }
    }
    long rows = 0;
    for (Source s : sources) {
      rows += s.block().getRowCount();
    }
    writer.startBlock(rows);
    if (pool == null) {
      for (int c = 0; c < columns.size(); c++) {
        for (Emit e : prepareColumn(bytes, sources, columns.get(c), chunks[c])) {
          e.to(writer);
        }
        chunks[c] = null;
      }
    } else {
      // Columns are prepared (remapped, recompressed) side by side and written in order; at most `ahead`
      // prepared columns wait in memory.
      int ahead = Math.max(2, THREADS);
      List<Future<List<Emit>>> prepared = new ArrayList<>();
      try {
        for (int c = 0; c < columns.size(); c++) {
          while (prepared.size() < columns.size() && prepared.size() <= c + ahead) {
            int col = prepared.size();
            Chunk[] cs = chunks[col];
            chunks[col] = null;
            prepared.add(pool.submit(() -> prepareColumn(bytes, sources, columns.get(col), cs)));
          }
          for (Emit e : await(prepared.get(c))) {
            e.to(writer);
          }
          prepared.set(c, null);
        }
      } finally {
        for (Future<List<Emit>> f : prepared) {
          if (f != null) {
            f.cancel(true);
          }
        }
      }
    }
    writer.endBlock();
    return true;
  }

  /** Threads that prepare columns side by side: the rewriter's column pool has this many. */
  private static final int THREADS = Math.min(4, Runtime.getRuntime().availableProcessors());

  private static List<Emit> await(Future<List<Emit>> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while preparing a column", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    }
  }

  /** One call on the output writer, prepared (compressed) beforehand so that writing is only copying. */
  @FunctionalInterface
  private interface Emit {
    void to(ParquetFileWriter w) throws IOException;
  }

  private static void rethrowStorage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StorageException se) {
        throw se;
      }
      if (t instanceof ObjectNotFoundException gone) {
        throw gone;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Scan: page layout, statistics and rows of one input chunk, without touching values.

  /** One page of an input chunk: where its (compressed) body is, relative to the chunk start. */
  private record Page(PageHeader header, int body, int size, Statistics<?> stats, long rows) {
    boolean v2() {
      return header.getType() == org.apache.parquet.format.PageType.DATA_PAGE_V2;
    }

    Encoding encoding() {
      return CONVERTER.getEncoding(v2() ? header.getData_page_header_v2().getEncoding()
          : header.getData_page_header().getEncoding());
    }

    int values() {
      return v2() ? header.getData_page_header_v2().getNum_values() : header.getData_page_header().getNum_values();
    }
  }

  /** The scan of one input column chunk; {@code why} says why it cannot be merged page by page. */
  private static final class Chunk {
    ColumnChunkMetaData meta;
    Page dictionary;
    final List<Page> pages = new ArrayList<>();
    boolean dictionaryEncoded;
    String why;

    static Chunk no(String why) {
      Chunk c = new Chunk();
      c.why = why;
      return c;
    }
  }

  private Chunk scan(Bytes bytes, int k, Source s, ColumnDescriptor column, ColumnChunkMetaData meta)
      throws IOException {
    if (meta.isEncrypted()) {
      return Chunk.no("encrypted column");
    }
    if (!Arrays.equals(meta.getPath().toArray(), column.getPath())) {
      return Chunk.no("column order differs from the schema");
    }
    Statistics<?> chunkStats = meta.getStatistics();
    if (chunkStats == null || chunkStats.isEmpty() || !chunkStats.isNumNullsSet()) {
      return Chunk.no("no chunk statistics");
    }
    if (!chunkStats.hasNonNullValue() && chunkStats.getNumNulls() != meta.getValueCount()
        && column.getPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.INT96) {
      // Min and max dropped by the reader (a writer or sort order it does not trust) while the decode path
      // computes them. INT96 has no defined order: parquet-java never reports its min and max, either way.
      return Chunk.no("chunk statistics without min and max");
    }
    Slice in = bytes.chunk(k, meta);
    Chunk chunk = new Chunk();
    chunk.meta = meta;
    PrimitiveType type = column.getPrimitiveType();
    int pos = 0;
    long values = 0;
    boolean headerStatsMissing = false;
    while (pos < in.length) {
      ByteArrayInputStream stream = new ByteArrayInputStream(in.array, in.offset + pos, in.length - pos);
      PageHeader h = Util.readPageHeader(stream);
      int body = in.length - stream.available();
      int size = h.getCompressed_page_size();
      if (size < 0 || body + (long) size > in.length) {
        return Chunk.no("a page runs past the chunk");
      }
      pos = body + size;
      switch (h.getType()) {
        case DICTIONARY_PAGE -> {
          if (chunk.dictionary != null || !chunk.pages.isEmpty() || !h.isSetDictionary_page_header()) {
            return Chunk.no("a dictionary page that is not the chunk's first page");
          }
          Encoding e = CONVERTER.getEncoding(h.getDictionary_page_header().getEncoding());
          if (e != Encoding.PLAIN && e != Encoding.PLAIN_DICTIONARY) {
            return Chunk.no("dictionary page encoding " + e);
          }
          if (type.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BOOLEAN) {
            return Chunk.no("a boolean dictionary");
          }
          chunk.dictionary = new Page(h, body, size, null, 0);
        }
        case DATA_PAGE, DATA_PAGE_V2 -> {
          org.apache.parquet.format.Statistics fs;
          long pageRows;
          if (h.getType() == org.apache.parquet.format.PageType.DATA_PAGE) {
            if (!h.isSetData_page_header()) {
              return Chunk.no("a data page without its header");
            }
            DataPageHeader d = h.getData_page_header();
            if ((column.getMaxRepetitionLevel() > 0
                && CONVERTER.getEncoding(d.getRepetition_level_encoding()) != Encoding.RLE)
                || (column.getMaxDefinitionLevel() > 0
                && CONVERTER.getEncoding(d.getDefinition_level_encoding()) != Encoding.RLE)) {
              return Chunk.no("levels not RLE-encoded");
            }
            fs = d.isSetStatistics() ? d.getStatistics() : null;
            pageRows = column.getMaxRepetitionLevel() == 0 ? d.getNum_values() : -1;
            values += d.getNum_values();
          } else {
            if (!h.isSetData_page_header_v2()) {
              return Chunk.no("a v2 data page without its header");
            }
            DataPageHeaderV2 d = h.getData_page_header_v2();
            fs = d.isSetStatistics() ? d.getStatistics() : null;
            pageRows = d.getNum_rows();
            values += d.getNum_values();
            if (d.getRepetition_levels_byte_length() + (long) d.getDefinition_levels_byte_length() > size) {
              return Chunk.no("v2 levels longer than the page");
            }
          }
          Statistics<?> stats = null;
          if (fs != null) {
            stats = CONVERTER.fromParquetStatistics(s.createdBy(), fs, type);
            if (stats != null && (stats.isEmpty() || !stats.isNumNullsSet())) {
              stats = null;
            }
          }
          headerStatsMissing |= stats == null;
          Page p = new Page(h, body, size, stats, pageRows);
          Encoding e = p.encoding();
          if (e.usesDictionary()) {
            if (chunk.dictionary == null) {
              return Chunk.no("dictionary-encoded page without a dictionary page");
            }
            chunk.dictionaryEncoded = true;
          }
          chunk.pages.add(p);
        }
        case INDEX_PAGE -> {
          // not part of the data; dropped like the decode path drops it
        }
        default -> {
          return Chunk.no("page type " + h.getType());
        }
      }
    }
    if (values != meta.getValueCount() || chunk.pages.isEmpty()) {
      return Chunk.no(String.format(Locale.ROOT, "pages hold %d values, the footer %d", values,
          meta.getValueCount()));
    }
    boolean needRows = chunk.pages.stream().anyMatch(p -> p.rows() < 0);
    if (headerStatsMissing || needRows) {
      String why = fromIndexes(bytes, k, chunk, column, chunkStats, s.block().getRowCount(), headerStatsMissing,
          needRows);
      if (why != null) {
        return Chunk.no(why);
      }
    }
    boolean nested = column.getMaxRepetitionLevel() > 0 || column.getMaxDefinitionLevel() > 1;
    if (nested) {
      // Writers disagree on what a null is below the top level (parquet-java counts every level short of a
      // value, Arrow only null leaves): count them as the decode path would, from the definition levels.
      for (int i = 0; i < chunk.pages.size(); i++) {
        Page p = chunk.pages.get(i);
        Statistics<?> st = p.stats().copy();
        st.setNumNulls(nullsOf(in, meta.getCodec(), p, column));
        chunk.pages.set(i, new Page(p.header(), p.body(), p.size(), st, p.rows()));
      }
    }
    Statistics<?> merged = null;
    for (Page p : chunk.pages) {
      if (merged == null) {
        merged = p.stats().copy();
      } else {
        merged.mergeStatistics(p.stats());
      }
    }
    if (nested) {
      Statistics<?> withNulls = chunkStats.copy();
      withNulls.setNumNulls(merged.getNumNulls());
      chunkStats = withNulls;
    }
    if (!sameStatistics(merged, chunkStats)) {
      return Chunk.no("page statistics do not add up to the chunk statistics (truncated or missing)");
    }
    return chunk;
  }

  /** Fills missing page statistics and rows from the input's column and offset index; returns why not. */
  private String fromIndexes(Bytes bytes, int k, Chunk chunk, ColumnDescriptor column, Statistics<?> chunkStats,
      long blockRows, boolean stats, boolean rows) throws IOException {
    PrimitiveType type = column.getPrimitiveType();
    int n = chunk.pages.size();
    ColumnIndex ci = null;
    if (stats && !(n == 1)) {
      Slice s = bytes.index(k, chunk.meta.getColumnIndexReference());
      if (s == null) {
        return "no page statistics and no column index";
      }
      ci = ParquetMetadataConverter.fromParquetColumnIndex(type,
          Util.readColumnIndex(new ByteArrayInputStream(s.array, s.offset, s.length)));
      if (ci == null || ci.getNullPages().size() != n || ci.getNullCounts() == null
          || ci.getNullCounts().size() != n) {
        return "the column index does not match the pages";
      }
    }
    OffsetIndex oi = null;
    if (rows) {
      Slice s = bytes.index(k, chunk.meta.getOffsetIndexReference());
      if (s != null) {
        oi = ParquetMetadataConverter.fromParquetOffsetIndex(
            Util.readOffsetIndex(new ByteArrayInputStream(s.array, s.offset, s.length)));
        if (oi.getPageCount() != n) {
          return "the offset index does not match the pages";
        }
      }
    }
    for (int i = 0; i < n; i++) {
      Page p = chunk.pages.get(i);
      Statistics<?> st = p.stats();
      if (st == null) {
        if (ci == null) {
          st = chunkStats.copy();
        } else {
          Statistics.Builder b = Statistics.getBuilderForReading(type).withNumNulls(ci.getNullCounts().get(i));
          if (!ci.getNullPages().get(i)) {
            b.withMin(bytes(ci.getMinValues().get(i))).withMax(bytes(ci.getMaxValues().get(i)));
          }
          st = b.build();
          if (!st.isNumNullsSet() || (!ci.getNullPages().get(i) && !st.hasNonNullValue())) {
            return "column index entry not usable as statistics";
          }
        }
      }
      long r = p.rows();
      if (r < 0 && oi == null) {
        // No offset index (written before parquet-java 1.11): rows are the values starting at repetition level 0.
        r = rowsOfV1Page(bytes.chunk(k, chunk.meta), chunk.meta.getCodec(), p, column);
        if (r < 0) {
          return "a nested v1 page that starts inside a row";
        }
      } else if (r < 0) {
        long first = oi.getFirstRowIndex(i);
        long next = i + 1 < n ? oi.getFirstRowIndex(i + 1) : blockRows;
        r = next - first;
        if (r < 0) {
          return "the offset index is not ascending";
        }
      }
      chunk.pages.set(i, new Page(p.header(), p.body(), p.size(), st, r));
    }
    return null;
  }

  private static int le32(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
  }

  /** Levels of a page short of the column's maximum definition level: its nulls as parquet-java counts them. */
  private long nullsOf(Slice in, CompressionCodecName from, Page p, ColumnDescriptor column) throws IOException {
    int count = p.values();
    int maxDl = column.getMaxDefinitionLevel();
    int width = BytesUtils.getWidthFromMaxInt(maxDl);
    int[] levels = new int[count];
    if (p.v2()) {
      DataPageHeaderV2 d = p.header().getData_page_header_v2();
      int at = in.offset + p.body() + d.getRepetition_levels_byte_length();
      decodeHybrid(in.array, at, at + d.getDefinition_levels_byte_length(), width, levels, count);
    } else {
      byte[] raw = decompress(from, in.array, in.offset + p.body(), p.size(),
          p.header().getUncompressed_page_size());
      int at = column.getMaxRepetitionLevel() > 0 ? 4 + le32(raw, 0) : 0;
      decodeHybrid(raw, at + 4, at + 4 + le32(raw, at), width, levels, count);
    }
    long nulls = 0;
    for (int level : levels) {
      if (level < maxDl) {
        nulls++;
      }
    }
    return nulls;
  }

  /** Rows of a nested v1 page from its repetition levels, or -1 when the page does not start a row. */
  private long rowsOfV1Page(Slice in, CompressionCodecName from, Page p, ColumnDescriptor column)
      throws IOException {
    byte[] raw = decompress(from, in.array, in.offset + p.body(), p.size(), p.header().getUncompressed_page_size());
    int len = le32(raw, 0);
    int count = p.header().getData_page_header().getNum_values();
    int[] levels = new int[count];
    decodeHybrid(raw, 4, 4 + len, BytesUtils.getWidthFromMaxInt(column.getMaxRepetitionLevel()), levels, count);
    if (count > 0 && levels[0] != 0) {
      return -1;
    }
    long rows = 0;
    for (int level : levels) {
      if (level == 0) {
        rows++;
      }
    }
    return rows;
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  static boolean sameStatistics(Statistics<?> a, Statistics<?> b) {
    if (a == null || b == null || !a.isNumNullsSet() || !b.isNumNullsSet() || a.getNumNulls() != b.getNumNulls()
        || a.hasNonNullValue() != b.hasNonNullValue()) {
      return false;
    }
    return !a.hasNonNullValue()
        || (Arrays.equals(a.getMinBytes(), b.getMinBytes()) && Arrays.equals(a.getMaxBytes(), b.getMaxBytes()));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Write: one output column chunk.

  private List<Emit> prepareColumn(Bytes bytes, List<Source> sources, ColumnDescriptor column, Chunk[] chunks)
      throws IOException {
    List<Emit> writer = new ArrayList<>();
    PrimitiveType type = column.getPrimitiveType();
    long values = 0;
    for (Chunk ch : chunks) {
      values += ch.meta.getValueCount();
    }
    // First pass: the merged dictionary, from the dictionary pages alone.
    int[][] maps = new int[chunks.length][];
    boolean[] plain = new boolean[chunks.length];
    Dictionary merged = null;
    Encoding dictionaryEncoding = null;
    for (int k = 0; k < chunks.length; k++) {
      Chunk ch = chunks[k];
      if (!ch.dictionaryEncoded) {
        continue;
      }
      Slice in = read(bytes, sources.get(k), k, ch.meta);
      Entries own;
      try {
        own = Entries.of(type, dictionaryBody(in, ch), ch.dictionary.header().getDictionary_page_header()
            .getNum_values());
      } catch (IOException | RuntimeException e) {
        rethrowStorage(e);
        throw new BadPage(sources.get(k).file(), StreamingRewriter.rootMessage(e), e);
      }
      if (merged == null) {
        merged = new Dictionary();
        dictionaryEncoding = CONVERTER.getEncoding(ch.dictionary.header().getDictionary_page_header().getEncoding());
      }
      maps[k] = merged.add(own, dictionaryBound);
      plain[k] = maps[k] == null;
    }
    long columnValues = values;
    writer.add(w -> w.startColumn(column, columnValues, codec));
    int bitWidth = 0;
    // Written even when empty (an all-null chunk's writer may leave a dictionary of no entries): its pages still
    // say they are dictionary-encoded, and readers want the dictionary before them.
    boolean remapped = false;
    for (int[] map : maps) {
      remapped |= map != null;
    }
    if (remapped) {
      bitWidth = BytesUtils.getWidthFromMaxInt(Math.max(0, merged.count - 1));
      BytesInput body = compress(merged.data, merged.size);
      DictionaryPage page = new DictionaryPage(body, merged.size, merged.count, dictionaryEncoding);
      writer.add(w -> w.writeDictionaryPage(page));
    }
    for (int k = 0; k < chunks.length; k++) {
      Chunk ch = chunks[k];
      Source s = sources.get(k);
      Slice in = read(bytes, s, k, ch.meta);
      CompressionCodecName from = ch.meta.getCodec();
      Entries own = null;
      if (plain[k]) {
        try {
          own = Entries.of(type, dictionaryBody(in, ch), ch.dictionary.header().getDictionary_page_header()
              .getNum_values());
        } catch (IOException | RuntimeException e) {
          rethrowStorage(e);
          throw new BadPage(s.file(), StreamingRewriter.rootMessage(e), e);
        }
      }
      int[] map = maps[k];
      boolean identity = map != null && isIdentity(map);
      for (Page p : ch.pages) {
        try {
          writePage(writer, column, in, from, p, map, identity, bitWidth, own);
        } catch (IOException | RuntimeException e) {
          rethrowStorage(e);
          throw new BadPage(s.file(), StreamingRewriter.rootMessage(e), e);
        }
      }
    }
    writer.add(ParquetFileWriter::endColumn);
    return writer;
  }

  private Slice read(Bytes bytes, Source s, int k, ColumnChunkMetaData meta) {
    try {
      return bytes.chunk(k, meta);
    } catch (IOException | RuntimeException e) {
      rethrowStorage(e);
      throw new BadPage(s.file(), StreamingRewriter.rootMessage(e), e);
    }
  }

  private byte[] dictionaryBody(Slice in, Chunk ch) throws IOException {
    Page d = ch.dictionary;
    return decompress(ch.meta.getCodec(), in.array, in.offset + d.body(), d.size(),
        d.header().getUncompressed_page_size());
  }

  private static boolean isIdentity(int[] map) {
    for (int i = 0; i < map.length; i++) {
      if (map[i] != i) {
        return false;
      }
    }
    return true;
  }

  private void writePage(List<Emit> writer, ColumnDescriptor column, Slice in, CompressionCodecName from,
      Page p, int[] map, boolean identity, int bitWidth, Entries own) throws IOException {
    PageHeader h = p.header();
    boolean dict = p.encoding().usesDictionary();
    boolean sameCodec = from == codec;
    if (sameCodec && (!dict || identity)) {
      verify(in, from, p);
    }
    if (!p.v2()) {
      DataPageHeader d = h.getData_page_header();
      Encoding rl = CONVERTER.getEncoding(d.getRepetition_level_encoding());
      Encoding dl = CONVERTER.getEncoding(d.getDefinition_level_encoding());
      if (sameCodec && (!dict || identity)) {
        BytesInput copy = BytesInput.from(in.array, in.offset + p.body(), p.size());
        writer.add(w -> w.writeDataPage(d.getNum_values(), h.getUncompressed_page_size(), copy, p.stats(), p.rows(),
            rl, dl, p.encoding()));
        return;
      }
      byte[] raw = decompress(from, in.array, in.offset + p.body(), p.size(), h.getUncompressed_page_size());
      if (!dict || identity) {
        BytesInput recompressed = compress(raw, raw.length);
        writer.add(w -> w.writeDataPage(d.getNum_values(), raw.length, recompressed, p.stats(), p.rows(), rl, dl,
            p.encoding()));
        return;
      }
      int levelsEnd = 0;
      int nonNull = d.getNum_values();
      if (column.getMaxRepetitionLevel() > 0) {
        levelsEnd += 4 + le32(raw, levelsEnd);
      }
      if (column.getMaxDefinitionLevel() > 0) {
        int len = le32(raw, levelsEnd);
        nonNull = countLevel(raw, levelsEnd + 4, levelsEnd + 4 + len,
            BytesUtils.getWidthFromMaxInt(column.getMaxDefinitionLevel()), d.getNum_values(),
            column.getMaxDefinitionLevel());
        levelsEnd += 4 + len;
      }
      Buffer out = new Buffer(raw.length + 16);
      out.write(raw, 0, levelsEnd);
      Encoding encoding = transcode(raw, levelsEnd, raw.length, nonNull, map, bitWidth, own, out, p.encoding());
      BytesInput remapped = compress(out.data, out.size);
      int size = out.size;
      writer.add(w -> w.writeDataPage(d.getNum_values(), size, remapped, p.stats(), p.rows(), rl, dl, encoding));
      return;
    }
    DataPageHeaderV2 d = h.getData_page_header_v2();
    int rlLen = d.getRepetition_levels_byte_length();
    int dlLen = d.getDefinition_levels_byte_length();
    int at = in.offset + p.body();
    BytesInput rl = BytesInput.from(in.array, at, rlLen);
    BytesInput dl = BytesInput.from(in.array, at + rlLen, dlLen);
    int dataAt = at + rlLen + dlLen;
    int dataLen = p.size() - rlLen - dlLen;
    int rawLen = h.getUncompressed_page_size() - rlLen - dlLen;
    boolean compressed = !d.isSetIs_compressed() || d.isIs_compressed();
    if ((!dict || identity) && (sameCodec || !compressed)) {
      BytesInput copy = BytesInput.from(in.array, dataAt, dataLen);
      writer.add(w -> w.writeDataPageV2(d.getNum_rows(), d.getNum_nulls(), d.getNum_values(), rl, dl, p.encoding(),
          copy, compressed, rawLen, p.stats()));
      return;
    }
    byte[] raw = compressed ? decompress(from, in.array, dataAt, dataLen, rawLen)
        : Arrays.copyOfRange(in.array, dataAt, dataAt + dataLen);
    Encoding encoding = p.encoding();
    int size = raw.length;
    byte[] data = raw;
    if (dict && !identity) {
      Buffer out = new Buffer(raw.length + 16);
      encoding = transcode(raw, 0, raw.length, d.getNum_values() - d.getNum_nulls(), map, bitWidth, own, out,
          encoding);
      data = out.data;
      size = out.size;
    }
    BytesInput body = compress(data, size);
    Encoding dataEncoding = encoding;
    int dataSize = size;
    writer.add(w -> w.writeDataPageV2(d.getNum_rows(), d.getNum_nulls(), d.getNum_values(), rl, dl, dataEncoding,
        body, true, dataSize, p.stats()));
  }

  /**
   * Checks a page that is about to be copied without being decompressed: by its CRC when it has one, else by
   * decompressing it. A corrupt page copied blindly would make the output unreadable and cost every other input's
   * rows; found here, only its own file is quarantined.
   */
  private void verify(Slice in, CompressionCodecName from, Page p) throws IOException {
    PageHeader h = p.header();
    if (h.isSetCrc()) {
      CRC32 crc = new CRC32();
      crc.update(in.array, in.offset + p.body(), p.size());
      if ((int) crc.getValue() != h.getCrc()) {
        throw new IOException("page checksum mismatch");
      }
      return;
    }
    if (p.v2()) {
      DataPageHeaderV2 d = h.getData_page_header_v2();
      int levels = d.getRepetition_levels_byte_length() + d.getDefinition_levels_byte_length();
      if (!d.isSetIs_compressed() || d.isIs_compressed()) {
        decompress(from, in.array, in.offset + p.body() + levels, p.size() - levels,
            h.getUncompressed_page_size() - levels);
      }
    } else {
      decompress(from, in.array, in.offset + p.body(), p.size(), h.getUncompressed_page_size());
    }
  }

  /**
   * Rewrites the dictionary ids in {@code raw[from, to)} ({@code count} of them): remapped to the merged
   * dictionary at {@code bitWidth}, or (when {@code own} is given) replaced by their plain-encoded values.
   */
  private static Encoding transcode(byte[] raw, int from, int to, int count, int[] map, int bitWidth, Entries own,
      Buffer out, Encoding encoding) throws IOException {
    int[] ids = new int[count];
    int width = raw[from] & 0xff;
    if (width > 32) {
      throw new IllegalStateException("dictionary id bit width " + width);
    }
    decodeHybrid(raw, from + 1, to, width, ids, count);
    if (own != null) {
      for (int id : ids) {
        own.writeTo(id, out);
      }
      return Encoding.PLAIN;
    }
    for (int i = 0; i < count; i++) {
      ids[i] = map[ids[i]];
    }
    out.write(new byte[] {(byte) bitWidth}, 0, 1);
    try (RunLengthBitPackingHybridEncoder enc = new RunLengthBitPackingHybridEncoder(bitWidth,
        Math.max(64, count / 4), Math.max(1 << 16, count * 4 + 64), HeapByteBufferAllocator.getInstance())) {
      for (int id : ids) {
        enc.writeInt(id);
      }
      byte[] encoded = enc.toBytes().toByteArray();
      out.write(encoded, 0, encoded.length);
    }
    return encoding;
  }

  /** How many of the first {@code count} levels in the RLE/bit-packed run {@code buf[pos, end)} equal {@code level}. */
  private static int countLevel(byte[] buf, int pos, int end, int width, int count, int level) {
    int[] levels = new int[count];
    decodeHybrid(buf, pos, end, width, levels, count);
    int n = 0;
    for (int v : levels) {
      if (v == level) {
        n++;
      }
    }
    return n;
  }

  /** Decodes {@code count} values of the RLE/bit-packed hybrid encoding (no length prefix) into {@code out}. */
  static void decodeHybrid(byte[] buf, int pos, int end, int width, int[] out, int count) {
    BytePacker packer = Packer.LITTLE_ENDIAN.newBytePacker(width);
    int valueBytes = (width + 7) / 8;
    int[] eight = new int[8];
    byte[] padded = null;
    int n = 0;
    while (n < count) {
      int header = 0;
      int shift = 0;
      int b;
      do {
        if (pos >= end) {
          throw new IllegalStateException("RLE run header past the end of the page");
        }
        b = buf[pos++] & 0xff;
        header |= (b & 0x7f) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      if ((header & 1) == 0) {
        int run = header >>> 1;
        int value = 0;
        for (int i = 0; i < valueBytes; i++) {
          value |= (buf[pos++] & 0xff) << (8 * i);
        }
        int m = Math.min(run, count - n);
        Arrays.fill(out, n, n + m, value);
        n += m;
      } else {
        int groups = header >>> 1;
        for (int g = 0; g < groups && n < count; g++) {
          int[] target = count - n >= 8 ? out : eight;
          int at = count - n >= 8 ? n : 0;
          if (pos + width <= end) {
            packer.unpack8Values(buf, pos, target, at);
          } else {
            // The last group of a page may be cut short by its writer; the missing bits are zeros.
            if (padded == null) {
              padded = new byte[32];
            }
            Arrays.fill(padded, (byte) 0);
            System.arraycopy(buf, pos, padded, 0, Math.max(0, end - pos));
            packer.unpack8Values(padded, 0, target, at);
          }
          pos += width;
          int m = Math.min(8, count - n);
          if (target == eight) {
            System.arraycopy(eight, 0, out, n, m);
          }
          n += m;
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Codecs: zstd straight through zstd-jni (no Hadoop codec pool, which logs every codec it creates), others through
  // parquet-java's codec factory.

  private byte[] decompress(CompressionCodecName from, byte[] src, int off, int len, int size) throws IOException {
    return codec().decompress(from, src, off, len, size);
  }

  private BytesInput compress(byte[] raw, int len) throws IOException {
    return codec().compress(raw, len);
  }

  private Codec codec() {
    Codec c = threadCodec.get();
    if (c == null) {
      c = new Codec(codec);
      threadCodec.set(c);
      allCodecs.add(c);
    }
    return c;
  }

  /** The codec state of one thread. */
  private static final class Codec {
    private final CompressionCodecName codec;
    private final ZstdCompressCtx zstd;
    private final ZstdDecompressCtx unzstd = new ZstdDecompressCtx();
    /** Only for codecs other than zstd; created on first use (Hadoop's codec pool logs each codec it creates). */
    private CompressionCodecFactory codecs;

    Codec(CompressionCodecName codec) {
      this.codec = codec;
      this.zstd = codec == CompressionCodecName.ZSTD ? new ZstdCompressCtx().setLevel(ZSTD_LEVEL) : null;
    }

    byte[] decompress(CompressionCodecName from, byte[] src, int off, int len, int size) throws IOException {
      if (from == CompressionCodecName.UNCOMPRESSED) {
        if (len != size) {
          throw new IOException(String.format(Locale.ROOT, "uncompressed page of %d bytes claims %d", len, size));
        }
        return Arrays.copyOfRange(src, off, off + len);
      }
      if (from == CompressionCodecName.ZSTD) {
        byte[] out = new byte[size];
        int n;
        try {
          n = unzstd.decompressByteArray(out, 0, size, src, off, len);
        } catch (RuntimeException e) {
          throw new IOException(String.format(Locale.ROOT, "zstd page of %d bytes did not decompress: %s", len,
              e.getMessage()), e);
        }
        if (n != size) {
          throw new IOException(String.format(Locale.ROOT, "zstd page of %d bytes decompressed to %d bytes, not %d",
              len, n, size));
        }
        return out;
      }
      return factory().getDecompressor(from).decompress(BytesInput.from(src, off, len), size).toByteArray();
    }

    BytesInput compress(byte[] raw, int len) throws IOException {
      if (codec == CompressionCodecName.UNCOMPRESSED) {
        return BytesInput.from(Arrays.copyOf(raw, len));
      }
      if (zstd != null) {
        byte[] out = new byte[(int) Zstd.compressBound(len)];
        int n = zstd.compressByteArray(out, 0, out.length, raw, 0, len);
        return BytesInput.from(out, 0, n);
      }
      return BytesInput.copy(factory().getCompressor(codec).compress(BytesInput.from(raw, 0, len)));
    }

    private CompressionCodecFactory factory() {
      if (codecs == null) {
        codecs = new CodecFactory(new PlainParquetConfiguration(), 1 << 20);
      }
      return codecs;
    }

    void close() {
      if (zstd != null) {
        zstd.close();
      }
      unzstd.close();
      if (codecs != null) {
        codecs.release();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Dictionaries.

  /** The plain-encoded entries of one dictionary page: entry i is {@code data[start[i], start[i + 1])}. */
  private record Entries(byte[] data, int[] start) {
    static Entries of(PrimitiveType type, byte[] data, int count) {
      int[] start = new int[count + 1];
      int pos = 0;
      int width = switch (type.getPrimitiveTypeName()) {
        case INT32, FLOAT -> 4;
        case INT64, DOUBLE -> 8;
        case INT96 -> 12;
        case FIXED_LEN_BYTE_ARRAY -> type.getTypeLength();
        case BINARY -> -1;
        case BOOLEAN -> throw new IllegalStateException("boolean dictionary");
      };
      for (int i = 0; i < count; i++) {
        start[i] = pos;
        pos += width >= 0 ? width : 4 + le32(data, pos);
        if (pos > data.length || pos < start[i]) {
          throw new IllegalStateException("dictionary entry " + i + " runs past its page");
        }
      }
      start[count] = pos;
      return new Entries(data, start);
    }

    int count() {
      return start.length - 1;
    }

    void writeTo(int id, Buffer out) {
      out.write(data, start[id], start[id + 1] - start[id]);
    }
  }

  /** A merged dictionary: plain-encoded entries in one array, found by content. */
  private static final class Dictionary {
    byte[] data = new byte[1 << 12];
    int size;
    int count;
    private final Map<Key, Integer> ids = new HashMap<>();

    /** The ids of {@code own}'s entries here, or {@code null} (nothing added) when they would not fit in bound. */
    int[] add(Entries own, int bound) {
      int[] map = new int[own.count()];
      List<Integer> fresh = new ArrayList<>();
      long freshBytes = 0;
      for (int i = 0; i < map.length; i++) {
        Key probe = new Key(own.data(), own.start()[i], own.start()[i + 1] - own.start()[i]);
        Integer id = ids.get(probe);
        if (id == null) {
          map[i] = -1;
          fresh.add(i);
          freshBytes += probe.len;
          if (size + freshBytes > bound) {
            return null; // does not fit: no need to look at the rest
          }
        } else {
          map[i] = id;
        }
      }
      if (size + freshBytes > bound) {
        return null;
      }
      for (int i : fresh) {
        int from = own.start()[i];
        int len = own.start()[i + 1] - from;
        Key probe = new Key(own.data(), from, len);
        Integer id = ids.get(probe); // an entry may repeat within one input dictionary
        if (id == null) {
          if (size + len > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, size + len));
          }
          System.arraycopy(own.data(), from, data, size, len);
          id = count++;
          ids.put(new Key(data, size, len), id);
          size += len;
        }
        map[i] = id;
      }
      return map;
    }
  }

  /**
   * Bytes of an entry, compared by content. Keys in the map point into the merged dictionary's array, which is
   * replaced when it grows; the old array stays reachable through them and keeps its content.
   */
  private static final class Key {
    private static final VarHandle LONG_LE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    final byte[] a;
    final int off;
    final int len;
    final int hash;

    Key(byte[] a, int off, int len) {
      this.a = a;
      this.off = off;
      this.len = len;
      // Not the 31-polynomial of Arrays.hashCode: over binary values (timestamps, ids) it collides a lot, and
      // colliding keys that are not Comparable make HashMap's tree bins scan.
      long h = 0x9E3779B97F4A7C15L ^ len;
      int i = off;
      int end = off + len;
      for (; i + 8 <= end; i += 8) {
        h = Long.rotateLeft(h ^ ((long) LONG_LE.get(a, i) * 0xC2B2AE3D27D4EB4FL), 31) * 0x9E3779B97F4A7C15L;
      }
      for (; i < end; i++) {
        h = (h ^ (a[i] & 0xff)) * 0x100000001B3L;
      }
      h ^= h >>> 33;
      h *= 0xFF51AFD7ED558CCDL;
      h ^= h >>> 33;
      this.hash = (int) h;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.len == len && Arrays.equals(a, off, off + len, k.a, k.off, k.off + len);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** A growable byte array. */
  private static final class Buffer {
    byte[] data;
    int size;

    Buffer(int capacity) {
      data = new byte[Math.max(16, capacity)];
    }

    void write(byte[] b, int off, int len) {
      if (size + len > data.length) {
        data = Arrays.copyOf(data, Math.max(data.length * 2, size + len));
      }
      System.arraycopy(b, off, data, size, len);
      size += len;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Input bytes.

  private record Slice(byte[] array, int offset, int length) {}

  /**
   * The input bytes of the row groups being merged: each row group's chunks and indexes read as one range when
   * they all fit the budget, else each chunk read on demand.
   */
  private static final class Bytes {
    private static final long INDEX_GAP = 1L << 20;
    private final ObjectStore store;
    private final List<Source> sources;
    /** Per source: the bytes from {@code base[k]} on, or {@code null} when read on demand. */
    private final byte[][] ranges;
    private final long[] base;

    private Bytes(ObjectStore store, List<Source> sources, byte[][] ranges, long[] base) {
      this.store = store;
      this.sources = sources;
      this.ranges = ranges;
      this.base = base;
    }

    static Bytes read(ObjectStore store, List<Source> sources, int columns, long budget) throws IOException {
      int n = sources.size();
      long[] from = new long[n];
      long[] to = new long[n];
      long total = 0;
      for (int k = 0; k < n; k++) {
        BlockMetaData b = sources.get(k).block();
        if (b.getColumns().size() != columns) {
          throw new IOException("row group has " + b.getColumns().size() + " columns, the schema " + columns);
        }
        long lo = Long.MAX_VALUE;
        long hi = 0;
        long indexLo = Long.MAX_VALUE;
        long indexHi = 0;
        for (ColumnChunkMetaData c : b.getColumns()) {
          lo = Math.min(lo, c.getStartingPos());
          hi = Math.max(hi, c.getStartingPos() + c.getTotalSize());
          for (IndexReference r : new IndexReference[] {c.getColumnIndexReference(), c.getOffsetIndexReference()}) {
            if (r != null) {
              indexLo = Math.min(indexLo, r.getOffset());
              indexHi = Math.max(indexHi, r.getOffset() + r.getLength());
            }
          }
        }
        // The indexes sit after all row groups: read with the chunks when close by (a small file: one read for
        // the whole file), on demand otherwise.
        if (indexHi > hi && indexLo >= hi && indexHi - hi <= Math.max(INDEX_GAP, hi - lo)) {
          hi = indexHi;
        }
        from[k] = lo;
        to[k] = hi;
        total += hi - lo;
      }
      byte[][] ranges = new byte[n][];
      if (total <= budget) {
        for (int k = 0; k < n; k++) {
          ranges[k] = readRange(store, sources.get(k), from[k], (int) (to[k] - from[k]));
        }
      }
      return new Bytes(store, sources, ranges, from);
    }

    Slice chunk(int k, ColumnChunkMetaData c) throws IOException {
      return slice(k, c.getStartingPos(), c.getTotalSize());
    }

    /** The bytes of an index, or {@code null} when the file has none. */
    Slice index(int k, IndexReference r) throws IOException {
      return r == null ? null : slice(k, r.getOffset(), r.getLength());
    }

    private Slice slice(int k, long offset, long length) throws IOException {
      if (length > Integer.MAX_VALUE - 16 || offset < 0 || length < 0) {
        throw new IOException("range of " + length + " bytes at " + offset);
      }
      long at = offset - base[k];
      if (ranges[k] != null && at >= 0 && at + length <= ranges[k].length) {
        return new Slice(ranges[k], (int) at, (int) length);
      }
      return new Slice(readRange(store, sources.get(k), offset, (int) length), 0, (int) length);
    }

    private static byte[] readRange(ObjectStore store, Source s, long offset, int length) throws IOException {
      if (offset < 0 || offset + length > s.file().sizeBytes()) {
        throw new IOException(String.format(Locale.ROOT, "range [%d, %d) is outside the file of %d bytes", offset,
            offset + length, s.file().sizeBytes()));
      }
      byte[] buf = new byte[length];
      try (SeekableInput in = store.open(s.key())) {
        in.readFully(offset, buf, 0, length);
      }
      return buf;
    }
  }

  /** An input found unreadable while its pages were being written; the merge restarts without it. */
  static final class BadPage extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient DataFile file;

    BadPage(DataFile file, String why, Throwable cause) {
      super(why, cause, false, false);
      this.file = file;
    }
  }
}
