package dev.lakelifecycle.core.internal.staging;

import dev.lakelifecycle.api.RecordBatch;

/** Sizes of the staging spool's records, for benchmarks and capacity planning. Internal. */
public final class SpoolSizes {
  private SpoolSizes() {}

  /** Bytes one record of {@code batch} takes in the spool, frame header included. */
  public static long frameBytes(RecordBatch batch) {
    return SpoolCodec.encode(batch, 0).pos;
  }
}
