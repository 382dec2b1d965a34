package dev.lakelifecycle.core.internal.compaction;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.core.internal.parquet.ZstdCodecFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.DataPageHeaderV2;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
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
 * chunk is read on its own by the scan and kept for the write while the kept chunks fit {@code budget}, the rest
 * read again for the write (the dictionary pass reads only dictionary pages). Prepared (compressed) columns wait
 * for their turn to be written up to about {@code budget} bytes of input. Output pages go straight to the output
 * file.
 *
 * <p><b>Speed</b>: no per-value work in Java beyond one {@code int[]} load per dictionary id. Entries are hashed
 * once per input dictionary entry into an open-addressing table ({@link Dictionary}); ids are decoded and encoded
 * eight at a time with parquet-java's bit packers ({@link Hybrid}); plain pages are built by copying entry bytes;
 * zstd contexts and page buffers are reused per thread; columns are scanned and prepared on the rewriter's column
 * threads. Not thread-safe: one instance per merge.
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
    // Scanning decompresses pages of nested columns and reads chunks on demand: columns side by side too.
    if (pool == null) {
      for (int c = 0; c < columns.size(); c++) {
        if (!scanColumn(bytes, sources, columns.get(c), c, chunks[c])) {
          return false;
        }
      }
    } else {
      List<Future<Boolean>> scans = new ArrayList<>();
      try {
        for (int c = 0; c < columns.size(); c++) {
          int col = c;
          scans.add(pool.submit(() -> scanColumn(bytes, sources, columns.get(col), col, chunks[col])));
        }
        boolean all = true;
        for (Future<Boolean> f : scans) {
          all &= await(f);
        }
        if (!all) {
          return false;
        }
      } finally {
        for (Future<Boolean> f : scans) {
          f.cancel(true);
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
      // Columns are prepared (remapped, recompressed) side by side and written in order. Columns differ a lot in
      // cost (ids against enums), so preparation runs ahead of writing as far as the budget allows, counting a
      // prepared column by its inputs' compressed bytes: a fixed look-ahead leaves a core idle behind one heavy
      // column.
      long[] weight = new long[columns.size()];
      for (int c = 0; c < columns.size(); c++) {
        for (Chunk ch : chunks[c]) {
          weight[c] += ch.meta.getTotalSize();
        }
      }
      int ahead = Math.max(2, THREADS);
      long waiting = 0;
      List<Future<List<Emit>>> prepared = new ArrayList<>();
      try {
        for (int c = 0; c < columns.size(); c++) {
          while (prepared.size() < columns.size()
              && (prepared.size() <= c + ahead || waiting + weight[prepared.size()] <= budget)) {
            int col = prepared.size();
            Chunk[] cs = chunks[col];
            chunks[col] = null;
            waiting += weight[col];
            prepared.add(pool.submit(() -> prepareColumn(bytes, sources, columns.get(col), cs)));
          }
          for (Emit e : await(prepared.get(c))) {
            e.to(writer);
          }
          prepared.set(c, null);
          waiting -= weight[c];
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

  /** Scans column {@code c} of every source into {@code into}; {@code false} when it cannot be merged by pages. */
  private boolean scanColumn(Bytes bytes, List<Source> sources, ColumnDescriptor column, int c, Chunk[] into) {
    for (int k = 0; k < sources.size(); k++) {
      Source s = sources.get(k);
      try {
        into[k] = scan(bytes, k, s, column, s.block().getColumns().get(c));
      } catch (IOException | RuntimeException e) {
        rethrowStorage(e);
        LOG.debug("Page merge not possible for {}: column {} cannot be scanned", s.file().location(), column, e);
        return false;
      }
      if (into[k].why != null) {
        LOG.debug("Page merge not possible for {}: column {}: {}", s.file().location(), column, into[k].why);
        return false;
      }
    }
    return true;
  }

  /** Threads that prepare columns side by side: the rewriter's column pool has this many. */
  private static final int THREADS = Math.min(4, Runtime.getRuntime().availableProcessors());

  private static <T> T await(Future<T> f) throws IOException {
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
    bytes.keep(k, meta, in);
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
      // Only the dictionary page: when chunks are read on demand, the pages are read in the second pass.
      Slice in = read(bytes, sources.get(k), k, ch.meta, ch.dictionary.body() + ch.dictionary.size());
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
      BytesInput body = compress(merged.data, 0, merged.size);
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
      bytes.release(k, ch.meta);
    }
    writer.add(ParquetFileWriter::endColumn);
    return writer;
  }

  private Slice read(Bytes bytes, Source s, int k, ColumnChunkMetaData meta) {
    return read(bytes, s, k, meta, meta.getTotalSize());
  }

  /** The first {@code length} bytes of a chunk (or more, when the whole chunk is at hand). */
  private Slice read(Bytes bytes, Source s, int k, ColumnChunkMetaData meta, long length) {
    try {
      Slice kept = bytes.kept(k, meta);
      return kept != null ? kept : bytes.slice(k, meta.getStartingPos(), length);
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
      int rawSize = h.getUncompressed_page_size();
      byte[] raw = codec().decompressTransient(from, in.array, in.offset + p.body(), p.size(), rawSize);
      if (!dict || identity) {
        BytesInput recompressed = compress(raw, 0, rawSize);
        writer.add(w -> w.writeDataPage(d.getNum_values(), rawSize, recompressed, p.stats(), p.rows(), rl, dl,
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
      Hybrid.Sink out = codec().sink();
      out.write(raw, 0, levelsEnd);
      Encoding encoding = transcode(raw, levelsEnd, rawSize, nonNull, map, bitWidth, own, out, p.encoding());
      BytesInput remapped = compress(out.data, 0, out.size);
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
    byte[] raw = compressed ? codec().decompressTransient(from, in.array, dataAt, dataLen, rawLen) : in.array;
    int rawAt = compressed ? 0 : dataAt;
    int size = compressed ? rawLen : dataLen;
    Encoding encoding = p.encoding();
    byte[] data = raw;
    int dataFrom = rawAt;
    if (dict && !identity) {
      Hybrid.Sink out = codec().sink();
      encoding = transcode(raw, rawAt, rawAt + size, d.getNum_values() - d.getNum_nulls(), map, bitWidth, own, out,
          encoding);
      data = out.data;
      dataFrom = 0;
      size = out.size;
    }
    BytesInput body = compress(data, dataFrom, size);
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
        codec().decompressTransient(from, in.array, in.offset + p.body() + levels, p.size() - levels,
            h.getUncompressed_page_size() - levels);
      }
    } else {
      codec().decompressTransient(from, in.array, in.offset + p.body(), p.size(), h.getUncompressed_page_size());
    }
  }

  /**
   * Rewrites the dictionary ids in {@code raw[from, to)} ({@code count} of them): remapped to the merged
   * dictionary at {@code bitWidth}, or (when {@code own} is given) replaced by their plain-encoded values.
   */
  private Encoding transcode(byte[] raw, int from, int to, int count, int[] map, int bitWidth, Entries own,
      Hybrid.Sink out, Encoding encoding) {
    Codec scratch = codec();
    int[] ids = scratch.ids(count);
    int width = raw[from] & 0xff;
    if (width > 32) {
      throw new IllegalStateException("dictionary id bit width " + width);
    }
    decodeHybrid(raw, from + 1, to, width, ids, count);
    if (own != null) {
      own.writePlain(ids, count, out);
      return Encoding.PLAIN;
    }
    // The lookup table was built once per input dictionary: remapping is one array load per value.
    for (int i = 0; i < count; i++) {
      ids[i] = map[ids[i]];
    }
    out.write(bitWidth);
    Hybrid.encode(ids, count, bitWidth, out);
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
    Hybrid.decode(buf, pos, end, width, out, count);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Codecs: zstd straight through zstd-jni (no Hadoop codec pool, which logs every codec it creates), others through
  // parquet-java's codec factory.

  private byte[] decompress(CompressionCodecName from, byte[] src, int off, int len, int size) throws IOException {
    return codec().decompress(from, src, off, len, size);
  }

  private BytesInput compress(byte[] raw, int off, int len) throws IOException {
    return codec().compress(raw, off, len);
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
    /** Only for codecs other than zstd (which this class compresses itself); created on first use. */
    private CompressionCodecFactory codecs;

    Codec(CompressionCodecName codec) {
      this.codec = codec;
      this.zstd = codec == CompressionCodecName.ZSTD ? new ZstdCompressCtx().setLevel(ZSTD_LEVEL) : null;
    }

    /** Reused from page to page: the decompressed page, the ids of a page, the page being built, zstd output. */
    private byte[] raw = new byte[0];
    private int[] ids = new int[0];
    private final Hybrid.Sink sink = new Hybrid.Sink(1 << 16);
    private byte[] compressed = new byte[0];

    int[] ids(int count) {
      if (ids.length < count) {
        ids = new int[Math.max(count, ids.length * 2)];
      }
      return ids;
    }

    Hybrid.Sink sink() {
      sink.size = 0;
      return sink;
    }

    /**
     * Like {@link #decompress} but into this thread's scratch array, valid until its next call: for pages that are
     * consumed right away.
     */
    byte[] decompressTransient(CompressionCodecName from, byte[] src, int off, int len, int size)
        throws IOException {
      if (from != CompressionCodecName.ZSTD) {
        return decompress(from, src, off, len, size);
      }
      if (raw.length < size) {
        raw = new byte[Math.max(size, Math.min(Integer.MAX_VALUE - 16, raw.length * 2))];
      }
      unzstd(src, off, len, raw, size);
      return raw;
    }

    private void unzstd(byte[] src, int off, int len, byte[] out, int size) throws IOException {
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
        unzstd(src, off, len, out, size);
        return out;
      }
      return factory().getDecompressor(from).decompress(BytesInput.from(src, off, len), size).toByteArray();
    }

    /** The compressed bytes in an array of their own (prepared pages wait in memory: no slack kept). */
    BytesInput compress(byte[] src, int off, int len) throws IOException {
      if (codec == CompressionCodecName.UNCOMPRESSED) {
        return BytesInput.from(Arrays.copyOfRange(src, off, off + len));
      }
      if (zstd != null) {
        int bound = (int) Zstd.compressBound(len);
        if (compressed.length < bound) {
          compressed = new byte[Math.max(bound, Math.min(Integer.MAX_VALUE - 16, compressed.length * 2))];
        }
        int n = zstd.compressByteArray(compressed, 0, compressed.length, src, off, len);
        return BytesInput.from(Arrays.copyOf(compressed, n));
      }
      return BytesInput.copy(factory().getCompressor(codec).compress(BytesInput.from(src, off, len)));
    }

    private CompressionCodecFactory factory() {
      if (codecs == null) {
        codecs = ZstdCodecFactory.create();
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
  record Entries(byte[] data, int[] start) {
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

    /** Appends the plain encoding of the values {@code ids[0, count)} (entries' bytes back to back). */
    void writePlain(int[] ids, int count, Hybrid.Sink out) {
      int n = count();
      long total = 0;
      for (int i = 0; i < count; i++) {
        int id = ids[i];
        if (id < 0 || id >= n) {
          throw new IllegalStateException("dictionary id " + id + " of a dictionary of " + n + " entries");
        }
        total += start[id + 1] - start[id];
      }
      out.ensure(out.size + total);
      byte[] to = out.data;
      int at = out.size;
      for (int i = 0; i < count; i++) {
        int from = start[ids[i]];
        int len = start[ids[i] + 1] - from;
        System.arraycopy(data, from, to, at, len);
        at += len;
      }
      out.size = at;
    }
  }

  /**
   * A merged dictionary: plain-encoded entries back to back in one array, found by content through an
   * open-addressing table of ids (linear probing, hashes kept per entry). Hashing happens once per input
   * dictionary entry; values are then remapped through the {@code int[]} that {@link #add} returns.
   */
  static final class Dictionary {
    private static final VarHandle LONG_LE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    byte[] data = new byte[1 << 12];
    int size;
    int count;
    /** Entry i is {@code data[starts[i], starts[i + 1])}. */
    private int[] starts = new int[1025];
    private int[] hashes = new int[1024];
    /** Per slot: the entry's hash in the high half, id + 1 in the low half; 0 when free. One load per probe. */
    private long[] slots = new long[2048];

    /**
     * Set once an input did not fit: from then on only inputs whose entries are all here already join. Otherwise
     * every later input of a high-cardinality column (ids, timestamps) would insert entries until the little room
     * left runs out, then roll them back: thousands of wasted inserts per input.
     */
    private boolean full;

    /**
     * The ids of {@code own}'s entries here, or {@code null} (nothing added) when they would not fit in bound, or
     * when an earlier input did not fit and one of {@code own}'s entries is new.
     */
    int[] add(Entries own, int bound) {
      if (full) {
        bound = size;
      }
      int[] map = new int[own.count()];
      int countBefore = count;
      int sizeBefore = size;
      byte[] src = own.data();
      int[] at = own.start();
      for (int i = 0; i < map.length; i++) {
        int from = at[i];
        int len = at[i + 1] - from;
        int h = hash(src, from, len);
        int mask = slots.length - 1;
        int slot = h & mask;
        int id = -1;
        for (long s; (s = slots[slot]) != 0; slot = (slot + 1) & mask) {
          int cand = (int) s - 1;
          if ((int) (s >>> 32) == h
              && Arrays.equals(data, starts[cand], starts[cand + 1], src, from, from + len)) {
            id = cand;
            break;
          }
        }
        if (id < 0) {
          if (size + (long) len > bound) {
            rollback(countBefore, sizeBefore);
            full = true;
            return null;
          }
          id = append(src, from, len, h);
          slots[slot] = slot(h, id);
          if (count * 2L > slots.length) {
            rehash(slots.length * 2);
          }
        }
        map[i] = id;
      }
      return map;
    }

    private int append(byte[] src, int from, int len, int h) {
      if (size + len > data.length) {
        data = Arrays.copyOf(data, Math.max(data.length * 2, size + len));
      }
      if (count == hashes.length) {
        hashes = Arrays.copyOf(hashes, hashes.length * 2);
        starts = Arrays.copyOf(starts, hashes.length + 1);
      }
      System.arraycopy(src, from, data, size, len);
      int id = count++;
      hashes[id] = h;
      starts[id] = size;
      size += len;
      starts[count] = size;
      return id;
    }

    /**
     * Forgets the entries from {@code keep} on, newest first. With linear probing and no deletions, an entry's probe
     * only ever passed older entries' slots, so each newest entry is found by an ordinary probe and clearing it
     * leaves every older one findable.
     */
    private void rollback(int keep, int keepSize) {
      int mask = slots.length - 1;
      for (int id = count - 1; id >= keep; id--) {
        int slot = hashes[id] & mask;
        while ((int) slots[slot] != id + 1) {
          slot = (slot + 1) & mask;
        }
        slots[slot] = 0;
      }
      count = keep;
      size = keepSize;
      starts[count] = size;
    }

    private static long slot(int hash, int id) {
      return (long) hash << 32 | (id + 1L);
    }

    private void rehash(int capacity) {
      long[] fresh = new long[capacity];
      int mask = capacity - 1;
      for (int id = 0; id < count; id++) {
        int slot = hashes[id] & mask;
        while (fresh[slot] != 0) {
          slot = (slot + 1) & mask;
        }
        fresh[slot] = slot(hashes[id], id);
      }
      slots = fresh;
    }

    /**
     * Not the 31-polynomial of Arrays.hashCode: over binary values (timestamps, ids) it collides a lot. The low
     * bits pick the slot, so the result is well mixed.
     */
    static int hash(byte[] a, int off, int len) {
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
      return (int) h;
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

    /**
     * On-demand mode: chunks read by the scan and kept for the write pass (instead of reading them twice), as long
     * as they fit {@link #room}; each is released once its column is written.
     */
    private final Map<Long, Slice> kept = new ConcurrentHashMap<>();
    private final AtomicLong room;

    private Bytes(ObjectStore store, List<Source> sources, byte[][] ranges, long[] base, long budget) {
      this.store = store;
      this.sources = sources;
      this.ranges = ranges;
      this.base = base;
      this.room = new AtomicLong(budget);
    }

    private boolean onDemand(int k) {
      return ranges[k] == null;
    }

    private static Long key(int k, ColumnChunkMetaData c) {
      return (long) k << 40 | (c.getStartingPos() & ((1L << 40) - 1));
    }

    /** Keeps a chunk read on demand for its second use, when the budget has room for it. */
    void keep(int k, ColumnChunkMetaData c, Slice s) {
      if (!onDemand(k) || s.offset != 0 || s.length != s.array.length || kept.containsKey(key(k, c))) {
        return;
      }
      if (room.addAndGet(-s.length) >= 0) {
        kept.put(key(k, c), s);
      } else {
        room.addAndGet(s.length);
      }
    }

    /** The kept bytes of a chunk, or {@code null}. */
    Slice kept(int k, ColumnChunkMetaData c) {
      return onDemand(k) ? kept.get(key(k, c)) : null;
    }

    /** Forgets a kept chunk: its column is written. */
    void release(int k, ColumnChunkMetaData c) {
      Slice s = onDemand(k) ? kept.remove(key(k, c)) : null;
      if (s != null) {
        room.addAndGet(s.length);
      }
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
      return new Bytes(store, sources, ranges, from, total <= budget ? 0 : budget);
    }

    Slice chunk(int k, ColumnChunkMetaData c) throws IOException {
      Slice s = kept(k, c);
      return s != null ? s : slice(k, c.getStartingPos(), c.getTotalSize());
    }

    /** The bytes of an index, or {@code null} when the file has none. */
    Slice index(int k, IndexReference r) throws IOException {
      return r == null ? null : slice(k, r.getOffset(), r.getLength());
    }

    Slice slice(int k, long offset, long length) throws IOException {
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
