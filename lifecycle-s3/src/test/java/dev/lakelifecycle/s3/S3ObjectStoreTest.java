package dev.lakelifecycle.s3;

import dev.lakelifecycle.api.storage.ObjectStore;
import dev.lakelifecycle.testkit.ObjectStoreContract;
import java.time.Duration;

/** The testkit's object store contract, against a real S3 protocol server (s3proxy). */
class S3ObjectStoreTest extends ObjectStoreContract {

  @Override
  protected ObjectStore newStore() {
    S3Server server = S3Server.shared();
    // Short backoff: the server's file-system answers 500 to an object/prefix clash, retried before failing.
    return server.builder(S3Server.freshRoot("contract")).backoff(Duration.ofMillis(5), Duration.ofMillis(50))
        .build();
  }

  /**
   * Amazon S3 holds an object {@code a} next to objects under {@code a/}; s3proxy's file-system blob store
   * cannot (it answers 500), so the suite checks here that the clash fails clearly, naming the key.
   */
  @Override
  protected boolean supportsObjectAndPrefixOfSameName() {
    return false;
  }

  /** 1,000 objects (two pages); S3ListingTest streams 100,000. */
  @Override
  protected int listingObjectCount() {
    return 1_000;
  }

  /** S3's etag is the content's MD5: rewriting identical bytes keeps it. */
  @Override
  protected boolean supportsUniqueEtagPerWrite() {
    return false;
  }
}
