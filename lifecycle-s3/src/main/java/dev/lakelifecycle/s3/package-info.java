/**
 * {@link dev.lakelifecycle.api.storage.ObjectStore} on Amazon S3 and S3-compatible stores:
 * {@link dev.lakelifecycle.s3.S3ObjectStore} (built with a builder, or found by {@code ServiceLoader} for the
 * {@code s3} and {@code s3a} schemes through {@link dev.lakelifecycle.s3.S3ObjectStoreProvider}), and the
 * typed errors it raises.
 */
package dev.lakelifecycle.s3;
