package dev.lakelifecycle.iceberg;

import dev.lakelifecycle.api.InvalidConfigurationException;
import dev.lakelifecycle.api.ObjectNotFoundException;
import dev.lakelifecycle.api.PreconditionFailedException;
import dev.lakelifecycle.api.storage.DeleteResult;
import dev.lakelifecycle.api.storage.ObjectInfo;
import dev.lakelifecycle.api.storage.ObjectOutput;
import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.api.storage.ObjectStoreProvider;
import dev.lakelifecycle.api.storage.SeekableInput;
import dev.lakelifecycle.api.storage.WriteCondition;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.NotFoundException;
import org.apache.iceberg.io.BulkDeletionFailureException;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.RangeReadable;
import org.apache.iceberg.io.SeekableInputStream;
import org.apache.iceberg.io.SupportsBulkOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Iceberg's {@link FileIO} over one of our {@link ObjectStore}s, so that any Iceberg catalog keeps its
 * metadata and data on the same storage (local disk, S3) the lifecycle engines use. Locations are the
 * store's own ({@link ObjectStore#location(String)}); a location outside the store is rejected with
 * {@link IllegalArgumentException}.
 *
 * <p>Reads are ranged ({@link SeekableInput}): Parquet footers and column chunks are fetched without
 * reading whole objects. {@link OutputFile#create()} is atomic and exclusive: the bytes are buffered
 * and written with an if-absent condition, so two writers of the same path never both succeed (Iceberg
 * relies on this for metadata files); {@link OutputFile#createOrOverwrite()} streams through
 * {@link ObjectStore#create(String)}. Thread-safe.
 *
 * <p><b>Two ways to build it.</b> A host holding its store passes it to {@link #ObjectStoreFileIO(ObjectStore)};
 * {@link #close()} then leaves the store open (the host owns it). A host that builds its Iceberg catalog from
 * properties names this class as Iceberg's {@code io-impl} ({@code CatalogUtil.buildIcebergCatalog}), and
 * Iceberg calls {@link #ObjectStoreFileIO()} and {@link #initialize(Map)}: the store is opened from
 * {@value #STORE_LOCATION} (e.g. {@code file:/var/lake/} or {@code s3://bucket/lake/}) by the
 * {@link ObjectStoreProvider} serving its scheme ({@link ServiceLoader}; {@code lifecycle-s3} serves
 * {@code s3}), each further property {@value #STORE_PROPERTY_PREFIX}{@code <name>} handed to the provider as
 * {@code <name>} (e.g. {@code lifecycle.store.s3.endpoint}); {@link #close()} then closes that store.
 */
public final class ObjectStoreFileIO implements FileIO, SupportsBulkOperations {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ObjectStoreFileIO.class);

  /** Catalog property naming the store's root location when built as Iceberg's {@code io-impl}. */
  public static final String STORE_LOCATION = "lifecycle.store.location";
  /** Prefix of catalog properties handed, without it, to the store's provider when built as {@code io-impl}. */
  public static final String STORE_PROPERTY_PREFIX = "lifecycle.store.";

  private transient volatile ObjectStore store;
  private boolean ownsStore;
  private Map<String, String> properties = Map.of();

  /**
   * @param store the store every location must belong to; not closed by this FileIO
   */
  public ObjectStoreFileIO(ObjectStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * For Iceberg's {@code io-impl}: {@link #initialize(Map)} must be called before use (Iceberg's
   * {@code CatalogUtil.loadFileIO} does).
   */
  public ObjectStoreFileIO() {}

  /**
   * Opens the store named by {@value #STORE_LOCATION}, unless this FileIO was built over a store.
   *
   * @throws InvalidConfigurationException if {@value #STORE_LOCATION} is missing or not a URI, no provider
   *     serves its scheme, two do, or the provider rejects the location or a property
   */
  @Override
  public synchronized void initialize(Map<String, String> props) {
    this.properties = Map.copyOf(props);
    if (store != null) {
      return;
    }
    String location = props.get(STORE_LOCATION);
    if (location == null || location.isBlank()) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "%s is configured as Iceberg's io-impl without %s: set %s to the store's root, e.g. file:/var/lake/ or"
              + " s3://bucket/lake/", ObjectStoreFileIO.class.getName(), STORE_LOCATION, STORE_LOCATION));
    }
    URI root;
    try {
      root = new URI(location);
    } catch (URISyntaxException e) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "%s '%s' is not a URI: %s; use e.g. file:/var/lake/ or s3://bucket/lake/", STORE_LOCATION, location,
          e.getMessage()), e);
    }
    if (root.getScheme() == null) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "%s '%s' has no scheme; use e.g. file:/var/lake/ or s3://bucket/lake/", STORE_LOCATION, location));
    }
    Map<String, String> storeProps = new TreeMap<>();
    props.forEach((k, v) -> {
      if (k.startsWith(STORE_PROPERTY_PREFIX) && !k.equals(STORE_LOCATION)) {
        storeProps.put(k.substring(STORE_PROPERTY_PREFIX.length()), v);
      }
    });
    this.store = openStore(root, storeProps);
    this.ownsStore = true;
    LOG.info("Iceberg FileIO opened object store {} for {}", store.root(), location);
  }

  private static ObjectStore openStore(URI root, Map<String, String> props) {
    String scheme = root.getScheme().toLowerCase(Locale.ROOT);
    Set<String> known = new TreeSet<>();
    ObjectStoreProvider chosen = null;
    ClassLoader loader = ObjectStoreFileIO.class.getClassLoader();
    for (ObjectStoreProvider p : ServiceLoader.load(ObjectStoreProvider.class, loader)) {
      for (String sc : p.schemes()) {
        known.add(sc.toLowerCase(Locale.ROOT));
        if (sc.equalsIgnoreCase(scheme)) {
          if (chosen != null && chosen.getClass() != p.getClass()) {
            throw new InvalidConfigurationException(String.format(Locale.ROOT,
                "Two object store providers claim scheme '%s' of %s '%s': %s and %s; remove one from the class path",
                scheme, STORE_LOCATION, root, chosen.getClass().getName(), p.getClass().getName()));
          }
          chosen = p;
        }
      }
    }
    if (chosen == null) {
      throw new InvalidConfigurationException(String.format(Locale.ROOT,
          "No object store provider for scheme '%s' of %s '%s' (known: %s; for s3 add the lifecycle-s3 module)",
          scheme, STORE_LOCATION, root, known));
    }
    return chosen.open(root, props);
  }

  /** The store this FileIO reads and writes. */
  public ObjectStore store() {
    return requireStore();
  }

  private ObjectStore requireStore() {
    ObjectStore s = store;
    if (s == null) {
      throw new IllegalStateException(String.format(Locale.ROOT,
          "%s has no store: it was closed, or built without a store and not initialized (call initialize with %s)",
          ObjectStoreFileIO.class.getSimpleName(), STORE_LOCATION));
    }
    return s;
  }

  String keyOf(String location) {
    ObjectStore store = requireStore();
    Optional<String> key = store.keyOf(location);
    if (key.isEmpty()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Location %s is not in object store %s: configure the Iceberg catalog's warehouse under the store's root",
          location, store.root()));
    }
    return key.get();
  }

  @Override
  public InputFile newInputFile(String path) {
    return new StoreInputFile(path, keyOf(path), -1);
  }

  @Override
  public InputFile newInputFile(String path, long length) {
    return new StoreInputFile(path, keyOf(path), length);
  }

  @Override
  public OutputFile newOutputFile(String path) {
    return new StoreOutputFile(path, keyOf(path));
  }

  @Override
  public void deleteFile(String path) {
    store.delete(List.of(keyOf(path)));
  }

  @Override
  public void deleteFiles(Iterable<String> paths) throws BulkDeletionFailureException {
    List<String> keys = new ArrayList<>();
    for (String p : paths) {
      keys.add(keyOf(p));
    }
    for (int i = 0; i < keys.size(); i += 1000) {
      DeleteResult result = store.delete(keys.subList(i, Math.min(keys.size(), i + 1000)));
      if (!result.failed().isEmpty()) {
        throw new BulkDeletionFailureException(result.failed().size());
      }
    }
  }

  @Override
  public Map<String, String> properties() {
    return properties;
  }

  /** Closes the store if this FileIO opened it ({@link #initialize(Map)}); a store passed in stays open. */
  @Override
  public synchronized void close() {
    if (ownsStore && store != null) {
      store.close();
      store = null;
      ownsStore = false;
    }
  }

  private final class StoreInputFile implements InputFile {
    private final String location;
    private final String key;
    private long length;

    StoreInputFile(String location, String key, long length) {
      this.location = location;
      this.key = key;
      this.length = length;
    }

    @Override
    public long getLength() {
      if (length < 0) {
        ObjectInfo info = store.stat(key).orElseThrow(() -> new NotFoundException("File does not exist: %s", location));
        length = info.size();
      }
      return length;
    }

    @Override
    public SeekableInputStream newStream() {
      try {
        return new StoreInputStream(store.open(key));
      } catch (ObjectNotFoundException e) {
        throw new NotFoundException(e, "File does not exist: %s", location);
      }
    }

    @Override
    public String location() {
      return location;
    }

    @Override
    public boolean exists() {
      return store.stat(key).isPresent();
    }

    @Override
    public String toString() {
      return location;
    }
  }

  /** A seekable stream over ranged reads; reads in chunks so small reads do not each cost a request. */
  private static final class StoreInputStream extends SeekableInputStream implements RangeReadable {
    private static final int CHUNK = 1 << 20;
    private final SeekableInput in;
    private final long length;
    private long pos;
    private byte[] buf = new byte[0];
    private long bufStart;
    private boolean closed;

    StoreInputStream(SeekableInput in) {
      this.in = in;
      this.length = in.length();
    }

    @Override
    public long getPos() {
      return pos;
    }

    @Override
    public void seek(long newPos) throws IOException {
      if (newPos < 0) {
        throw new EOFException("Cannot seek to negative position " + newPos);
      }
      pos = newPos;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      ensureOpen();
      if (len == 0) {
        return 0;
      }
      if (pos >= length) {
        return -1;
      }
      if (pos < bufStart || pos >= bufStart + buf.length) {
        int n = (int) Math.min(CHUNK, length - pos);
        byte[] next = new byte[n];
        in.readFully(pos, next, 0, n);
        buf = next;
        bufStart = pos;
      }
      int from = (int) (pos - bufStart);
      int n = Math.min(len, buf.length - from);
      System.arraycopy(buf, from, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public void readFully(long position, byte[] buffer, int offset, int len) throws IOException {
      ensureOpen();
      if (position + len > length) {
        throw new EOFException(String.format(Locale.ROOT, "Cannot read %d bytes at %d: object has %d", len, position,
            length));
      }
      in.readFully(position, buffer, offset, len);
    }

    @Override
    public int readTail(byte[] buffer, int offset, int len) throws IOException {
      ensureOpen();
      int n = (int) Math.min(len, length);
      in.readFully(length - n, buffer, offset, n);
      return n;
    }

    private void ensureOpen() throws IOException {
      if (closed) {
        throw new IOException("Stream is closed");
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        in.close();
      }
    }
  }

  private final class StoreOutputFile implements OutputFile {
    private final String location;
    private final String key;

    StoreOutputFile(String location, String key) {
      this.location = location;
      this.key = key;
    }

    @Override
    public PositionOutputStream create() {
      if (store.stat(key).isPresent()) {
        throw new AlreadyExistsException("File already exists: %s", location);
      }
      return new ExclusiveOutputStream(location, key);
    }

    @Override
    public PositionOutputStream createOrOverwrite() {
      return new StreamingOutputStream(store.create(key));
    }

    @Override
    public String location() {
      return location;
    }

    @Override
    public InputFile toInputFile() {
      return new StoreInputFile(location, key, -1);
    }

    @Override
    public String toString() {
      return location;
    }
  }

  /** Buffers, then writes once with if-absent so that an existing object is never replaced. */
  private final class ExclusiveOutputStream extends PositionOutputStream {
    private final String location;
    private final String key;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private boolean closed;

    ExclusiveOutputStream(String location, String key) {
      this.location = location;
      this.key = key;
    }

    @Override
    public long getPos() {
      return bytes.size();
    }

    @Override
    public void write(int b) throws IOException {
      ensureOpen();
      bytes.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      ensureOpen();
      bytes.write(b, off, len);
    }

    private void ensureOpen() throws IOException {
      if (closed) {
        throw new IOException("Stream for " + location + " is closed");
      }
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      try {
        store.put(key, bytes.toByteArray(), WriteCondition.ifAbsent());
      } catch (PreconditionFailedException e) {
        throw new AlreadyExistsException(e, "File already exists: %s", location);
      }
    }
  }

  private static final class StreamingOutputStream extends PositionOutputStream {
    private final ObjectOutput out;

    StreamingOutputStream(ObjectOutput out) {
      this.out = out;
    }

    @Override
    public long getPos() {
      return out.position();
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
