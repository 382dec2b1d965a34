/**
 * {@link dev.lakelifecycle.api.storage.ObjectStore} on Amazon S3 and S3-compatible stores. The store
 * itself arrives with the S3 issue; until then this module only reserves the artifact and package.
 */
package dev.lakelifecycle.s3;
