package dev.lakelifecycle.core.internal.compaction;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.LifecycleException;
import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.StorageException;
import dev.lakelifecycle.api.catalog.SortOrder;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.core.internal.parquet.StoreInputFile;
import dev.lakelifecycle.core.internal.parquet.StoreOutputFile;
import dev.lakelifecycle.core.internal.parquet.WriterDefaults;
import dev.lakelifecycle.core.internal.parquet.ZstdCodecFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rewrite for tables with a {@link SortOrder}: a streaming k-way merge of a group's inputs by the sort key,
 * so that every output file is sorted by the order (and recorded with its id by the caller).
 *
 * <p><b>Inputs.</b> An input recorded as sorted by the same order ({@link DataFile#sortOrderId()}) is read as a
 * stream, one row group at a time. Any other input is read whole into memory and sorted there first (stable, so
 * rows with equal keys keep their file order); an input whose estimated in-memory size exceeds the budget is
 * never read: the planner leaves it out ({@link CompactionPlan.Reason#TOO_LARGE_TO_SORT}, see
 * {@link #unsortable}) and, should one reach a rewrite anyway, it is reported in {@link StreamingRewriter.Result#excluded()}.
 * A stream recorded as sorted whose rows turn out not to be is detected while merging; the merge restarts with it
 * treated as unsorted, so a wrong record never produces an unsorted output.
 *
 * <p><b>Memory.</b> Each stream holds one input row group (estimated by its uncompressed size), each in-memory
 * input its rows (estimated at {@value #BYTES_PER_VALUE} bytes per value plus its uncompressed size), and the
 * output writer one row group of at most a quarter of {@link StreamingRewriter.Settings#memoryBudgetBytes()}.
 * The inputs of a group are split, in order, into consecutive merges whose estimates fit the budget; each merge
 * writes its own outputs, so every output is sorted even when the whole group could not be merged at once.
 *
 * <p><b>Outputs</b> roll at the target size when the rest of the merge is estimated to fill at least 75 % of
 * another, as in {@link StreamingRewriter}; they keep the inputs' Parquet schema (field ids included) and the
 * footer key/values all inputs share, and are written with the shared {@link WriterDefaults}.
 *
 * <p><b>Bad inputs</b> are handled as by {@link StreamingRewriter}: unreadable ones are quarantined and the
 * rewrite restarts without them (outputs so far discarded); inputs of another schema are excluded.
 */
final class SortingRewriter {
  private static final Logger LOG = LoggerFactory.getLogger(SortingRewriter.class);
  /** Estimated heap per value of a row held in memory (row, field lists, boxed value), besides its bytes. */
  static final long BYTES_PER_VALUE = 160;

  private final ObjectStore store;
  /** In-memory sort estimates by location: data files are immutable, so repeated plans need not reread them. */
  private final Cache<String, Long> sortCosts = Caffeine.newBuilder().maximumSize(50_000).build();

  SortingRewriter(ObjectStore store) {
    this.store = store;
  }

  /** Heap a rewrite may give to its inputs: the budget less the output writer's row group. */
  static long inputBudget(long memoryBudgetBytes, long rowGroupBytes) {
    return memoryBudgetBytes - outputRowGroupBytes(memoryBudgetBytes, rowGroupBytes);
  }

  private static long outputRowGroupBytes(long memoryBudgetBytes, long rowGroupBytes) {
    return Math.max(1, Math.min(rowGroupBytes, memoryBudgetBytes / 4));
  }

  /**
   * The planning decisions for small live files that the sorting rewrite cannot take: not recorded as sorted by
   * {@code order} and estimated to need more memory than the budget to sort. Empty for an unsorted order. Files
   * whose footer cannot be read are not decided here (the planner quarantines them).
   */
  List<CompactionPlan.Decision> unsortable(SortOrder order, List<DataFile> live, long minFileSizeBytes,
      long memoryBudgetBytes, long rowGroupBytes) {
    if (order.isUnsorted()) {
      return List.of();
    }
    long budget = inputBudget(memoryBudgetBytes, rowGroupBytes);
    List<CompactionPlan.Decision> out = new ArrayList<>();
    for (DataFile f : live) {
      if (f.sizeBytes() >= minFileSizeBytes || f.sortOrderId() == order.orderId()) {
        continue;
      }
      Long cost = sortCosts.getIfPresent(f.location());
      if (cost == null) {
        try (ParquetFileReader r = open(f)) {
          cost = inMemoryCost(r.getFooter());
          sortCosts.put(f.location(), cost);
        } catch (IOException | RuntimeException e) {
          continue;
        }
      }
      if (cost > budget) {
        out.add(new CompactionPlan.Decision(f, CompactionPlan.Reason.TOO_LARGE_TO_SORT, tooLarge(order, cost,
            budget, memoryBudgetBytes)));
      }
    }
    return out;
  }

  private static String tooLarge(SortOrder order, long cost, long budget, long memoryBudgetBytes) {
    return String.format(Locale.ROOT, "not recorded as sorted by the table's sort order %d %s, and sorting it in"
        + " memory needs an estimated %d B, more than the %d B of the compaction memory budget (%d B) left for"
        + " inputs; raise compaction.memory_budget_bytes to compact it", order.orderId(), order.fields(), cost,
        budget, memoryBudgetBytes);
  }

  /** {@code plan} with the files of {@code extra} (left out of planning) decided as they say. */
  static CompactionPlan withDecisions(CompactionPlan plan, List<CompactionPlan.Decision> extra) {
    if (extra.isEmpty()) {
      return plan;
    }
    List<CompactionPlan.Decision> all = new ArrayList<>(plan.decisions());
    all.addAll(extra);
    return new CompactionPlan(plan.table(), plan.groups(), all);
  }

  /** {@code live} without the files decided by {@code decided}. */
  static List<DataFile> without(List<DataFile> live, List<CompactionPlan.Decision> decided) {
    if (decided.isEmpty()) {
      return live;
    }
    Set<String> out = new HashSet<>();
    decided.forEach(d -> out.add(d.file().location()));
    return live.stream().filter(f -> !out.contains(f.location())).toList();
  }

  /**
   * Merges {@code inputs} sorted by {@code order}; each output is written to a fresh key from {@code keys} and is
   * sorted by {@code order}.
   *
   * @throws StorageException if the store fails while reading or writing (outputs are discarded)
   * @throws IllegalArgumentException if {@code order} is unsorted
   */
  StreamingRewriter.Result rewrite(String table, String groupId, List<DataFile> inputs,
      StreamingRewriter.Settings settings, Supplier<String> keys, SortOrder order) {
    if (order.isUnsorted()) {
      throw new IllegalArgumentException("The sorting rewrite of group " + groupId + " of " + table
          + " needs a sort order; use the streaming rewrite for unsorted tables");
    }
    long budget = inputBudget(settings.memoryBudgetBytes(), settings.rowGroupBytes());
    List<StreamingRewriter.Rejected> quarantined = new ArrayList<>();
    List<StreamingRewriter.Rejected> excluded = new ArrayList<>();
    List<Input> good = new ArrayList<>();
    MessageType schema = null;
    List<FileMetaData> metas = new ArrayList<>();
    for (DataFile f : inputs) {
      try (ParquetFileReader r = open(f)) {
        ParquetMetadata footer = r.getFooter();
        FileMetaData meta = footer.getFileMetaData();
        if (r.getRecordCount() != f.recordCount()) {
          quarantined.add(new StreamingRewriter.Rejected(f, String.format(Locale.ROOT, "its footer holds %d rows but"
              + " the table records %d (the table metadata disagrees with the file)", r.getRecordCount(),
              f.recordCount())));
          continue;
        }
        if (schema != null && !schema.equals(meta.getSchema())) {
          excluded.add(new StreamingRewriter.Rejected(f, "its Parquet schema differs from the group's: "
              + meta.getSchema()));
          continue;
        }
        String unsortable = RowOrder.check(order, meta.getSchema());
        if (unsortable != null) {
          excluded.add(new StreamingRewriter.Rejected(f, unsortable));
          continue;
        }
        boolean sorted = f.sortOrderId() == order.orderId();
        long cost = sorted ? streamCost(footer) : inMemoryCost(footer);
        if (!sorted && cost > budget) {
          excluded.add(new StreamingRewriter.Rejected(f, tooLarge(order, cost, budget, settings.memoryBudgetBytes())));
          continue;
        }
        schema = meta.getSchema();
        metas.add(meta);
        good.add(new Input(f, sorted, cost, inMemoryCost(footer)));
      } catch (IOException | RuntimeException e) {
        quarantined.add(new StreamingRewriter.Rejected(f, describe(e)));
      }
    }
    while (true) {
      if (good.size() < 2) {
        return new StreamingRewriter.Result(List.of(), List.of(), quarantined, excluded);
      }
      Merge merge = new Merge(table, groupId, schema, settings, keys, new RowOrder(order, schema),
          sharedKeyValues(metas));
      try {
        List<DataFile> merged = merge.run(good, budget);
        return new StreamingRewriter.Result(List.copyOf(merge.done), merged, quarantined, excluded);
      } catch (NotSorted wrong) {
        merge.discardAll();
        int i = indexOf(good, wrong.file);
        Input in = good.get(i);
        LOG.warn("Group {} of {}: input {} is recorded as sorted by order {} but is not ({}); treating it as"
            + " unsorted and merging again", groupId, table, in.file.location(), order.orderId(), wrong.getMessage());
        if (in.sortCost > budget) {
          excluded.add(new StreamingRewriter.Rejected(in.file, "recorded as sorted but not sorted: "
              + wrong.getMessage() + "; " + tooLarge(order, in.sortCost, budget, settings.memoryBudgetBytes())));
          good.remove(i);
          metas.remove(i);
        } else {
          good.set(i, new Input(in.file, false, in.sortCost, in.sortCost));
        }
      } catch (BadInput bad) {
        merge.discardAll();
        int i = indexOf(good, bad.file);
        LOG.warn("Group {} of {}: input {} is unreadable ({}); quarantining it and merging the other {} inputs again",
            groupId, table, bad.file.location(), bad.getMessage(), good.size() - 1, bad.getCause());
        quarantined.add(new StreamingRewriter.Rejected(bad.file, bad.getMessage()));
        good.remove(i);
        metas.remove(i);
      } catch (IOException e) {
        merge.discardAll();
        throw new StorageException(String.format(Locale.ROOT, "Cannot write sorted compaction output for group %s"
            + " of %s: %s (the outputs were discarded; retry)", groupId, table, StreamingRewriter.rootMessage(e)), e,
            true);
      } catch (RuntimeException | Error e) {
        merge.discardAll();
        throw e;
      }
    }
  }

  private static int indexOf(List<Input> inputs, DataFile f) {
    for (int i = 0; i < inputs.size(); i++) {
      if (inputs.get(i).file == f) {
        return i;
      }
    }
    throw new IllegalStateException("Not an input of this rewrite: " + f.location());
  }

  /** A stream holds one row group: estimated by the largest, uncompressed. */
  private static long streamCost(ParquetMetadata footer) {
    long max = 0;
    for (BlockMetaData b : footer.getBlocks()) {
      max = Math.max(max, b.getTotalByteSize());
    }
    return Math.max(max, 1);
  }

  /** Rows held in memory: every value boxed, plus the bytes themselves. */
  private static long inMemoryCost(ParquetMetadata footer) {
    long rows = 0;
    long bytes = 0;
    for (BlockMetaData b : footer.getBlocks()) {
      rows += b.getRowCount();
      bytes += b.getTotalByteSize();
    }
    return rows * footer.getFileMetaData().getSchema().getColumns().size() * BYTES_PER_VALUE + bytes;
  }

  private ParquetFileReader open(DataFile f) throws IOException {
    return ParquetFileReader.open(inputFile(f), ZstdCodecFactory.readOptions());
  }

  private InputFile inputFile(DataFile f) {
    String key = store.keyOf(f.location()).orElseThrow(() -> new LifecycleException(String.format(Locale.ROOT,
        "Cannot read data file %s: it is outside the store at %s (the catalog and the store disagree;"
            + " configure the Lifecycle with the store that holds the table)", f.location(), store.root())));
    return new StoreInputFile(store, key, f.sizeBytes());
  }

  /** Why a file cannot be read; storage failures are not the file's fault and propagate. */
  private static String describe(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StorageException se) {
        throw se;
      }
      if (t instanceof ObjectNotFoundException gone) {
        throw gone;
      }
    }
    return StreamingRewriter.rootMessage(e);
  }

  private static Map<String, String> sharedKeyValues(List<FileMetaData> metas) {
    Map<String, String> shared = new LinkedHashMap<>(metas.get(0).getKeyValueMetaData());
    for (FileMetaData m : metas) {
      shared.entrySet().removeIf(e -> !e.getValue().equals(m.getKeyValueMetaData().get(e.getKey())));
    }
    shared.remove("writer.model.name");
    return shared;
  }

  /** An input of a rewrite: whether it is read as a sorted stream, and its memory estimates. */
  private record Input(DataFile file, boolean sorted, long cost, long sortCost) {}

  /** An input that failed while being read; the merge restarts without it. */
  private static final class BadInput extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient DataFile file;

    BadInput(DataFile file, String why, Throwable cause) {
      super(why, cause, false, false);
      this.file = file;
    }
  }

  /** An input recorded as sorted whose rows are out of order; the merge restarts with it sorted in memory. */
  private static final class NotSorted extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient DataFile file;

    NotSorted(DataFile file, String why) {
      super(why, null, false, false);
      this.file = file;
    }
  }

  /** One attempt at merging a fixed list of inputs, in consecutive merges that fit the budget. */
  private final class Merge {
    private final String table;
    private final String groupId;
    private final MessageType schema;
    private final StreamingRewriter.Settings settings;
    private final Supplier<String> keys;
    private final RowOrder rowOrder;
    private final Map<String, String> keyValues;
    final List<StreamingRewriter.Output> done = new ArrayList<>();
    /** Readers of the merge in progress, closed when it ends or fails. */
    private final List<ParquetReader<Group>> readers = new ArrayList<>();
    private StoreOutputFile out;
    private String outKey;
    private ParquetWriter<Group> writer;
    private long outRows;

    Merge(String table, String groupId, MessageType schema, StreamingRewriter.Settings settings, Supplier<String> keys,
        RowOrder rowOrder, Map<String, String> keyValues) {
      this.table = table;
      this.groupId = groupId;
      this.schema = schema;
      this.settings = settings;
      this.keys = keys;
      this.rowOrder = rowOrder;
      this.keyValues = keyValues;
    }

    /** Runs the merges; returns the inputs whose rows are in the outputs. */
    List<DataFile> run(List<Input> inputs, long budget) throws IOException {
      List<List<Input>> merges = new ArrayList<>();
      List<Input> current = new ArrayList<>();
      long used = 0;
      for (Input in : inputs) {
        if (!current.isEmpty() && used + in.cost > budget) {
          merges.add(current);
          current = new ArrayList<>();
          used = 0;
        }
        current.add(in);
        used += in.cost;
      }
      merges.add(current);
      if (merges.size() > 1) {
        LOG.info("Group {} of {}: {} inputs do not fit the memory budget of {} B in one sorted merge; merging them in"
            + " {} consecutive merges (each output is sorted)", groupId, table, inputs.size(),
            settings.memoryBudgetBytes(), merges.size());
      }
      List<DataFile> merged = new ArrayList<>();
      for (List<Input> m : merges) {
        if (m.size() == 1 && m.get(0).sorted) {
          continue; // already one sorted file: rewriting it alone gains nothing
        }
        mergeSorted(m);
        m.forEach(in -> merged.add(in.file));
      }
      return merged;
    }

    private void mergeSorted(List<Input> inputs) throws IOException {
      long total = 0;
      PriorityQueue<Stream> heads = new PriorityQueue<>(Comparator.<Stream, Group>comparing(s -> s.head,
          rowOrder).thenComparingInt(s -> s.index));
      try {
        for (int i = 0; i < inputs.size(); i++) {
          Input in = inputs.get(i);
          Stream s = in.sorted ? new Stream(in.file, i, readStreaming(in.file)) : new Stream(in.file, i,
              sortedInMemory(in.file));
          total += in.file.recordCount();
          if (s.advance()) {
            heads.add(s);
          }
        }
        long left = total;
        while (!heads.isEmpty()) {
          Stream s = heads.poll();
          write(s.head);
          left--;
          maybeRoll(left);
          if (s.advance()) {
            heads.add(s);
          }
        }
        closeOutput();
      } finally {
        closeStreams();
      }
    }

    private void write(Group row) throws IOException {
      if (writer == null) {
        outKey = keys.get();
        out = new StoreOutputFile(store, outKey);
        writer = WriterDefaults.apply(ExampleParquetWriter.builder(out))
            .withType(schema)
            .withExtraMetaData(keyValues)
            .withRowGroupSize(outputRowGroupBytes(settings.memoryBudgetBytes(), settings.rowGroupBytes()))
            .build();
        outRows = 0;
      }
      writer.write(row);
      outRows++;
    }

    private void maybeRoll(long rowsLeft) throws IOException {
      if (writer == null || rowsLeft == 0 || outRows % 1024 != 0) {
        return;
      }
      long size = writer.getDataSize();
      if (size >= settings.targetFileSizeBytes()
          && (double) size / outRows * rowsLeft >= settings.targetFileSizeBytes() * 0.75) {
        closeOutput();
      }
    }

    private void closeOutput() throws IOException {
      if (writer == null) {
        return;
      }
      writer.close();
      done.add(new StreamingRewriter.Output(outKey, out.result(), outRows));
      writer = null;
      out = null;
      outKey = null;
    }

    private Iterator<Group> readStreaming(DataFile f) {
      try {
        ParquetReader<Group> reader = new GroupReader(inputFile(f)).build();
        readers.add(reader);
        return new Iterator<>() {
          private Group next = read();

          private Group read() {
            try {
              return reader.read();
            } catch (IOException | RuntimeException e) {
              throw new BadInput(f, describe(e), e);
            }
          }

          @Override
          public boolean hasNext() {
            return next != null;
          }

          @Override
          public Group next() {
            if (next == null) {
              throw new NoSuchElementException();
            }
            Group g = next;
            next = read();
            return g;
          }
        };
      } catch (IOException | RuntimeException e) {
        throw new BadInput(f, describe(e), e);
      }
    }

    private Iterator<Group> sortedInMemory(DataFile f) {
      List<Group> rows = new ArrayList<>((int) Math.min(f.recordCount(), Integer.MAX_VALUE - 8));
      readStreaming(f).forEachRemaining(rows::add);
      closeQuietly(readers.remove(readers.size() - 1)); // its rows are in memory; free its row group now
      rows.sort(rowOrder); // stable: equal keys keep file order
      return rows.iterator();
    }

    private void closeStreams() {
      for (ParquetReader<Group> r : readers) {
        closeQuietly(r);
      }
      readers.clear();
    }

    void discardAll() {
      List<String> published = new ArrayList<>();
      done.forEach(o -> published.add(o.key()));
      done.clear();
      deleteQuietly(published);
      if (out != null) {
        // Not closing the writer: that would publish a partial object.
        out.abort();
      }
    }

    /** One input's rows in order; checks that a stream recorded as sorted really is. */
    private final class Stream {
      final DataFile file;
      final int index;
      final Iterator<Group> rows;
      Group head;
      long position = -1;

      Stream(DataFile file, int index, Iterator<Group> rows) {
        this.file = file;
        this.index = index;
        this.rows = rows;
      }

      boolean advance() {
        if (!rows.hasNext()) {
          head = null;
          return false;
        }
        Group next = rows.next();
        position++;
        if (head != null && rowOrder.compare(head, next) > 0) {
          throw new NotSorted(file, String.format(Locale.ROOT, "row %d sorts before row %d", position,
              position - 1));
        }
        head = next;
        return true;
      }
    }
  }

  private void deleteQuietly(Collection<String> keys) {
    if (keys.isEmpty()) {
      return;
    }
    try {
      Map<String, String> failed = store.delete(List.copyOf(keys)).failed();
      if (!failed.isEmpty()) {
        LOG.warn("Could not delete uncommitted sorted compaction outputs {} (the orphan sweeper removes them later)",
            failed);
      }
    } catch (RuntimeException e) {
      LOG.warn("Could not delete uncommitted sorted compaction outputs {} (the orphan sweeper removes them later)",
          keys, e);
    }
  }

  private static void closeQuietly(ParquetReader<Group> reader) {
    try {
      reader.close();
    } catch (IOException | RuntimeException e) {
      LOG.debug("Closing a compaction input reader failed (it was fully read or is abandoned)", e);
    }
  }

  /** Reads rows as parquet-java's example {@link Group}s: every physical value kept as it is in the file. */
  private static final class GroupReader extends ParquetReader.Builder<Group> {
    GroupReader(InputFile file) {
      super(file, new PlainParquetConfiguration());
      withCodecFactory(ZstdCodecFactory.create());
    }

    @Override
    protected ReadSupport<Group> getReadSupport() {
      return new ReadSupport<>() {
        @Override
        public ReadContext init(InitContext context) {
          return new ReadContext(context.getFileSchema());
        }

        @Override
        public RecordMaterializer<Group> prepareForRead(Configuration configuration,
            Map<String, String> keyValueMetaData, MessageType fileSchema, ReadContext readContext) {
          return new GroupRecordConverter(readContext.getRequestedSchema());
        }
      };
    }
  }

  /**
   * A {@link SortOrder} over the rows of one Parquet schema: each sort column is a top-level, non-repeated primitive
   * field, compared by its physical and logical type.
   */
  static final class RowOrder implements Comparator<Group> {
    private final int[] fields;
    private final Comparator<Object>[] values;
    private final boolean[] descending;
    private final boolean[] nullsFirst;

    @SuppressWarnings("unchecked")
    RowOrder(SortOrder order, MessageType schema) {
      String why = check(order, schema);
      if (why != null) {
        throw new IllegalArgumentException(why);
      }
      int n = order.fields().size();
      fields = new int[n];
      values = new Comparator[n];
      descending = new boolean[n];
      nullsFirst = new boolean[n];
      for (int i = 0; i < n; i++) {
        SortOrder.Field f = order.fields().get(i);
        fields[i] = schema.getFieldIndex(f.column());
        values[i] = comparator(schema.getType(fields[i]).asPrimitiveType());
        descending[i] = f.direction() == SortOrder.Direction.DESC;
        nullsFirst[i] = f.nullOrder() == SortOrder.NullOrder.NULLS_FIRST;
      }
    }

    /** Why files of {@code schema} cannot be sorted by {@code order}, or {@code null} if they can. */
    static String check(SortOrder order, MessageType schema) {
      for (SortOrder.Field f : order.fields()) {
        if (!schema.containsField(f.column())) {
          return String.format(Locale.ROOT, "its Parquet schema has no column '%s' of the table's sort order %d"
              + " (written before the column existed or under another name); it cannot be sorted", f.column(),
              order.orderId());
        }
        Type t = schema.getType(f.column());
        if (!t.isPrimitive() || t.isRepetition(Type.Repetition.REPEATED)) {
          return String.format(Locale.ROOT, "column '%s' of the table's sort order %d is not a single primitive"
              + " value in its Parquet schema (%s); it cannot be sorted", f.column(), order.orderId(), t);
        }
      }
      return null;
    }

    @Override
    public int compare(Group a, Group b) {
      for (int i = 0; i < fields.length; i++) {
        int c = compareField(i, a, b);
        if (c != 0) {
          return c;
        }
      }
      return 0;
    }

    private int compareField(int i, Group a, Group b) {
      Object x = value(a, fields[i]);
      Object y = value(b, fields[i]);
      if (x == null || y == null) {
        if (x == y) {
          return 0;
        }
        return (x == null) == nullsFirst[i] ? -1 : 1;
      }
      int c = values[i].compare(x, y);
      return descending[i] ? -c : c;
    }

    private static Object value(Group g, int field) {
      if (g.getFieldRepetitionCount(field) == 0) {
        return null;
      }
      PrimitiveType t = g.getType().getType(field).asPrimitiveType();
      return switch (t.getPrimitiveTypeName()) {
        case BOOLEAN -> g.getBoolean(field, 0);
        case INT32 -> g.getInteger(field, 0);
        case INT64 -> g.getLong(field, 0);
        case FLOAT -> g.getFloat(field, 0);
        case DOUBLE -> g.getDouble(field, 0);
        case INT96 -> g.getInt96(field, 0);
        case BINARY, FIXED_LEN_BYTE_ARRAY -> g.getBinary(field, 0);
      };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Comparator<Object> comparator(PrimitiveType t) {
      LogicalTypeAnnotation logical = t.getLogicalTypeAnnotation();
      boolean unsigned = logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i && !i.isSigned();
      Comparator c = switch (t.getPrimitiveTypeName()) {
        case BOOLEAN -> Comparator.<Boolean>naturalOrder();
        case INT32 -> unsigned ? (Comparator<Integer>) Integer::compareUnsigned : Comparator.<Integer>naturalOrder();
        case INT64 -> unsigned ? (Comparator<Long>) Long::compareUnsigned : Comparator.<Long>naturalOrder();
        case FLOAT -> (Comparator<Float>) Float::compare;
        case DOUBLE -> (Comparator<Double>) Double::compare;
        case INT96 -> (Comparator<Binary>) RowOrder::compareInt96;
        case BINARY, FIXED_LEN_BYTE_ARRAY -> logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation
            ? (Comparator<Binary>) (x, y) -> new java.math.BigInteger(x.getBytes()).compareTo(
                new java.math.BigInteger(y.getBytes()))
            : (Comparator<Binary>) (x, y) -> java.util.Arrays.compareUnsigned(x.getBytesUnsafe(),
                y.getBytesUnsafe());
      };
      return c;
    }

    /** INT96 timestamps: little-endian nanos of day (8 bytes), then little-endian Julian day (4 bytes). */
    private static int compareInt96(Binary x, Binary y) {
      java.nio.ByteBuffer a = x.toByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
      java.nio.ByteBuffer b = y.toByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
      int c = Integer.compare(a.getInt(a.position() + 8), b.getInt(b.position() + 8));
      return c != 0 ? c : Long.compare(a.getLong(a.position()), b.getLong(b.position()));
    }
  }
}
