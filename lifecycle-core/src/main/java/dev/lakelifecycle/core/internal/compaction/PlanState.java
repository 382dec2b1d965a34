package dev.lakelifecycle.core.internal.compaction;

import dev.lakelifecycle.api.DataFile;
import dev.lakelifecycle.api.checkpoint.Checkpoint;
import dev.lakelifecycle.api.compaction.CompactionPlan;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The compaction plan and progress as stored in a {@link Checkpoint}, in the shape of the Timestore runbook's
 * {@code compaction_checkpoints} row. Every value is JSON-compatible so any checkpoint store can hold it.
 *
 * <p>Metadata keys (other engines read the ones marked *):
 * <ul>
 *   <li>{@code planId} — random id of the plan, also in each chunk's commit summary</li>
 *   <li>{@code baseSnapshotId}* — the snapshot the plan was made on; retention pins it while the plan is pending</li>
 *   <li>{@code plannedAt}, {@code targetFileSizeBytes}, {@code chunkPartitions}</li>
 *   <li>{@code groups} — {@code [{id, partition}]}; their inputs are in the plan checkpoint (below)</li>
 *   <li>{@code chunks} — {@code [{id, groupIds, partitions}]}: the chunk partition ids</li>
 *   <li>{@code completedGroupIds}, {@code skippedGroups} ({@code {groupId: why}}), {@code attempts}
 *       ({@code {chunkId: attempts}})</li>
 *   <li>{@code outputLocations}* — outputs of the chunk in flight, recorded before they are written, so that
 *       the orphan sweeper keeps them; {@code outputChunkId} — the chunk they belong to</li>
 * </ul>
 * Stats keys: {@code bytes}, {@code bytesAfter}, {@code rows}, {@code partitions}, {@code groups},
 * {@code chunksCompleted}, {@code chunkHistory} (last {@value #HISTORY_LIMIT} samples of
 * {@code {chunkId, bytes, attempts, durationMs, completedAt}}) and {@code lastError}.
 *
 * <p>The groups' inputs ({@link #planMetadata()}: {@code planId} and {@code inputs: {groupId: [{location,
 * sizeBytes, recordCount}]}}) are stored once per plan in a checkpoint of their own (id {@code
 * compaction-plan/<table path>}) rather than in the leased checkpoint, which is rewritten at every chunk and every
 * output file: a plan of 2,000 inputs is about 300 KB of JSON, and carrying it in each of those writes made
 * checkpointing a fifth of the compaction's time on the object-store checkpoint store. A checkpoint written
 * before that split, with the inputs inline in {@code groups}, is still read.
 */
final class PlanState {
  static final String OUTPUT_LOCATIONS = "outputLocations";
  static final String BASE_SNAPSHOT_ID = "baseSnapshotId";
  static final int HISTORY_LIMIT = 200;

  /** One input of a stored group. */
  record Input(String location, long sizeBytes, long recordCount) {}

  /** One stored group. */
  record StoredGroup(String id, String partition, List<Input> inputs) {
    long inputBytes() {
      return inputs.stream().mapToLong(Input::sizeBytes).sum();
    }
  }

  /**
   * One stored chunk: consecutive groups committed together.
   *
   * @param start index of its first group in the plan
   */
  record Chunk(String id, int start, List<String> groupIds) {
    int end() {
      return start + groupIds.size();
    }
  }

  final String planId;
  final Long baseSnapshotId;
  final Instant plannedAt;
  final long targetFileSizeBytes;
  final int chunkPartitions;
  final List<StoredGroup> groups;
  final List<Chunk> chunks;
  final Set<String> completedGroupIds = new LinkedHashSet<>();
  final Map<String, String> skippedGroups = new LinkedHashMap<>();
  final Map<String, Integer> attempts = new LinkedHashMap<>();
  List<String> outputLocations = new ArrayList<>();
  String outputChunkId;

  long bytes;
  long bytesAfter;
  long rows;
  int chunksCompleted;
  final List<Map<String, Object>> chunkHistory = new ArrayList<>();
  String lastError;

  private PlanState(String planId, Long baseSnapshotId, Instant plannedAt, long targetFileSizeBytes,
      int chunkPartitions, List<StoredGroup> groups) {
    this.planId = planId;
    this.baseSnapshotId = baseSnapshotId;
    this.plannedAt = plannedAt;
    this.targetFileSizeBytes = targetFileSizeBytes;
    this.chunkPartitions = chunkPartitions;
    this.groups = List.copyOf(groups);
    List<Chunk> cs = new ArrayList<>();
    for (int start = 0; start < groups.size(); start += chunkPartitions) {
      List<String> ids = new ArrayList<>();
      for (StoredGroup g : groups.subList(start, Math.min(groups.size(), start + chunkPartitions))) {
        ids.add(g.id());
      }
      cs.add(new Chunk("chunk-" + cs.size(), start, List.copyOf(ids)));
    }
    this.chunks = List.copyOf(cs);
  }

  /** A new plan's state; the chunk history of the previous checkpoint is carried over for audits. */
  static PlanState fresh(CompactionPlan plan, String planId, Long baseSnapshotId, Instant now,
      long targetFileSizeBytes, int chunkPartitions, Checkpoint previous) {
    List<StoredGroup> groups = new ArrayList<>();
    for (CompactionPlan.Group g : plan.groups()) {
      List<Input> inputs = new ArrayList<>();
      for (DataFile f : g.inputs()) {
        inputs.add(new Input(f.location(), f.sizeBytes(), f.recordCount()));
      }
      groups.add(new StoredGroup(g.id(), g.partition(), List.copyOf(inputs)));
    }
    PlanState s = new PlanState(planId, baseSnapshotId, now, targetFileSizeBytes, chunkPartitions, groups);
    if (previous != null) {
      s.chunkHistory.addAll(maps(previous.stats().get("chunkHistory")));
    }
    return s;
  }

  /** Whether a checkpoint holds a compaction plan (a lease alone creates an empty one). */
  static boolean hasPlan(Checkpoint cp) {
    return cp.metadata().get("groups") instanceof List<?> && cp.metadata().get("planId") instanceof String;
  }

  static int totalGroups(Checkpoint cp) {
    return hasPlan(cp) ? ((List<?>) cp.metadata().get("groups")).size() : 0;
  }

  /**
   * Reads the state back from a checkpoint that {@link #hasPlan(Checkpoint) has a plan}, without the groups'
   * inputs unless they are inline (a checkpoint of an older version): enough for status and progress.
   */
  static PlanState from(Checkpoint cp) {
    return from(cp, Map.of());
  }

  /**
   * Reads the state back with the groups' inputs from {@code plan}, the plan checkpoint.
   *
   * @return empty if {@code plan} is missing or belongs to another plan and the inputs are not inline: the
   *     plan cannot be resumed
   */
  static Optional<PlanState> from(Checkpoint cp, Optional<Checkpoint> plan) {
    boolean inline = maps(cp.metadata().get("groups")).stream().allMatch(g -> g.get("inputs") != null);
    if (inline) {
      return Optional.of(from(cp));
    }
    if (plan.isEmpty() || !cp.metadata().get("planId").equals(plan.get().metadata().get("planId"))
        || !(plan.get().metadata().get("inputs") instanceof Map<?, ?> inputs)) {
      return Optional.empty();
    }
    Map<String, Object> byGroup = new LinkedHashMap<>();
    inputs.forEach((k, v) -> byGroup.put(String.valueOf(k), v));
    return Optional.of(from(cp, byGroup));
  }

  private static PlanState from(Checkpoint cp, Map<String, Object> inputsByGroup) {
    Map<String, Object> m = cp.metadata();
    List<StoredGroup> groups = new ArrayList<>();
    for (Map<String, Object> g : maps(m.get("groups"))) {
      List<Input> inputs = new ArrayList<>();
      Object stored = g.get("inputs") != null ? g.get("inputs") : inputsByGroup.get((String) g.get("id"));
      for (Map<String, Object> in : maps(stored)) {
        inputs.add(new Input((String) in.get("location"), num(in.get("sizeBytes")), num(in.get("recordCount"))));
      }
      groups.add(new StoredGroup((String) g.get("id"), (String) g.get("partition"), List.copyOf(inputs)));
    }
    Object base = m.get(BASE_SNAPSHOT_ID);
    PlanState s = new PlanState((String) m.get("planId"), base == null ? null : num(base),
        m.get("plannedAt") == null ? Instant.EPOCH : Instant.parse((String) m.get("plannedAt")),
        num(m.get("targetFileSizeBytes")), (int) Math.max(1, num(m.get("chunkPartitions"))), groups);
    s.completedGroupIds.addAll(strings(m.get("completedGroupIds")));
    if (m.get("skippedGroups") instanceof Map<?, ?> skipped) {
      skipped.forEach((k, v) -> s.skippedGroups.put(String.valueOf(k), String.valueOf(v)));
    }
    if (m.get("attempts") instanceof Map<?, ?> att) {
      att.forEach((k, v) -> s.attempts.put(String.valueOf(k), (int) num(v)));
    }
    s.outputLocations = new ArrayList<>(strings(m.get(OUTPUT_LOCATIONS)));
    s.outputChunkId = (String) m.get("outputChunkId");
    Map<String, Object> st = cp.stats();
    s.bytes = num(st.get("bytes"));
    s.bytesAfter = num(st.get("bytesAfter"));
    s.rows = num(st.get("rows"));
    s.chunksCompleted = (int) num(st.get("chunksCompleted"));
    s.chunkHistory.addAll(maps(st.get("chunkHistory")));
    s.lastError = (String) st.get("lastError");
    return s;
  }

  /** The chunk holding group index {@code cursor}. */
  Chunk chunkAt(int cursor) {
    for (Chunk c : chunks) {
      if (cursor >= c.start() && cursor < c.end()) {
        return c;
      }
    }
    throw new IllegalStateException("No chunk holds group " + cursor + " of plan " + planId);
  }

  StoredGroup group(String id) {
    for (StoredGroup g : groups) {
      if (g.id().equals(id)) {
        return g;
      }
    }
    throw new IllegalStateException("No group " + id + " in plan " + planId);
  }

  /** Records one chunk sample, keeping the last {@value #HISTORY_LIMIT}. */
  void addHistory(String chunkId, long chunkBytes, int chunkAttempts, long durationMs, Instant completedAt) {
    Map<String, Object> sample = new LinkedHashMap<>();
    sample.put("chunkId", chunkId);
    sample.put("bytes", chunkBytes);
    sample.put("attempts", chunkAttempts);
    sample.put("durationMs", durationMs);
    sample.put("completedAt", completedAt.toString());
    chunkHistory.add(sample);
    while (chunkHistory.size() > HISTORY_LIMIT) {
      chunkHistory.remove(0);
    }
  }

  /** Fresh, JSON-compatible metadata (no aliasing of this object's collections). */
  Map<String, Object> metadata() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "compaction");
    m.put("planId", planId);
    m.put(BASE_SNAPSHOT_ID, baseSnapshotId);
    m.put("plannedAt", plannedAt.toString());
    m.put("targetFileSizeBytes", targetFileSizeBytes);
    m.put("chunkPartitions", chunkPartitions);
    List<Object> gs = new ArrayList<>();
    for (StoredGroup g : groups) {
      Map<String, Object> gm = new LinkedHashMap<>();
      gm.put("id", g.id());
      gm.put("partition", g.partition());
      gs.add(gm);
    }
    m.put("groups", gs);
    List<Object> cs = new ArrayList<>();
    for (Chunk c : chunks) {
      Set<String> partitions = new TreeSet<>();
      c.groupIds().forEach(id -> partitions.add(group(id).partition()));
      Map<String, Object> cm = new LinkedHashMap<>();
      cm.put("id", c.id());
      cm.put("groupIds", new ArrayList<>(c.groupIds()));
      cm.put("partitions", new ArrayList<>(partitions));
      cs.add(cm);
    }
    m.put("chunks", cs);
    m.put("completedGroupIds", new ArrayList<>(completedGroupIds));
    m.put("skippedGroups", new LinkedHashMap<>(skippedGroups));
    m.put("attempts", new LinkedHashMap<>(attempts));
    m.put(OUTPUT_LOCATIONS, new ArrayList<>(outputLocations));
    m.put("outputChunkId", outputChunkId);
    return m;
  }

  /** The plan checkpoint's metadata: {@code planId} and the inputs of every group, by group id. */
  Map<String, Object> planMetadata() {
    Map<String, Object> byGroup = new LinkedHashMap<>();
    for (StoredGroup g : groups) {
      List<Object> inputs = new ArrayList<>();
      for (Input in : g.inputs()) {
        Map<String, Object> im = new LinkedHashMap<>();
        im.put("location", in.location());
        im.put("sizeBytes", in.sizeBytes());
        im.put("recordCount", in.recordCount());
        inputs.add(im);
      }
      byGroup.put(g.id(), inputs);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "compaction-plan");
    m.put("planId", planId);
    m.put("inputs", byGroup);
    return m;
  }

  /** Fresh, JSON-compatible stats. */
  Map<String, Object> stats() {
    Map<String, Object> st = new LinkedHashMap<>();
    st.put("bytes", bytes);
    st.put("bytesAfter", bytesAfter);
    st.put("rows", rows);
    st.put("partitions", groups.stream().map(StoredGroup::partition).distinct().count());
    st.put("groups", groups.size());
    st.put("chunksCompleted", chunksCompleted);
    List<Object> history = new ArrayList<>();
    chunkHistory.forEach(h -> history.add(new LinkedHashMap<>(h)));
    st.put("chunkHistory", history);
    st.put("lastError", lastError);
    return st;
  }

  static long num(Object o) {
    if (o instanceof Number n) {
      return n.longValue();
    }
    if (o instanceof String s && !s.isEmpty()) {
      return Long.parseLong(s);
    }
    return 0;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> maps(Object o) {
    List<Map<String, Object>> out = new ArrayList<>();
    if (o instanceof List<?> list) {
      for (Object e : list) {
        if (e instanceof Map<?, ?> map) {
          out.add(new LinkedHashMap<>((Map<String, Object>) map));
        }
      }
    }
    return out;
  }

  private static List<String> strings(Object o) {
    List<String> out = new ArrayList<>();
    if (o instanceof List<?> list) {
      list.forEach(e -> out.add(String.valueOf(e)));
    }
    return out;
  }
}
